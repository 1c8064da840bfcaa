"""The register's tables and where a register is: a SQLite file, or a PostgreSQL
database several hosts share, with the same tables; making them
(:meth:`formgen.certificates.store.RegisterFile.create`), and the driver's errors said
in the user's words, naming the register (its password hidden)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import urlsplit

from formgen.certificates.head import Head, head_place
from formgen.certificates.keys import KEY_ENV, RegisterKey, create_key, key_location
from formgen.certificates.numbers import now_utc
from formgen.certificates.seals import Sealer
from formgen.database import Database, DriverError, Location, connect
from formgen.exceptions import RegisterError
from formgen.messages import msg
from formgen.settings import Paths

DEFAULT_PATH = Path("build/register.sqlite")
"""Where the register lives unless the caller says otherwise."""

FORMAT = "formgen-register"
VERSION = 3
"""Version 1 kept its key inside the register, version 2 had no head kept beside the key
(see :mod:`formgen.certificates.migrate`)."""
TABLES = ("meta", "certificates", "events", "particulars", "credential_status")
"""The register's tables (the last two made when first needed): all a register in
PostgreSQL owns of its database; other tables there are never touched."""
_CREATE_LOCK = 7_366_529_010
"""The PostgreSQL advisory lock two ``register init`` of one database take in turn."""

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS certificates (
        number       TEXT PRIMARY KEY,
        prefix       TEXT NOT NULL,
        year         INTEGER NOT NULL,
        seq          INTEGER NOT NULL CHECK (seq BETWEEN 1 AND 999999),
        code         TEXT NOT NULL UNIQUE,
        applicant_id TEXT NOT NULL,
        name         TEXT NOT NULL,
        certificate  TEXT NOT NULL,
        programme    TEXT NOT NULL,
        grade        TEXT NOT NULL,
        issued_on    TEXT NOT NULL,
        status       TEXT NOT NULL DEFAULT 'valid'
                     CHECK (status IN ('pending', 'valid', 'void', 'revoked', 'superseded')),
        changed_on   TEXT NOT NULL DEFAULT '',
        reason       TEXT NOT NULL DEFAULT '',
        replaces     TEXT NOT NULL DEFAULT '',
        replaced_by  TEXT NOT NULL DEFAULT '',
        key_id       TEXT NOT NULL DEFAULT '',
        seal         TEXT NOT NULL,
        UNIQUE (prefix, year, seq)
    )""",
    "CREATE INDEX IF NOT EXISTS certificates_holder ON certificates (applicant_id, certificate)",
    """CREATE TABLE IF NOT EXISTS events (
        id     INTEGER PRIMARY KEY,
        at     TEXT NOT NULL,
        by     TEXT NOT NULL,
        action TEXT NOT NULL,
        number TEXT NOT NULL DEFAULT '',
        detail TEXT NOT NULL DEFAULT '',
        seal   TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS events_number ON events (number)",
    # Nothing is ever deleted, and an event never changes (a guard against mistakes; the
    # seals are what shows a deliberate change).
    """CREATE TRIGGER IF NOT EXISTS certificates_kept BEFORE DELETE ON certificates
       BEGIN SELECT RAISE(ABORT, 'certificates are never deleted from the register'); END""",
    """CREATE TRIGGER IF NOT EXISTS events_kept BEFORE DELETE ON events
       BEGIN SELECT RAISE(ABORT, 'events are never deleted from the register'); END""",
    """CREATE TRIGGER IF NOT EXISTS events_fixed BEFORE UPDATE ON events
       BEGIN SELECT RAISE(ABORT, 'events are never changed'); END""",
]


def register_location(paths: Paths) -> Location:
    """Where the settings' register is: their database when it is PostgreSQL, else the
    register's file (build/register.sqlite unless another is named)."""
    if paths.database is not None and paths.database.is_postgres:
        return paths.database
    return Location(path=paths.register or DEFAULT_PATH)


