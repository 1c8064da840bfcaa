"""Check raw records against the model and the notices' rules; report every problem at once.

Errors stop a record (nothing is written for it); warnings are reported and the record
goes on. ``validate`` never raises for bad data: it returns the problems.
"""

from __future__ import annotations

import datetime as dt
import difflib
import typing
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from .exceptions import Problem
from .load import RawRecord
from .manifest import Manifest
from .models import Applicant, Career, CpdEntry, Education, LocalText, _to_local_text
from .paths import safe_filename

MAX_DESCRIPTION = 300
CAREER_YEARS = 5
CPD_YEARS = 3
CPD_HOURS_PER_YEAR = 48


@dataclass
class Validated:
    """A record that passed: the applicant and where it came from."""

    source: RawRecord
    applicant: Applicant


@dataclass
class Report:
    """Outcome of validating a batch."""

    valid: list[Validated] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    failed: list[RawRecord] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _field_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            out += f".{part}" if out else str(part)
    return out


_ALLOWED_VALUES = {
    "programme": "csee-iet, cmes-soe",
    "grade": "CEng, IEng, EngTech",
    "gender": "male, female",
}


def _message(err: Any, model_fields: list[str]) -> str:
    kind = err["type"]
    value = err.get("input")
    if kind == "missing":
        return "is missing"
    if kind == "extra_forbidden":
        name = str(err["loc"][-1])
        close = difflib.get_close_matches(name, model_fields, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"is not a known field{hint}"
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return f"'{value}' is not one of: {expected.replace(chr(39), '').replace(' or ', ', ')}"
    if kind == "greater_than_equal":
        if isinstance(value, float):
            value = f"{value:g}"  # a CSV cell '-2' arrives here as -2.0
        return f"must not be negative (got {value})"
    if kind in ("too_short",) and isinstance(value, list):
        return "needs at least one entry"
    if kind == "string_too_short":
        return "is empty"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "must be a group of fields (a mapping)"
    if kind == "list_type":
        return "must be a list of entries"
    if kind in ("string_type",):
        return "must be text"
    if kind == "bool_type" or kind == "bool_parsing":
        return f"'{value}' is not true or false"
    if kind in ("float_parsing", "float_type"):
        return f"'{value}' is not a number"
    msg = str(err.get("msg", "is not valid"))
    return msg.removeprefix("Value error, ")


def _fields_of(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model inside an annotation such as ``list[Career]`` or ``Cmes | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _fields_around(loc: tuple[Any, ...]) -> list[str]:
    """The field names of the model that holds the field at ``loc`` (for spelling hints)."""
    model: type[BaseModel] = Applicant
    for part in loc[:-1]:
        info = model.model_fields.get(part) if isinstance(part, str) else None
        inner = _model_in(info.annotation) if info is not None else None
        if inner is not None:
            model = inner
    return _fields_of(model)


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
    report.problems.extend(_quota_warnings(report.valid, manifest))
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
    try:
        applicant = Applicant.model_validate(data)
    except ValidationError as e:
        for err in e.errors():
            loc = err["loc"]
            problems.append(problem(_field_path(loc), _message(err, _fields_around(loc))))
        problems.extend(_partial_rules(data if isinstance(data, dict) else {}, today, problem))
        return None, _dedupe(problems)
    problems.extend(_rules(applicant, manifest, today, problem))
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


def _rules(a: Applicant, manifest: Manifest, today: dt.date, problem: Any) -> list[Problem]:
    out: list[Problem] = []
    prog = manifest.programmes[a.programme]

    if not safe_filename(a.id):
        out.append(problem("id", f"'{a.id}' cannot be used as a folder name"))

    if a.programme == "cmes-soe":
        if a.cmes is None:
            out.append(problem("cmes", "is missing; cmes-soe applicants must be CMES members (cmes.membership_no, cmes.member_grade)"))
        if a.soe is None:
            out.append(problem("soe", "is missing; give the SOE membership applied for (soe.membership, soe.division)"))
    if a.programme == "csee-iet":
        if not a.unit:
            out.append(problem("unit", "is missing; csee-iet applicants are nominated by a unit of the quota table"))
        elif prog.quota and a.unit not in prog.quota:
            out.append(problem("unit", f"'{a.unit}' is not in the quota table", "warning"))
        deadline = prog.deadline_date(today.year)
        if deadline and today > deadline:
            out.append(problem("programme", f"registration for csee-iet closed on {deadline.isoformat()}", "warning"))

    out.extend(_entry_rules(a.education, a.career, a.cpd, a.description, today, problem))
    if len(a.education) > 2:
        out.append(problem("education", "lists more than the highest engineering degree(s)", "warning"))

    if a.cpd:
        short = []
        for year in range(CPD_YEARS):
            end = _years_before(today, year)
            start = _years_before(today, year + 1)
            hours = sum(c.hours for c in a.cpd if start < c.date <= end)
            if hours < CPD_HOURS_PER_YEAR:
                short.append(f"{hours:g} h in the year to {end.isoformat()}")
        if short:
            out.append(problem("cpd", f"under the {CPD_HOURS_PER_YEAR} hours a year that re-registration needs: {'; '.join(short)}", "warning"))

    for path, text in _local_texts(a):
        missing = text.missing()
        if len(missing) == 2:
            continue
        for lang in missing:
            other = "Chinese" if lang == "en" else "English"
            name = "English" if lang == "en" else "Chinese"
            out.append(problem(f"{path}.{lang}", f"has no {name} text; the {other} is used in {name} documents", "warning"))
    return out


def _entry_rules(
    education: list[Education],
    career: list[Career],
    cpd: list[CpdEntry],
    description: LocalText | None,
    today: dt.date,
    problem: Any,
) -> list[Problem]:
    """Rules on single entries: they run even when other parts of the record are wrong."""
    out: list[Problem] = []
    for i, e in enumerate(education, start=1):
        if e is not None and e.end < e.start:
            out.append(problem(f"education[{i}].end", f"ends ({e.end:%Y-%m}) before it starts ({e.start:%Y-%m})"))
    window_start = _years_before(today, CAREER_YEARS)
    for i, c in enumerate(career, start=1):
        if c is None:
            continue
        if c.end is not None and c.end < c.start:
            out.append(problem(f"career[{i}].end", f"ends ({c.end:%Y-%m}) before it starts ({c.start:%Y-%m})"))
        if c.start > today:
            out.append(problem(f"career[{i}].start", f"is in the future ({c.start:%Y-%m})"))
        if c.end is not None and c.end.replace(day=28) < window_start.replace(day=1):
            out.append(problem(f"career[{i}].end", f"ended in {c.end:%Y-%m}, more than {CAREER_YEARS} years ago; only the latest {CAREER_YEARS} years of career go on the form"))
    if description is not None:
        for lang in ("zh", "en"):
            text = getattr(description, lang) or ""
            if len(text) > MAX_DESCRIPTION:
                out.append(problem(f"description.{lang}", f"has {len(text)} characters; at most {MAX_DESCRIPTION} are allowed"))
    cpd_start = _years_before(today, CPD_YEARS)
    for i, entry in enumerate(cpd, start=1):
        if entry is None:
            continue
        if entry.date > today:
            out.append(problem(f"cpd[{i}].date", f"is in the future ({entry.date.isoformat()})"))
        elif entry.date < cpd_start:
            out.append(problem(f"cpd[{i}].date", f"is {entry.date.isoformat()}, more than {CPD_YEARS} years ago; the CPD record covers the past {CPD_YEARS} years"))
    return out


def _partial(model: type[BaseModel], value: Any) -> Any:
    try:
        return model.model_validate(value)
    except (ValidationError, TypeError, ValueError):
        return None


def _partial_rules(data: dict[str, Any], today: dt.date, problem: Any) -> list[Problem]:
    """The entry rules for the parts of a failed record that are well-formed on their own."""

    def entries(group: str, model: type[BaseModel]) -> list[Any]:
        value = data.get(group)
        return [_partial(model, v) for v in value] if isinstance(value, list) else []

    description = data.get("description")
    desc = _partial(LocalText, _to_local_text(description)) if description is not None else None
    return _entry_rules(
        entries("education", Education), entries("career", Career), entries("cpd", CpdEntry),
        desc, today, problem,
    )


def _local_texts(model: BaseModel, prefix: str = "") -> list[tuple[str, LocalText]]:
    found: list[tuple[str, LocalText]] = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        path = f"{prefix}.{name}" if prefix else name
        if isinstance(value, LocalText):
            found.append((path, value))
        elif isinstance(value, BaseModel):
            found.extend(_local_texts(value, path))
        elif isinstance(value, list):
            for i, item in enumerate(value, start=1):
                if isinstance(item, BaseModel):
                    found.extend(_local_texts(item, f"{path}[{i}]"))
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, BaseModel):
                    found.extend(_local_texts(item, f"{path}.{key}"))
    return found


def _quota_warnings(valid: list[Validated], manifest: Manifest) -> list[Problem]:
    out = []
    for programme_id, prog in manifest.programmes.items():
        if not prog.quota:
            continue
        counts: Counter[str] = Counter()
        for v in valid:
            a = v.applicant
            if a.programme != programme_id or a.unit not in prog.quota:
                continue
            counts[a.unit] += 1
            if counts[a.unit] > prog.quota[a.unit]:
                out.append(
                    Problem(
                        v.source.file,
                        f"{v.source.where} ({a.id})",
                        "unit",
                        f"{a.unit} is over its quota of {prog.quota[a.unit]} places (this is applicant {counts[a.unit]})",
                        "warning",
                        a.id,
                    )
                )
    return out
