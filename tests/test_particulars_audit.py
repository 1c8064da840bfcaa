"""``formgen register audit`` and what each certificate prints (its particulars, kept in
the register when it is numbered): a record edited, copied from another certificate or
deleted, the table dropped with its mark, the mark altered. Each is done with sqlite3 on
the register's file, as someone who can write the file (but not its key or head) would,
and checked with what a user runs: ``formgen register audit``, ``formgen verify`` and the
verification API."""

from __future__ import annotations

import csv
import datetime
import sqlite3
from pathlib import Path

import pytest
from conftest import MANIFEST_FILE, cli
from fastapi.testclient import TestClient

from formgen.certificates.head import HEAD_ENV
from formgen.certificates.keys import KEY_ENV
from formgen.certificates.numbers import IssueRequest
from formgen.certificates.printed import Printed, keep, recorded
from formgen.certificates.register import Register
from formgen.exceptions import VerificationError
from formgen.settings import Paths
from formgen.web import create_app, web_settings

DAY = datetime.date(2026, 11, 20)
OLD = "CSEE-IET-2026-000001"
"""Numbered before the register kept particulars: it has no record, and needs none."""
FIRST = "CMES-SOE-2026-000001"
SECOND = "CMES-SOE-2026-000002"


@pytest.fixture(autouse=True)
def _no_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.delenv(HEAD_ENV, raising=False)


def soe(applicant_id: str, name: str) -> IssueRequest:
    return IssueRequest(applicant_id, name, "soe_membership", "cmes-soe", "CEng", "CMES-SOE", DAY)


@pytest.fixture
def reg_path(tmp_path: Path) -> Path:
    """One certificate numbered and printed before particulars were kept (events 2, 3);
    then two numbered (4, 5), their particulars kept (6: particulars-kept, from event 4)
    and printed (7, 8), as ``formgen certificates`` does."""
    path = tmp_path / "register.sqlite"
    with Register.create(path, by="setup") as reg:
        (old,) = reg.issue([IssueRequest("CSEE-2026-0007", "LI Xiaoming", "ecuk_registration",
                                         "csee-iet", "IEng", "CSEE-IET", DAY)], on=DAY)
        reg.confirm([old.number], on=DAY)
        first, second = reg.issue([soe("CMES-2026-0101", "ZHAO Lixin"),
                                   soe("CMES-2026-0102", "QIAN Wei")], on=DAY)
        assert keep(reg, [
            ("CMES-2026-0101", first.number, [Printed("Class of membership", ("Member",)),
                                              Printed("Certificate No.", (first.number,))]),
            ("CMES-2026-0102", second.number, [Printed("Class of membership", ("Fellow",)),
                                               Printed("Certificate No.", (second.number,))]),
        ], by="Wang Min") == {}
        reg.confirm([first.number, second.number], on=DAY)
    assert (old.number, first.number, second.number) == (OLD, FIRST, SECOND)
    return path


def insider(path: Path, *statements: str) -> None:
    """Change the register's file as someone who can write it would."""
    db = sqlite3.connect(path)
    try:
        for sql in statements:
            db.execute(sql)
        db.commit()
    finally:
        db.close()


def failed(path: Path, *problems: str) -> str:
    return f"the register {path} fails its audit:\n" + "".join(f"  - {p}\n" for p in problems)


def altered(number: str) -> str:
    return (f"certificate {number} is not genuine: the register's record of what it prints does "
            "not match its seal")


def missing(number: str) -> str:
    return (f"certificate {number}: the register's record of what it prints is missing, though "
            "every certificate numbered from event 4 on has one: it was deleted")


MARK_MISSING = ("the register's mark of the event from which it keeps what certificates print "
                "(particulars_since) is missing: it was deleted")
TABLE_MISSING = ("the register's table of what certificates print (particulars) is missing: it "
                 "was dropped")
MARK_ALTERED = ("the register's mark of the event from which it keeps what certificates print "
                "(particulars_since) does not match its seal or its particulars-kept event")


