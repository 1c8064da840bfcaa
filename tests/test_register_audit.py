"""The register as a whole against an insider who can write its file but not its key or
head: a row copied back from a backup, the last event taken off, an event taken out of the
middle, the whole file put back from a backup. Each is done with sqlite3 on the file, as
someone with the file would, and checked with what a user runs: ``formgen register
audit``, ``formgen verify``, ``formgen register export`` and the verification page and API
on a live server."""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import sqlite3
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import MANIFEST_FILE, Live, cli

from formgen.certificates.head import HEAD_ENV
from formgen.certificates.keys import KEY_ENV
from formgen.certificates.numbers import IssueRequest
from formgen.certificates.register import Register
from formgen.exceptions import RegisterError
from formgen.settings import Paths
from formgen.web import create_app, web_settings

DAY = datetime.date(2026, 3, 14)
LATER = datetime.date(2026, 5, 2)
FIFTH = "CSEE-IET-2026-000005"


def req(applicant_id: str, name: str = "LI Xiaoming") -> IssueRequest:
    return IssueRequest(applicant_id, name, "ecuk_registration", "csee-iet", "IEng", "CSEE-IET",
                        DAY)


@pytest.fixture(autouse=True)
def _no_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.delenv(HEAD_ENV, raising=False)
    monkeypatch.setenv("FORMGEN_TODAY", LATER.isoformat())


@pytest.fixture
def reg_path(tmp_path: Path) -> Path:
    """Five valid certificates; a backup copy taken (backup.sqlite); then the fifth revoked
    with `formgen revoke`."""
    path = tmp_path / "register.sqlite"
    with Register.create(path, by="setup") as reg:
        numbers = [i.number for i in reg.issue([req(f"A{n}") for n in range(1, 6)], on=DAY)]
        reg.confirm(numbers, on=DAY)
    assert numbers[-1] == FIFTH
    shutil.copy(path, tmp_path / "backup.sqlite")
    result = cli("revoke", FIFTH, "--register", path, "--reason", "withdrawn", "--by", "Zhang San")
    assert result.exit_code == 0, result.output
    return path


def insider(path: Path, *statements: str) -> None:
    """Change the register's file as someone who can write it would."""
    db = sqlite3.connect(path)
    try:
        db.execute(f"ATTACH DATABASE '{path.parent / 'backup.sqlite'}' AS backup")
        for sql in statements:
            db.execute(sql)
        db.commit()
    finally:
        db.close()


RESTORE_ROW = (
    "UPDATE certificates SET (status, changed_on, reason, seal) = "
    "(SELECT status, changed_on, reason, seal FROM backup.certificates b "
    f"WHERE b.number = '{FIFTH}') WHERE number = '{FIFTH}'"
)
DROP_TRIGGER = "DROP TRIGGER events_kept"
DELETE_LAST = "DELETE FROM events WHERE id = (SELECT MAX(id) FROM events)"
REVOKED_ROW = f"certificate {FIFTH} is valid in the register, but its events make it revoked (withdrawn)"


def refusal(path: Path, *problems: str) -> str:
    return (f"Error: the register {path} fails its audit, so nothing in it can be vouched for: "
            + "; ".join(problems) + "\n")


def test_an_intact_register_holds(reg_path: Path) -> None:
    head = (reg_path.parent / "register.head").read_text().strip()
    assert re.fullmatch(r"12:[0-9a-f]{64}", head)  # created, 5 numbered, 5 printed, revoked
    result = cli("register", "audit", "--register", reg_path)
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"the register {reg_path} holds: 12 event(s) sealed in one chain up to its head {head} "
        f"(kept in {reg_path.parent / 'register.head'}), 5 certificate(s) as sealed and as "
        "their events make them\n")
    assert result.stderr == ""


