"""The certificate register: real SQLite files, real processes for concurrency.

Making and opening a register, its key kept apart, numbering, codes and seals. What
happens to a certificate afterwards (printed, voided, revoked, reissued) and moving the
key out of an old register are in test_register_status.py.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import io
import multiprocessing
import os
import sqlite3
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from formgen.certificates.keys import KEY_ENV, RegisterKey, default_key_path
from formgen.certificates.numbers import (
    CROCKFORD,
    Issued,
    IssueRequest,
    normalize_code,
    write_csv,
)
from formgen.certificates.qr import (
    QR_MASK,
    code_in_link,
    parse_payload,
    qr_matrix,
    qr_png,
    short_link,
    verify_link,
)
from formgen.certificates.register import Register
from formgen.certificates.seals import Sealer
from formgen.certificates.surnames import surname_matches
from formgen.exceptions import FormgenError, RegisterError, VerificationError
from formgen.messages import msg

DAY = datetime.date(2026, 3, 14)
SPAWN = multiprocessing.get_context("spawn")


def req(
    applicant_id: str,
    *,
    certificate: str = "ecuk_registration",
    prefix: str = "CMES-SOE",
    issued_on: datetime.date = DAY,
    name: str = "李晓明 / LI Xiaoming",
    grade: str = "CEng",
) -> IssueRequest:
    programme = prefix.lower()
    return IssueRequest(applicant_id, name, certificate, programme, grade, prefix, issued_on)


@pytest.fixture
def reg_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A new, empty register (its key beside it)."""
    monkeypatch.delenv(KEY_ENV, raising=False)
    path = tmp_path / "build" / "register.sqlite"
    Register.create(path, by="test").close()
    return path


def legacy_payload(issued: Issued) -> str:
    """What the QR code of a certificate printed before links held."""
    return f"FORMGEN-CERT|{issued.number}|{issued.short_code}"


# -- numbering ---------------------------------------------------------------------------


def test_numbers_and_reuse(reg_path: Path) -> None:
    with Register(reg_path) as reg:
        first = reg.issue([req("A1"), req("A2"), req("A3", prefix="CSEE-IET")])
        assert [i.number for i in first] == [
            "CMES-SOE-2026-000001",
            "CMES-SOE-2026-000002",
            "CSEE-IET-2026-000001",
        ]
        assert not any(i.reused for i in first)
        assert first[0].name == "李晓明 / LI Xiaoming"

        later = datetime.date(2026, 9, 1)
        again = reg.issue([req("A1", issued_on=later), req("A1", certificate="membership")])
    assert again[0].reused and again[0].number == first[0].number
    assert again[0].short_code == first[0].short_code
    assert again[0].issued_on == DAY  # keeps the original date of issue
    assert not again[1].reused and again[1].number == "CMES-SOE-2026-000003"


def test_same_holder_twice_in_one_batch(reg_path: Path) -> None:
    with Register(reg_path) as reg:
        a, b = reg.issue([req("A1"), req("A1")])
    assert a.number == b.number and not a.reused and b.reused


def test_a_certificate_never_changes_its_holder_details(reg_path: Path) -> None:
    """Printed with other details, a valid certificate is refused (that is a reissue); a
    number never printed is voided and the holder gets a new one."""
    with Register(reg_path) as reg:
        (first,) = reg.issue([req("A1", name="LI Xiao Ming")])
        (renamed,) = reg.issue([req("A1", name="LI Xiaoming")])  # still pending
        assert renamed.number != first.number and not renamed.reused
        assert reg.lookup(first.number).status == "void"
        reg.confirm([renamed.number])
        changed = req("A1", name="李晓明 / LI Xiaoming", grade="IEng")
        assert reg.refusals([changed]) == {"A1": [msg(
            "register.details-changed", number=renamed.number, field="name",
            recorded="LI Xiaoming", now="李晓明 / LI Xiaoming",
        )]}
        with pytest.raises(RegisterError) as e:
            reg.issue([changed])
        assert str(e.value) == (
            f"certificate {renamed.number} was issued with name 'LI Xiaoming', not "
            f"'李晓明 / LI Xiaoming'; print a corrected certificate with: formgen reissue "
            f"{renamed.number} DATA")
        assert reg.lookup(renamed.number).name == "LI Xiaoming"  # nothing changed
        (same,) = reg.issue([req("A1", name="LI Xiaoming")])
        assert same.reused and same.number == renamed.number


