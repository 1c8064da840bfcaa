"""The register's file: making one, opening it with its key, transactions and errors
(what the register does with it is in :mod:`formgen.certificates.register`).

Each certificate gets a number unique per prefix and year (``CMES-SOE-2026-000123``) and
a short verification code (``7KQ2-M9XD-4T``): the first 50 bits of an HMAC-SHA256 of the
number, applicant id and date of issue under the register's key, written in Crockford
base32. Every row carries a seal (an HMAC of all its fields) and the id of the key that
sealed it; every change is an event (who, when, what) sealed together with the event
before it. Without the key, whoever can write the file can delete or roll back, which
the events show, but cannot make or alter a row that verifies.

A register is made only by :meth:`~formgen.certificates.register.Register.create`
(``formgen register init``); opening a missing, empty or foreign file is refused with a
message saying how to make one. Rows and events are never deleted. Changes are made in
``BEGIN IMMEDIATE`` transactions, so two processes printing at the same time wait for
each other and never hand out one number twice.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.request import pathname2url

from formgen.certificates.head import Head, HeadPlace, head_place
from formgen.certificates.keys import KEY_ENV, RegisterKey, create_key, load_key
from formgen.certificates.numbers import now_utc
from formgen.certificates.seals import Sealer
from formgen.exceptions import RegisterError
from formgen.messages import Message, msg

DEFAULT_PATH = Path("build/register.sqlite")
"""Where the register lives unless the caller says otherwise."""

FORMAT = "formgen-register"
VERSION = 3
"""Version 1 kept its key inside the register, version 2 had no head kept beside the key
(see :mod:`formgen.certificates.migrate`)."""
_SQLITE_MAGIC = b"SQLite format 3\x00"

# SQLite primary result codes (sqlite3.Error.sqlite_errorcode & 0xFF).
_BUSY, _LOCKED, _CORRUPT, _NOTADB = 5, 6, 11, 26

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS certificates (
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
        status       TEXT NOT NULL DEFAULT 'valid'
                     CHECK (status IN ('pending', 'valid', 'void', 'revoked', 'superseded')),
        changed_on   TEXT NOT NULL DEFAULT '',
        reason       TEXT NOT NULL DEFAULT '',
        replaces     TEXT NOT NULL DEFAULT '',
        replaced_by  TEXT NOT NULL DEFAULT '',
        key_id       TEXT NOT NULL DEFAULT '',
        seal         TEXT NOT NULL,
        UNIQUE (prefix, year, seq)
    )""",
    "CREATE INDEX IF NOT EXISTS certificates_holder ON certificates (applicant_id, certificate)",
    """CREATE TABLE IF NOT EXISTS events (
        id     INTEGER PRIMARY KEY,
        at     TEXT NOT NULL,
        by     TEXT NOT NULL,
        action TEXT NOT NULL,
        number TEXT NOT NULL DEFAULT '',
        detail TEXT NOT NULL DEFAULT '',
        seal   TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS events_number ON events (number)",
    # Nothing is ever deleted, and an event never changes (a guard against mistakes; the
    # seals are what shows a deliberate change).
    """CREATE TRIGGER IF NOT EXISTS certificates_kept BEFORE DELETE ON certificates
       BEGIN SELECT RAISE(ABORT, 'certificates are never deleted from the register'); END""",
    """CREATE TRIGGER IF NOT EXISTS events_kept BEFORE DELETE ON events
       BEGIN SELECT RAISE(ABORT, 'events are never deleted from the register'); END""",
    """CREATE TRIGGER IF NOT EXISTS events_fixed BEFORE UPDATE ON events
       BEGIN SELECT RAISE(ABORT, 'events are never changed'); END""",
]


class RegisterFile(Sealer):
    """An open certificate register file; use as a context manager.

    Opens an existing register made by :meth:`create`, with its key (``key``, else
    :func:`formgen.certificates.keys.load_key` with ``key_file``). ``read_only`` opens it
    for look-ups only. Raises :class:`RegisterError` when the file is missing, empty, not
    a register, keeps its key inside (an old register), the key is not its own, or it is
    locked longer than ``timeout`` seconds.
    """

    def __init__(self, path: Path = DEFAULT_PATH, timeout: float = 10.0, *,
                 key: RegisterKey | None = None, key_file: Path | None = None,
                 read_only: bool = False, upgrading: bool = False):
        self.path = Path(path)
        self.timeout = timeout
        self._db: sqlite3.Connection | None = None
        self.meta: dict[str, str] = {}
        try:
            self.check_file(self.path)
            self._db = self._connect(read_only)
            self.meta = self._read_meta()
            self._check_meta(upgrading)
            super().__init__(key if key is not None else load_key(self.path, key_file))
            if self.meta.get("key_id") != self.key.key_id:
                raise RegisterError(msg(
                    "register.wrong-key", key=self.key.source, path=str(self.path), variable=KEY_ENV,
                ))
            self.head_place: HeadPlace = head_place(self.path, self.key)
        except sqlite3.Error as e:
            self.close()
            raise self._wrap(e) from e
        except BaseException:
            self.close()
            raise

    # -- making one ------------------------------------------------------------------

    @classmethod
    def create(cls, path: Path = DEFAULT_PATH, *, key_file: Path | None = None,
               by: str = "", timeout: float = 10.0) -> Self:
        """Make a new, empty register and its key; refuse when ``path`` or the key file exists."""
        path = Path(path)
        if path.exists() or path.is_symlink():
            raise RegisterError(msg("register.exists", path=str(path)))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise RegisterError(msg(
                "register.no-folder", path=str(path), folder=str(path.parent), reason=str(e.strerror or e),
            )) from e
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        except FileExistsError:
            raise RegisterError(msg("register.exists", path=str(path))) from None
        except OSError as e:
            raise RegisterError(msg("register.cannot-write", path=str(path), detail=str(e.strerror))) from e
        key: RegisterKey | None = None
        try:
            key = create_key(path, key_file)
            db = sqlite3.connect(path, timeout=timeout, isolation_level=None)
            try:
                db.execute("BEGIN IMMEDIATE")
                for statement in SCHEMA:
                    db.execute(statement)
                db.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", [
                    ("format", FORMAT), ("version", str(VERSION)), ("created", now_utc()),
                    ("key_id", key.key_id),
                ])
                Sealer(key).add_event(db, by, "created", detail=str(path.name))
                db.execute("COMMIT")
                last = db.execute("SELECT id, seal FROM events ORDER BY id DESC LIMIT 1").fetchone()
            finally:
                db.close()
            head_place(path, key).write(Head(int(last[0]), str(last[1])))
        except BaseException:
            path.unlink(missing_ok=True)
            if key is not None and key.source != KEY_ENV:
                Path(key.source).unlink(missing_ok=True)
            raise
        return cls(path, timeout, key=key)

    # -- opening ---------------------------------------------------------------------

    @staticmethod
    def check_file(path: Path) -> None:
        """Refuse, saying how to make a register, a path that is not a register's file."""
        if path.is_dir():
            raise RegisterError(msg("register.is-a-folder", path=str(path)))
        try:
            with path.open("rb") as fh:
                head = fh.read(len(_SQLITE_MAGIC))
        except FileNotFoundError:
            raise RegisterError(msg("register.not-found", path=str(path))) from None
        except OSError as e:
            raise RegisterError(msg("register.unreadable", path=str(path), reason=str(e.strerror))) from e
        if not head:
            raise RegisterError(msg("register.empty", path=str(path)))
        if head != _SQLITE_MAGIC:
            raise RegisterError(msg("register.corrupt", path=str(path)))

    def _connect(self, read_only: bool) -> sqlite3.Connection:
        if read_only:
            uri = "file:" + pathname2url(str(self.path.resolve())) + "?mode=ro"
            return sqlite3.connect(uri, uri=True, timeout=self.timeout, isolation_level=None,
                                   check_same_thread=False)
        return sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)

    def _read_meta(self) -> dict[str, str]:
        db = self._conn
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "meta" not in tables or "certificates" not in tables:
            raise RegisterError(msg("register.other-database", path=str(self.path)))
        return {str(k): str(v) for k, v in db.execute("SELECT key, value FROM meta")}

    def _check_meta(self, upgrading: bool = False) -> None:
        meta = self.meta
        if meta.get("format") != FORMAT:
            raise RegisterError(msg("register.other-database", path=str(self.path)))
        if int(meta.get("version", "0")) > VERSION:
            raise RegisterError(msg("register.newer", path=str(self.path)))
        if "secret" in meta or int(meta.get("version", "0")) < 2:
            raise RegisterError(msg("register.key-inside", path=str(self.path)))
        if int(meta.get("version", "0")) < VERSION and not upgrading:
            raise RegisterError(msg("register.no-head", path=str(self.path)))

    # -- errors ----------------------------------------------------------------------

    def _wrap(self, e: sqlite3.Error) -> RegisterError:
        """Turn an sqlite3 error into a message for the user."""
        primary = (getattr(e, "sqlite_errorcode", 0) or 0) & 0xFF
        text = str(e).lower()
        if primary in (_BUSY, _LOCKED) or "locked" in text or "busy" in text:
            return RegisterError(msg("register.locked", path=str(self.path)))
        if primary in (_CORRUPT, _NOTADB) or "not a database" in text or "malformed" in text:
            return RegisterError(msg("register.corrupt", path=str(self.path)))
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

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``): committed when the block ends, rolled
        back when it raises; then the head is written when events were added.

        Refused (RegisterError) when the register no longer holds its head's event: a
        register rolled back is not written to, so the head keeps showing it.
        """
        db = self._conn
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                before = self.last_head()
                behind = self.head_problem(before)
                if behind is not None:
                    raise RegisterError(msg("register.audit-failed", path=str(self.path),
                                            problems=behind))
                yield db
                after = self.last_head()
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        except sqlite3.Error as e:
            raise self._wrap(e) from e
        if after is not None and after != before:
            kept = self.head_place.read()
            if kept is None or kept.event < after.event:  # another writer may be ahead
                self.head_place.write(after)

    # -- the head ----------------------------------------------------------------------

    def last_head(self) -> Head | None:
        """The id and seal of the register's last event (None when it has none)."""
        found = self.query("SELECT id, seal FROM events ORDER BY id DESC LIMIT 1")
        return Head(int(found[0][0]), str(found[0][1])) if found else None

    def head_problem(self, last: Head | None) -> Message | None:
        """Why the register (whose last event is ``last``) is behind its head: the head's
        event is missing or not the one the head recorded; None when it holds it, or is
        ahead of it. No head kept at all is a problem too."""
        kept = self.head_place.read()
        if kept is None:
            return msg("audit.head-missing", head=self.head_place.source)
        if last is None or last.event < kept.event:
            return msg("audit.head-ahead", event=str(kept.event),
                       last=str(last.event if last else 0))
        found = self.query("SELECT seal FROM events WHERE id = ?", (kept.event,))
        if not found or str(found[0][0]) != kept.seal:
            return msg("audit.head-other", event=str(kept.event))
        return None

    def query(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[str, ...]]:
        """Rows of a read-only statement."""
        try:
            return [tuple(r) for r in self._conn.execute(sql, params).fetchall()]
        except sqlite3.Error as e:
            raise self._wrap(e) from e
