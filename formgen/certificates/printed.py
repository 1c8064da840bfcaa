"""What each certificate prints about its holder and itself (its particulars), and the
register's record of them: what the verification page shows, so that anyone can compare
the paper with it line by line.

The manifest lists each certificate's particulars (``particulars:`` of a certificate
document): the label as the paper prints it, and the value as its template prints it, a
template over the same context (:func:`render`). When a certificate is numbered, what it
will print is recorded in the register beside its row (table ``particulars``),
sealed with the register's key over the certificate's number (:func:`keep`); the page
reads it back, checked (:func:`recorded`). A sealed mark says from which event on every
certificate numbered has its particulars kept, so that deleting one shows; the event
``particulars-kept``, in the register's chain of events, says the same, so that dropping
the table and its mark shows too (:func:`audit_kept`, part of ``formgen register
audit``). A certificate keeps its number only while it prints the same particulars: one
that would print others (a new ECUK number, another class of membership) is reissued.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, TemplateError, meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

from formgen.certificates.marks import audit_mark, mark_seal, unkept
from formgen.certificates.register import Register
from formgen.database import Database
from formgen.exceptions import ManifestError, VerificationError
from formgen.messages import Message, msg
from formgen.model.manifest import Document, Manifest

TABLE = [
    """CREATE TABLE IF NOT EXISTS particulars (
        number TEXT PRIMARY KEY,
        printed TEXT NOT NULL,
        seal TEXT NOT NULL
    )""",
    """CREATE TRIGGER IF NOT EXISTS particulars_kept BEFORE DELETE ON particulars
        BEGIN SELECT RAISE(ABORT, 'the particulars of a certificate are never deleted'); END""",
    """CREATE TRIGGER IF NOT EXISTS particulars_fixed BEFORE UPDATE ON particulars
        BEGIN SELECT RAISE(ABORT, 'the particulars of a certificate are never changed'); END""",
]
"""The register's table of particulars, made when a run first records some."""
SINCE = "particulars_since"
"""The register's mark (in ``meta``, sealed) of the first event from which every
certificate numbered has its particulars kept: one numbered since without them was
altered."""
KEPT_EVENT = "particulars-kept"
"""The event recorded when the register first keeps particulars; its detail is
``from event N`` (N: the mark's event)."""

_ENV = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


@dataclass(frozen=True)
class Printed:
    """One particular as the certificate prints it."""

    label: str
    """The paper's label, or the words it prints before the value."""
    lines: tuple[str, ...]
    """The value, line by line."""


def render(doc_id: str, doc: Document, context: dict[str, Any]) -> list[Printed]:
    """The particulars ``doc`` prints for the certificate whose template context is
    ``context``; ManifestError when one of them is not a template over that context."""
    shown: list[Printed] = []
    for item in doc.particulars:
        try:
            label = _ENV.from_string(item.label).render(context).strip()
            value = _ENV.from_string(item.value).render(context)
        except TemplateError as e:
            raise ManifestError(msg("manifest.particular-broken", document=doc_id,
                                    label=item.label, error=str(e))) from e
        lines = tuple(line.strip() for line in value.splitlines() if line.strip())
        if lines:
            shown.append(Printed(label, lines))
    return shown


def problems(manifest: Manifest, known: tuple[str, ...]) -> list[Message]:
    """What is wrong with the manifest's particulars: a template that does not parse, or
    that uses a name the certificate's context does not have (``known``: its top-level
    names); a certificate without any particulars (its page could show nothing)."""
    found: list[Message] = []
    for doc_id, doc in manifest.documents.items():
        if doc.kind != "certificate":
            continue
        if not doc.particulars:
            found.append(msg("manifest.no-particulars", document=doc_id))
        for item in doc.particulars:
            for text in (item.label, item.value):
                try:
                    names = meta.find_undeclared_variables(_ENV.parse(text))
                except TemplateError as e:
                    found.append(msg("manifest.particular-broken", document=doc_id,
                                     label=item.label, error=str(e)))
                    continue
                for name in sorted(names - set(known)):
                    found.append(msg("manifest.particular-broken", document=doc_id,
                                     label=item.label, error=f"'{name}' is undefined"))
    return found


def _text(printed: list[Printed]) -> str:
    return json.dumps([[p.label, list(p.lines)] for p in printed], ensure_ascii=False,
                      separators=(",", ":"))


def _seal(reg: Register, number: str, text: str) -> str:
    return reg.mac("particulars", reg.key.key_id, number, text).hex()