def test_sequence_continues_across_batches_and_openings(reg_path: Path) -> None:
    with Register(reg_path) as reg:
        reg.issue([req(f"A{i}") for i in range(3)])
    with Register(reg_path) as reg:
        (nxt,) = reg.issue([req("B1")])
        assert nxt.number == "CMES-SOE-2026-000004"
        assert [i.number for i in reg.rows()][-1] == nxt.number


def test_sequences_are_per_prefix_and_year(reg_path: Path) -> None:
    y27 = datetime.date(2027, 1, 2)
    with Register(reg_path) as reg:
        out = reg.issue(
            [
                req("A1"),
                req("A2", prefix="CSEE-IET"),
                req("A3", issued_on=y27),
                req("A4"),
                req("A5", prefix="CSEE-IET", issued_on=y27),
            ]
        )
    assert [i.number for i in out] == [
        "CMES-SOE-2026-000001",
        "CSEE-IET-2026-000001",
        "CMES-SOE-2027-000001",
        "CMES-SOE-2026-000002",
        "CSEE-IET-2027-000001",
    ]


def test_a_failed_batch_hands_out_nothing(reg_path: Path) -> None:
    with Register(reg_path) as reg:
        reg.confirm([i.number for i in reg.issue([req("A1")])])
        with pytest.raises(RegisterError, match="cannot be renumbered"):
            reg.issue([req("A2"), req("A1", prefix="CSEE-IET")])
        (nxt,) = reg.issue([req("A3")])
        assert nxt.number == "CMES-SOE-2026-000002"
        assert [i.applicant_id for i in reg.rows()] == ["A1", "A3"]


def test_bad_prefix_refused(reg_path: Path) -> None:
    with Register(reg_path) as reg, pytest.raises(RegisterError, match="prefix"):
        reg.issue([req("A1", prefix="cmes soe")])


def _issue_worker(path: str, worker: int, batches: int, size: int, start: object) -> list[str]:
    os.environ.pop(KEY_ENV, None)
    start.wait()  # type: ignore[attr-defined]
    numbers: list[str] = []
    for b in range(batches):
        with Register(Path(path), timeout=30) as reg:
            batch = [req(f"W{worker}-{b}-{i}") for i in range(size)]
            numbers += [i.number for i in reg.issue(batch)]
    return numbers


@pytest.mark.slow
def test_concurrent_processes_never_share_a_number(reg_path: Path) -> None:
    workers, batches, size = 4, 8, 5
    with SPAWN.Manager() as manager:
        start = manager.Event()
        with SPAWN.Pool(workers) as pool:
            jobs = [
                pool.apply_async(_issue_worker, (str(reg_path), w, batches, size, start))
                for w in range(workers)
            ]
            start.set()  # all start together
            results = [j.get(timeout=120) for j in jobs]
    numbers = [n for r in results for n in r]
    assert len(numbers) == workers * batches * size
    assert len(set(numbers)) == len(numbers)
    assert sorted(int(n.rsplit("-", 1)[1]) for n in numbers) == list(range(1, len(numbers) + 1))
    for r in results:  # each batch got a contiguous run
        for b in range(batches):
            run = [int(n.rsplit("-", 1)[1]) for n in r[b * size : (b + 1) * size]]
            assert run == list(range(run[0], run[0] + size))
    with Register(reg_path) as reg:
        assert len(reg.rows()) == len(numbers)
        assert reg.lookup(numbers[-1]).number == numbers[-1]


# -- verification ------------------------------------------------------------------------


@pytest.fixture
def issued(reg_path: Path) -> list[Issued]:
    with Register(reg_path) as reg:
        return reg.issue([req(f"A{i:02d}") for i in range(40)])


