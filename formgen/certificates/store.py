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
transactions that exclude every other writer (``BEGIN IMMEDIATE`` in SQLite, a lock on
the table of events in PostgreSQL, :mod:`formgen.database`), so two processes printing
at the same time, on one host or several, wait for each other and never hand out one
number twice.

The register is a SQLite file (a path) or a PostgreSQL database (``postgresql://…``)
that several hosts share, with the same tables, seals and events; in PostgreSQL its key
and head, having no file to be beside, are named with ``--register-key`` or the
environment (:mod:`formgen.certificates.keys`, :mod:`formgen.certificates.head`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import Self

from formgen.certificates.head import Head, HeadPlace, head_place
from formgen.certificates.keys import KEY_ENV, RegisterKey, create_key, load_key
from formgen.certificates.schema import (
    DEFAULT_PATH,
    FORMAT,
    SCHEMA,
    TABLES,
    VERSION,
    create_in_database,
    fill,
    located,
    register_location,
    wrap,
)
from formgen.certificates.seals import Sealer
from formgen.database import Database, DriverError, Location, connect
from formgen.database.sqlite import SQLITE_MAGIC, file_header
from formgen.exceptions import RegisterError
from formgen.messages import Message, msg

__all__ = ["DEFAULT_PATH", "FORMAT", "SCHEMA", "TABLES", "VERSION", "RegisterFile", "located",
           "register_location", "wrap"]

class RegisterFile(Sealer):
    """An open certificate register; use as a context manager.

    Opens an existing register made by :meth:`create`, at ``where`` (a SQLite file's
    path, or a :class:`~formgen.database.Location`), with its key (``key``, else
    :func:`formgen.certificates.keys.load_key` with ``key_file``). ``read_only`` opens it
    for look-ups only. Raises :class:`RegisterError` when the file is missing, empty, not
    a register, keeps its key inside (an old register), the key is not its own, it is
    locked longer than ``timeout`` seconds, or its database server cannot be reached.
    """

    def __init__(self, where: Path | Location = DEFAULT_PATH, timeout: float = 10.0, *,
                 key: RegisterKey | None = None, key_file: Path | None = None,
                 read_only: bool = False, upgrading: bool = False):
        self.location = located(where)
        self.path: Path | None = self.location.path
        """The register's file (None for a register in PostgreSQL)."""
        self.shown = self.location.shown
        """How messages name the register: its file, or its database's URL without password."""
        self.timeout = timeout
        self._db: Database | None = None
        self._carried: bool | None = None
        self.meta: dict[str, str] = {}
        try:
            if self.path is not None:
                self.check_file(self.path)
            self._db = connect(self.location, timeout=timeout, read_only=read_only)
            self.meta = self._read_meta()
            self._check_meta(upgrading)
            super().__init__(key if key is not None else load_key(self.location, key_file))
            if self.meta.get("key_id") != self.key.key_id:
                raise RegisterError(msg(
                    "register.wrong-key", key=self.key.source, path=self.shown, variable=KEY_ENV,
                ))
            self.head_place: HeadPlace = head_place(self.location, self.key)
        except DriverError as e:
            self.close()
            raise wrap(e, self.location, timeout) from e
        except BaseException:
            self.close()
            raise

    # -- making one ------------------------------------------------------------------

    @classmethod
    def create(cls, where: Path | Location = DEFAULT_PATH, *, key_file: Path | None = None,
               by: str = "", timeout: float = 10.0) -> Self:
        """Make a new, empty register and its key; refuse when the file or the key file
        exists, or the database already holds a register."""
        location = located(where)
        if location.path is None:
            return cls(location, timeout, key=create_in_database(location, key_file, by, timeout))
        path = location.path
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
            head_place(path, key).write(fill(location, key, by, timeout, str(path.name)))
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
            head = file_header(path)
        except FileNotFoundError:
            raise RegisterError(msg("register.not-found", path=str(path))) from None
        except OSError as e:
            raise RegisterError(msg("register.unreadable", path=str(path), reason=str(e.strerror))) from e
        if not head:
            raise RegisterError(msg("register.empty", path=str(path)))
        if head != SQLITE_MAGIC:
            raise RegisterError(msg("register.corrupt", path=str(path)))

    def _not_a_register(self) -> RegisterError:
        if self.location.is_postgres:
            return RegisterError(msg("register.database-none", database=self.shown))
        return RegisterError(msg("register.other-database", path=self.shown))

    def _read_meta(self) -> dict[str, str]:
        tables = self.database.tables()
        if "meta" not in tables or "certificates" not in tables:
            raise self._not_a_register()
        return {str(k): str(v) for k, v in self.database.execute("SELECT key, value FROM meta")}

    def _check_meta(self, upgrading: bool = False) -> None:
        meta = self.meta
        if meta.get("format") != FORMAT:
            raise self._not_a_register()
        if int(meta.get("version", "0")) > VERSION:
            raise RegisterError(msg("register.newer", path=self.shown))
        if "secret" in meta or int(meta.get("version", "0")) < 2:
            raise RegisterError(msg("register.key-inside", path=self.shown))
        if int(meta.get("version", "0")) < VERSION and not upgrading:
            raise RegisterError(msg("register.no-head", path=self.shown))

    # -- the database ----------------------------------------------------------------

    @property
    def database(self) -> Database:
        """The open database (RegisterError once closed)."""
        if self._db is None:
            raise RegisterError(msg("register.closed", path=self.shown))
        return self._db

    def close(self) -> None:
        """Close the register; safe to call twice."""
        if self._db is not None:
            db, self._db = self._db, None
            db.close()

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
    def transaction(self) -> Iterator[Database]:
        """A write transaction that excludes every other writer: committed when the block
        ends, rolled back when it raises; then the head is written when events were added.

        Refused (RegisterError) when the register no longer holds its head's event: a
        register rolled back is not written to, so the head keeps showing it.
        """
        before = after = None
        try:
            with self.database.transaction("events") as db:
                before = self.last_head()
                behind = self.head_problem(before)
                if behind is not None:
                    raise RegisterError(msg("register.audit-failed", path=self.shown,
                                            problems=behind))
                # no other writer can add an event until this one ends: the chain's end
                # is known here, not read back before each event
                self.chain_end = (before.event, before.seal) if before else (0, "")
                try:
                    yield db
                finally:
                    end, self.chain_end = self.chain_end, None
                after = Head(*end) if end[0] else None
        except DriverError as e:
            raise wrap(e, self.location, self.timeout) from e
        if after is not None and after != before:
            kept = self.head_place.read()
            if kept is None or kept.event < after.event:  # another writer may be ahead
                self.head_place.write(after)

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads that see the register as one moment left it (in PostgreSQL, where other
        hosts write meanwhile; a SQLite file is read as it is)."""
        db = self.database
        if db.dialect != "postgresql" or db.in_transaction:
            yield
            return
        try:
            db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        except DriverError as e:
            raise wrap(e, self.location, self.timeout) from e
        try:
            yield
        finally:
            with suppress(DriverError):
                db.rollback()

    # -- the head ----------------------------------------------------------------------

    def last_head(self) -> Head | None:
        """The id and seal of the register's last event (None when it has none)."""
        found = self.query("SELECT id, seal FROM events ORDER BY id DESC LIMIT 1")
        return Head(int(found[0][0]), str(found[0][1])) if found else None

    def head_problem(self, last: Head | None, kept: Head | None = None) -> Message | None:
        """Why the register (whose last event is ``last``) is behind its head (``kept``,
        else read now): the head's event is missing or not the one the head recorded; None
        when it holds it, or is ahead of it. No head kept at all is a problem too."""
        kept = kept if kept is not None else self.head_place.read()
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
            return self.database.execute(sql, params)
        except DriverError as e:
            raise wrap(e, self.location, self.timeout) from e

    def tables(self) -> set[str]:
        """The names of the database's tables."""
        try:
            return self.database.tables()
        except DriverError as e:
            raise wrap(e, self.location, self.timeout) from e

    def columns(self, table: str) -> set[str]:
        """The columns of ``table`` (empty when there is no such table)."""
        try:
            return self.database.columns(table)
        except DriverError as e:
            raise wrap(e, self.location, self.timeout) from e

    def upsert_meta(self, db: Database, key: str, value: str) -> None:
        """Set ``meta[key]`` (inside the caller's transaction ``db``)."""
        db.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                   "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))
