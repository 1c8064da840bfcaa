"""SQLite files: the default database, one office on one machine."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.request import pathname2url

from formgen.database.connection import Database, DriverError
from formgen.database.location import Location

_BUSY, _LOCKED, _CORRUPT, _NOTADB, _CANTOPEN = 5, 6, 11, 26, 14
SQLITE_MAGIC = b"SQLite format 3\x00"
"""The first bytes of every SQLite database file."""


def file_header(path: Path) -> bytes:
    """The first bytes of the file at ``path``, as many as :data:`SQLITE_MAGIC` has (fewer
    for a shorter file, none for an empty one); OSError when it cannot be read."""
    with path.open("rb") as fh:
        return fh.read(len(SQLITE_MAGIC))


class SqliteDatabase(Database):
    dialect = "sqlite"

    def __init__(self, location: Location, timeout: float = 10.0, read_only: bool = False):
        super().__init__(location, timeout, read_only)
        assert location.path is not None
        path: Path = location.path
        try:
            if read_only:
                uri = "file:" + pathname2url(str(path.resolve())) + "?mode=ro"
                self._db: sqlite3.Connection | None = sqlite3.connect(
                    uri, uri=True, timeout=timeout, isolation_level=None, check_same_thread=False)
            else:
                self._db = sqlite3.connect(path, timeout=timeout, isolation_level=None)
        except sqlite3.Error as e:
            raise sqlite_error(e) from e

    @property
    def raw(self) -> sqlite3.Connection:
        if self._db is None:
            raise DriverError("other", "the connection is closed")
        return self._db

    def execute(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        try:
            return [tuple(r) for r in self.raw.execute(sql, tuple(params)).fetchall()]
        except sqlite3.Error as e:
            raise sqlite_error(e) from e

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        try:
            self.raw.executemany(sql, (tuple(r) for r in rows))
        except sqlite3.Error as e:
            raise sqlite_error(e) from e

    def _changed(self, sql: str, params: Sequence[object]) -> int:
        try:
            return int(self.raw.execute(sql, tuple(params)).rowcount)
        except sqlite3.Error as e:
            raise sqlite_error(e) from e

    def tables(self) -> set[str]:
        return {str(r[0]) for r in self.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def columns(self, table: str) -> set[str]:
        return {str(r[1]) for r in self.execute(f"PRAGMA table_info({table})")}

    @property
    def in_transaction(self) -> bool:
        return self._db is not None and self._db.in_transaction

    def begin(self, lock: str) -> None:
        self.execute("BEGIN IMMEDIATE")

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def sqlite_error(e: sqlite3.Error) -> DriverError:
    primary = (getattr(e, "sqlite_errorcode", 0) or 0) & 0xFF
    text = str(e)
    lowered = text.lower()
    if primary in (_BUSY, _LOCKED) or "locked" in lowered or "busy" in lowered:
        return DriverError("locked", text)
    if primary in (_CORRUPT, _NOTADB) or "not a database" in lowered or "malformed" in lowered:
        return DriverError("corrupt", text)
    if primary == _CANTOPEN or "unable to open" in lowered:
        return DriverError("unreachable", text)
    if isinstance(e, sqlite3.IntegrityError):
        return DriverError("refused", text)
    if "no such table" in lowered:
        return DriverError("missing", text)
    return DriverError("other", text)