def test_short_code_shape(issued: list[Issued]) -> None:
    for i in issued:
        groups = i.short_code.split("-")
        assert [len(g) for g in groups] == [4, 4, 2]
        assert all(c in CROCKFORD for c in "".join(groups))
    assert len({i.short_code for i in issued}) == len(issued)


def test_lookup_by_number_and_short_code(reg_path: Path, issued: list[Issued]) -> None:
    one = issued[7]
    plain = one.short_code.replace("-", "")
    with Register(reg_path) as reg:
        assert reg.lookup(one.number) == one
        assert reg.lookup(one.number.lower()) == one
        assert reg.lookup(one.short_code) == one
        assert reg.lookup(f"  {plain.lower()} ") == one
        assert reg.lookup(" ".join([plain[:4], plain[4:8], plain[8:]])) == one
        # O for 0 and I or L for 1, as people misread them
        with_digits = [i for i in issued if {"0", "1"} & set(i.short_code)]
        assert with_digits, "40 codes without a 0 or 1"
        for i in with_digits:
            typed = i.short_code.replace("0", "O").replace("1", "l")
            assert reg.lookup(typed) == i


def test_normalize_code() -> None:
    assert normalize_code("7kq2-m9xd-4t") == "7KQ2M9XD4T"
    assert normalize_code("O1IL m9xd 4t") == "0111M9XD4T"
    assert normalize_code("7KQ2-M9XD-4U") is None  # U is not Crockford
    assert normalize_code("7KQ2-M9XD") is None
    assert normalize_code("CMES-SOE-26-1") is None  # looks like a number, not a code


def test_altered_code_refused(reg_path: Path, issued: list[Issued]) -> None:
    code = issued[0].short_code
    taken = {i.short_code for i in issued}
    for pos in (0, 6, 11):
        for c in "0123456789ABCDEFGHJKMNPQRSTVWXYZ":
            altered = code[:pos] + c + code[pos + 1 :]
            if altered not in taken:
                break
        with Register(reg_path) as reg, pytest.raises(VerificationError) as e:
            reg.lookup(altered)
        assert str(e.value) == f"no certificate has the code {altered}"


def test_forged_number_refused(reg_path: Path, issued: list[Issued]) -> None:
    with Register(reg_path) as reg:
        for forged in ("CMES-SOE-2026-000999", "CSEE-IET-2026-000001", "CMES-SOE-2025-000001"):
            with pytest.raises(VerificationError) as e:
                reg.lookup(forged)
            assert str(e.value) == f"no certificate has the code {forged}"


def test_malformed_code_refused(reg_path: Path, issued: list[Issued]) -> None:
    with Register(reg_path) as reg:
        for bad in ("", "hello", "CMES-SOE-26-1", "7KQ2-M9XD-4U", "x" * 200):
            with pytest.raises(VerificationError, match="not a certificate number"):
                reg.lookup(bad)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("name", "王伟 / WANG Wei"),
        ("grade", "IEng"),
        ("issued_on", "2025-03-14"),
        ("applicant_id", "A99"),
        ("code", "0000000000"),
        ("status", "revoked"),
        ("replaced_by", "CMES-SOE-2026-000001"),
    ],
)
def test_tampered_row_refused(
    reg_path: Path, issued: list[Issued], column: str, value: str
) -> None:
    target = issued[3]
    with sqlite3.connect(reg_path) as db:
        db.execute(f"UPDATE certificates SET {column} = ? WHERE number = ?", (value, target.number))
    db.close()
    with Register(reg_path) as reg:
        with pytest.raises(VerificationError) as e:
            reg.lookup(target.number)
        assert str(e.value) == (
            f"certificate {target.number} is not genuine: "
            "its register record does not match its verification code"
        )
        if column != "code":
            with pytest.raises(VerificationError, match="is not genuine"):
                reg.lookup(target.short_code)
        with pytest.raises(RegisterError, match="has been altered"):
            reg.issue([req(target.applicant_id if column != "applicant_id" else value)])
        assert reg.lookup(issued[4].number) == issued[4]  # the others still verify


