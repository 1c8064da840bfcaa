"""A database's place: a SQLite file's path or a PostgreSQL URL, told apart by the URL's
scheme, and shown to people without its password."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DATABASE_ENV = "FORMGEN_DATABASE"
"""The database of the register and the link store when no option names one."""

POSTGRES_SCHEMES = ("postgresql", "postgres")
MAX_URL = 4096
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


@dataclass(frozen=True)
class Location:
    """Where a database is: ``path`` for a SQLite file, else ``url`` for PostgreSQL."""

    path: Path | None = None
    """The SQLite file."""
    url: str | None = None
    """The PostgreSQL connection URL (with its password, if it has one)."""

    @property
    def is_postgres(self) -> bool:
        return self.url is not None

    @property
    def shown(self) -> str:
        """How to name it in messages and logs: the path, or the URL without its password."""
        if self.path is not None:
            return str(self.path)
        return hide_password(self.url or "")

    def __str__(self) -> str:
        return self.shown


def locate(value: str | Path) -> Location:
    """A path means a SQLite file; ``postgresql://…`` (or ``postgres://``) a PostgreSQL
    database. Raises ValueError for another scheme (``mysql://``) or an overlong URL."""
    if isinstance(value, Path):
        return Location(path=value)
    text = value.strip()
    found = _SCHEME.match(text)
    if found is None:
        return Location(path=Path(value))
    if found.group(1).lower() not in POSTGRES_SCHEMES:
        raise ValueError(found.group(1))
    if len(text) > MAX_URL:
        raise ValueError("length")
    return Location(url=text)


def from_environment() -> Location | None:
    """The database named by ``$FORMGEN_DATABASE``, or None when it is not set."""
    value = os.environ.get(DATABASE_ENV, "").strip()
    return locate(value) if value else None


def hide_password(url: str) -> str:
    """``url`` with its password (in the netloc or as ``password=``) replaced by ``***``."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        credentials, host = netloc.rsplit("@", 1)
        if ":" in credentials:
            credentials = credentials.split(":", 1)[0] + ":***"
        netloc = f"{credentials}@{host}"
    query = re.sub(r"(?i)(^|&)(password)=[^&]*", r"\1\2=***", parts.query)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
