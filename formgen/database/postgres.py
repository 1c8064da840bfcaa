"""PostgreSQL: one database several formgen processes on several hosts share.

Connections come from one :class:`psycopg_pool.ConnectionPool` per URL and process,
checked before each use, so a server restarted between two uses costs a reconnection,
not an error. They run in autocommit; a write transaction is ``BEGIN`` … ``COMMIT``
with ``LOCK TABLE … IN EXCLUSIVE MODE``, which excludes writers on every host while
readers go on.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Iterable, Sequence
from typing import Any

from formgen.database.connection import Database, DriverError
from formgen.database.location import Location

logging.getLogger("psycopg").addHandler(logging.NullHandler())
"""The pool's own warnings (a connection discarded, a reconnection failed) go to the
application's log when it keeps one, never to the terminal of a command that says the
error itself."""

_POOLS: dict[str, Any] = {}
_POOLS_LOCK = threading.Lock()
POOL_SIZE = 8
"""Connections one process keeps to one PostgreSQL database at most."""


def _pool(url: str, timeout: float) -> Any:
    from psycopg_pool import ConnectionPool

    with _POOLS_LOCK:
        pool = _POOLS.get(url)
        if pool is None:
            _probe(url, timeout)
            pool = ConnectionPool(
                url, min_size=1, max_size=POOL_SIZE, open=False, timeout=timeout,
                check=ConnectionPool.check_connection, name="formgen",
                kwargs={"autocommit": True, "connect_timeout": max(1, int(timeout)),
                        "application_name": "formgen"},
            )
            try:
                pool.open(wait=False)
            except Exception:
                pool.close()
                raise
            _POOLS[url] = pool
        return pool


def _probe(url: str, timeout: float) -> None:
    """Connect once before a pool is made, so that a server that cannot be reached is
    said at once, in the server's (or the network's) words, rather than after the pool
    has waited ``timeout`` seconds for a connection it cannot make."""
    import psycopg

    with psycopg.connect(url, connect_timeout=max(1, int(timeout)), autocommit=True,
                         application_name="formgen"):
        pass


@atexit.register
def close_pools() -> None:
    """Close every pool this process opened (at exit, and in tests)."""
    with _POOLS_LOCK:
        pools = list(_POOLS.values())
        _POOLS.clear()
    for pool in pools:
        pool.close(timeout=1.0)


class PostgresDatabase(Database):
    dialect = "postgresql"

    def __init__(self, location: Location, timeout: float = 10.0, read_only: bool = False):
        super().__init__(location, timeout, read_only)
        import psycopg

        assert location.url is not None
        self._psycopg = psycopg
        self._pool: Any = None
        self._conn: Any = None
        try:
            self._pool = _pool(location.url, timeout)
            self._conn = self._pool.getconn(timeout=timeout)
        except psycopg.Error as e:
            raise postgres_error(e) from e
        except Exception as e:  # psycopg_pool.PoolTimeout: no connection within the timeout
            if type(e).__module__.startswith("psycopg_pool"):
                raise DriverError("unreachable", str(e)) from e
            raise

    @property
    def raw(self) -> Any:
        if self._conn is None:
            raise DriverError("other", "the connection is closed")
        return self._conn

    @staticmethod
    def _adapt(sql: str, params: Sequence[object]) -> str:
        return sql.replace("%", "%%").replace("?", "%s") if params else sql

    def execute(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        try:
            with self.raw.cursor() as cur:
                cur.execute(self._adapt(sql, params), tuple(params) if params else None)
                return [tuple(r) for r in cur.fetchall()] if cur.description else []
        except self._psycopg.Error as e:
            raise postgres_error(e) from e

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        rows = [tuple(r) for r in rows]
        if not rows:
            return
        try:
            with self.raw.cursor() as cur:
                cur.executemany(self._adapt(sql, rows[0]), rows)
        except self._psycopg.Error as e:
            raise postgres_error(e) from e

    def _changed(self, sql: str, params: Sequence[object]) -> int:
        try:
            with self.raw.cursor() as cur:
                cur.execute(self._adapt(sql, params), tuple(params) if params else None)
                return int(cur.rowcount)
        except self._psycopg.Error as e:
            raise postgres_error(e) from e

    def tables(self) -> set[str]:
        return {str(r[0]) for r in self.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")}

    def columns(self, table: str) -> set[str]:
        return {str(r[0]) for r in self.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ?", (table,))}

    @property
    def in_transaction(self) -> bool:
        if self._conn is None:
            return False
        from psycopg.pq import TransactionStatus

        return bool(self._conn.info.transaction_status in (TransactionStatus.INTRANS,
                                                           TransactionStatus.INERROR))

    def begin(self, lock: str) -> None:
        self.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
        try:
            self.execute(f"SET LOCAL lock_timeout = '{int(self.timeout * 1000)}ms'")
            self.execute(f"LOCK TABLE {lock} IN EXCLUSIVE MODE")
        except BaseException:
            self.rollback()
            raise

    def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                if not conn.closed and self.in_transaction_of(conn):
                    conn.execute("ROLLBACK")
            except self._psycopg.Error:
                pass  # the pool discards a broken connection
            self._pool.putconn(conn)

    @staticmethod
    def in_transaction_of(conn: Any) -> bool:
        from psycopg.pq import TransactionStatus

        return bool(conn.info.transaction_status != TransactionStatus.IDLE)


def postgres_error(e: Exception) -> DriverError:
    from psycopg import errors

    text = str(e).strip() or type(e).__name__
    if isinstance(e, errors.LockNotAvailable | errors.SerializationFailure
                  | errors.DeadlockDetected):
        return DriverError("locked", text)
    if isinstance(e, errors.IntegrityError | errors.RaiseException):
        return DriverError("refused", text)
    if isinstance(e, errors.UndefinedTable | errors.UndefinedColumn):
        return DriverError("missing", text)
    if isinstance(e, errors.OperationalError | errors.InterfaceError):
        return DriverError("unreachable", text)
    if isinstance(e, errors.DataCorrupted | errors.IndexCorrupted):
        return DriverError("corrupt", text)
    return DriverError("other", text)