def test_code_from_another_register_refused(tmp_path: Path, reg_path: Path,
                                            issued: list[Issued]) -> None:
    with Register.create(tmp_path / "other.sqlite") as other:
        (twin,) = other.issue([req("A00")])
    assert twin.number == issued[0].number
    assert twin.short_code != issued[0].short_code  # each register has its own key
    with Register(reg_path) as reg, pytest.raises(VerificationError, match="not genuine"):
        reg.verify_payload(legacy_payload(twin))


def _forge(reg_path: Path, number: str, key: RegisterKey, key_id: str, **changes: str) -> None:
    """Rewrite a row as someone with write access to the file but not the key would."""
    with Register(reg_path) as reg:
        row = reg.row(number)
    assert row is not None
    issued, _ = Sealer.unseal(row)
    forged = Sealer(key).changed(issued, **changes)
    sealed = list(Sealer(key).sealed_row(forged))
    sealed[-2] = key_id
    with sqlite3.connect(reg_path) as db:
        db.execute("DROP TRIGGER IF EXISTS certificates_kept")
        db.execute(
            "UPDATE certificates SET name = ?, status = ?, reason = ?, key_id = ?, seal = ? "
            "WHERE number = ?", (forged.name, forged.status, forged.reason, sealed[-2], sealed[-1], number))
    db.close()


def test_write_access_alone_cannot_forge_a_row(reg_path: Path, issued: list[Issued]) -> None:
    """A row re-sealed with any other key is refused, whichever key id it claims."""
    target = issued[2]
    thief = RegisterKey(os.urandom(32), "thief")
    with Register(reg_path) as reg:
        ours = reg.key.key_id
    _forge(reg_path, target.number, thief, thief.key_id, name="王伟 / WANG Wei")
    with Register(reg_path) as reg, pytest.raises(VerificationError) as e:
        reg.lookup(target.short_code)
    assert str(e.value) == (f"certificate {target.number} is not genuine: it was sealed "
                            "with another key than this register's")
    _forge(reg_path, target.number, thief, ours, name="王伟 / WANG Wei")
    with Register(reg_path) as reg, pytest.raises(VerificationError, match="does not match"):
        reg.lookup(target.short_code)


# -- QR codes ----------------------------------------------------------------------------


def test_links_in_qr_codes() -> None:
    link = verify_link("https://verify.example.org/", "7KQ2-M9XD-4T")
    assert link == "https://verify.example.org/c/7KQ2M9XD4T"
    assert short_link(link) == "verify.example.org/c/7KQ2M9XD4T"
    assert short_link("http://127.0.0.1:8000/c/7KQ2M9XD4T") == "http://127.0.0.1:8000/c/7KQ2M9XD4T"
    assert verify_link("https://example.org/certificates", "7KQ2M9XD4T") == (
        "https://example.org/certificates/c/7KQ2M9XD4T")
    for text in (link, short_link(link), link + "/", "https://x.org/c/7kq2-m9xd-4t"):
        assert normalize_code(code_in_link(text) or "") == "7KQ2M9XD4T", text
    for text in ("7KQ2M9XD4T", "https://verify.example.org/", "https://x.org/c/7KQ2M9XD4T/more",
                 "https://x.org/d/7KQ2M9XD4T"):
        assert code_in_link(text) is None, text


def test_legacy_payload_still_verifies(reg_path: Path, issued: list[Issued]) -> None:
    one = issued[5]
    text = legacy_payload(one)
    assert text == f"FORMGEN-CERT|{one.number}|{one.short_code}"
    assert parse_payload(text) == (one.number, one.short_code)
    with Register(reg_path) as reg:
        assert reg.verify_payload(text) == one
        mixed = f"FORMGEN-CERT|{one.number}|{issued[6].short_code}"
        with pytest.raises(VerificationError, match="not genuine"):
            reg.verify_payload(mixed)
        for bad in ("hello", "FORMGEN-CERT|x", f"OTHER|{one.number}|{one.short_code}"):
            with pytest.raises(VerificationError, match="not a formgen certificate code"):
                reg.verify_payload(bad)
        with pytest.raises(VerificationError, match="no certificate has the code"):
            reg.verify_payload(f"FORMGEN-CERT|CMES-SOE-2026-000999|{one.short_code}")