def test_row_from_a_backup_trigger_dropped_last_event_deleted(reg_path: Path, tmp_path: Path) -> None:
    insider(reg_path, RESTORE_ROW, DROP_TRIGGER, DELETE_LAST)
    problem = ("its head records event 12, but the register ends at event 11: events were taken "
               "off its end or the register was rolled back to an earlier copy")
    result = cli("register", "audit", "--register", reg_path)
    assert result.exit_code == 1
    assert result.stderr == f"the register {reg_path} fails its audit:\n  - {problem}\n"
    assert result.stdout == ""
    result = cli("verify", FIFTH, "--register", reg_path, "--manifest", MANIFEST_FILE)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == refusal(reg_path, problem)
    out = tmp_path / "export.csv"
    result = cli("register", "export", "--register", reg_path, "--out", out)
    assert result.exit_code == 1 and result.stderr == refusal(reg_path, problem)
    assert not out.exists()
    # and nothing more is written to it: the head keeps showing the roll-back
    head = (reg_path.parent / "register.head").read_text()
    result = cli("revoke", "CSEE-IET-2026-000001", "--register", reg_path, "--reason", "withdrawn")
    assert result.exit_code == 1 and result.stderr == refusal(reg_path, problem)
    assert (reg_path.parent / "register.head").read_text() == head


def test_row_from_a_backup_with_its_events_kept(reg_path: Path, tmp_path: Path) -> None:
    insider(reg_path, RESTORE_ROW)
    result = cli("register", "audit", "--register", reg_path)
    assert result.exit_code == 1
    assert result.stderr == (
        f"the register {reg_path} fails its audit:\n  - {REVOKED_ROW}: its row was changed or "
        "copied back from an earlier copy\n")
    result = cli("verify", FIFTH, "--register", reg_path)
    assert result.exit_code == 1 and "Genuine" not in result.output
    assert result.stderr == refusal(
        reg_path, f"{REVOKED_ROW}: its row was changed or copied back from an earlier copy")
    result = cli("register", "export", "--register", reg_path, "--out", tmp_path / "x.csv")
    assert result.exit_code == 1 and not (tmp_path / "x.csv").exists()


def test_an_event_deleted_in_the_middle(reg_path: Path) -> None:
    insider(reg_path, DROP_TRIGGER, "DELETE FROM events WHERE id = 7")
    result = cli("register", "audit", "--register", reg_path)
    assert result.exit_code == 1
    assert result.stderr == (
        f"the register {reg_path} fails its audit:\n  - event 8 does not match its seal: the "
        "events were changed, or one was taken out before it\n  - certificate CSEE-IET-2026-000001 is "
        "valid in the register, but its events make it pending: its row was changed or copied "
        "back from an earlier copy\n")  # event 7 was its printing
    assert cli("verify", "CSEE-IET-2026-000002", "--register", reg_path).exit_code == 1


def test_the_whole_file_rolled_back_while_the_head_is_newer(reg_path: Path) -> None:
    shutil.copy(reg_path.parent / "backup.sqlite", reg_path)
    result = cli("register", "audit", "--register", reg_path)
    assert result.exit_code == 1
    assert result.stderr == (
        f"the register {reg_path} fails its audit:\n  - its head records event 12, but the "
        "register ends at event 11: events were taken off its end or the register was rolled "
        "back to an earlier copy\n")
    result = cli("verify", FIFTH, "--register", reg_path)
    assert result.exit_code == 1 and "Genuine" not in result.output


def test_the_last_event_of_a_certificate_is_never_lost_unnoticed(reg_path: Path) -> None:
    # its row made to agree too: a row of the backup, the revocation deleted
    insider(reg_path, RESTORE_ROW, DROP_TRIGGER, DELETE_LAST)
    (reg_path.parent / "register.head").unlink()  # even with no head at all
    result = cli("register", "audit", "--register", reg_path)
    assert result.exit_code == 1
    head = reg_path.parent / "register.head"
    assert result.stderr == (
        f"the register {reg_path} fails its audit:\n  - its head {head} does not exist (it is "
        "written with the register, beside its key: restore it, or the register was replaced)\n")


