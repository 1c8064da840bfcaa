"""Rows copied from one database into another and compared, for moving a register or a
link store from its SQLite file into PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

from formgen.database.connection import Database

Rows = list[tuple[object, ...]]
Tables = dict[str, tuple[list[str], Rows]]
"""Each table's columns and rows, as :func:`read_tables` reads them."""
CHUNK = 2000


def read_rows(db: Database, table: str, columns: Sequence[str], order: str) -> Rows:
    """Every row of ``table`` (its ``columns``), in ``order``; blobs as bytes."""
    found = db.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}")
    return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in found]


def insert_rows(db: Database, table: str, columns: Sequence[str], rows: Rows) -> None:
    """Insert ``rows`` into ``table``, a chunk at a time."""
    marks = ", ".join("?" * len(columns))
    for start in range(0, len(rows), CHUNK):
        db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                       rows[start:start + CHUNK])


def same_rows(a: Rows, b: Rows) -> bool:
    """Whether two sets of rows hold the same values (compared as text, blobs as
    hexadecimal, in an order that does not depend on either database's collation)."""
    return _digest(a) == _digest(b)


def _digest(rows: Rows) -> str:
    h = hashlib.sha256()
    for row in sorted(tuple(v.hex() if isinstance(v, bytes) else str(v) for v in r) for r in rows):
        h.update("\x1f".join(row).encode("utf-8") + b"\x1e")
    return h.hexdigest()


def read_tables(db: Database, order: Mapping[str, str]) -> Tables:
    """The columns and rows of each table of ``order`` that ``db`` has (``order`` maps a
    table to the column its rows are read in order of)."""
    held = db.tables()
    found: Tables = {}
    for table, key in order.items():
        if table in held:
            columns = sorted(db.columns(table))
            found[table] = (columns, read_rows(db, table, columns, key))
    return found


def write_tables(db: Database, tables: Tables, order: Mapping[str, str]) -> str | None:
    """Insert the rows of ``tables`` (from :func:`read_tables`) into ``db``, then read them
    back: the first table whose rows there differ, None when every table's are the same."""
    for table, (columns, rows) in tables.items():
        insert_rows(db, table, columns, rows)
    for table, (columns, rows) in tables.items():
        if not same_rows(read_rows(db, table, columns, order[table]), rows):
            return table
    return None