def test_qr_png_decodes(issued: list[Issued]) -> None:
    from PIL import Image

    pyzbar = pytest.importorskip("pyzbar.pyzbar", reason="pyzbar and libzbar0 decode QR codes")
    text = verify_link("https://verify.example.org", issued[0].short_code)
    png = qr_png(text, 300)
    assert png.startswith(b"\x89PNG")
    image = Image.open(io.BytesIO(png))
    assert image.size == (300, 300)
    (decoded,) = pyzbar.decode(image)
    assert decoded.data.decode("utf-8") == text


def test_qr_codes_correct_errors_at_level_m() -> None:
    """The format information next to the finder pattern says level M (bits 00) or better."""
    matrix = qr_matrix(verify_link("https://verify.example.org", "7KQ2-M9XD-4T"))
    q = 4  # quiet zone
    bits = [matrix[q + 8][q + c] for c in (0, 1, 2, 3, 4, 5, 7, 8)]
    bits += [matrix[q + r][q + 8] for r in (7, 5, 4, 3, 2, 1, 0)]
    word = int("".join("1" if b else "0" for b in bits), 2) ^ 0b101010000010010
    level = {0b01: "L", 0b00: "M", 0b11: "Q", 0b10: "H"}[word >> 13]
    assert level in ("M", "Q", "H")
    assert (word >> 10) & 0b111 == QR_MASK


def test_qr_png_too_small() -> None:
    with pytest.raises(ValueError, match="needs at least"):
        qr_png("FORMGEN-CERT|CMES-SOE-2026-000001|7KQ2-M9XD-4T", 20)


# -- faults ------------------------------------------------------------------------------


