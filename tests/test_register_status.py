"""What happens to a certificate after it is numbered: written (valid) or never written
(void), revoked, reissued (superseded); the events that record each change; moving the
key out of a register made by an earlier formgen; and the staff commands for them
(``register init|migrate-key|export``, ``revoke``, ``verify``), without LibreOffice."""

from __future__ import annotations

import csv
import datetime
import hashlib
import hmac
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from click.testing import Result
from conftest import MANIFEST_FILE, cli

from formgen.certificates.keys import KEY_ENV, default_key_path
from formgen.certificates.numbers import CODE_LENGTH, IssueRequest, crockford, group_code
from formgen.certificates.register import Register
from formgen.exceptions import RegisterError

DAY = datetime.date(2026, 3, 14)
LATER = datetime.date(2026, 5, 2)


def req(applicant_id: str, *, certificate: str = "ecuk_registration", name: str = "LI Xiaoming",
        grade: str = "IEng", replaces: str = "") -> IssueRequest:
    return IssueRequest(applicant_id, name, certificate, "csee-iet", grade, "CSEE-IET", DAY,
                        replaces)


@pytest.fixture(autouse=True)
def _no_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.setenv("FORMGEN_TODAY", LATER.isoformat())


@pytest.fixture
def reg_path(tmp_path: Path) -> Path:
    path = tmp_path / "register.sqlite"
    Register.create(path, by="setup").close()
    return path



# ----------------------------------------------------------------------------- statuses


def test_written_certificates_become_valid_and_the_others_void(reg_path: Path) -> None:
    with Register(reg_path) as reg:
        a, b, c = reg.issue([req("A1"), req("A2"), req("A3")], by="Wang Min", on=DAY)
        assert {a.status, b.status, c.status} == {"pending"}
        assert reg.confirm([a.number, c.number], by="Wang Min", detail="out", on=DAY) == []
        reg.void([b.number, a.number], by="Wang Min", why="not written", on=DAY)
        assert [reg.lookup(i.number).status for i in (a, b, c)] == ["valid", "void", "valid"]
        assert reg.lookup(b.number).changed_on == DAY
        # a voided number is never given again, to this holder or anyone else
        d, b2 = reg.issue([req("A4"), req("A2")], on=DAY)
        assert (d.number, b2.number) == ("CSEE-IET-2026-000004", "CSEE-IET-2026-000005")
        assert reg.confirm([b.number]) == [b.number]  # a void number cannot come back
        # printing again keeps the number; the event says it was reprinted
        (again,) = reg.issue([req("A1")])
        assert again.reused and again.number == a.number
        reg.confirm([again.number], by="Li Lei", detail="out2")
        actions = [(e.action, e.number, e.by) for e in reg.events()]
    assert actions[:7] == [
        ("created", "", "setup"),
        ("numbered", a.number, "Wang Min"), ("numbered", b.number, "Wang Min"),
        ("numbered", c.number, "Wang Min"),
        ("printed", a.number, "Wang Min"), ("printed", c.number, "Wang Min"),
        ("voided", b.number, "Wang Min"),
    ]
    assert actions[-1] == ("reprinted", a.number, "Li Lei")


def test_revoke(reg_path: Path) -> None:
    with Register(reg_path) as reg:
        (a,) = reg.issue([req("A1")])
        with pytest.raises(RegisterError, match="was never issued"):
            reg.revoke(a.number, "withdrawn")
        reg.confirm([a.number])
        with pytest.raises(RegisterError, match="not a reason for revoking"):
            reg.revoke(a.number, "because")
        revoked = reg.revoke(a.number, "withdrawn", by="Zhang San", on=LATER)
        assert (revoked.status, revoked.reason, revoked.changed_on) == ("revoked", "withdrawn", LATER)
        assert reg.lookup(a.short_code) == revoked  # still there, still genuine
        with pytest.raises(RegisterError) as e:
            reg.revoke(a.number, "issued-in-error")
        assert str(e.value) == (f"certificate {a.number} was already revoked on 2 May 2026 "
                                "(withdrawn)")
        with pytest.raises(RegisterError, match="no certificate CSEE-IET-2026-000099"):
            reg.revoke("CSEE-IET-2026-000099", "withdrawn")
        # a withdrawn holder is not printed again; one issued in error may be issued anew
        assert reg.refusals([req("A1")]) != {}
        with pytest.raises(RegisterError, match="was withdrawn on 2 May 2026; it is not printed again"):
            reg.issue([req("A1")])
        (b,) = reg.issue([req("B1")])
        reg.confirm([b.number])
        reg.revoke(b.number, "issued-in-error")
        (b2,) = reg.issue([req("B1")])
        assert b2.number != b.number and not b2.reused
        event = reg.events()[-2]
    assert (event.action, event.number, event.by, event.detail) == (
        "revoked", b.number, "", "issued-in-error")


