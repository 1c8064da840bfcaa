"""Where the register and the link store live: a SQLite file (the default, one office on
one machine) or a PostgreSQL database that several formgen processes on several hosts
share (``--database postgresql://…``).

:func:`locate` tells the two apart, :func:`connect` opens either as a
:class:`~formgen.database.connection.Database` with one way of running statements
(``?`` placeholders), one set of errors (:class:`DriverError` with a kind) and write
transactions that exclude other writers on every host.
"""

from formgen.database.connection import Database, DriverError
from formgen.database.location import DATABASE_ENV, Location, from_environment, locate
from formgen.database.postgres import PostgresDatabase
from formgen.database.sqlite import SqliteDatabase


def connect(location: Location, *, timeout: float = 10.0, read_only: bool = False) -> Database:
    """Open the database at ``location``; DriverError when it cannot be reached."""
    if location.is_postgres:
        return PostgresDatabase(location, timeout, read_only)
    return SqliteDatabase(location, timeout, read_only)


__all__ = ["DATABASE_ENV", "Database", "DriverError", "Location", "connect", "from_environment",
           "locate"]
