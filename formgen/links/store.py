"""The link store: applicant records kept encrypted under keys the server does not keep.

Three kinds of entry live in one SQLite file (``build/links.sqlite`` unless told otherwise),
or in the tables ``links``, ``pages`` and ``files`` of a PostgreSQL database that several
servers share (``--database postgresql://…``):

* **links** that ``formgen links`` makes for staff to send: the record is encrypted with
  AES-GCM (the ``cryptography`` package) under a random 128-bit key that exists only in
  the link itself (``/f/<22 characters>``). The file holds a lookup id derived from the
  key by a one-way hash, the ciphertext, the expiry, and a second ciphertext when the
  applicant saves their answers back to the link.
* **pages** between a submit and the page that follows it (Post/Redirect/Get): the form
  encrypted under a random key held in the visitor's browser session cookie, kept for
  :data:`PAGE_HOURS` hours.
* **files** that ``formgen send`` offers for download (``/d/<22 characters>``) instead of
  attaching them: certificates over the attachment limit. Each file's name and bytes are
  sealed like a link's record, under a key that exists only in its link; at most
  :data:`MAX_FILE` bytes.

Without the key a row is noise: a copy of the file reveals how many entries there are,
their sizes and their dates, nothing of what they hold. Expired entries are wiped
(ciphertext removed; a link's or file's row is kept :data:`TOMBSTONE_DAYS` days to say why
it fails) whenever the store is written. Writes run in a transaction that
excludes other writers (of every host, on PostgreSQL); reads go on meanwhile.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from formgen import clock
from formgen.database import Database, DriverError, Location, connect
from formgen.database.shared import create_tables
from formgen.database.sqlite import SQLITE_MAGIC, file_header
from formgen.exceptions import OutputError
from formgen.links.sealing import (
    KEY_BYTES,
    MAX_PLAIN,
    TOKEN_LENGTH,
    Undecryptable,
    key_of,
    lookup_of,
    new_key,
    seal,
    seal_bytes,
    token_of,
    unseal,
    unseal_bytes,
)
from formgen.messages import msg

__all__ = ["KEY_BYTES", "MAX_PLAIN", "TOKEN_LENGTH", "Undecryptable", "key_of", "lookup_of",
           "new_key", "seal", "seal_bytes", "token_of", "unseal", "unseal_bytes", "Vault",
           "LinkEntry", "FileEntry", "MAX_FILE", "check_store", "vault_path", "vault_location"]

PAGE_HOURS = 24
"""How long the server keeps a page's encrypted answers after the submit that made it."""
TOMBSTONE_DAYS = 90
"""How long an expired or revoked link is remembered (without its data) to say why it fails."""
DEFAULT_VAULT = Path("build") / "links.sqlite"
VAULT_ENV = "FORMGEN_LINK_STORE"
MAX_FILE = 5 * 1024 * 1024
"""The largest file a download link holds (a signed certificate is a few hundred KB)."""

SCHEMA = ["""
CREATE TABLE IF NOT EXISTS links (
  lookup TEXT PRIMARY KEY,
  created TEXT NOT NULL,
  expires TEXT NOT NULL,
  revoked TEXT,
  original BLOB,
  saved BLOB,
  saved_at TEXT
)""", """
CREATE TABLE IF NOT EXISTS pages (
  lookup TEXT PRIMARY KEY,
  expires TEXT NOT NULL,
  data BLOB NOT NULL
)""",
    "CREATE INDEX IF NOT EXISTS pages_expires ON pages (expires)",
    "CREATE INDEX IF NOT EXISTS links_expires ON links (expires)", """
CREATE TABLE IF NOT EXISTS files (
  lookup TEXT PRIMARY KEY,
  created TEXT NOT NULL,
  expires TEXT NOT NULL,
  revoked TEXT,
  name BLOB,
  data BLOB
)""",
    "CREATE INDEX IF NOT EXISTS files_expires ON files (expires)",
]


_TABLES = {"links", "pages", "files"}


def check_store(path: Path) -> None:
    """OutputError unless ``path`` is missing (a new store is made there) or a link store:
    an empty file, a folder, another kind of file or another SQLite database (the
    register) is refused and left as it is."""
    if not path.exists() and not path.is_symlink():
        return
    try:
        head = file_header(path)
    except IsADirectoryError:
        raise OutputError(msg("links.not-a-store", path=str(path))) from None
    except OSError as e:
        raise OutputError(msg("links.unreadable", path=str(path), reason=str(e.strerror))) from e
    if not head:
        raise OutputError(msg("links.empty", path=str(path)))
    tables: set[str] = set()
    if head == SQLITE_MAGIC:
        try:
            with connect(Location(path=path), timeout=30, read_only=True) as db:
                tables = db.tables()
        except DriverError:
            tables = set()
    if "links" not in tables or not tables <= _TABLES:
        raise OutputError(msg("links.not-a-store", path=str(path)))