def keep(reg: Register, certificates: list[tuple[str, str, list[Printed]]],
         by: str = "") -> dict[str, Message]:
    """Record what each certificate (applicant id, number, particulars) prints, in one
    transaction (the first time, with the table, its mark and a ``particulars-kept`` event
    by ``by``). A number already recorded stays as it is: the holders whose certificate
    would now print other particulars are returned, with why they cannot be printed."""
    changed: dict[str, Message] = {}
    if not certificates:
        return changed
    with reg.transaction() as db:
        if db.one("SELECT 1 FROM meta WHERE key = ?", (SINCE,)) is None:
            if "particulars" not in db.tables():
                db.create(TABLE)
            since = str(_first_numbered(db, [number for _, number, _ in certificates]))
            db.execute("INSERT INTO meta (key, value) VALUES (?, ?)",
                       (SINCE, f"{since} {mark_seal(reg, 'particulars', SINCE, since)}"))
            reg.add_event(db, by, KEPT_EVENT, detail=f"from event {since}")
        for applicant_id, number, printed in certificates:
            text = _text(printed)
            row = db.one("SELECT printed FROM particulars WHERE number = ?", (number,))
            if row is None:
                db.execute("INSERT INTO particulars (number, printed, seal) VALUES (?, ?, ?)",
                           (number, text, _seal(reg, number, text)))
            elif str(row[0]) != text and applicant_id not in changed:
                changed[applicant_id] = msg("certificate.particulars-changed", number=number)
    return changed


def _first_numbered(db: Database, numbers: list[str]) -> int:
    """The event numbering the first of these certificates not yet printed (numbered by
    this run), else the next event: every certificate numbered from there on has its
    particulars kept."""
    marks = ", ".join("?" * len(numbers))
    (first,) = db.execute(
        "SELECT MIN(e.id) FROM events e JOIN certificates c ON c.number = e.number "
        f"WHERE e.action = 'numbered' AND c.status = 'pending' AND c.number IN ({marks})",
        numbers)[0]
    if first is None:
        (first,) = db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM events")[0]
    return int(first)


def _kept_since(reg: Register, number: str) -> int | None:
    """The first event from which certificates have their particulars kept; None when the
    register has never kept any. VerificationError when that mark was altered."""
    rows = reg.query("SELECT value FROM meta WHERE key = ?", (SINCE,))
    has_table = "particulars" in reg.tables()
    if not rows and not has_table:
        if reg.query("SELECT 1 FROM events WHERE action = ? LIMIT 1", (KEPT_EVENT,)):
            raise VerificationError(msg("verify.particulars-altered", number=number))
        return None
    since, _, seal = str(rows[0][0]).partition(" ") if rows else ("", "", "")
    if not has_table or not hmac.compare_digest(seal, mark_seal(reg, "particulars", SINCE, since)):
        raise VerificationError(msg("verify.particulars-altered", number=number))
    return int(since)


def recorded(reg: Register, number: str) -> list[Printed] | None:
    """What the certificate ``number`` prints, as recorded when it was numbered; None for
    a certificate numbered before the register kept particulars. VerificationError when
    the record does not match its seal, or is missing for a certificate numbered since."""
    since = _kept_since(reg, number)
    if since is None:
        return None
    rows = reg.query("SELECT printed, seal FROM particulars WHERE number = ?", (number,))
    if not rows:
        (numbered,) = reg.query("SELECT MIN(id) FROM events WHERE number = ? AND "
                                "action = 'numbered'", (number,))[0]
        if numbered is not None and int(numbered) >= since:
            raise VerificationError(msg("verify.particulars-altered", number=number))
        return None
    text, seal = map(str, rows[0])
    if not hmac.compare_digest(seal, _seal(reg, number, text)):
        raise VerificationError(msg("verify.particulars-altered", number=number))
    return [Printed(str(label), tuple(map(str, lines))) for label, lines in json.loads(text)]


def audit_kept(reg: Register, numbered: dict[str, int], issued: list[str],
               kept_event: int | None) -> list[Message]:
    """What is wrong with the register's record of what certificates print, for the audit
    of the whole register: a record that does not match its seal; a certificate issued
    (``issued``, numbered at the events ``numbered``) from the mark's event on without
    one; the mark altered or missing; the table missing. ``kept_event``: the event from
    which the ``particulars-kept`` event says they are kept (None when the register
    records none: then only the mark, if there is one, says so)."""
    has_table = "particulars" in reg.tables()
    problems, start = audit_mark(
        reg, "particulars", SINCE, has_table, kept_event,
        msg("audit.particulars-mark-altered"), msg("audit.particulars-mark-missing"),
        msg("audit.particulars-table-missing"))
    kept: set[str] = set()
    if has_table:
        for number, text, seal in reg.query("SELECT number, printed, seal FROM particulars"):
            kept.add(str(number))
            if not hmac.compare_digest(str(seal), _seal(reg, str(number), str(text))):
                problems.append(msg("verify.particulars-altered", number=str(number)))
    problems.extend(msg("audit.particulars-missing", number=number, event=str(start))
                    for number in unkept(numbered, issued, start, kept))
    return problems