def test_an_intact_register_with_particulars_holds(reg_path: Path) -> None:
    result = cli("register", "audit", "--register", reg_path)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"the register {reg_path} holds: 8 event(s) sealed in one chain")
    assert result.stdout.endswith("3 certificate(s) as sealed and as their events make them\n")
    export = reg_path.parent / "export.csv"
    assert cli("register", "export", "--register", reg_path, "--out", export).exit_code == 0
    with export.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    kept = [(r[0], r[6], r[8], r[9]) for r in rows if r[6] == "particulars-kept"]
    assert kept == [("", "particulars-kept", "Wang Min", "from event 4")]
    assert rows.index(next(r for r in rows if r[6] == "particulars-kept")) == 6  # event 6


@pytest.mark.parametrize(("statements", "problems"), [
    (["DROP TRIGGER particulars_fixed",  # edited: another class of membership
      f"UPDATE particulars SET printed = replace(printed, 'Member', 'Fellow') "
      f"WHERE number = '{FIRST}'"], [altered(FIRST)]),
    (["DROP TRIGGER particulars_fixed",  # another certificate's record, seal and all
      "UPDATE particulars SET (printed, seal) = (SELECT printed, seal FROM particulars "
      f"WHERE number = '{SECOND}') WHERE number = '{FIRST}'"], [altered(FIRST)]),
    (["DROP TRIGGER particulars_kept", f"DELETE FROM particulars WHERE number = '{SECOND}'"],
     [missing(SECOND)]),
    (["DROP TABLE particulars", "DELETE FROM meta WHERE key = 'particulars_since'"],
     [MARK_MISSING, TABLE_MISSING, missing(FIRST), missing(SECOND)]),
    (["DROP TABLE particulars"], [TABLE_MISSING, missing(FIRST), missing(SECOND)]),
    (["DELETE FROM meta WHERE key = 'particulars_since'"], [MARK_MISSING]),
    (["UPDATE meta SET value = '9 ' || substr(value, instr(value, ' ') + 1) "
      "WHERE key = 'particulars_since'"], [MARK_ALTERED]),
], ids=["edited", "copied", "deleted", "table-and-mark-dropped", "table-dropped",
        "mark-deleted", "mark-moved"])
def test_particulars_altered_fail_the_audit_naming_the_certificate(
        reg_path: Path, statements: list[str], problems: list[str]) -> None:
    app = create_app(web_settings(MANIFEST_FILE, paths=Paths(register=reg_path)),
                     secret="particulars-audit-secret-0123", converter=object(),
                     verify_rate=1000)
    with Register(reg_path, read_only=True) as reg:
        code = reg.lookup(OLD).short_code
    with TestClient(app) as client:
        assert client.get(f"/api/certificates/{code}").json()["status"] == "valid"
        insider(reg_path, *statements)
        answer = client.get(f"/api/certificates/{code}")
    result = cli("register", "audit", "--register", reg_path)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == failed(reg_path, *problems)
    # nothing in the register is vouched for, not even a certificate left as it was
    refusal = (f"the register {reg_path} fails its audit, so nothing in it can be vouched "
               f"for: {'; '.join(problems)}")
    result = cli("verify", OLD, "--register", reg_path, "--manifest", MANIFEST_FILE)
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"Error: {refusal}\n")
    assert answer.status_code == 503
    assert answer.json()["errors"][0]["message"] == refusal


def test_a_look_up_refuses_particulars_dropped_with_their_mark(reg_path: Path) -> None:
    with Register(reg_path, read_only=True) as reg:
        assert recorded(reg, FIRST) == [Printed("Class of membership", ("Member",)),
                                        Printed("Certificate No.", (FIRST,))]
    insider(reg_path, "DROP TABLE particulars", "DELETE FROM meta WHERE key = 'particulars_since'")
    with Register(reg_path, read_only=True) as reg, pytest.raises(VerificationError) as e:
        recorded(reg, FIRST)  # the particulars-kept event still says they were kept
    assert e.value.message.english == altered(FIRST)