def located(where: Path | Location | str) -> Location:
    """A register's place: a Location as it is, a path as a SQLite file."""
    return where if isinstance(where, Location) else Location(path=Path(where))


def wrap(e: DriverError, location: Location, timeout: float = 10.0) -> RegisterError:
    """A driver's error as a message for the user, naming the register."""
    shown = location.shown
    if location.is_postgres:
        if e.kind == "locked":
            return RegisterError(msg("register.locked-database", database=shown,
                                     seconds=f"{timeout:g}"))
        if e.kind == "unreachable":
            return RegisterError(msg("register.unreachable", database=shown,
                                     reason=" ".join(e.detail.split())))
        if e.kind == "refused":
            return RegisterError(msg("register.refused", path=shown, detail=e.detail))
        return RegisterError(msg("register.database-failed", database=shown, detail=e.detail))
    if e.kind == "locked":
        return RegisterError(msg("register.locked", path=shown))
    if e.kind == "corrupt":
        return RegisterError(msg("register.corrupt", path=shown))
    if e.kind == "refused":
        return RegisterError(msg("register.refused", path=shown, detail=e.detail))
    return RegisterError(msg("register.cannot-write", path=shown, detail=e.detail))


def begin_new(db: Database) -> None:
    """Begin the transaction that makes a register: alone, and in PostgreSQL only in a
    database holding none yet."""
    if db.dialect == "sqlite":
        db.execute("BEGIN IMMEDIATE")
        return
    db.execute("BEGIN")
    db.execute("SELECT pg_advisory_xact_lock(?)", (_CREATE_LOCK,))
    if db.tables() & set(TABLES):
        raise RegisterError(msg("register.exists-database", database=db.location.shown))


@contextmanager
def new_register(location: Location, timeout: float) -> Iterator[Database]:
    """A transaction in which the register's tables are made at ``location`` (refused
    when it holds a register already); the block fills them. Committed when it ends,
    rolled back when it raises; a driver's error becomes a RegisterError."""
    try:
        with connect(location, timeout=timeout) as db:
            begin_new(db)
            try:
                db.create(SCHEMA)
                yield db
                db.commit()
            except BaseException:
                with suppress(DriverError):
                    db.rollback()
                raise
    except DriverError as e:
        raise wrap(e, location, timeout) from e


def fill(location: Location, key: RegisterKey, by: str, timeout: float, detail: str) -> Head:
    """Make the register's tables at ``location``, with its first event; return its head."""
    with new_register(location, timeout) as db:
        db.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", [
            ("format", FORMAT), ("version", str(VERSION)), ("created", now_utc()),
            ("key_id", key.key_id),
        ])
        Sealer(key).add_event(db, by, "created", detail=detail)
        last = db.one("SELECT id, seal FROM events ORDER BY id DESC LIMIT 1")
    assert last is not None
    return Head(int(last[0]), str(last[1]))


def refuse_held(location: Location, timeout: float) -> None:
    """RegisterError when the database at ``location`` holds a register already (said
    before anything is made; :func:`begin_new` checks again under its lock)."""
    try:
        with connect(location, timeout=timeout) as db:
            if db.tables() & set(TABLES):
                raise RegisterError(msg("register.exists-database", database=location.shown))
    except DriverError as e:
        raise wrap(e, location, timeout) from e


def create_in_database(location: Location, key_file: Path | None, by: str,
                        timeout: float) -> RegisterKey:
    """Make a register in an empty PostgreSQL database (other tables are left alone),
    with its key (``key_file`` or the environment's) and head; return the key."""
    key_location(location, key_file)  # a key file or the variable is needed: say so first
    refuse_held(location, timeout)
    key = create_key(location, key_file)
    try:
        place = head_place(location, key)
        name = urlsplit(location.url or "").path.lstrip("/")
        place.write(fill(location, key, by, timeout, name))
    except BaseException:
        if key.source != KEY_ENV:
            Path(key.source).unlink(missing_ok=True)
        raise
    return key
