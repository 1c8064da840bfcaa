"""A SQLite link store copied into a PostgreSQL database (``formgen register migrate
--to``), with the register: every row of its links, pages and files as it is (the rows are
ciphertext; no key is needed or seen), the copy compared row for row before it is
committed. The file is only read."""

from __future__ import annotations

from pathlib import Path

from formgen.database import DriverError, Location, connect
from formgen.database.copy import read_tables, write_tables
from formgen.database.shared import create_tables
from formgen.exceptions import OutputError
from formgen.links.store import SCHEMA, check_store
from formgen.messages import msg

TABLES = ("links", "pages", "files")
ORDER = dict.fromkeys(TABLES, "lookup")
"""Each table's key: the order rows are read and compared in."""


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
            tables = read_tables(src, ORDER)
        with connect(target, timeout=10.0) as db:
            create_tables(db, SCHEMA)
            with db.transaction("links"):
                differs = write_tables(db, tables, ORDER)
                if differs is not None:
                    raise OutputError(msg("links.copy-differs", database=target.shown,
                                          table=differs))
    except DriverError as e:
        raise OutputError(msg("links.store-unavailable", store=target.shown, reason=e.detail)) from e
    return {t: len(rows) for t, (_, rows) in tables.items()}
