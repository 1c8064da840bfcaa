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

from formgen.exceptions import Problem
from formgen.load import RawRecord, load_files
from formgen.model.applicant import Applicant
from formgen.model.manifest import Manifest
from formgen.validate.fields import field_message, field_path
from formgen.validate.report import Report, Validated
from formgen.validate.rules import partial_rules, programme_rules, quota_warnings, record_rules

__all__ = ["Report", "Validated", "validate", "validate_files", "validate_record"]


def validate(
    records: list[RawRecord], manifest: Manifest, today: dt.date | None = None
) -> Report:
    """Validate a batch: types, then each record's rules, then the batch's (ids, quotas)."""
    today = today or dt.date.today()
    report = Report()
    seen_ids: dict[str, str] = {}
    for raw in records:
        applicant, problems = _validate_one(raw, manifest, today, seen_ids)
        report.problems.extend(problems)
        if applicant is None:
            report.failed.append(raw)
        else:
            report.valid.append(Validated(raw, applicant))
    report.problems.extend(quota_warnings(report.valid, manifest))
    return report


def _validate_one(
    raw: RawRecord, manifest: Manifest, today: dt.date, seen_ids: dict[str, str]
) -> tuple[Applicant | None, list[Problem]]:
    """The applicant when the record has no error (else None), and every problem found."""
    rid = raw.record_id
    where = f"{raw.where} ({rid})" if rid else raw.where

    def problem(field_name: str, message: str, severity: str = "error") -> Problem:
        place = where
        for prefix, location in raw.locations.items():
            if field_name == prefix or field_name.startswith(prefix + "."):
                place = f"{location} ({rid})" if rid else location
        return Problem(raw.file, place, field_name, message, severity, rid)

    data = raw.data
    if "__not_a_mapping__" in data:
        return None, [problem("", "is not an applicant record (expected a mapping of fields)")]
    if "__orphan_of__" in data:
        orphan = data["__orphan_of__"]
        group = data.get("__group__", "")
        if orphan is None:
            return None, [problem("id", f"this {group} row has no applicant id")]
        return None, [problem("id", f"no applicant has the id '{orphan}' (in the {group} rows)")]

    problems: list[Problem] = []
    if rid:
        if rid in seen_ids:
            problems.append(problem("id", f"'{rid}' is used twice; it was first used at {seen_ids[rid]}"))
        else:
            seen_ids[rid] = f"{raw.file}, {raw.where}"
    prog, programme_problems = programme_rules(data, manifest, problem)
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
    """Validate one record that came from no file (a web form, an upload, a request body)."""
    return validate([RawRecord(source, source, data)], manifest, today)


def validate_files(
    paths: list[Path], manifest: Manifest, today: dt.date
) -> tuple[list[RawRecord], Report]:
    """Load and validate data files: every record read, and the report on all of them.

    Raises DataFileError when a file cannot be read at all.
    """
    records = load_files(paths)
    return records, validate(records, manifest, today)