def test_reissue_supersedes_the_old_certificate_once_the_new_one_is_written(reg_path: Path) -> None:
    with Register(reg_path) as reg:
        (old,) = reg.issue([req("A1", name="LI Xiao Ming")])
        reg.confirm([old.number])
        (new,) = reg.issue([req("A1", name="LI Xiaoming", replaces=old.number)], by="Wang Min")
        assert new.number != old.number and new.replaces == old.number and new.status == "pending"
        assert reg.lookup(old.number).status == "valid"  # until the new one is written
        (during,) = reg.issue([req("A1", name="LI Xiao Ming")])  # a plain reprint meanwhile
        assert during.number == old.number and during.reused
        reg.confirm([new.number], by="Wang Min", on=LATER)
        now_old, now_new = reg.lookup(old.number), reg.lookup(new.number)
        assert (now_old.status, now_old.replaced_by, now_old.changed_on) == (
            "superseded", new.number, LATER)
        assert (now_new.status, now_new.name) == ("valid", "LI Xiaoming")
        with pytest.raises(RegisterError) as e:
            reg.reissuable(old.number)
        assert str(e.value) == (f"certificate {old.number} was superseded by {new.number} on "
                                f"2 May 2026; revoke or reissue {new.number} instead")
        (later,) = reg.issue([req("A1", name="LI Xiaoming")])  # the holder's valid one now
        assert later.reused and later.number == new.number
        # a reissue that is never written leaves the old certificate valid
        (failed,) = reg.issue([req("A1", name="LI X.", replaces=new.number)])
        reg.void([failed.number])
        assert reg.lookup(new.number).status == "valid"
        assert [(e.action, e.number) for e in reg.events()][-3:] == [
            ("superseded", old.number), ("numbered", failed.number), ("voided", failed.number)]


def test_rows_and_events_are_never_deleted_and_the_events_are_chained(reg_path: Path) -> None:
    with Register(reg_path) as reg:
        numbers = [i.number for i in reg.issue([req("A1"), req("A2")])]
        reg.confirm(numbers)
        assert reg.first_altered_event() is None
    with sqlite3.connect(reg_path) as db:
        for sql in ("DELETE FROM certificates", "DELETE FROM events",
                    "UPDATE events SET by = 'someone else'"):
            with pytest.raises(sqlite3.IntegrityError, match="never"):
                db.execute(sql)
        db.execute("DROP TRIGGER events_kept")  # deliberately, as someone with the file could
        db.execute("DELETE FROM events WHERE id = 3")
    db.close()
    with Register(reg_path) as reg:
        assert reg.first_altered_event() == 4


# ----------------------------------------------------------------------------- an old register


