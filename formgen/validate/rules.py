"""The notices' rules on one applicant, and on the batch (quotas).

``record_rules`` runs on a valid applicant; ``entry_rules`` on single entries, so they
also run on the well-formed parts of a record that failed (``partial_rules``).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from formgen.exceptions import Problem
from formgen.model.applicant import (
    GRADE_CODES,
    Applicant,
    Career,
    CpdEntry,
    Education,
    LocalText,
    _to_local_text,
)
from formgen.model.manifest import Manifest, Programme
from formgen.paths import safe_filename
from formgen.validate.report import Validated

ProblemMaker = Callable[..., Problem]
"""``problem(field, message, severity="error")``: a Problem placed in its record."""

MAX_DESCRIPTION = 300
CAREER_YEARS = 5
CPD_YEARS = 3
CPD_HOURS_PER_YEAR = 48

def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _scalar_text(value: Any) -> str:
    return str(value).strip() if isinstance(value, (str, int, float)) else ""


def programme_rules(
    data: Mapping[str, Any], manifest: Manifest, problem: ProblemMaker
) -> tuple[Programme | None, list[Problem]]:
    """The record's programme (None when it names none of the manifest's), and problems with
    the programme, the grade it offers and the division chosen.

    Runs on the record as read, so a record with other errors hears of these too.
    """
    programme = _scalar_text(data.get("programme"))
    if not programme:
        return None, []  # missing: the model says so
    prog = manifest.programmes.get(programme)
    if prog is None:
        return None, [problem("programme", f"'{programme}' is not one of: {', '.join(manifest.programmes)}")]
    out: list[Problem] = []
    grade = _scalar_text(data.get("grade"))
    if grade in GRADE_CODES and grade not in prog.grades:
        out.append(problem("grade", f"'{grade}' is not a grade of {programme}; it offers {', '.join(prog.grades)}"))
    soe = data.get("soe")
    division = _scalar_text(soe.get("division")) if isinstance(soe, Mapping) else ""
    if division and division not in prog.divisions:
        choices = ", ".join(prog.divisions)
        out.append(problem("soe.division", f"'{division}' is not one of: {choices}" if choices
                           else f"{programme} has no divisions to choose from"))
    return prog, out


def record_rules(
    a: Applicant, prog: Programme | None, today: dt.date, problem: ProblemMaker
) -> list[Problem]:
    """The notices' rules on one applicant of the programme ``prog`` (None: a programme the
    manifest does not have, already reported; only the rules of any programme run)."""
    out: list[Problem] = []
    if not safe_filename(a.id):
        out.append(problem("id", f"'{a.id}' cannot be used as a folder name"))
    if prog is not None:
        out.extend(_programme_record_rules(a, prog, today, problem))
    out.extend(entry_rules(a.education, a.career, a.cpd, a.description, today, problem))
    return out + _record_warnings(a, today, problem)


def _programme_record_rules(
    a: Applicant, prog: Programme, today: dt.date, problem: ProblemMaker
) -> list[Problem]:
    out: list[Problem] = []

    if "cmes" in prog.requires and a.cmes is None:
        out.append(problem("cmes", f"is missing; {a.programme} applicants must be CMES members (cmes.membership_no, cmes.member_grade)"))
    if "soe" in prog.requires and a.soe is None:
        out.append(problem("soe", "is missing; give the SOE membership applied for (soe.membership, soe.division)"))
    if "unit" in prog.requires and not a.unit:
        if prog.quota:
            out.append(problem("unit", f"is missing; {a.programme} applicants are nominated by a unit of the quota table"))
        else:
            out.append(problem("unit", f"is missing; {a.programme} applicants name the unit that nominates them"))
    elif a.unit and prog.quota and a.unit not in prog.quota:
        out.append(problem("unit", f"'{a.unit}' is not in the quota table", "warning"))
    deadline = prog.deadline_date(today.year)
    if deadline and today > deadline:
        out.append(problem("programme", f"registration for {a.programme} closed on {deadline.isoformat()}", "warning"))
    return out


def _record_warnings(a: Applicant, today: dt.date, problem: ProblemMaker) -> list[Problem]:
    out: list[Problem] = []
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


def entry_rules(
    education: list[Education],
    career: list[Career],
    cpd: list[CpdEntry],
    description: LocalText | None,
    today: dt.date,
    problem: ProblemMaker,
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


def partial_rules(data: dict[str, Any], today: dt.date, problem: ProblemMaker) -> list[Problem]:
    """The entry rules for the parts of a failed record that are well-formed on their own."""

    def entries(group: str, model: type[BaseModel]) -> list[Any]:
        value = data.get(group)
        return [_partial(model, v) for v in value] if isinstance(value, list) else []

    description = data.get("description")
    desc = _partial(LocalText, _to_local_text(description)) if description is not None else None
    return entry_rules(
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


def quota_warnings(valid: list[Validated], manifest: Manifest) -> list[Problem]:
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
