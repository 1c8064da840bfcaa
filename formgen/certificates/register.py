"""The certificate register: numbers, verification codes and look-ups, in one SQLite file.

Each certificate gets a number unique per prefix and year (``CMES-SOE-2026-000123``) and
a short verification code (``7KQ2-M9XD-4T``): the first 50 bits of an HMAC-SHA256 of the
number, applicant id and date of issue under a secret key made when the register is
created, written in Crockford base32. Every row also carries a seal (an HMAC of all its
fields), so a record edited behind the register's back is refused as not genuine.

Batches are issued in one ``BEGIN IMMEDIATE`` transaction, so two processes printing at
the same time wait for each other and never hand out one number twice.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
import sqlite3
from pathlib import Path
from types import TracebackType

from formgen.certificates.numbers import (
    CODE_LENGTH,
    MAX_SEQUENCE,
    NUMBER_RE,
    PREFIX_RE,
    Issued,
    IssueRequest,
    crockford,
    group_code,
    normalize_code,
)
from formgen.certificates.qr import parse_payload
from formgen.exceptions import RegisterError, VerificationError
from formgen.messages import msg

DEFAULT_PATH = Path("build/register.sqlite")
"""Where the register lives unless the caller says otherwise."""

FORMAT = "formgen-register"
VERSION = 1
_SQLITE_MAGIC = b"SQLite format 3\x00"

# SQLite primary result codes (sqlite3.Error.sqlite_errorcode & 0xFF).
_BUSY, _LOCKED, _CORRUPT, _NOTADB = 5, 6, 11, 26

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS certificates (
    number       TEXT PRIMARY KEY,
    prefix       TEXT NOT NULL,
    year         INTEGER NOT NULL,
    seq          INTEGER NOT NULL CHECK (seq BETWEEN 1 AND 999999),
    code         TEXT NOT NULL UNIQUE,
    applicant_id TEXT NOT NULL,
    name         TEXT NOT NULL,
    certificate  TEXT NOT NULL,
    programme    TEXT NOT NULL,
    grade        TEXT NOT NULL,
    issued_on    TEXT NOT NULL,
    seal         TEXT NOT NULL,
    UNIQUE (prefix, year, seq),
    UNIQUE (applicant_id, certificate)
);
"""
_COLUMNS = "number, code, applicant_id, name, certificate, programme, grade, issued_on, seal"

