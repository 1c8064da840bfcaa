"""How long each text may be, and how many rows each table may have: what fits its place
on the forms.

A text's width counts a Chinese (or other East Asian wide) character as two and any other
character as one, so one limit serves a field written in Chinese, in English, or once for
both. The personal description has its own rule (at most 300 characters per language,
:mod:`formgen.validate.rules`). These run on the record as read, so a record with other
errors hears of these too, and a long value is reported without being repeated.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from formgen.exceptions import Problem
from formgen.messages import msg

FIELD_WIDTHS: dict[str, int] = {
    "id": 40,
    "unit": 60,
    "name": 60,
    "job_title": 80,
    "expertise": 80,
    "mobile": 30,
    "email": 100,
    "company": 150,
    "company_address": 200,
    "company_phone": 30,
    "english_level": 60,
    "cmes.membership_no": 30,
    "soe.division": 20,
    "certificate.ecuk_number": 20,
    "certificate.soe_membership_number": 20,
}
"""Widest text of each field of the record itself (and of its ``cmes``, ``soe`` and
``certificate`` parts)."""

GROUP_WIDTHS: dict[str, dict[str, int]] = {
    "education": {"qualification": 80, "course": 100, "institution": 120},
    "career": {"company": 150, "job_title": 80, "responsibilities": 600},
    "cpd": {"description": 250, "organizer": 150, "initials": 10},
}
"""Widest text of each field of a table row."""

COMPETENCE_WIDTHS: dict[str, int] = {
    "roles": 1000, "education_base": 1000, "ipd": 1000, "dap": 1000, "evidence": 200,
}
"""Widest text of each column of the competence cross-reference table."""

MAX_ROWS: dict[str, int] = {"education": 5, "career": 20, "cpd": 100}
"""Most rows of each table."""

_WIDE = re.compile(
    "[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
    "\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6"
    "\U00020000-\U0002fffd\U00030000-\U0003fffd]"
)
"""East Asian wide and full-width characters (Unicode's East_Asian_Width W and F)."""


def width(text: str) -> int:
    """``text``'s width on a form: a wide (Chinese) character counts as two."""
    if text.isascii():
        return len(text)
    return len(text) + _WIDE.subn("", text)[1]


_FIELDS = [(*dotted.rpartition(".")[::2], dotted, limit) for dotted, limit in FIELD_WIDTHS.items()]
"""(part, name, dotted path, limit) of each field in FIELD_WIDTHS."""


def length_problems(data: Mapping[str, Any], problem: Any) -> list[Problem]:
    """A problem for every text wider than its field allows and every table with more
    rows than the form has (``problem(field, message)`` places them in the record)."""
    out: list[Problem] = []
    for part, name, dotted, limit in _FIELDS:
        holder = data.get(part) if part else data
        if isinstance(holder, dict):
            value = holder.get(name)
            if value is not None and not _short(value, limit):
                _check(out, problem, value, limit, dotted)
    for group, widths in GROUP_WIDTHS.items():
        rows = data.get(group)
        if type(rows) is not list:
            continue
        if len(rows) > MAX_ROWS[group]:
            out.append(problem(group, msg("field.too-many-rows", count=len(rows),
                                          limit=MAX_ROWS[group])))
        for number, row in enumerate(rows[: MAX_ROWS[group]], start=1):
            if isinstance(row, dict):
                for name, limit in widths.items():
                    value = row.get(name)
                    if value is not None and not _short(value, limit):
                        _check(out, problem, value, limit, group, number, name)
    competences = data.get("competences")
    if isinstance(competences, dict):
        for code, entry in competences.items():
            if isinstance(entry, dict):
                for name, limit in COMPETENCE_WIDTHS.items():
                    _check(out, problem, entry.get(name), limit, f"competences.{code}", None, name)
    return out


def _short(value: Any, limit: int) -> bool:
    """Whether ``value`` is a text, or {zh, en} of texts, short enough for any width to fit."""
    if type(value) is str:
        return len(value) * 2 <= limit
    if type(value) is dict:
        zh, en = value.get("zh"), value.get("en")
        return ((zh is None or (type(zh) is str and len(zh) * 2 <= limit))
                and (en is None or (type(en) is str and len(en) * 2 <= limit)))
    return False


def _check(out: list[Problem], problem: Any, value: Any, limit: int, head: str,
           number: int | None = None, name: str = "") -> None:
    """A problem in ``out`` when ``value`` (a text, or {zh, en}) is wider than ``limit``.
    The field's path is made only then: ``head``, ``head[number].name`` or ``head.name``."""
    if type(value) is str:
        if len(value) * 2 > limit and (wide := width(value)) > limit:
            out.append(problem(_path(head, number, name), msg("field.too-wide", width=wide, limit=limit)))
    elif isinstance(value, dict):
        for lang in ("zh", "en"):
            text = value.get(lang)
            if type(text) is str and len(text) * 2 > limit and (wide := width(text)) > limit:
                out.append(problem(f"{_path(head, number, name)}.{lang}",
                                   msg("field.too-wide", width=wide, limit=limit)))


def _path(head: str, number: int | None, name: str) -> str:
    if number is not None:
        return f"{head}[{number}].{name}"
    return f"{head}.{name}" if name else head