def vault_path(path: str | Path | None = None) -> Path:
    """The link store: ``path`` when given, else ``$FORMGEN_LINK_STORE``, else build/links.sqlite."""
    if path is not None:
        return Path(path)
    return Path(os.environ.get(VAULT_ENV) or DEFAULT_VAULT)


def vault_location(link_store: str | Path | None = None, database: Location | None = None) -> Location:
    """Where the link store is: ``link_store`` when given (``--link-store``), else
    ``database`` (``--database``, ``$FORMGEN_DATABASE``: a PostgreSQL database, or a SQLite
    file), else as :func:`vault_path` finds it."""
    if link_store is not None:
        return Location(path=Path(link_store))
    if database is not None:
        return database
    return Location(path=vault_path())


def _when(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="seconds")


def _parse(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _now() -> dt.datetime:
    return clock.now()


def _bytes(value: bytes | memoryview | None) -> bytes | None:
    """A BLOB as bytes (PostgreSQL's driver gives a memoryview)."""
    return None if value is None else bytes(value)


@dataclass(frozen=True)
class LinkEntry:
    """One link as the file keeps it."""

    expires: dt.datetime
    revoked: dt.datetime | None
    original: bytes | None
    saved: bytes | None
    saved_at: dt.datetime | None


@dataclass(frozen=True)
class FileEntry:
    """One file as the store keeps it (``name`` and ``data`` sealed; None once wiped)."""

    expires: dt.datetime
    revoked: dt.datetime | None
    name: bytes | None
    data: bytes | None


class Vault:
    """The store of encrypted links and pages, in a SQLite file or a PostgreSQL database
    (``path``: a path, or a :class:`~formgen.database.Location`); safe to share between
    threads."""

    def __init__(self, path: str | Path | Location):
        self.location = path if isinstance(path, Location) else Location(path=Path(path))
        self.path: Path | None = self.location.path
        """The SQLite file (None on PostgreSQL)."""
        self._lock = threading.Lock()
        self._ready = False

    @property
    def shown(self) -> str:
        """How to name the store to people: the file, or the database without its password."""
        return self.location.shown

    @contextmanager
    def _db(self) -> Iterator[Database]:
        """A connection to the store, its tables made on first use; a driver's error
        becomes an OutputError naming the store."""
        try:
            if self.location.is_postgres:
                with self._postgres() as db:
                    yield db
            else:
                with self._sqlite() as db:
                    yield db
        except DriverError as e:
            raise OutputError(msg("links.store-unavailable", store=self.shown, reason=e.detail)) from e

    @contextmanager
    def _write(self) -> Iterator[Database]:
        """A write transaction that excludes the other writers (on every host)."""
        with self._db() as db, db.transaction("links"):
            yield db

    @contextmanager
    def _sqlite(self) -> Iterator[Database]:
        assert self.path is not None
        with self._lock:
            if not self._ready:
                check_store(self.path)
                self.path.parent.mkdir(parents=True, exist_ok=True)
            db = connect(self.location, timeout=30)
            try:
                if not self._ready:
                    try:
                        db.execute("PRAGMA journal_mode=WAL")
                        db.create(SCHEMA)
                    except DriverError as e:  # another file given as the store
                        if e.kind != "corrupt":
                            raise
                        raise OutputError(msg("links.not-a-store", path=str(self.path))) from e
                    self.path.chmod(0o600)
                    self._ready = True
                yield db
            finally:
                db.close()

    @contextmanager
    def _postgres(self) -> Iterator[Database]:
        with connect(self.location, timeout=10) as db:
            if not self._ready:
                with self._lock:
                    if not self._ready:
                        create_tables(db, SCHEMA)
                        self._ready = True
            yield db

    def _purge(self, db: Database, now: dt.datetime) -> None:
        stamp = _when(now)
        db.execute("DELETE FROM pages WHERE expires < ?", (stamp,))
        db.execute("UPDATE links SET original = NULL, saved = NULL WHERE expires < ? AND original IS NOT NULL", (stamp,))
        db.execute("DELETE FROM links WHERE expires < ?", (_when(now - dt.timedelta(days=TOMBSTONE_DAYS)),))
        db.execute("UPDATE files SET name = NULL, data = NULL WHERE expires < ? AND data IS NOT NULL", (stamp,))
        db.execute("DELETE FROM files WHERE expires < ?", (_when(now - dt.timedelta(days=TOMBSTONE_DAYS)),))

    def reachable(self) -> bool:
        """Whether the store can be read now."""
        try:
            with self._db() as db:
                db.one("SELECT 1 FROM links WHERE lookup = ''")
        except OutputError:
            return False
        return True

    # ---- links ----

    def add_link(self, record: dict[str, Any], expires: dt.datetime, now: dt.datetime | None = None) -> str:
        """File ``record`` under a new key; the key's token (for the link) is returned."""
        return self.add_links([record], expires, now)[0]

    def add_links(self, records: list[dict[str, Any]], expires: dt.datetime,
                  now: dt.datetime | None = None) -> list[str]:
        """:meth:`add_link` for many records in one transaction (``formgen send``'s batches);
        their tokens, in order."""
        now = now or _now()
        keys = [new_key() for _ in records]
        with self._write() as db:
            self._purge(db, now)
            db.executemany(
                "INSERT INTO links (lookup, created, expires, original) VALUES (?, ?, ?, ?)",
                [(lookup_of(key, "link"), _when(now), _when(expires), seal(key, record, "link.original"))
                 for key, record in zip(keys, records, strict=True)])
        return [token_of(key) for key in keys]

    def link(self, key: bytes) -> LinkEntry | None:
        with self._db() as db:
            row = db.one(
                "SELECT expires, revoked, original, saved, saved_at FROM links WHERE lookup = ?",
                (lookup_of(key, "link"),),
            )
        if row is None:
            return None
        expires = _parse(row[0])
        assert expires is not None
        return LinkEntry(expires, _parse(row[1]), _bytes(row[2]), _bytes(row[3]), _parse(row[4]))

    def save_to_link(self, key: bytes, record: dict[str, Any], now: dt.datetime | None = None) -> bool:
        """Keep ``record`` as the link's saved version; False when the link cannot take it."""
        now = now or _now()
        with self._write() as db:
            return db.changed(
                "UPDATE links SET saved = ?, saved_at = ? WHERE lookup = ? AND revoked IS NULL "
                "AND expires > ? AND original IS NOT NULL",
                (seal(key, record, "link.saved"), _when(now), lookup_of(key, "link"), _when(now)),
            ) == 1

    def revoke(self, key: bytes, now: dt.datetime | None = None) -> bool:
        """Withdraw a link: its data is wiped at once; False when there is no such link."""
        now = now or _now()
        with self._write() as db:
            return db.changed(
                "UPDATE links SET revoked = COALESCE(revoked, ?), original = NULL, saved = NULL "
                "WHERE lookup = ?",
                (_when(now), lookup_of(key, "link")),
            ) == 1

    # ---- files ----

    def add_files(self, files: list[tuple[str, bytes]], expires: dt.datetime,
                  now: dt.datetime | None = None) -> list[str]:
        """File each (name, bytes) under a new key, in one transaction; their tokens, in
        order (for ``/d/<token>``). OutputError for a file over :data:`MAX_FILE` bytes."""
        for name, data in files:
            if len(data) > MAX_FILE:
                raise OutputError(msg("links.file-too-large", name=name, size=len(data), limit=MAX_FILE))
        now = now or _now()
        keys = [new_key() for _ in files]
        with self._write() as db:
            self._purge(db, now)
            db.executemany(
                "INSERT INTO files (lookup, created, expires, name, data) VALUES (?, ?, ?, ?, ?)",
                [(lookup_of(key, "file"), _when(now), _when(expires), seal(key, name, "file.name"),
                  seal_bytes(key, data, "file.data"))
                 for key, (name, data) in zip(keys, files, strict=True)])
        return [token_of(key) for key in keys]

    def file(self, key: bytes) -> FileEntry | None:
        with self._db() as db:
            row = db.one("SELECT expires, revoked, name, data FROM files WHERE lookup = ?",
                         (lookup_of(key, "file"),))
        if row is None:
            return None
        expires = _parse(row[0])
        assert expires is not None
        return FileEntry(expires, _parse(row[1]), _bytes(row[2]), _bytes(row[3]))

    def revoke_file(self, key: bytes, now: dt.datetime | None = None) -> bool:
        """Withdraw a file: its data is wiped at once; False when there is no such file."""
        now = now or _now()
        with self._write() as db:
            return db.changed(
                "UPDATE files SET revoked = COALESCE(revoked, ?), name = NULL, data = NULL "
                "WHERE lookup = ?", (_when(now), lookup_of(key, "file"))) == 1

    # ---- pages ----

    def add_page(self, session_key: bytes, page: dict[str, Any], now: dt.datetime | None = None) -> str:
        """Keep one page's state under the session's key; returns the page's id for its URL."""
        now = now or _now()
        page_id = secrets.token_urlsafe(12)
        with self._write() as db:
            self._purge(db, now)
            db.execute(
                "INSERT INTO pages (lookup, expires, data) VALUES (?, ?, ?)",
                (lookup_of(session_key + page_id.encode(), "page"),
                 _when(now + dt.timedelta(hours=PAGE_HOURS)),
                 seal(session_key, page, "page." + page_id)),
            )
        return page_id

    def page(self, session_key: bytes, page_id: str, now: dt.datetime | None = None) -> dict[str, Any] | None:
        """A page's state, or None when it is gone, expired, or not this session's."""
        now = now or _now()
        with self._db() as db:
            row = db.one(
                "SELECT expires, data FROM pages WHERE lookup = ?",
                (lookup_of(session_key + page_id.encode(), "page"),),
            )
        if row is None or dt.datetime.fromisoformat(row[0]) < now:
            return None
        try:
            value = unseal(session_key, bytes(row[1]), "page." + page_id)
        except (Undecryptable, ValueError):
            return None
        return value if isinstance(value, dict) else None
