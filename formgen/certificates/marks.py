"""A register's sealed mark over a table kept beside its rows (what certificates print,
:mod:`formgen.certificates.printed`; their places in the status lists,
:mod:`formgen.certificates.places`): the first event from which every certificate
numbered has its sealed row there, kept in ``meta`` with its seal, and said again by an
event whose detail is ``from event N`` (N: the mark's event), so that deleting a row, or
dropping the table with its mark, shows in the audit of the whole register.
"""

from __future__ import annotations

import hmac
import re

from formgen.certificates.register import Register
from formgen.messages import Message

_KEPT_DETAIL = re.compile(r"from event (\d+)")


def kept_from(detail: str) -> int | None:
    """The event a mark's event detail names (None when it names none)."""
    found = _KEPT_DETAIL.fullmatch(detail)
    return int(found.group(1)) if found else None


def mark_seal(reg: Register, domain: str, key: str, since: str) -> str:
    """The seal of the mark ``key`` (in ``meta``) of the table sealed under ``domain``."""
    return reg.mac(domain, reg.key.key_id, key, since).hex()


def audit_mark(reg: Register, domain: str, key: str, has_table: bool, kept_event: int | None,
               altered: Message, missing: Message,
               table_missing: Message) -> tuple[list[Message], int | None]:
    """What is wrong with the mark ``key`` and its table (the mark altered, or not saying
    what the event ``kept_event`` says: ``altered``; the mark missing: ``missing``; the
    table missing: ``table_missing``), and the event from which every certificate issued
    must have its row (None when the register never kept them)."""
    problems: list[Message] = []
    marks = reg.query("SELECT value FROM meta WHERE key = ?", (key,))
    since = None
    if marks:
        text, _, sealed = str(marks[0][0]).partition(" ")
        if (not text.isdigit() or not hmac.compare_digest(sealed, mark_seal(reg, domain, key, text))
                or (kept_event is not None and int(text) != kept_event)):
            problems.append(altered)
        else:
            since = int(text)
    elif kept_event is not None or has_table:
        problems.append(missing)
    if not has_table and (marks or kept_event is not None):
        problems.append(table_missing)
    return problems, kept_event if kept_event is not None else since


def unkept(numbered: dict[str, int], issued: list[str], start: int | None,
           kept: set[str]) -> list[str]:
    """The certificates issued (``issued``, numbered at the events ``numbered``) from the
    event ``start`` on that have no row in ``kept``."""
    if start is None:
        return []
    return [n for n in issued if numbered.get(n, 0) >= start and n not in kept]