class Register:
    """An open certificate register; use as a context manager.

    Opening creates the file (and its folder) when missing. Raises :class:`RegisterError`
    when the file is locked longer than ``timeout`` seconds, is not a register, or cannot
    be created or written.
    """

    def __init__(self, path: Path = DEFAULT_PATH, timeout: float = 10.0):
        self.path = Path(path)
        self.timeout = timeout
        self._db: sqlite3.Connection | None = None
        self._secret = b""
        self._open()

    # -- opening ---------------------------------------------------------------------

    def _open(self) -> None:
        path = self.path
        if path.is_dir():
            raise RegisterError(msg("register.is-a-folder", path=str(path)))
        if path.exists():
            try:
                with path.open("rb") as fh:
                    head = fh.read(len(_SQLITE_MAGIC))
            except OSError as e:
                raise RegisterError(msg("register.unreadable", path=str(path), reason=str(e.strerror))) from e
            if head and head != _SQLITE_MAGIC:
                raise self._corrupt()
        else:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise RegisterError(msg(
                    "register.no-folder", path=str(path), folder=str(path.parent),
                    reason=str(e.strerror or e),
                )) from e
        try:
            self._db = sqlite3.connect(path, timeout=self.timeout, isolation_level=None)
            self._prepare()
        except sqlite3.Error as e:
            self.close()
            raise self._wrap(e) from e
        except RegisterError:
            self.close()
            raise

    def _prepare(self) -> None:
        db = self._conn
        meta = self._read_meta()
        if meta is None:
            db.execute("BEGIN IMMEDIATE")
            try:
                tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
                if tables and "meta" not in tables:
                    raise RegisterError(msg("register.other-database", path=str(self.path)))
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)  # not executescript: it would commit
                db.executemany(
                    "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)",
                    [
                        ("format", FORMAT),
                        ("version", str(VERSION)),
                        ("secret", secrets.token_bytes(32).hex()),
                        ("created", datetime.datetime.now(datetime.UTC).isoformat()),
                    ],
                )
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            meta = self._read_meta() or {}
        if meta.get("format") != FORMAT or "secret" not in meta:
            raise RegisterError(msg("register.other-database", path=str(self.path)))
        if int(meta.get("version", "0")) > VERSION:
            raise RegisterError(msg("register.newer", path=str(self.path)))
        self._secret = bytes.fromhex(meta["secret"])

    def _read_meta(self) -> dict[str, str] | None:
        db = self._conn
        has_meta = db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
        ).fetchone()
        if not has_meta:
            return None
        return {str(k): str(v) for k, v in db.execute("SELECT key, value FROM meta")}

    # -- errors ----------------------------------------------------------------------

    def _corrupt(self) -> RegisterError:
        return RegisterError(msg("register.corrupt", path=str(self.path)))

    def _wrap(self, e: sqlite3.Error) -> RegisterError:
        """Turn an sqlite3 error into a message for the user."""
        primary = (getattr(e, "sqlite_errorcode", 0) or 0) & 0xFF
        text = str(e).lower()
        if primary in (_BUSY, _LOCKED) or "locked" in text or "busy" in text:
            return RegisterError(msg("register.locked", path=str(self.path)))
        if primary in (_CORRUPT, _NOTADB) or "not a database" in text or "malformed" in text:
            return self._corrupt()
        if isinstance(e, sqlite3.IntegrityError):
            return RegisterError(msg("register.refused", path=str(self.path), detail=str(e)))
        return RegisterError(msg("register.cannot-write", path=str(self.path), detail=str(e)))

    # -- context manager -------------------------------------------------------------

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise RegisterError(msg("register.closed", path=str(self.path)))
        return self._db

    def close(self) -> None:
        """Close the file; safe to call twice."""
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> Register:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- codes -----------------------------------------------------------------------

    def _mac(self, *fields: str) -> bytes:
        message = "\x1f".join(fields).encode("utf-8")
        return hmac.new(self._secret, message, hashlib.sha256).digest()

    def _code(self, number: str, applicant_id: str, issued_on: str) -> str:
        return crockford(self._mac("code", number, applicant_id, issued_on)[:7], CODE_LENGTH)

    def _seal(self, row: tuple[str, ...]) -> str:
        """HMAC of every field of a row (all columns but the seal itself)."""
        return self._mac("seal", *row).hex()

    def _genuine(self, row: tuple[str, ...]) -> Issued:
        """The Issued for a stored row, or VerificationError when the row was altered."""
        number, code, applicant_id, name, cert, programme, grade, issued_on, seal = row
        ok = hmac.compare_digest(code, self._code(number, applicant_id, issued_on))
        ok = hmac.compare_digest(seal, self._seal(row[:-1])) and ok
        if not ok:
            raise VerificationError(msg("verify.record-altered", number=number))
        return Issued(
            number=number,
            short_code=group_code(code),
            applicant_id=applicant_id,
            name=name,
            certificate=cert,
            programme=programme,
            grade=grade,
            issued_on=datetime.date.fromisoformat(issued_on),
        )

    # -- issuing ---------------------------------------------------------------------

    def issue(self, requests: list[IssueRequest]) -> list[Issued]:
        """Number a batch of certificates in one transaction, in request order.

        A holder who already has this kind of certificate (same applicant id and
        certificate kind) keeps its number, code and date of issue (``reused=True``);
        the name, programme and grade recorded are updated to what is printed now.
        """
        for req in requests:
            self._check_request(req)
        db = self._conn
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                out = [self._issue_one(req) for req in requests]
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        except sqlite3.Error as e:
            raise self._wrap(e) from e
        return out

    def _check_request(self, req: IssueRequest) -> None:
        if not req.applicant_id.strip():
            raise RegisterError(msg("register.no-id", name=req.name))
        if not req.certificate.strip():
            raise RegisterError(msg("register.no-kind", id=req.applicant_id))
        if not PREFIX_RE.fullmatch(req.prefix):
            raise RegisterError(msg("register.bad-prefix", prefix=req.prefix))
        if not 1000 <= req.issued_on.year <= 9999:
            raise RegisterError(msg("register.date-out-of-range", date=req.issued_on.isoformat()))

    def _issue_one(self, req: IssueRequest) -> Issued:
        db = self._conn
        row = db.execute(
            f"SELECT {_COLUMNS}, prefix FROM certificates "
            "WHERE applicant_id = ? AND certificate = ?",
            (req.applicant_id, req.certificate),
        ).fetchone()
        if row is not None:
            *stored, prefix = row
            try:
                old = self._genuine(tuple(stored))
            except VerificationError as e:
                raise RegisterError(msg("register.altered", path=str(self.path), error=e.message)) from e
            if prefix != req.prefix:
                raise RegisterError(msg(
                    "register.cannot-renumber", id=req.applicant_id, number=old.number,
                    certificate=req.certificate, prefix=req.prefix,
                ))
            fields = (
                old.number,
                stored[1],
                old.applicant_id,
                req.name,
                old.certificate,
                req.programme,
                req.grade,
                old.issued_on.isoformat(),
            )
            db.execute(
                "UPDATE certificates SET name = ?, programme = ?, grade = ?, seal = ? "
                "WHERE number = ?",
                (req.name, req.programme, req.grade, self._seal(fields), old.number),
            )
            return self._issued(fields, reused=True)

        year = req.issued_on.year
        (last,) = db.execute(
            "SELECT COALESCE(MAX(seq), 0) FROM certificates WHERE prefix = ? AND year = ?",
            (req.prefix, year),
        ).fetchone()
        seq = int(last) + 1
        if seq > MAX_SEQUENCE:
            raise RegisterError(msg("register.numbers-used-up", prefix=req.prefix, year=str(year)))
        number = f"{req.prefix}-{year}-{seq:06d}"
        issued_on = req.issued_on.isoformat()
        fields = (
            number,
            self._code(number, req.applicant_id, issued_on),
            req.applicant_id,
            req.name,
            req.certificate,
            req.programme,
            req.grade,
            issued_on,
        )
        db.execute(
            f"INSERT INTO certificates ({_COLUMNS}, prefix, year, seq) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*fields, self._seal(fields), req.prefix, year, seq),
        )
        return self._issued(fields, reused=False)

    @staticmethod
    def _issued(fields: tuple[str, ...], reused: bool) -> Issued:
        number, code, applicant_id, name, cert, programme, grade, issued_on = fields
        date = datetime.date.fromisoformat(issued_on)
        short = group_code(code)
        return Issued(number, short, applicant_id, name, cert, programme, grade, date, reused)

    # -- verifying -------------------------------------------------------------------

    def lookup(self, code: str) -> Issued:
        """The certificate with this number or short code, checked as genuine.

        Raises :class:`VerificationError` when the text is neither, when no certificate
        has it, or when the stored record does not match its verification code.
        """
        text = code.strip().upper()
        if NUMBER_RE.fullmatch(text):
            column, key, shown = "number", text, text
        else:
            short = normalize_code(text)
            if short is None:
                raise VerificationError(msg("verify.not-a-code", code=code.strip()))
            column, key, shown = "code", short, group_code(short)
        try:
            row = self._conn.execute(
                f"SELECT {_COLUMNS} FROM certificates WHERE {column} = ?", (key,)
            ).fetchone()
        except sqlite3.Error as e:
            raise self._wrap(e) from e
        if row is None:
            raise VerificationError(msg("verify.unknown-code", code=shown))
        return self._genuine(tuple(row))

    def verify_payload(self, qr_text: str) -> Issued:
        """Check the text read from a certificate's QR code (``FORMGEN-CERT|number|code``)."""
        number, code = parse_payload(qr_text)
        if not NUMBER_RE.fullmatch(number.upper()):
            raise VerificationError(msg("verify.qr-not-a-number", number=number))
        issued = self.lookup(number)
        short = normalize_code(code)
        if short is None or not hmac.compare_digest(short, issued.short_code.replace("-", "")):
            raise VerificationError(msg("verify.qr-code-mismatch", number=issued.number))
        return issued

    # -- export ----------------------------------------------------------------------

    def rows(self) -> list[Issued]:
        """Every certificate in the register, by prefix, year and sequence (not re-checked)."""
        try:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM certificates ORDER BY prefix, year, seq"
            ).fetchall()
        except sqlite3.Error as e:
            raise self._wrap(e) from e
        return [self._issued(tuple(r[:-1]), reused=False) for r in rows]
