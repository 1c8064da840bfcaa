"""The audit of a whole register (``formgen register audit``): what ``formgen verify``,
``register export`` and the verification page check before they vouch for anything in it.

It holds when

1. every event matches its seal, each sealed over the one before, numbered 1, 2, 3 …
   (nothing changed, nothing taken out in the middle);
2. the register holds the event its head records, with the head's seal
   (:mod:`formgen.certificates.head`: nothing taken off the end, the file not put back
   from a backup);
3. every certificate row matches its seal, made with this register's key;
4. every row says what its events make of it (:mod:`formgen.certificates.history`: a row
   copied back from a backup still matches its seal, but not its events), and every event
   concerns a certificate the register holds.
5. what each certificate prints, as recorded when it was numbered
   (:mod:`formgen.certificates.printed`), matches its seal, and every certificate issued
   since the register began keeping it has its record: a record edited or deleted, or the
   table and its mark dropped, name the certificates concerned;
6. each certificate's place in the status lists (:mod:`formgen.certificates.places`)
   matches its seal, no two certificates share one, and every certificate issued since
   the register began keeping them has one (the same way as 5).

It reads every event and row once, with one HMAC each: about 2 s for 40,000 events
(``bench/bench_audit.py``), growing with the register; the verification page therefore
reuses it while the register is unchanged (:class:`AuditCache`).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from formgen.certificates.head import Head
from formgen.certificates.history import disagreement, replay
from formgen.certificates.marks import kept_from
from formgen.certificates.numbers import ISSUED, Event, now_utc
from formgen.certificates.places import KEPT_EVENT as STATUS_EVENT
from formgen.certificates.places import audit_places
from formgen.certificates.printed import KEPT_EVENT, audit_kept
from formgen.certificates.register import NUMBERED, Register
from formgen.certificates.seals import CERTIFICATE_COLUMNS
from formgen.certificates.store import TABLES
from formgen.exceptions import RegisterError, VerificationError
from formgen.messages import Joined, Message, msg

_SHOWN = 20
"""Problems named one by one; more are counted."""


class AuditError(RegisterError):
    """The register fails its audit; ``problems`` says each thing that failed."""

    def __init__(self, path: Path | str, problems: list[Message]):
        self.problems = problems
        super().__init__(msg("register.audit-failed", path=str(path),
                             problems=Joined(tuple(problems), msg("list.semicolon"))))


@dataclass(frozen=True)
class Audit:
    """What the audit of a register found."""

    path: Path | str
    """The register audited (its file, or its database as messages name it)."""
    events: int
    """How many events it holds."""
    certificates: int
    """How many certificate rows it holds."""
    head: Head | None
    """Its last event, as published (the head kept beside the key is this, or behind it)."""
    kept: str
    """Where its head is kept."""
    problems: list[Message] = field(default_factory=list)
    """What failed; empty when the register holds."""
    notes: list[Message] = field(default_factory=list)
    """What the audit could not be sure of, though nothing failed."""

    @property
    def holds(self) -> bool:
        return not self.problems

    def check(self) -> Audit:
        """This audit, or AuditError saying what failed."""
        if self.problems:
            shown = self.problems[:_SHOWN]
            if len(self.problems) > _SHOWN:
                shown.append(msg("audit.more", count=len(self.problems) - _SHOWN))
            raise AuditError(self.path, shown)
        return self


def audit(reg: Register) -> Audit:
    """Audit the whole register ``reg`` (see the module), as one moment left it (the head
    is read first: a writer that adds events meanwhile only leaves the register ahead)."""
    kept_head = reg.head_place.read()
    with reg.snapshot():
        return _audit(reg, kept_head)


def _audit(reg: Register, kept_head: Head | None) -> Audit:
    problems: list[Message] = []
    altered = reg.first_altered_event()
    if altered is not None:
        problems.append(msg("audit.chain-broken", event=str(altered)))
    last = reg.last_head()
    behind = reg.head_problem(last, kept_head)
    if behind is not None:
        problems.append(behind)
    actions: dict[str, list[tuple[str, str]]] = {}
    numbered: dict[str, int] = {}
    kept_event: int | None = None
    status_event: int | None = None
    count = 0
    for event_id, action, number, detail in reg.query(
        "SELECT id, action, number, detail FROM events ORDER BY id"
    ):
        count += 1
        if number:
            actions.setdefault(number, []).append((action, detail))
            if action == "numbered":
                numbered.setdefault(number, int(event_id))
        elif action == KEPT_EVENT and kept_event is None:
            kept_event = kept_from(detail) or int(event_id)
        elif action == STATUS_EVENT and status_event is None:
            status_event = kept_from(detail) or int(event_id)
    carried = reg.carried_over()
    rows = reg.query(f"SELECT {', '.join(CERTIFICATE_COLUMNS)} FROM certificates c "
                     f"ORDER BY {NUMBERED}, number")
    held = set()
    issued: list[str] = []
    for row in rows:
        number = str(row[0])
        held.add(number)
        try:
            found, key_id = reg.unseal(row)
            if key_id != reg.key.key_id or not reg.seal_matches(row):
                raise VerificationError(msg("verify.record-altered", number=number))
        except (ValueError, VerificationError) as e:
            problems.append(e.message if isinstance(e, VerificationError)
                            else msg("verify.record-altered", number=number))
            continue
        disagrees = disagreement(found, replay(actions.get(number, []), carried))
        if disagrees is not None:
            problems.append(disagrees)
        if found.status in ISSUED:
            issued.append(number)
    for number in sorted(set(actions) - held):
        problems.append(msg("audit.row-missing", number=number))
    problems.extend(audit_kept(reg, numbered, issued, kept_event))
    problems.extend(audit_places(reg, numbered, issued, status_event))
    place = reg.head_place
    notes = [msg("audit.head-beside-register", head=place.source)] if place.beside_register else []
    return Audit(reg.path or reg.shown, count, len(rows), last, place.source, problems, notes)


def audited(reg: Register) -> Audit:
    """The audit of ``reg`` when it holds; AuditError saying what failed otherwise."""
    return audit(reg).check()


def events_to_export(reg: Register) -> tuple[list[Event], Audit]:
    """Every event of ``reg``, oldest first, then its head (an ``head`` row whose detail is
    ``<event>:<seal>``), for ``register export``; AuditError when the register fails its
    audit."""
    found = audited(reg)
    events = reg.events()
    if found.head is not None:
        events.append(Event(0, now_utc(), "", "head", "", str(found.head)))
    return events, found


class AuditCache:
    """The last audit of one register, reused while neither the register's file nor its
    head changed, for at most ``max_age`` seconds: what the verification page checks
    before each look-up, without reading a whole register every time.

    The file is known by its size, modification time, inode and SQLite's change counter
    (which every committed write moves), and by its last event; a register in PostgreSQL
    by the server's counts of rows written to its tables, its number of certificates,
    its ``meta`` and its last event; the head by its text. A
    change that kept all of these is found by the next audit, at most ``max_age`` later;
    each look-up still checks its own certificate's row and events
    (:meth:`~formgen.certificates.register.Register.genuine`).
    """

    def __init__(self, max_age: float = 300.0):
        self.max_age = max_age
        self._lock = threading.Lock()
        self._state: tuple[object, ...] | None = None
        self._at = 0.0
        self.last: Audit | None = None
        """The last audit made."""

    def check(self, reg: Register) -> Audit:
        """The audit of ``reg`` (made again when it may have changed); AuditError when it
        fails."""
        state = _file_state(reg)
        with self._lock:
            fresh = (self.last is not None and state == self._state
                     and time.monotonic() - self._at < self.max_age)
            found = self.last if fresh else None
        if found is None:
            found = audit(reg)
            with self._lock:
                self.last, self._state, self._at = found, state, time.monotonic()
        return found.check()

    def forget(self) -> None:
        """Audit again at the next look-up."""
        with self._lock:
            self.last = self._state = None

    @property
    def head(self) -> Head | None:
        """The head of the register as its last audit found it, when that audit held."""
        last = self.last
        return last.head if last is not None and last.holds else None


def _file_state(reg: Register) -> tuple[object, ...]:
    kept = reg.head_place.read()
    if reg.path is None:
        return (*_database_state(reg), reg.last_head(), str(kept) if kept is not None else "")
    try:
        info = reg.path.stat()
        with reg.path.open("rb") as fh:
            header = fh.read(100)
    except OSError as e:
        raise RegisterError(msg("register.unreadable", path=str(reg.path), reason=str(e.strerror))) from e
    return (info.st_size, info.st_mtime_ns, info.st_ino, header[24:28], reg.last_head(),
            str(kept) if kept is not None else "")


def _database_state(reg: Register) -> tuple[object, ...]:
    """What moves when a register in PostgreSQL is written: the server's counts of rows
    inserted, updated and deleted in each of its tables (kept by the server, whoever
    writes; they reach the counts within seconds), the rows of certificates and the
    register's ``meta``."""
    written = reg.query(
        "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables "
        "WHERE schemaname = current_schema() AND relname IN "
        f"({', '.join('?' * len(TABLES))}) ORDER BY relname", TABLES)
    counted = reg.query("SELECT COUNT(*) FROM certificates")
    meta = reg.query("SELECT key, value FROM meta ORDER BY key")
    return (tuple(written), tuple(counted), tuple(meta))
