"""One record against the model and the notices' rules: every problem it has on its own.

What depends on the other records (an id used twice, the quotas) is the batch's to add
(:mod:`formgen.validate`): :func:`examine` needs nothing but the record, so records can be
examined apart, in other processes too (:mod:`formgen.validate.stream`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from formgen.exceptions import Problem
from formgen.load import RawRecord, with_id
from formgen.messages import Message, msg
from formgen.model.applicant import Applicant
from formgen.model.manifest import Manifest
from formgen.validate.fields import field_message, field_path
from formgen.validate.glyphs import glyph_warnings
from formgen.validate.lengths import length_problems
from formgen.validate.rules import ProblemMaker, partial_rules, programme_rules, record_rules


@dataclass
class Examined:
    """What examining a record found."""

    problems: list[Problem]
    applicant: Applicant | None
    """The applicant, when the record has no error of its own."""
    id_at: int = 0
    """Where among ``problems`` the error of an id used twice goes."""


def maker(raw: RawRecord) -> ProblemMaker:
    """``problem(field, message, severity)`` placed in ``raw``: at the row a repeating-group
    entry came from, else at the record."""
    rid = raw.record_id
    at_record: list[Message] = []  # one object for the record's problems (sent once)

    def problem(field_name: str, message: Message, severity: str = "error") -> Problem:
        place = None
        for prefix, location in raw.locations.items():
            if field_name == prefix or field_name.startswith(prefix + "."):
                place = location
        if place is not None:
            record = with_id(place, rid)
        elif at_record:
            record = at_record[0]
        else:
            record = with_id(raw.where, rid)
            at_record.append(record)
        return Problem(raw.file, record, field_name, message, severity, rid)

    return problem


def examine(raw: RawRecord, manifest: Manifest, today: dt.date, *, drawable: bool = False) -> Examined:
    """The applicant when the record has no error of its own (else None), and every
    problem found. ``drawable``: every character of the record's texts is known to have a
    font (its group's text was looked at), so they are not looked at again."""
    problem = maker(raw)
    if raw.refused is not None:  # refused, or a whole file
        return Examined([problem("", raw.refused)], None)
    if raw.kind == "not_a_mapping":
        return Examined([problem("", msg("record.not-a-mapping"))], None)
    if raw.kind == "orphan":
        if not raw.orphan_of:
            return Examined([problem("id", msg("record.group-row-without-id", group=raw.group))], None)
        return Examined([problem("id", msg("record.group-row-unknown-id", id=raw.orphan_of,
                                           group=raw.group))], None)
    data = raw.data

    problems: list[Problem] = [problem(n.field, n.message, n.severity) for n in raw.notes]
    noted = len(problems)
    prog, programme_problems = programme_rules(data, manifest, problem)
    problems.extend(length_problems(data, problem))
    try:
        applicant = Applicant.model_validate(data)
    except ValidationError as e:
        for err in e.errors():
            loc = err["loc"]
            problems.append(problem(field_path(loc), field_message(err)))
        problems.extend(programme_problems)
        problems.extend(partial_rules(data if isinstance(data, dict) else {}, today, problem))
        return Examined(_dedupe(problems), None, len(_dedupe(problems[:noted])))
    problems.extend(programme_problems)
    problems.extend(record_rules(applicant, prog, today, problem))
    if not drawable:
        problems.extend(glyph_warnings(data, applicant, problem))
    if any(p.severity == "error" for p in problems):
        return Examined(problems, None, noted)
    return Examined(problems, applicant, noted)


def check_id(raw: RawRecord, found: Examined, seen_ids: dict[str, Any]) -> bool:
    """Whether the record's id is its own: the first record with an id notes it in
    ``seen_ids``; a later one gets the error, naming the first (in ``found.problems``)."""
    rid = raw.record_id
    if raw.kind != "applicant" or not rid:
        return True
    first = seen_ids.get(rid)
    if first is None:
        seen_ids[rid] = (raw.file, raw.where)  # the message is made only for an id used twice
        return True
    if type(first) is tuple:
        first = msg("place.in-file", file=first[0], place=first[1])
    found.problems.insert(found.id_at, maker(raw)("id", msg("record.duplicate-id", id=rid, first=first)))
    return False


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen = set()
    out = []
    for p in problems:
        key = (p.field, p.message)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out
