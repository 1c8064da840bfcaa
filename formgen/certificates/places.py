"""Each certificate's place in the status lists (the W3C Bitstring Status Lists of
:mod:`formgen.credentials.status`), kept in the register and sealed like its rows.

A place is (list, index): the bit that says whether the certificate still stands. It is
kept in the register beside the certificate's row (table ``credential_status``),
sealed with the register's key over the certificate's number, the list and the index
(:func:`seal`), never changed or deleted. A sealed mark (``status_since`` in ``meta``)
says from which event on every certificate numbered has its place, and the event
``status-kept`` in the register's chain of events (detail ``from event N``) says the
same, recorded when the register first keeps places; so a place moved to another
index, two places swapped, one deleted, or the table dropped with its mark, shows
(:func:`audit_places`, part of ``formgen register audit``), and a status list is made
only from places whose seals hold (:func:`checked_places`).

A register that kept places before they were sealed (a ``credential_status`` table
without seals) is refused, saying to run ``formgen register migrate-status`` once
(:func:`formgen.certificates.migrate.migrate_status`).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from formgen.certificates.marks import audit_mark, mark_seal, unkept
from formgen.certificates.register import Register
from formgen.database import Database
from formgen.exceptions import RegisterError
from formgen.messages import Message, msg

NAME = "credential_status"
TABLE = [
    """CREATE TABLE IF NOT EXISTS credential_status (
        number   TEXT PRIMARY KEY,
        list     INTEGER NOT NULL CHECK (list >= 1),
        position INTEGER NOT NULL CHECK (position BETWEEN 0 AND 131071),
        seal     TEXT NOT NULL,
        UNIQUE (list, position)
    )""",
    """CREATE TRIGGER IF NOT EXISTS credential_status_kept BEFORE DELETE ON credential_status
        BEGIN SELECT RAISE(ABORT, 'the place of a certificate in the status lists is never deleted'); END""",
    """CREATE TRIGGER IF NOT EXISTS credential_status_fixed BEFORE UPDATE ON credential_status
        BEGIN SELECT RAISE(ABORT, 'the place of a certificate in the status lists is never changed'); END""",
]
"""The register's table of places, made when a run first gives certificates theirs."""
SINCE = "status_since"
"""The register's mark (in ``meta``, sealed) of the first event from which every
certificate numbered has its place."""
KEPT_EVENT = "status-kept"
"""The event recorded when the register first keeps sealed places; its detail is
``from event N`` (N: the mark's event)."""


@dataclass(frozen=True)
class Place:
    """One certificate's place in the status lists."""

    number: str
    list: int
    index: int


def seal(reg: Register, number: str, list_number: int, index: int) -> str:
    """The seal of a place: the register's key over the number, the list and the index."""
    return reg.mac("status", reg.key.key_id, number, str(list_number), str(index)).hex()


def _columns(reg: Register) -> set[str] | None:
    """The columns of the table of places; None when there is none."""
    return reg.columns(NAME) or None


def unsealed_problem(reg: Register) -> Message | None:
    """Why the register's places cannot be trusted as they are: kept before they were
    sealed (the message says what to run); None otherwise."""
    columns = _columns(reg)
    if columns is not None and "seal" not in columns:
        return msg("register.status-unsealed", path=reg.shown)
    return None


def _refuse_unsealed(reg: Register) -> None:
    problem = unsealed_problem(reg)
    if problem is not None:
        raise RegisterError(problem)


def _place_altered(place: Place) -> Message:
    return msg("audit.status-altered", number=place.number, place=f"{place.list}#{place.index}")


def _read(reg: Register, where: str = "", params: tuple[object, ...] = ()) -> list[tuple[Place, str]]:
    if _columns(reg) is None:
        return []
    return [(Place(str(n), int(li), int(p)), str(s)) for n, li, p, s in reg.query(
        f"SELECT number, list, position, seal FROM {NAME} {where}", params)]


def _holds(reg: Register, place: Place, sealed: str) -> bool:
    return hmac.compare_digest(sealed, seal(reg, place.number, place.list, place.index))


