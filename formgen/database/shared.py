"""Tables made by whichever process comes first, on a database several hosts share."""

from __future__ import annotations

from collections.abc import Iterable

from formgen.database.connection import Database

SCHEMA_LOCK = 0x666F726D67656E
"""The advisory lock ("formgen") held while tables are made in a PostgreSQL database."""


def create_tables(db: Database, statements: Iterable[str]) -> None:
    """Run ``statements`` (``CREATE … IF NOT EXISTS``, written for SQLite, see
    :meth:`Database.create`). In PostgreSQL one process at a time makes them, under an
    advisory lock: its ``IF NOT EXISTS`` does not hold when two hosts start at once."""
    if db.dialect != "postgresql":
        db.create(statements)
        return
    db.execute("BEGIN")
    try:
        db.execute("SELECT pg_advisory_xact_lock(?)", (SCHEMA_LOCK,))
        db.create(statements)
        db.commit()
    except BaseException:
        db.rollback()
        raise