def test_the_page_and_the_api_refuse_a_register_that_fails(reg_path: Path) -> None:
    with Register(reg_path, read_only=True) as reg:
        code = reg.lookup(FIFTH).short_code.replace("-", "")
        head = str(reg.last_head())
    app = create_app(web_settings(MANIFEST_FILE, paths=Paths(register=reg_path)), secret="s" * 32,
                     converter=object(), verify_rate=1000)
    with Live(app) as live:
        page = urllib.request.urlopen(f"{live.url}/c/{code}?lang=en").read().decode()
        assert "Revoked" in page and "Register head" in page and head in page
        insider(reg_path, RESTORE_ROW, DROP_TRIGGER, DELETE_LAST)
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(f"{live.url}/api/certificates/{code}")
        assert e.value.code == 503
        answer = json.loads(e.value.read())
        assert "valid" not in json.dumps(answer).replace("fails", "")
        assert answer["errors"][0]["message"] == refusal(
            reg_path, "its head records event 12, but the register ends at event 11: events were "
            "taken off its end or the register was rolled back to an earlier copy")[7:-1]
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(f"{live.url}/c/{code}?lang=en")
        assert e.value.code == 503
        page = e.value.read().decode()
        assert "The register fails its audit" in page and "Valid" not in page
        assert "its head records event 12, but the register ends at event 11" in page


def test_a_row_copied_back_is_refused_by_the_page_at_once(reg_path: Path) -> None:
    """The page's audit is reused while the register seems unchanged; each look-up still
    checks its certificate against its events."""
    with Register(reg_path, read_only=True) as reg:
        code = reg.lookup(FIFTH).short_code.replace("-", "")
    app = create_app(web_settings(MANIFEST_FILE, paths=Paths(register=reg_path)), secret="s" * 32,
                     converter=object(), verify_rate=1000)
    with Live(app) as live:
        assert urllib.request.urlopen(f"{live.url}/c/{code}?lang=en").status == 200
        stat, counter = reg_path.stat(), reg_path.read_bytes()[24:28]
        insider(reg_path, RESTORE_ROW)
        with reg_path.open("r+b") as fh:  # the file made to look unchanged, header and all
            fh.seek(24)
            fh.write(counter)
        os.utime(reg_path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        assert (reg_path.stat().st_size, reg_path.stat().st_mtime_ns) == (
            stat.st_size, stat.st_mtime_ns)
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(f"{live.url}/c/{code}?lang=en")
        assert e.value.code == 503
        page = e.value.read().decode()
        assert "The register fails its audit" in page and REVOKED_ROW in page


# ----------------------------------------------------------------------------- older registers


def make_version_2(path: Path) -> None:
    """A register as formgen 0.1 wrote it before heads: version 2, no head file."""
    with Register.create(path, by="setup") as reg:
        numbers = [i.number for i in reg.issue([req("A1"), req("A2")], on=DAY)]
        reg.confirm(numbers, on=DAY)
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = '2' WHERE key = 'version'")
    db.execute("DROP INDEX events_number")
    db.commit()
    db.close()
    (path.parent / "register.head").unlink()


def test_a_register_without_a_head_is_refused_until_migrated(tmp_path: Path) -> None:
    path = tmp_path / "register.sqlite"
    make_version_2(path)
    message = (f"the register {path} was made by an earlier formgen and keeps no head beside its "
               "key, so events taken off its end would go unnoticed; audit it and give it its "
               f"head once with: formgen register migrate-head {path}")
    with pytest.raises(RegisterError) as e:
        Register(path)
    assert str(e.value) == message
    result = cli("verify", "CSEE-IET-2026-000001", "--register", path)
    assert (result.exit_code, result.stderr) == (1, f"Error: {message}\n")
    result = cli("register", "migrate-head", path, "--by", "Wang Min")
    assert result.exit_code == 0, result.output
    head = path.parent / "register.head"
    assert result.stderr == f"the register {path} passed its audit; its head is now kept in {head}\n"
    assert head.read_text().startswith("6:")
    assert cli("register", "audit", "--register", path).exit_code == 0
    assert cli("verify", "CSEE-IET-2026-000001", "--register", path).exit_code == 0
    again = cli("register", "migrate-head", path)
    assert (again.exit_code, again.stderr) == (
        1, f"Error: the register {path} already keeps its head ({head}); there is nothing to "
        "migrate\n")


def test_an_altered_register_is_not_given_a_head(tmp_path: Path) -> None:
    path = tmp_path / "register.sqlite"
    make_version_2(path)
    db = sqlite3.connect(path)
    db.execute("DROP TRIGGER events_kept")
    db.execute("DELETE FROM events WHERE id = 2")
    db.commit()
    db.close()
    before = path.read_bytes()
    result = cli("register", "migrate-head", path)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: the register {path} fails its audit, so it was not given a head; nothing was "
        "changed: event 3 does not match its seal: the events were changed, or one was taken "
        "out before it\n")
    assert path.read_bytes() == before and not (path.parent / "register.head").exists()


