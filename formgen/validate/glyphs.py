"""Characters no font can draw: a warning (an error with ``--strict``) naming the field and
the character, so that nobody prints an empty box where a name should be.

The fonts are those of formgen's configuration (:mod:`formgen.fonts`), their coverage read
once per process. A record is checked as one text first (its data as JSON, written by
pydantic's serialiser), and only when that holds such a character are the applicant's
fields looked at one by one, so validation stays about as fast as without the check
(``bench/bench_glyphs.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel
from pydantic_core import to_json

from formgen.exceptions import Problem
from formgen.fonts import undrawable
from formgen.messages import msg
from formgen.model.applicant import Applicant
from formgen.validate.rules import ProblemMaker


def glyph_warnings(data: Any, applicant: Applicant, problem: ProblemMaker) -> list[Problem]:
    """A warning for each field of ``applicant`` (read from the record ``data``) holding a
    character no font of formgen's configuration has."""
    if not undrawable(to_json(data, fallback=str).decode("utf-8")):
        return []
    return [
        problem(path, msg("rule.no-glyph", char=char, code=f"U+{ord(char):04X}"), "warning")
        for path, text in _texts(applicant)
        for char in undrawable(text)
    ]


def _texts(value: object, path: str = "") -> Iterator[tuple[str, str]]:
    """Every text in ``value`` with its field's path (``name.zh``, ``career[1].company``)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _texts(getattr(value, name), f"{path}.{name}" if path else name)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value, start=1):
            yield from _texts(item, f"{path}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(item, f"{path}.{key}")