def make_version_1(path: Path, rows: int = 3) -> tuple[bytes, list[tuple[str, str]]]:
    """A register as formgen wrote it before version 2: the key in its meta table.
    Returns the key and the (number, short code) of its certificates."""
    secret = os.urandom(32)

    def mac(*fields: str) -> bytes:
        return hmac.new(secret, "\x1f".join(fields).encode(), hashlib.sha256).digest()

    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE certificates (
            number TEXT PRIMARY KEY, prefix TEXT NOT NULL, year INTEGER NOT NULL,
            seq INTEGER NOT NULL, code TEXT NOT NULL UNIQUE, applicant_id TEXT NOT NULL,
            name TEXT NOT NULL, certificate TEXT NOT NULL, programme TEXT NOT NULL,
            grade TEXT NOT NULL, issued_on TEXT NOT NULL, seal TEXT NOT NULL,
            UNIQUE (prefix, year, seq), UNIQUE (applicant_id, certificate));
    """)
    db.executemany("INSERT INTO meta VALUES (?, ?)", [
        ("format", "formgen-register"), ("version", "1"), ("secret", secret.hex()),
        ("created", "2026-01-05T08:00:00+00:00")])
    issued = []
    for seq in range(1, rows + 1):
        number, applicant, on = f"CSEE-IET-2026-{seq:06d}", f"A{seq}", "2026-01-05"
        code = crockford(mac("code", number, applicant, on)[:7], CODE_LENGTH)
        fields = (number, code, applicant, "李晓明 / LI Xiaoming", "ecuk_registration", "csee-iet",
                  "IEng", on)
        db.execute("INSERT INTO certificates VALUES (?, 'CSEE-IET', 2026, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (number, seq, *fields[1:], mac("seal", *fields).hex()))
        issued.append((number, group_code(code)))
    db.commit()
    db.close()
    return secret, issued


def test_an_old_register_is_refused_until_its_key_is_moved_out(tmp_path: Path) -> None:
    path = tmp_path / "register.sqlite"
    secret, issued = make_version_1(path)
    before = path.read_bytes()
    with pytest.raises(RegisterError) as e:
        Register(path)
    assert str(e.value) == (
        f"the register {path} keeps its key inside it (made by an earlier formgen), so anyone "
        f"who can write it can forge a record; move the key out once with: formgen register "
        f"migrate-key {path}")
    assert path.read_bytes() == before  # never silently rewritten
    result = cli("verify", issued[0][0], "--register", path)
    assert result.exit_code == 1 and "formgen register migrate-key" in result.stderr

    result = cli("register", "migrate-key", path, "--by", "Wang Min")
    key = default_key_path(path)
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"moved the key of {path} to {key} (3 certificate(s) carried over, their codes "
        "unchanged); copies of the register made before still hold the key: replace them\n")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key.read_text().strip() == secret.hex()
    raw = path.read_bytes()
    assert secret.hex().encode() not in raw and secret not in raw  # gone, free pages included
    with Register(path) as reg:
        for number, code in issued:  # the codes printed keep verifying
            found = reg.lookup(code)
            assert (found.number, found.status) == (number, "valid")
        assert [(e.action, e.by) for e in reg.events()] == [("key-moved", "Wang Min")]
    again = cli("register", "migrate-key", path)
    assert again.exit_code == 1
    assert again.stderr == (f"Error: the register {path} already keeps its key apart; there is "
                            "nothing to move\n")


def test_an_altered_old_register_is_not_migrated(tmp_path: Path) -> None:
    path = tmp_path / "register.sqlite"
    make_version_1(path)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE certificates SET grade = 'CEng' WHERE seq = 2")
    db.close()
    before = path.read_bytes()
    result = cli("register", "migrate-key", path)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: the register {path} has records that do not match their seals "
        "(CSEE-IET-2026-000002); nothing was changed: restore it from a backup first\n")
    assert path.read_bytes() == before and not default_key_path(path).exists()


# ----------------------------------------------------------------------------- commands


def test_register_init_export_and_revoke_commands(tmp_path: Path) -> None:
    path = tmp_path / "reg" / "register.sqlite"
    result = cli("register", "init", path, "--by", "Wang Min")
    assert result.exit_code == 0, result.output
    key = tmp_path / "reg" / "register.key"
    assert result.stderr == (
        f"made the certificate register {path}, with its key in {key} and its head in "
        f"{key.with_suffix('.head')}. Keep the key private, keep the head with it (where whoever "
        "writes the register cannot), and back up all three: without its key a register "
        "verifies nothing\n"
        f"made the issuer key that signs digital credentials in {path.parent / 'register.issuer-keys.json'}. "
        "Keep it private and back it up\n")
    assert cli("register", "init", path).exit_code == 1
    with Register(path) as reg:
        a, b = reg.issue([req("A1"), req("A2", name="WANG Jingyi")], by="Wang Min", on=DAY)
        reg.confirm([a.number, b.number], by="Wang Min", detail="out", on=DAY)

    result = cli("revoke", b.number, "--register", path, "--reason", "withdrawn", "--by", "Zhang San")
    assert result.exit_code == 0, result.output
    assert result.stderr == f"certificate {b.number} revoked on 2 May 2026 (withdrawn)\n"
    result = cli("revoke", b.number, "--register", path, "--reason", "not-a-reason")
    assert result.exit_code == 2  # click: the choices are named
    assert "issued-in-error" in result.stderr and "withdrawn" in result.stderr

    out = tmp_path / "export.csv"
    result = cli("register", "export", "--register", path, "--out", out)
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert [(r[0], r[5], r[6], r[8], r[9]) for r in rows[1:-1]] == [
        ("", "", "created", "Wang Min", "register.sqlite"),
        (a.number, "valid", "numbered", "Wang Min", ""),
        (b.number, "revoked", "numbered", "Wang Min", ""),
        (a.number, "valid", "printed", "Wang Min", "out"),
        (b.number, "revoked", "printed", "Wang Min", "out"),
        (b.number, "revoked", "revoked", "Zhang San", "withdrawn"),
    ]
    head = (tmp_path / "reg" / "register.head").read_text().strip()
    assert head.startswith("6:") and rows[-1][6:] == ["head", rows[-1][7], "", head]
    assert result.stderr == (f"6 event(s) written to {out}, with the register's head {head} "
                             "as the last row\n")


def test_verify_shows_the_status(reg_path: Path) -> None:
    with Register(reg_path) as reg:
        a, b, c, d = reg.issue([req("A1"), req("A2"), req("A3"), req("A4")], on=DAY)
        reg.confirm([a.number, b.number, c.number], on=DAY)
        reg.void([d.number], on=DAY)
        reg.revoke(b.number, "issued-in-error", on=LATER)
        (c2,) = reg.issue([req("A3", name="LI Xiao-Ming", replaces=c.number)])
        reg.confirm([c2.number], on=LATER)

    def verify(code: str) -> Result:
        return cli("verify", code, "--register", reg_path, "--manifest", MANIFEST_FILE)

    unknown = ("The register does not record what this certificate prints (it was numbered "
               "before the register kept it): compare the lines above with the paper.\n")
    tail = "Certificate: ECUK certificate; Incorporated Engineer (IEng); programme csee-iet\n" \
           f"Issued on: 14 March 2026\n{unknown}"
    result = verify(f"https://verify.example.org/c/{a.short_code.replace('-', '')}")
    assert (result.exit_code, result.stdout) == (0, (
        f"Genuine: certificate {a.number}, verification code {a.short_code}\n"
        f"Holder: LI Xiaoming (A1)\n{tail}"))
    result = verify(b.short_code)
    assert (result.exit_code, result.stdout) == (1, (
        f"Revoked on 2 May 2026 (issued in error): certificate {b.number}, verification code "
        f"{b.short_code}\nHolder: LI Xiaoming (A2)\n{tail}"))
    result = verify(c.number)
    assert (result.exit_code, result.stdout.splitlines()[0]) == (1, (
        f"Superseded by {c2.number} on 2 May 2026: certificate {c.number}, verification code "
        f"{c.short_code}"))
    result = verify(c2.short_code)  # and back: the reissue names what it replaced
    assert (result.exit_code, result.stdout) == (0, (
        f"Genuine: certificate {c2.number}, verification code {c2.short_code}\n"
        "Holder: LI Xiao-Ming (A3)\n"
        "Certificate: ECUK certificate; Incorporated Engineer (IEng); programme csee-iet\n"
        f"Issued on: 14 March 2026\nReissued in place of certificate {c.number}\n{unknown}"))
    result = verify(d.number)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"Not genuine: certificate {d.number} was never issued\n"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LANG", "zh_CN.UTF-8")
        result = verify(b.number)
    assert result.stdout.splitlines()[0] == (
        f"已于2026年5月2日撤销（颁发有误）：证书 {b.number}，验证码 {b.short_code}")


def test_reissue_refusals_before_anything_is_printed(reg_path: Path, tmp_path: Path) -> None:
    import yaml
    from conftest import SAMPLES_FILE

    li = yaml.safe_load(SAMPLES_FILE.read_text(encoding="utf-8"))[0]
    with Register(reg_path) as reg:
        joint, other = reg.issue([
            IssueRequest(li["id"], "李晓明 / LI Xiaoming", "csee_iet_joint", "csee-iet", "IEng",
                         "CSEE-IET", DAY),
            req("A9")], on=DAY)
        reg.confirm([joint.number, other.number], on=DAY)
        reg.revoke(other.number, "withdrawn", on=DAY)

    def reissue(number: str, record: dict[str, object]) -> Result:
        data = tmp_path / "corrected.yaml"
        data.write_text(yaml.safe_dump([record], allow_unicode=True), "utf-8")
        return cli("reissue", "--verify-url", "https://verify.example.org", number, data, "--out", tmp_path / "out", "--register", reg_path,
                   "--manifest", MANIFEST_FILE)

    result = reissue("CSEE-IET-2026-000099", li)
    assert (result.exit_code, result.stderr) == (1, (
        f"Error: there is no certificate CSEE-IET-2026-000099 in the register {reg_path}\n"))
    result = reissue(other.number, li)
    assert result.stderr == (f"Error: certificate {other.number} was already revoked on "
                             "14 March 2026 (withdrawn)\n")
    result = reissue(joint.number, {**li, "id": "SOMEONE-ELSE"})
    assert result.stderr == (f"Error: the data has no record with id {li['id']}, the holder "
                             f"of certificate {joint.number}\n")
    moved = {**li, "programme": "cmes-soe", "unit": "", "cmes": {
        "membership_no": "M-1", "member_grade": "member"},
        "soe": {"membership": "member", "division": "IRTE"}}
    result = reissue(joint.number, moved)
    assert result.exit_code == 1
    assert ("with the corrected details the holder is no longer due the CSEE–IET joint "
            f"certificate, so {joint.number} cannot be reissued; revoke it instead") in result.stderr
    assert result.stderr.endswith(
        f"certificate {joint.number} was not reissued (see {tmp_path / 'out' / 'errors.csv'})\n")
    with Register(reg_path) as reg:
        assert reg.lookup(joint.number).status == "valid"
        assert len(reg.rows()) == 2  # no number was issued
