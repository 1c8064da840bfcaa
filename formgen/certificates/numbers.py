"""Certificate numbers and verification codes as text, and the records the register keeps.

A number is ``<prefix>-<year>-<sequence>`` (``CMES-SOE-2026-000123``); a short code is ten
Crockford base32 characters printed in groups (``7KQ2-M9XD-4T``), forgiving of case,
spaces, dashes and the letters O, I and L typed for digits.

A certificate's status is one of STATUSES: ``pending`` (numbered, not yet written),
``valid``, ``void`` (numbered but never written: the number is never used again),
``revoked`` (with a date and one of REASONS) and ``superseded`` (reissued under a new
number).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from formgen import paths

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10
"""Characters in a short code (50 bits), printed as 4-4-2 groups."""
MAX_SEQUENCE = 999_999

PREFIX_RE = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)*")
NUMBER_RE = re.compile(r"(?P<prefix>[A-Z0-9]+(?:-[A-Z0-9]+)*)-(?P<year>\d{4})-(?P<seq>\d{6})")
_CODE_FIX = str.maketrans({"O": "0", "I": "1", "L": "1", "-": None, " ": None})

Status = Literal["pending", "valid", "void", "revoked", "superseded"]
STATUSES: tuple[Status, ...] = ("pending", "valid", "void", "revoked", "superseded")
ISSUED: tuple[Status, ...] = ("valid", "revoked", "superseded")
"""Statuses of a certificate that was issued, which a look-up shows; a number never issued
(pending, void) is not found."""
REASONS = ("issued-in-error", "withdrawn")
"""Why a certificate is revoked: given in error, or withdrawn from its holder."""

@dataclass(frozen=True)
class IssueRequest:
    """One certificate to number: who it is for and what it is."""

    applicant_id: str
    name: str
    """Name as printed, e.g. ``李晓明 / LI Xiaoming``."""
    certificate: str
    """Certificate kind id, e.g. ``ecuk_registration``."""
    programme: str
    grade: str
    prefix: str
    """Number prefix, e.g. ``CMES-SOE``."""
    issued_on: datetime.date
    replaces: str = ""
    """The number of the certificate this one is reissued for; empty for a first issue."""


@dataclass(frozen=True)
class Issued:
    """A certificate as recorded in the register."""

    number: str
    short_code: str
    """Verification code, grouped for print: ``7KQ2-M9XD-4T``."""
    applicant_id: str
    name: str
    certificate: str
    programme: str
    grade: str
    issued_on: datetime.date
    reused: bool = False
    """True when the holder already had this certificate and kept its number."""
    status: Status = "valid"
    changed_on: datetime.date | None = None
    """When it was voided, revoked or superseded."""
    reason: str = ""
    """Why it was revoked: one of REASONS."""
    replaces: str = ""
    """The number of the certificate this one was reissued for."""
    replaced_by: str = ""
    """The number of the certificate that superseded this one."""


def now_utc() -> str:
    """The moment, in UTC to the second, as the register's events record it."""
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def group_code(code: str) -> str:
    """``7KQ2M9XD4T`` -> ``7KQ2-M9XD-4T``."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalize_code(text: str) -> str | None:
    """A typed short code in canonical form (no dashes, upper case), or None if it is not one.

    Case, spaces and up to two dashes do not matter; O is read as 0 and I or L as 1.
    """
    if text.count("-") > 2:  # a mistyped certificate number, not a code
        return None
    code = text.strip().upper().translate(_CODE_FIX)
    if len(code) == CODE_LENGTH and all(c in CROCKFORD for c in code):
        return code
    return None


def crockford(data: bytes, length: int) -> str:
    bits = int.from_bytes(data, "big") >> (len(data) * 8 - 5 * length)
    return "".join(CROCKFORD[(bits >> (5 * i)) & 31] for i in reversed(range(length)))


@dataclass(frozen=True)
class Event:
    """One change to the register, with the certificate it concerns (if any)."""

    id: int
    at: str
    """When, in UTC (ISO 8601)."""
    by: str
    """Who made the change."""
    action: str
    """``created``, ``key-moved`` (a version-1 register's key moved out of it),
    ``head-kept`` (a register's head first written beside its key), ``particulars-kept``
    (the register first keeps what certificates print), ``status-kept`` (it first keeps
    certificates' places in the status lists, sealed), ``numbered``, ``printed``,
    ``reprinted``, ``voided``, ``revoked`` or ``superseded``."""
    number: str
    detail: str
    certificate: Issued | None = None
    """The certificate as it is now."""


EVENT_COLUMNS = ["number", "id", "name", "certificate", "issued_on", "status", "event", "at",
                 "by", "detail"]


def write_csv(events: list[Event], path: Path) -> Path:
    """One row per event, with the certificate it concerns; return the file written.

    ``path`` is the CSV file, or a folder to write ``register.csv`` in. The file is UTF-8
    with a byte-order mark (so Excel reads Chinese), formula-safe and replaced atomically.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "register.csv"
    rows = []
    for e in events:
        c = e.certificate
        cells = [c.applicant_id, c.name, c.certificate, c.issued_on.isoformat(), c.status] if c \
            else ["", "", "", "", ""]
        rows.append([e.number, *cells, e.action, e.at, e.by, e.detail])
    return paths.write_csv(path, EVENT_COLUMNS, rows)