# ----------------------------------------------------------------------------- where the head is


def test_head_beside_the_key_from_the_environment(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, os.urandom(32).hex())
    kept = tmp_path / "secrets" / "register.head"
    monkeypatch.setenv(HEAD_ENV, str(kept))
    path = tmp_path / "data" / "register.sqlite"
    with Register.create(path) as reg:
        (one,) = reg.issue([req("A1")], on=DAY)
        reg.confirm([one.number], on=DAY)
    assert kept.read_text().startswith("3:") and not (path.parent / "register.head").exists()
    head = kept.read_text().strip()
    # the head itself in the environment: a floor the register may be ahead of, never behind
    monkeypatch.setenv(HEAD_ENV, head)
    backup = tmp_path / "backup.sqlite"
    shutil.copy(path, backup)
    with Register(path) as reg:
        reg.revoke(one.number, "withdrawn")
    assert cli("register", "audit", "--register", path).exit_code == 0
    shutil.copy(backup, path)
    assert cli("register", "audit", "--register", path).exit_code == 0  # at the floor
    db = sqlite3.connect(path)
    db.execute("DROP TRIGGER events_kept")
    db.execute(DELETE_LAST)
    db.commit()
    db.close()
    result = cli("register", "audit", "--register", path)
    assert result.exit_code == 1 and "its head records event 3, but the register ends at event 2" \
        in result.stderr


def test_head_beside_the_register_is_noted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, os.urandom(32).hex())
    path = tmp_path / "register.sqlite"
    Register.create(path).close()
    result = cli("register", "audit", "--register", path)
    assert result.exit_code == 0
    assert result.stderr == (
        f"note: the head {tmp_path / 'register.head'} is kept beside the register, where "
        "whoever can write the register can roll it back too; keep it with the key (set "
        "FORMGEN_REGISTER_HEAD)\n")


def test_a_version_1_register_moves_straight_to_a_head(tmp_path: Path) -> None:
    from test_register_status import make_version_1

    path = tmp_path / "register.sqlite"
    make_version_1(path)
    assert cli("register", "migrate-key", path).exit_code == 0
    assert (tmp_path / "register.head").read_text().startswith("1:")
    result = cli("register", "audit", "--register", path)
    assert result.exit_code == 0, result.output
    assert "3 certificate(s) as sealed and as their events make them" in result.stdout
    shutil.copy(path, tmp_path / "backup.sqlite")
    result = cli("revoke", "CSEE-IET-2026-000002", "--register", path, "--reason", "withdrawn")
    assert result.exit_code == 0, result.output
    assert cli("register", "audit", "--register", path).exit_code == 0
    insider(path, RESTORE_ROW.replace(FIFTH, "CSEE-IET-2026-000002"))  # as carried over
    result = cli("register", "audit", "--register", path)
    assert result.exit_code == 1
    assert result.stderr == (
        f"the register {path} fails its audit:\n  - certificate CSEE-IET-2026-000002 is valid "
        "in the register, but its events make it revoked (withdrawn): its row was changed or "
        "copied back from an earlier copy\n")


def test_a_lost_head_is_written_again_by_staff_with_the_key(reg_path: Path) -> None:
    head = reg_path.parent / "register.head"
    head.unlink()
    assert cli("register", "audit", "--register", reg_path).exit_code == 1
    result = cli("register", "migrate-head", reg_path, "--by", "Wang Min")
    assert result.exit_code == 0, result.output
    assert head.read_text().startswith("13:")  # the event recording it is the last
    result = cli("register", "audit", "--register", reg_path)
    assert result.exit_code == 0, result.output
    with Register(reg_path, read_only=True) as reg:
        last = reg.events()[-1]
    assert (last.action, last.by, last.detail) == ("head-kept", "Wang Min", str(head))
