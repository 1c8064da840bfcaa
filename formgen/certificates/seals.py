"""Seals: the HMACs that make the register's rows and events checkable with its key.

A certificate row's seal covers every column but itself (CERTIFICATE_COLUMNS), the id of
the key included; an event's seal covers its columns and the seal of the event before
it, so an event taken out or changed breaks every seal after it.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import hmac

from formgen.certificates.keys import RegisterKey
from formgen.certificates.numbers import CODE_LENGTH, Issued, crockford, group_code, now_utc
from formgen.database import Database

CERTIFICATE_COLUMNS = (
    "number", "code", "applicant_id", "name", "certificate", "programme", "grade",
    "issued_on", "status", "changed_on", "reason", "replaces", "replaced_by", "key_id", "seal",
)
"""The columns of a certificate row, in the order seals and look-ups use them."""


class Sealer:
    """Seals and checks rows and events with one register's key."""

    def __init__(self, key: RegisterKey):
        self.key = key
        self.chain_end: tuple[int, str] | None = None
        """The id and seal of the last event, while a write transaction that excludes every
        other writer is under way (None: read it from the register)."""

    def mac(self, *fields: str) -> bytes:
        message = "\x1f".join(fields).encode("utf-8")
        return hmac.new(self.key.secret, message, hashlib.sha256).digest()

    def code_for(self, number: str, applicant_id: str, issued_on: str) -> str:
        """The verification code of a certificate, ungrouped (``7KQ2M9XD4T``)."""
        return crockford(self.mac("code", number, applicant_id, issued_on)[:7], CODE_LENGTH)

    # -- certificates ----------------------------------------------------------------

    def sealed_row(self, issued: Issued) -> tuple[str, ...]:
        """The row storing ``issued`` (CERTIFICATE_COLUMNS), sealed with this key."""
        fields = (
            issued.number,
            issued.short_code.replace("-", ""),
            issued.applicant_id,
            issued.name,
            issued.certificate,
            issued.programme,
            issued.grade,
            issued.issued_on.isoformat(),
            issued.status,
            issued.changed_on.isoformat() if issued.changed_on else "",
            issued.reason,
            issued.replaces,
            issued.replaced_by,
            self.key.key_id,
        )
        return (*fields, self.mac("seal", *fields).hex())

    def seal_matches(self, row: tuple[str, ...]) -> bool:
        return hmac.compare_digest(str(row[-1]), self.mac("seal", *map(str, row[:-1])).hex())

    @staticmethod
    def unseal(row: tuple[str, ...]) -> tuple[Issued, str]:
        """(the certificate a row stores, the id of the key it says sealed it); not checked."""
        (number, code, applicant_id, name, certificate, programme, grade, issued_on, status,
         changed_on, reason, replaces, replaced_by, key_id, _seal) = map(str, row)
        issued = Issued(
            number=number,
            short_code=group_code(code),
            applicant_id=applicant_id,
            name=name,
            certificate=certificate,
            programme=programme,
            grade=grade,
            issued_on=datetime.date.fromisoformat(issued_on),
            status=status,  # type: ignore[arg-type]  # the table's CHECK keeps it one of STATUSES
            changed_on=datetime.date.fromisoformat(changed_on) if changed_on else None,
            reason=reason,
            replaces=replaces,
            replaced_by=replaced_by,
        )
        return issued, key_id

    def store(self, db: Database, issued: Issued, *, new: bool) -> None:
        """Insert (``new``) or update the row of ``issued``, sealed."""
        row = self.sealed_row(issued)
        if new:
            prefix, year, seq = issued.number.rsplit("-", 2)
            db.execute(
                f"INSERT INTO certificates ({', '.join(CERTIFICATE_COLUMNS)}, prefix, year, seq) "
                f"VALUES ({', '.join('?' * (len(CERTIFICATE_COLUMNS) + 3))})",
                (*row, prefix, int(year), int(seq)),
            )
        else:
            columns = CERTIFICATE_COLUMNS[1:]
            db.execute(
                f"UPDATE certificates SET {', '.join(f'{c} = ?' for c in columns)} WHERE number = ?",
                (*row[1:], issued.number),
            )

    @staticmethod
    def changed(issued: Issued, **changes: object) -> Issued:
        return dataclasses.replace(issued, reused=False, **changes)  # type: ignore[arg-type]

    # -- events ----------------------------------------------------------------------

    def _event_seal(self, previous: str, event_id: int, *fields: str) -> str:
        return self.mac("event", previous, str(event_id), *fields).hex()

    def add_event(self, db: Database, by: str, action: str, number: str = "",
                  detail: str = "", at: str | None = None) -> None:
        """Record an event, sealed after the last one (inside the caller's transaction)."""
        last = self.chain_end
        if last is None:
            found = db.one("SELECT id, seal FROM events ORDER BY id DESC LIMIT 1")
            last = (int(found[0]), str(found[1])) if found else (0, "")
        event_id, previous = last[0] + 1, last[1]
        at = at or now_utc()
        seal = self._event_seal(previous, event_id, at, by, action, number, detail)
        db.execute(
            "INSERT INTO events (id, at, by, action, number, detail, seal) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (event_id, at, by, action, number, detail, seal),
        )
        if self.chain_end is not None:
            self.chain_end = (event_id, seal)

    def event_seal_matches(self, previous: str, event_id: int, at: str, by: str, action: str,
                           number: str, detail: str, seal: str) -> bool:
        expected = self._event_seal(previous, event_id, at, by, action, number, detail)
        return hmac.compare_digest(str(seal), expected)
