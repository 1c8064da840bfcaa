"""One open database, SQLite or PostgreSQL, behind one small interface.

Statements are written once, with ``?`` placeholders and SQL both engines take
(``INSERT … ON CONFLICT … DO UPDATE``, no ``rowid``); :func:`ddl` adapts table
definitions (``BLOB`` → ``BYTEA``). Statements outside a transaction commit at once;
:meth:`Database.transaction` is a write transaction that excludes every other writer of
the same tables: ``BEGIN IMMEDIATE`` in SQLite, a ``LOCK TABLE … IN EXCLUSIVE MODE`` in
PostgreSQL, which holds across processes and hosts while readers go on. Both wait at
most ``timeout`` seconds for the lock.

Driver errors become :class:`DriverError` with a kind (locked, unreachable, corrupt,
refused, other), so that callers say what happened in their own words.

PostgreSQL connections come from a pool per URL and process (:mod:`formgen.database.postgres`).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from types import TracebackType
from typing import Any, Literal, Self

from formgen.database.location import Location

Kind = Literal["locked", "unreachable", "corrupt", "refused", "missing", "other"]



class DriverError(Exception):
    """A statement or a connection failed; ``kind`` says how, ``detail`` the driver's words."""

    def __init__(self, kind: Kind, detail: str):
        super().__init__(detail)
        self.kind: Kind = kind
        self.detail = detail


class Database(ABC):
    """An open connection; use as a context manager."""

    dialect: Literal["sqlite", "postgresql"]

    def __init__(self, location: Location, timeout: float, read_only: bool):
        self.location = location
        self.timeout = timeout
        self.read_only = read_only

    # -- statements ----------------------------------------------------------------

    @abstractmethod
    def execute(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """Run one statement; its rows (empty for a statement that returns none)."""

    @abstractmethod
    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        """Run one statement for each of ``rows``."""

    def one(self, sql: str, params: Sequence[object] = ()) -> tuple[Any, ...] | None:
        """The first row of a statement, or None."""
        rows = self.execute(sql, params)
        return rows[0] if rows else None

    def changed(self, sql: str, params: Sequence[object] = ()) -> int:
        """Run a statement; how many rows it changed."""
        return self._changed(sql, params)

    @abstractmethod
    def _changed(self, sql: str, params: Sequence[object]) -> int: ...

    # -- schema --------------------------------------------------------------------

    @abstractmethod
    def tables(self) -> set[str]:
        """The names of the tables in the database (its own schema only)."""

    @abstractmethod
    def columns(self, table: str) -> set[str]:
        """The column names of ``table`` (empty when there is no such table)."""

    def create(self, statements: Iterable[str]) -> None:
        """Run schema statements written for SQLite, adapted to this engine (:func:`ddl`)."""
        for statement in statements:
            for adapted in ddl(statement, self.dialect):
                self.execute(adapted)

    # -- transactions --------------------------------------------------------------

    @property
    @abstractmethod
    def in_transaction(self) -> bool: ...

    @abstractmethod
    def begin(self, lock: str) -> None:
        """Begin a write transaction that excludes other writers of table ``lock``."""

    def commit(self) -> None:
        self.execute("COMMIT")

    def rollback(self) -> None:
        if self.in_transaction:
            self.execute("ROLLBACK")

    @contextmanager
    def transaction(self, lock: str) -> Iterator[Self]:
        """A write transaction: committed when the block ends, rolled back when it raises."""
        self.begin(lock)
        try:
            yield self
            self.commit()
        except BaseException:
            with suppress(DriverError):  # a connection that is gone was rolled back by its server
                self.rollback()
            raise

    # -- closing -------------------------------------------------------------------

    @abstractmethod
    def close(self) -> None:
        """Give the connection back; safe to call twice."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


# -- schema ----------------------------------------------------------------------------


_REFUSE_FUNCTION = """CREATE OR REPLACE FUNCTION formgen_refuse() RETURNS trigger
LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '%', TG_ARGV[0]; END $$"""


def ddl(statement: str, dialect: str) -> list[str]:
    """A schema statement written for SQLite, as ``dialect`` takes it.

    For PostgreSQL: ``BLOB`` becomes ``BYTEA``, ``INTEGER`` ``BIGINT``, and a trigger
    ``CREATE TRIGGER [IF NOT EXISTS] name BEFORE DELETE|UPDATE ON table BEGIN SELECT
    RAISE(ABORT, 'why'); END`` a trigger that raises the same words (a delete guard also
    guards against ``TRUNCATE``, which skips row triggers).
    """
    if dialect == "sqlite":
        return [statement]

    trigger = re.match(
        r"\s*CREATE TRIGGER (?:IF NOT EXISTS )?(\w+) BEFORE (DELETE|UPDATE) ON (\w+)\s+"
        r"BEGIN SELECT RAISE\(ABORT, '([^']*)'\); END\s*$", statement, re.S)
    if trigger:
        name, event, table, why = trigger.groups()
        quoted = why.replace("'", "''")
        made = [
            _REFUSE_FUNCTION,
            f"DROP TRIGGER IF EXISTS {name} ON {table}",
            f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW "
            f"EXECUTE FUNCTION formgen_refuse('{quoted}')",
        ]
        if event == "DELETE":
            made += [f"DROP TRIGGER IF EXISTS {name}_truncate ON {table}",
                     f"CREATE TRIGGER {name}_truncate BEFORE TRUNCATE ON {table} "
                     f"FOR EACH STATEMENT EXECUTE FUNCTION formgen_refuse('{quoted}')"]
        return made
    adapted = re.sub(r"\bBLOB\b", "BYTEA", statement)
    adapted = re.sub(r"\bINTEGER\b", "BIGINT", adapted)
    return [adapted]