_HOLD_LOCK = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute(sys.argv[2])
print("locked", flush=True)
sys.stdin.read()  # until the test closes this process's stdin
db.execute("ROLLBACK")
db.close()
"""


@contextlib.contextmanager
def lock_held(path: Path, sql: str) -> Iterator[Callable[[], None]]:
    """Another process (a bare Python, quick to start) holding the lock that ``sql`` takes
    on the file; yields the function that lets it go (it goes at the end of the block)."""
    holder = subprocess.Popen([sys.executable, "-c", _HOLD_LOCK, str(path), sql],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    assert holder.stdin is not None and holder.stdout is not None and holder.stderr is not None
    try:
        line = holder.stdout.readline()
        assert line == "locked\n", holder.stderr.read()
        yield holder.stdin.close
    finally:
        holder.stdin.close()
        assert holder.wait(30) == 0, holder.stderr.read()


@pytest.mark.parametrize("sql", ["BEGIN EXCLUSIVE", "BEGIN IMMEDIATE"])
def test_locked_register(reg_path: Path, sql: str) -> None:
    with Register(reg_path) as reg:
        reg.issue([req("A1")])
    with lock_held(reg_path, sql):
        with pytest.raises(RegisterError) as e, Register(reg_path, timeout=0.3) as reg:
            reg.issue([req("A2")])
        assert str(e.value) == (
            f"the register {reg_path} is locked by another process; try again when it finishes"
        )
        assert not isinstance(e.value.__cause__, RegisterError)
    with Register(reg_path) as reg:  # free again, nothing half-done
        (nxt,) = reg.issue([req("A2")])
        assert nxt.number == "CMES-SOE-2026-000002"


def test_waits_for_a_short_lock(reg_path: Path) -> None:
    with lock_held(reg_path, "BEGIN EXCLUSIVE") as release:
        threading.Timer(0.5, release).start()
        with Register(reg_path, timeout=20) as reg:
            (one,) = reg.issue([req("A1")])
    assert one.number == "CMES-SOE-2026-000001"


# -- making and opening -------------------------------------------------------------------

HOW_TO_MAKE = "formgen register init"


def test_init_makes_a_register_and_a_private_key_apart(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    path = tmp_path / "build" / "register.sqlite"
    with Register.create(path, by="Wang Min") as reg:
        key = default_key_path(path)
        assert reg.key.source == str(key) and key == tmp_path / "build" / "register.key"
        assert reg.rows() == [] and [e.action for e in reg.events()] == ["created"]
        assert reg.events()[0].by == "Wang Min"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    secret = key.read_text().strip()
    assert len(secret) == 64 and int(secret, 16) >= 0
    raw = path.read_bytes()
    assert secret.encode() not in raw and bytes.fromhex(secret) not in raw  # not in the register
    with pytest.raises(RegisterError) as e:
        Register.create(path)
    assert str(e.value) == (
        f"{path} already exists; formgen register init makes a new register only where there is no file")
    path.unlink()
    with pytest.raises(RegisterError, match="may be the key of another register"):
        Register.create(path)
    assert not path.exists()  # nothing left behind


@pytest.mark.parametrize("content", [None, b""], ids=["missing", "empty"])
def test_missing_or_empty_register_is_refused_saying_how_to_make_one(
    tmp_path: Path, content: bytes | None
) -> None:
    path = tmp_path / "register.sqlite"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(RegisterError) as e:
        Register(path)
    said = str(e.value)
    assert f"{HOW_TO_MAKE} {path}" in said
    if content is None:
        assert said.startswith(f"there is no certificate register at {path}.")
        assert not path.exists()
    else:
        assert said.startswith(f"{path} is an empty file, not a certificate register.")
        assert "restore it from a backup" in said
        assert path.read_bytes() == b""  # never silently made into a new register


@pytest.mark.parametrize(
    "content",
    [
        os.urandom(4096),
        "这不是数据库\nnot a database\n".encode(),
        b"SQLite format 3\x00" + bytes(90),
    ],
    ids=["random-bytes", "text-file", "bad-header"],
)
def test_corrupt_register(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "register.sqlite"
    path.write_bytes(content)
    with pytest.raises(RegisterError) as e:
        Register(path)
    assert str(e.value) == (f"{path} is not a certificate register (corrupt or not SQLite); "
                            f"a new register is made with: {HOW_TO_MAKE} NEW-FILE")
    assert path.read_bytes() == content  # left as it was


def test_other_sqlite_database(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE people (name TEXT)")
    db.close()
    with pytest.raises(RegisterError, match="is not a certificate register .* formgen register init"):
        Register(path)


def test_unwritable_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "build"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(RegisterError, match="cannot create the register"):
        Register.create(blocker / "register.sqlite")
    with pytest.raises(RegisterError, match="is a folder"):
        Register(tmp_path)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores modes")
def test_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(RegisterError, match="cannot be written"):
            Register.create(folder / "register.sqlite")
    finally:
        folder.chmod(0o700)


def test_errors_are_user_facing() -> None:
    assert issubclass(RegisterError, FormgenError)
    assert issubclass(VerificationError, FormgenError)


# -- the key -------------------------------------------------------------------------------


def test_key_missing_too_open_malformed_or_not_its_own(reg_path: Path, tmp_path: Path) -> None:
    key = default_key_path(reg_path)
    secret = key.read_text()
    key.chmod(0o644)
    with pytest.raises(RegisterError) as e:
        Register(reg_path)
    assert str(e.value) == (f"the register key {key} can be read by other users (permissions "
                            f"0644); make it private: chmod 600 {key}")
    key.chmod(0o600)
    moved = tmp_path / "elsewhere.key"
    key.rename(moved)
    with pytest.raises(RegisterError) as e:
        Register(reg_path)
    assert str(e.value) == (
        f"no key for the register {reg_path}: {key} does not exist. The key is made with the "
        f"register (formgen register init); give it with --register-key FILE or {KEY_ENV}")
    with Register(reg_path, key_file=moved) as reg:  # a key kept elsewhere
        assert reg.key.source == str(moved)
    other = tmp_path / "other.key"
    other.write_text(os.urandom(32).hex())
    other.chmod(0o600)
    with pytest.raises(RegisterError) as e:
        Register(reg_path, key_file=other)
    assert str(e.value) == (f"the key {other} is not the key of the register {reg_path}; give "
                            f"its own key with --register-key or {KEY_ENV}")
    other.write_text("not a key")
    with pytest.raises(RegisterError, match="does not hold a register key"):
        Register(reg_path, key_file=other)
    assert moved.read_text() == secret


def test_key_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = os.urandom(32).hex()
    monkeypatch.setenv(KEY_ENV, secret)
    path = tmp_path / "register.sqlite"
    with Register.create(path) as reg:
        assert reg.key.source == KEY_ENV
        (one,) = reg.issue([req("A1")])
    assert not default_key_path(path).exists()  # no key file: the environment holds it
    with Register(path) as reg:
        assert reg.lookup(one.short_code).number == one.number
    monkeypatch.setenv(KEY_ENV, os.urandom(32).hex())
    with pytest.raises(RegisterError, match=f"is not the key of the register.*{KEY_ENV}"):
        Register(path)


# -- CSV of events ---------------------------------------------------------------------------


def test_csv_export_escapes_formulas(tmp_path: Path, reg_path: Path) -> None:
    names = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tTab", "\rCR", "李晓明 / LI"]
    with Register(reg_path) as reg:
        reg.issue([req(f"A{i}", name=n) for i, n in enumerate(names)], by="=evil()")
        reg.issue([req("=cmd|' /C calc'!A0", certificate="-membership")], by="staff")
        events = reg.events()
    folder = tmp_path / "out"
    folder.mkdir()
    out = write_csv(events, folder)
    assert out == folder / "register.csv"
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with out.open(encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    assert table[0] == ["number", "id", "name", "certificate", "issued_on", "status", "event",
                        "at", "by", "detail"]
    assert table[1][6] == "created" and table[1][0] == ""
    numbered = table[2:]
    escaped = ["'" + n for n in names[:-1]]
    assert [r[2] for r in numbered] == [*escaped, names[-1], "李晓明 / LI Xiaoming"]
    assert numbered[-1][1] == "'=cmd|' /C calc'!A0"
    assert numbered[-1][3] == "'-membership"
    assert numbered[0][:7] == ["CMES-SOE-2026-000001", "A0", "'" + names[0], "ecuk_registration",
                               "2026-03-14", "pending", "numbered"]
    assert numbered[0][8] == "'=evil()"
    assert [p.name for p in out.parent.iterdir()] == ["register.csv"]  # no temp left


def test_csv_to_a_file_path_replaces_it(tmp_path: Path, reg_path: Path) -> None:
    with Register(reg_path) as reg:
        reg.issue([req("A1"), req("A2")])
        events = reg.events()
    target = tmp_path / "export.csv"
    target.write_text("old")
    assert write_csv(events, target) == target
    assert target.read_text(encoding="utf-8-sig").count("\n") == 4


# -- surnames ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "typed", "matches"), [
    ("李晓明 / LI Xiaoming", "李", True),
    ("李晓明 / LI Xiaoming", "li", True),
    ("李晓明 / LI Xiaoming", " Ｌｉ ", True),  # full-width, spaces
    ("李晓明 / LI Xiaoming", "李晓明", True),
    ("李晓明 / LI Xiaoming", "LI Xiaoming", True),
    ("李晓明 / LI Xiaoming", "Xiaoming", False),
    ("李晓明 / LI Xiaoming", "晓", False),
    ("李晓明 / LI Xiaoming", "王", False),
    ("欧阳娜娜 / OUYANG Nana", "欧阳", True),
    ("欧阳娜娜 / OUYANG Nana", "ouyang", True),
    ("LI Xiaoming", "li", True),
    ("Hubert Blaine Wolfe", "wolfe", True),
    ("Hubert Blaine Wolfe", "blaine", False),
    ("VAN DER BERG Anna", "van der berg", True),
    ("孙伟", "孙", True),
    ("孙伟", "", False),
])
def test_surname_matches(name: str, typed: str, matches: bool) -> None:
    assert surname_matches(name, typed) is matches
