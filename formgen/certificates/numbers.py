"""Certificate numbers and verification codes as text, and the records the register keeps.

A number is ``<prefix>-<year>-<sequence>`` (``CMES-SOE-2026-000123``); a short code is ten
Crockford base32 characters printed in groups (``7KQ2-M9XD-4T``), forgiving of case,
spaces, dashes and the letters O, I and L typed for digits.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path

from formgen import paths

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10
"""Characters in a short code (50 bits), printed as 4-4-2 groups."""
MAX_SEQUENCE = 999_999

PREFIX_RE = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)*")
NUMBER_RE = re.compile(r"(?P<prefix>[A-Z0-9]+(?:-[A-Z0-9]+)*)-(?P<year>\d{4})-(?P<seq>\d{6})")
_CODE_FIX = str.maketrans({"O": "0", "I": "1", "L": "1", "-": None, " ": None})

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


def write_csv(issued: list[Issued], path: Path) -> Path:
    """Write ``number,id,name,certificate,issued_on`` rows; return the file written.

    ``path`` is the CSV file, or a folder to write ``register.csv`` in. The file is UTF-8
    with a byte-order mark (so Excel reads Chinese), formula-safe and replaced atomically.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "register.csv"
    rows = [
        [i.number, i.applicant_id, i.name, i.certificate, i.issued_on.isoformat()]
        for i in issued
    ]
    return paths.write_csv(path, ["number", "id", "name", "certificate", "issued_on"], rows)
