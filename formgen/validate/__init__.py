"""The validate stage: raw records against the model and the notices' rules, every
problem at once.

Errors stop a record (nothing is written for it); warnings are reported and the record
goes on. ``validate`` never raises for bad data: it returns the problems.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from formgen import clock
from formgen.exceptions import Problem
from formgen.load import (
    UPLOAD,
    RawRecord,
    load_files,
    refused_record,
    with_id,
    without_cycle_collection,
)
from formgen.load.limits import LimitExceeded, check_record
from formgen.messages import Message, msg
from formgen.model.applicant import Applicant
from formgen.model.manifest import Manifest
from formgen.validate.fields import field_message, field_path
from formgen.validate.glyphs import glyph_warnings
from formgen.validate.lengths import length_problems
from formgen.validate.report import Report, Validated
from formgen.validate.rules import QuotaCount, partial_rules, programme_rules, record_rules

__all__ = ["Report", "Validated", "validate", "validate_files", "validate_record"]


def validate(
    records: list[RawRecord],
    manifest: Manifest,
    today: dt.date | None = None,
    *,
    keep_applicants: bool = True,
) -> Report:
    """Validate a batch: types, then each record's rules, then the batch's (ids, quotas).

    With ``keep_applicants=False`` the report has every problem and counts the valid
    records, but holds none of their applicants: a check of many thousands stays small.
    """
    today = today or clock.today()
    report = Report()
    seen_ids: dict[str, Message] = {}
    quotas = QuotaCount(manifest)
    with without_cycle_collection():
        for raw in records:
            applicant, problems = _validate_one(raw, manifest, today, seen_ids)
            report.problems.extend(problems)
            if applicant is None:
                report.failed.append(raw)
                continue
            report.valid_count += 1
            quotas.add(raw, applicant)
            if keep_applicants:
                report.valid.append(Validated(raw, applicant))
    report.problems.extend(quotas.warnings())
    return report


def _validate_one(
    raw: RawRecord, manifest: Manifest, today: dt.date, seen_ids: dict[str, Message]
) -> tuple[Applicant | None, list[Problem]]:
    """The applicant when the record has no error (else None), and every problem found."""
    rid = raw.record_id

    def problem(field_name: str, message: Message, severity: str = "error") -> Problem:
        place = raw.where
        for prefix, location in raw.locations.items():
            if field_name == prefix or field_name.startswith(prefix + "."):
                place = location
        return Problem(raw.file, with_id(place, rid), field_name, message, severity, rid)

    if raw.refused is not None:  # refused, or a whole file
        return None, [problem("", raw.refused)]
    if raw.kind == "not_a_mapping":
        return None, [problem("", msg("record.not-a-mapping"))]
    if raw.kind == "orphan":
        if not raw.orphan_of:
            return None, [problem("id", msg("record.group-row-without-id", group=raw.group))]
        return None, [problem("id", msg("record.group-row-unknown-id", id=raw.orphan_of,
                                        group=raw.group))]
    data = raw.data

    problems: list[Problem] = [problem(n.field, n.message, n.severity) for n in raw.notes]
    if rid:
        if rid in seen_ids:
            problems.append(problem("id", msg("record.duplicate-id", id=rid, first=seen_ids[rid])))
        else:
            seen_ids[rid] = msg("place.in-file", file=raw.file, place=raw.where)
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
        return None, _dedupe(problems)
    problems.extend(programme_problems)
    problems.extend(record_rules(applicant, prog, today, problem))
    problems.extend(glyph_warnings(data, applicant, problem))
    if any(p.severity == "error" for p in problems):
        return None, problems
    return applicant, problems


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen = set()
    out = []
    for p in problems:
        key = (p.field, p.message)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def validate_record(
    data: dict[str, Any], manifest: Manifest, today: dt.date, source: str = "form"
) -> Report:
    """Validate one record that came from no file (a web form, an upload, a request body,
    a link), under the web's limits."""
    raw = RawRecord(source, msg("place.submitted"), data)
    try:
        check_record(data, UPLOAD)
    except LimitExceeded as e:
        raw = refused_record(source, msg("place.submitted"), e.message)
    return validate([raw], manifest, today)


def validate_files(
    paths: list[Path], manifest: Manifest, today: dt.date, *, keep_applicants: bool = True
) -> tuple[list[RawRecord], Report]:
    """Load and validate data files: every record read, and the report on all of them
    (without the valid applicants when ``keep_applicants`` is False).

    Raises DataFileError when a file cannot be read at all.
    """
    records = load_files(paths)
    return records, validate(records, manifest, today, keep_applicants=keep_applicants)
