"""A SQLite link store copied into a PostgreSQL database (``formgen register migrate
--to``), with the register: every row of its links, pages and files as it is (the rows are
ciphertext; no key is needed or seen), the copy compared row for row before it is
committed. The file is only read."""

from __future__ import annotations

import hashlib
from pathlib import Path

from formgen.database import Database, DriverError, Location, connect
from formgen.database.shared import create_tables
from formgen.exceptions import OutputError
from formgen.links.store import SCHEMA, check_store
from formgen.messages import msg

TABLES = ("links", "pages", "files")
_CHUNK = 500


def check_copy(source: Path, target: Location) -> None:
    """OutputError unless ``source`` is a link store and ``target`` holds no links yet
    (checked before anything is copied)."""
    check_store(source)
    try:
        with connect(target, timeout=10.0, read_only=True) as db:
            held = [t for t in TABLES if t in db.tables() and db.one(f"SELECT 1 FROM {t} LIMIT 1")]
    except DriverError as e:
        raise OutputError(msg("links.store-unavailable", store=target.shown, reason=e.detail)) from e
    if held:
        raise OutputError(msg("links.copy-target-holds", database=target.shown))


def copy_store(source: Path, target: Location) -> dict[str, int]:
    """Copy the link store file ``source`` into ``target`` (see :func:`check_copy`); the
    rows copied per table. OutputError when it cannot be done or the copy differs."""
    check_copy(source, target)
    try:
        with connect(Location(path=source), timeout=30.0, read_only=True) as src:
            tables = [t for t in TABLES if t in src.tables()]
            rows = {t: _rows(src, t) for t in tables}
        with connect(target, timeout=10.0) as db:
            create_tables(db, SCHEMA)
            with db.transaction("links"):
                for table in tables:
                    columns, found = rows[table]
                    marks = ", ".join("?" * len(columns))
                    for start in range(0, len(found), _CHUNK):
                        db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                                       found[start:start + _CHUNK])
                for table in tables:
                    if _digest(_rows(db, table, rows[table][0])[1]) != _digest(rows[table][1]):
                        raise OutputError(msg("links.copy-differs", database=target.shown,
                                              table=table))
    except DriverError as e:
        raise OutputError(msg("links.store-unavailable", store=target.shown, reason=e.detail)) from e
    return {t: len(rows[t][1]) for t in tables}


def _rows(db: Database, table: str, columns: list[str] | None = None
          ) -> tuple[list[str], list[tuple[object, ...]]]:
    columns = columns or sorted(db.columns(table))
    found = db.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY lookup")
    return columns, [tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in found]


def _digest(rows: list[tuple[object, ...]]) -> str:
    h = hashlib.sha256()
    for row in rows:
        h.update(repr(row).encode())
    return h.hexdigest()