def checked_places(reg: Register, list_number: int | None = None) -> list[Place]:
    """Every place (in list ``list_number``, or all), each checked against its seal;
    RegisterError naming the certificate when one does not hold, or the places were kept
    before they were sealed."""
    _refuse_unsealed(reg)
    where, params = ("WHERE list = ?", (list_number,)) if list_number is not None else ("", ())
    found = []
    for place, sealed in _read(reg, where, params):
        if not _holds(reg, place, sealed):
            raise RegisterError(msg("register.audit-failed", path=reg.shown,
                                    problems=_place_altered(place)))
        found.append(place)
    return found


def place_of(reg: Register, number: str) -> Place | None:
    """The place of ``number``, checked against its seal; None when it has none."""
    _refuse_unsealed(reg)
    for place, sealed in _read(reg, "WHERE number = ?", (number,)):
        if not _holds(reg, place, sealed):
            raise RegisterError(msg("register.audit-failed", path=reg.shown,
                                    problems=_place_altered(place)))
        return place
    return None


def keep_places(reg: Register, db: Database, places: list[Place], by: str = "") -> None:
    """Record ``places`` (new ones), sealed, inside the caller's transaction ``db``; the
    first time, with the table, its mark and a ``status-kept`` event by ``by``."""
    _refuse_unsealed(reg)
    first = (db.one("SELECT 1 FROM meta WHERE key = ?", (SINCE,)) is None
             and db.one("SELECT 1 FROM events WHERE action = ? LIMIT 1", (KEPT_EVENT,)) is None)
    if NAME not in db.tables():
        db.create(TABLE)
    db.executemany(f"INSERT INTO {NAME} (number, list, position, seal) VALUES (?, ?, ?, ?)",
                   [(p.number, p.list, p.index, seal(reg, p.number, p.list, p.index))
                    for p in places])
    if first:
        mark(reg, db, by)


def mark(reg: Register, db: Database, by: str) -> int:
    """Write the sealed mark (the first event from which every certificate numbered has
    its place) and the ``status-kept`` event saying so; return the mark's event."""
    (since,) = db.execute(
        "SELECT COALESCE(MAX(e.id), 0) + 1 FROM events e WHERE e.action = 'numbered' "
        f"AND e.number NOT IN (SELECT number FROM {NAME})")[0]
    text = str(int(since))
    reg.upsert_meta(db, SINCE, f"{text} {mark_seal(reg, 'status', SINCE, text)}")
    reg.add_event(db, by, KEPT_EVENT, detail=f"from event {text}")
    return int(since)


def audit_places(reg: Register, numbered: dict[str, int], issued: list[str],
                 kept_event: int | None) -> list[Message]:
    """What is wrong with the register's places, for the audit of the whole register: a
    place that does not match its seal; two certificates on one place; a certificate
    issued (``issued``, numbered at the events ``numbered``) from the mark's event on
    without one; the mark altered or missing; the table missing; places kept before they
    were sealed. ``kept_event``: the event the ``status-kept`` event names (None when the
    register records none)."""
    unsealed = unsealed_problem(reg)
    if unsealed is not None:
        return [unsealed]
    problems, start = audit_mark(
        reg, "status", SINCE, _columns(reg) is not None, kept_event,
        msg("audit.status-mark-altered"), msg("audit.status-mark-missing"),
        msg("audit.status-table-missing"))
    kept: set[str] = set()
    holders: dict[tuple[int, int], list[str]] = {}
    for place, sealed in _read(reg, "ORDER BY number"):
        kept.add(place.number)
        holders.setdefault((place.list, place.index), []).append(place.number)
        if not _holds(reg, place, sealed):
            problems.append(_place_altered(place))
    for (list_number, index), numbers in holders.items():
        if len(numbers) > 1:
            problems.append(msg("audit.status-shared", numbers=", ".join(numbers),
                                place=f"{list_number}#{index}"))
    problems.extend(msg("audit.status-missing", number=number, event=str(start))
                    for number in unkept(numbered, issued, start, kept))
    return problems
