"""Which certificate register the site serves, and opening it to read.

The register is a SQLite file (``--register PATH``) or, on a site whose hosts share a
PostgreSQL database (``--database postgresql://…``), that database when it holds one.
:class:`formgen.certificates.register.Register` takes either as where it is: a
:class:`~pathlib.Path`, or a :class:`~formgen.database.Location`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from formgen.certificates.register import Register
from formgen.database import DriverError, Location, connect
from formgen.exceptions import FormgenError
from formgen.messages import msg
from formgen.settings import Paths

Place = Path | Location
"""Where a register is: its file, or the PostgreSQL database holding it."""


def served_register(paths: Paths) -> Place | None:
    """The register to serve: ``paths.register`` when one is named, else the PostgreSQL
    database of ``paths.database`` when it holds a register (its ``certificates`` table),
    else None (no verification page). FormgenError when that database cannot be reached."""
    if paths.register is not None:
        return paths.register
    database = paths.database
    if database is None or not database.is_postgres:
        return None
    try:
        with connect(database, timeout=10.0, read_only=True) as db:
            held = "certificates" in db.tables()
    except DriverError as e:
        raise FormgenError(msg("web.database-unavailable", database=database.shown,
                               reason=e.detail)) from e
    return database if held else None


def open_register(place: Place, **options: Any) -> Register:
    """The register at ``place``, opened read-only (``options``: Register's ``timeout``,
    ``key``, ``key_file``)."""
    return Register(place, read_only=True, **options)
