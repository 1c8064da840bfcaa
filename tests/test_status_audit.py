"""Each certificate's place in the status lists, sealed with the register's key: places
swapped, moved to another index, deleted, the table dropped; each done with sqlite3 on the
register's file, as someone who can write the file (but not its key or head) would, and
checked with what a user runs: ``formgen register audit`` and the status list that
``formgen serve --register`` publishes. A register that kept places before they were
sealed is refused until ``formgen register migrate-status`` seals them."""

from __future__ import annotations

import datetime
import sqlite3
from pathlib import Path

import pytest
from conftest import MANIFEST_FILE, cli
from fastapi.testclient import TestClient

from formgen.certificates.head import HEAD_ENV
from formgen.certificates.keys import KEY_ENV
from formgen.certificates.numbers import IssueRequest
from formgen.certificates.register import Register
from formgen.credentials.keys import ISSUER_KEYS_ENV, add_issuer_key
from formgen.credentials.status import LIST_SIZE, StatusEntry, allocate, bit, decode_list, set_bits
from formgen.exceptions import RegisterError
from formgen.settings import Paths
from formgen.web import create_app, web_settings

DAY = datetime.date(2026, 11, 20)
OLD = "CSEE-IET-2026-000001"
"""Numbered (event 2) and printed (event 3) before the register kept places: it needs none."""
REVOKED = "CSEE-IET-2026-000002"
KEPT = "CSEE-IET-2026-000003"
HOST = {"host": "verify.example.org"}


@pytest.fixture(autouse=True)
def _no_keys_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (KEY_ENV, HEAD_ENV, ISSUER_KEYS_ENV):
        monkeypatch.delenv(name, raising=False)


def req(applicant_id: str, name: str) -> IssueRequest:
    return IssueRequest(applicant_id, name, "csee_iet_joint", "csee-iet", "IEng", "CSEE-IET", DAY)


def issue(path: Path, register: Register) -> dict[str, StatusEntry]:
    """Two certificates numbered (events 4, 5), given their places (as a certificate run
    does: event 6, status-kept from event 3), printed (7, 8); the first revoked (9)."""
    (old,) = register.issue([req("CSEE-2026-0001", "ZHOU Ping")], on=DAY)
    register.confirm([old.number], on=DAY)
    numbered = register.issue([req("CSEE-2026-0007", "LI Xiaoming"),
                               req("CSEE-2026-0012", "WANG Jingyi")], on=DAY)
    entries = allocate(register, [i.number for i in numbered], by="Wang Min")
    register.confirm([i.number for i in numbered], on=DAY)
    register.revoke(REVOKED, "withdrawn", on=DAY)
    assert [old.number, *(i.number for i in numbered)] == [OLD, REVOKED, KEPT]
    return entries


@pytest.fixture
def made(tmp_path: Path) -> tuple[Path, dict[str, StatusEntry]]:
    path = tmp_path / "register.sqlite"
    with Register.create(path, by="setup") as reg:
        entries = issue(path, reg)
    add_issuer_key(path)
    return path, entries


def insider(path: Path, *statements: str) -> None:
    """Change the register's file as someone who can write it would."""
    db = sqlite3.connect(path)
    try:
        for sql in statements:
            db.execute(sql)
        db.commit()
    finally:
        db.close()


def app_for(path: Path) -> object:
    return create_app(web_settings(MANIFEST_FILE, paths=Paths(register=path)),
                      secret="status-audit-secret-0123456789", converter=object(),
                      verify_rate=1000)


def failed(path: Path, *problems: str) -> str:
    return f"the register {path} fails its audit:\n" + "".join(f"  - {p}\n" for p in problems)


def altered(number: str, entry: StatusEntry) -> str:
    return (f"certificate {number}: its place in the status lists ({entry.list}#{entry.index}) "
            "does not match its seal")


def missing(number: str) -> str:
    return (f"certificate {number}: its place in the status lists is missing, though every "
            "certificate numbered from event 3 on has one: it was deleted")


TABLE_MISSING = ("the register's table of certificates' places in the status lists "
                 "(credential_status) is missing: it was dropped")


def published_bits(client: TestClient) -> bytes:
    answer = client.get("/status/1", headers=HOST)
    assert answer.status_code == 200, answer.text
    return decode_list(answer.json()["credentialSubject"]["encodedList"])


def test_an_intact_register_publishes_the_revoked_bit(made: tuple[Path, dict[str, StatusEntry]]) -> None:
    path, entries = made
    result = cli("register", "audit", "--register", path)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"the register {path} holds: 9 event(s) sealed in one chain")
    with TestClient(app_for(path)) as client:  # type: ignore[arg-type]
        bits = published_bits(client)
    assert bit(bits, entries[REVOKED].index) and not bit(bits, entries[KEPT].index)
    with Register(path, read_only=True) as reg:
        kept = reg.query("SELECT by, detail FROM events WHERE action = 'status-kept'")
    assert kept == [("Wang Min", "from event 3")]


def _free_index(entries: dict[str, StatusEntry]) -> int:
    taken = {e.index for e in entries.values()}
    return next(i for i in range(LIST_SIZE) if i not in taken)


def _attacks(entries: dict[str, StatusEntry]) -> dict[str, tuple[list[str], list[str]]]:
    revoked, kept = entries[REVOKED], entries[KEPT]
    free = StatusEntry(1, _free_index(entries))
    return {
        # the revoked certificate's place swapped with a valid one's: both bits wrong
        "swapped": ([
            "DROP TRIGGER credential_status_fixed",
            f"UPDATE credential_status SET list = 99 WHERE number = '{REVOKED}'",
            f"UPDATE credential_status SET position = {revoked.index} WHERE number = '{KEPT}'",
            f"UPDATE credential_status SET list = 1, position = {kept.index} "
            f"WHERE number = '{REVOKED}'",
        ], [altered(REVOKED, kept), altered(KEPT, revoked)]),
        # the revoked certificate pointed at a place whose bit is clear
        "moved": ([
            "DROP TRIGGER credential_status_fixed",
            f"UPDATE credential_status SET position = {free.index} WHERE number = '{REVOKED}'",
        ], [altered(REVOKED, free)]),
        "deleted": ([
            "DROP TRIGGER credential_status_kept",
            f"DELETE FROM credential_status WHERE number = '{REVOKED}'",
        ], [missing(REVOKED)]),
        "table-dropped": (["DROP TABLE credential_status"],
                          [TABLE_MISSING, missing(REVOKED), missing(KEPT)]),
    }


@pytest.mark.parametrize("attack", ["swapped", "moved", "deleted", "table-dropped"])
def test_places_altered_fail_the_audit_and_the_list_is_not_published(
        made: tuple[Path, dict[str, StatusEntry]], attack: str) -> None:
    path, entries = made
    statements, problems = _attacks(entries)[attack]
    with TestClient(app_for(path)) as client:  # type: ignore[arg-type]
        assert bit(published_bits(client), entries[REVOKED].index)
        insider(path, *statements)
        answer = client.get("/status/1", headers=HOST)
    result = cli("register", "audit", "--register", path)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == failed(path, *problems)
    refusal = (f"the register {path} fails its audit, so nothing in it can be vouched "
               f"for: {'; '.join(problems)}")
    assert answer.status_code == 503
    assert answer.json() == {"errors": [{"field": "", "message": refusal,
                                         "code": "register.audit-failed"}]}


def test_a_list_is_made_only_from_places_whose_seals_hold(
        made: tuple[Path, dict[str, StatusEntry]]) -> None:
    """Even without the audit in front of it, the list is not made from a moved place."""
    path, entries = made
    statements, problems = _attacks(entries)["moved"]
    insider(path, *statements)
    with Register(path, read_only=True) as reg, pytest.raises(RegisterError) as e:
        set_bits(reg, 1)
    assert e.value.message.english == (
        f"the register {path} fails its audit, so nothing in it can be vouched for: {problems[0]}")
    with Register(path) as reg, pytest.raises(RegisterError):  # nor is a run given places
        allocate(reg, [KEPT])


UNSEALED_TABLE = """CREATE TABLE credential_status (
    number   TEXT PRIMARY KEY,
    list     INTEGER NOT NULL CHECK (list >= 1),
    position INTEGER NOT NULL CHECK (position BETWEEN 0 AND 131071),
    UNIQUE (list, position)
)"""
"""The table as registers kept it before places were sealed."""


def test_places_kept_before_they_were_sealed_are_refused_until_migrated(tmp_path: Path) -> None:
    path = tmp_path / "register.sqlite"
    with Register.create(path, by="setup") as reg:
        numbered = reg.issue([req("CSEE-2026-0007", "LI Xiaoming"),
                              req("CSEE-2026-0012", "WANG Jingyi")], on=DAY)
        reg.confirm([i.number for i in numbered], on=DAY)
        reg.revoke(numbered[0].number, "withdrawn", on=DAY)
    add_issuer_key(path)
    insider(path, UNSEALED_TABLE,
            f"INSERT INTO credential_status VALUES ('{numbered[0].number}', 1, 77)",
            f"INSERT INTO credential_status VALUES ('{numbered[1].number}', 1, 4242)")
    unsealed = (f"the register {path} keeps its certificates' places in the status lists without "
                "seals (made by an earlier formgen), so a place moved would go unnoticed; audit "
                f"the register and seal them once with: formgen register migrate-status {path}")
    result = cli("register", "audit", "--register", path)
    assert (result.exit_code, result.stderr) == (1, failed(path, unsealed))
    with TestClient(app_for(path)) as client:  # type: ignore[arg-type]
        answer = client.get("/status/1", headers=HOST)
        assert answer.status_code == 503
        assert answer.json()["errors"][0]["message"].endswith(f"vouched for: {unsealed}")
        result = cli("register", "migrate-status", str(path), "--by", "Wang Min")
        assert (result.exit_code, result.stdout) == (0, "")
        assert result.stderr == (f"the register {path} passed its audit; 2 place(s) in the "
                                 "status lists sealed\n")
        bits = published_bits(client)
    assert bit(bits, 77) and not bit(bits, 4242)
    result = cli("register", "audit", "--register", path)
    assert result.exit_code == 0, result.output
    result = cli("register", "migrate-status", str(path))
    assert (result.exit_code, result.stderr) == (1, (
        f"Error: the register {path} already seals its certificates' places in the status "
        "lists; there is nothing to migrate\n"))
