"""The notices' rules on one applicant, and on the batch (quotas).

``record_rules`` runs on a valid applicant; ``entry_rules`` on single entries, so they
also run on the well-formed parts of a record that failed (``partial_rules``).
"""

from __future__ import annotations

import datetime as dt
import typing
from collections import Counter
from collections.abc import Callable, Mapping
from functools import cache, lru_cache
from typing import Any

from pydantic import BaseModel, ValidationError

from formgen.exceptions import Problem
from formgen.load import RawRecord
from formgen.messages import Joined, Message, YearMonth, msg
from formgen.model.applicant import (
    GRADE_CODES,
    Applicant,
    Career,
    Competence,
    CpdEntry,
    Education,
    LocalText,
    _to_local_text,
)
from formgen.model.manifest import Manifest, Programme
from formgen.paths import safe_filename

ProblemMaker = Callable[..., Problem]
"""``problem(field, message, severity="error")``: a Problem placed in its record
(``message`` a :class:`~formgen.messages.Message`)."""

MAX_DESCRIPTION = 300
CAREER_YEARS = 5
CPD_YEARS = 3
CPD_HOURS_PER_YEAR = 48

@lru_cache(maxsize=256)  # the same few days for every record of a run
def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def career_since(today: dt.date) -> dt.date:
    """The first day of the career the form covers: posts that ended before its month are too old."""
    return _years_before(today, CAREER_YEARS)


def cpd_since(today: dt.date) -> dt.date:
    """The earliest CPD date the record takes."""
    return _years_before(today, CPD_YEARS)


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
        return None, [problem("programme", msg(
            "field.not-one-of", value=programme, allowed=list(manifest.programmes)))]
    out: list[Problem] = []
    grade = _scalar_text(data.get("grade"))
    if grade in GRADE_CODES and grade not in prog.grades:
        if prog.eligibility is not None:
            out.append(problem("grade", msg(
                "rule.grade-not-eligible", grade=grade, programme=programme,
                rule=prog.eligibility)))
        else:
            out.append(problem("grade", msg(
                "rule.grade-not-offered", grade=grade, programme=programme,
                grades=list(prog.grades))))
    soe = data.get("soe")
    division = _scalar_text(soe.get("division")) if isinstance(soe, Mapping) else ""
    if division and division not in prog.divisions:
        out.append(problem("soe.division", msg(
            "field.not-one-of", value=division, allowed=list(prog.divisions)
        ) if prog.divisions else msg("rule.no-divisions", programme=programme)))
    out.extend(_required_parts(data, programme, prog, problem))
    return prog, out


def _required_parts(
    data: Mapping[str, Any], programme: str, prog: Programme, problem: ProblemMaker
) -> list[Problem]:
    """The parts the programme requires (CMES and SOE membership, the unit), on the record
    as read, so they are reported with the record's other errors."""
    out: list[Problem] = []
    # the programme's id (as in the data) in English, its short name (CSEE–IET) in Chinese
    name = prog.short_name
    if "cmes" in prog.requires and data.get("cmes") is None:
        out.append(problem("cmes", msg("rule.cmes-missing", programme=programme, name=name)))
    if "soe" in prog.requires and data.get("soe") is None:
        out.append(problem("soe", msg("rule.soe-missing")))
    if "unit" in prog.requires and not _scalar_text(data.get("unit")):
        if prog.quota:
            out.append(problem("unit", msg("rule.unit-missing", programme=programme, name=name)))
        else:
            out.append(problem("unit", msg("rule.unit-missing-no-quota", programme=programme, name=name)))
    return out


def record_rules(
    a: Applicant, prog: Programme | None, today: dt.date, problem: ProblemMaker
) -> list[Problem]:
    """The notices' rules on one applicant of the programme ``prog`` (None: a programme the
    manifest does not have, already reported; only the rules of any programme run)."""
    out: list[Problem] = []
    if not safe_filename(a.id):
        out.append(problem("id", msg("rule.id-not-a-folder-name", id=a.id)))
    if prog is not None:
        out.extend(_programme_record_rules(a, prog, today, problem))
    out.extend(entry_rules(a.education, a.career, a.cpd, a.description, today, problem))
    return out + _record_warnings(a, today, problem)


def _programme_record_rules(
    a: Applicant, prog: Programme, today: dt.date, problem: ProblemMaker
) -> list[Problem]:
    out: list[Problem] = []
    programme, name = a.programme, prog.short_name
    if a.unit and prog.quota and a.unit not in prog.quota:
        out.append(problem("unit", msg("rule.unit-not-in-quota", unit=a.unit), "warning"))
    deadline = _deadline(prog, today.year)
    if deadline and today > deadline:
        out.append(problem("programme", msg(
            "rule.registration-closed", programme=programme, name=name, deadline=deadline
        ), "warning"))
    return out


def _deadline(prog: Programme, year: int) -> dt.date | None:
    """``prog.deadline_date(year)``, worked out once for a run's records."""
    key = (prog.deadline, year)
    if key not in _DEADLINES:
        _DEADLINES[key] = prog.deadline_date(year)
    return _DEADLINES[key]


_DEADLINES: dict[tuple[str | None, int], dt.date | None] = {}


def _record_warnings(a: Applicant, today: dt.date, problem: ProblemMaker) -> list[Problem]:
    out: list[Problem] = []
    if len(a.education) > 2:
        out.append(problem("education", msg("rule.more-than-highest-degree"), "warning"))

    out.extend(_cpd_hours(a.cpd, today, problem))
    _one_language(a, "", problem, out)
    return out


@lru_cache(maxsize=16)
def _cpd_years(today: dt.date) -> tuple[tuple[dt.date, dt.date], ...]:
    """The first day before and the last day of each year the CPD hours are counted in,
    the latest first (each year begins where the one before it ends)."""
    return tuple((_years_before(today, year + 1), _years_before(today, year)) for year in range(CPD_YEARS))


def _cpd_hours(cpd: list[CpdEntry], today: dt.date, problem: ProblemMaker) -> list[Problem]:
    if not cpd:
        return []
    years = _cpd_years(today)
    hours: list[float] = [0] * CPD_YEARS
    for entry in cpd:
        day = entry.date
        for year, (start, end) in enumerate(years):
            if start < day <= end:
                hours[year] += entry.hours
                break
    warning = _cpd_warning(tuple(hours), today)
    return [] if warning is None else [problem("cpd", warning, "warning")]


@lru_cache(maxsize=1024)  # many records have the same hours (none, or one course a year)
def _cpd_warning(hours: tuple[float, ...], today: dt.date) -> Message | None:
    """The warning for the CPD ``hours`` of each year (:func:`_cpd_years`), when one is short."""
    short = [msg("rule.cpd-hours-in-year", hours=total, end=end)
             for total, (_, end) in zip(hours, _cpd_years(today), strict=True) if total < CPD_HOURS_PER_YEAR]
    if not short:
        return None
    return msg("rule.cpd-hours-short", hours=CPD_HOURS_PER_YEAR,
               years=Joined(tuple(short), msg("list.semicolon")))


def _language_warnings(path: str, text: LocalText, problem: ProblemMaker) -> list[Problem]:
    if bool(text.zh) == bool(text.en):  # both, or neither (then the field says it)
        return []
    missing = text.missing()
    if len(missing) == 2:
        return []
    return [
        problem(f"{path}.{lang}", msg("rule.no-english-text") if lang == "en" else msg("rule.no-chinese-text"), "warning")
        for lang in missing
    ]


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
            out.append(problem(f"education[{i}].end", _ends_before_start(e.end, e.start)))
    window_start = career_since(today)
    for i, c in enumerate(career, start=1):
        if c is None:
            continue
        if c.end is not None and c.end < c.start:
            out.append(problem(f"career[{i}].end", _ends_before_start(c.end, c.start)))
        if c.start > today:
            out.append(problem(f"career[{i}].start", msg("rule.in-the-future", when=YearMonth(c.start))))
        if c.end is not None and c.end.replace(day=28) < window_start.replace(day=1):
            out.append(problem(f"career[{i}].end", msg(
                "rule.career-too-old", end=YearMonth(c.end), years=CAREER_YEARS)))
    if description is not None:
        for lang in ("zh", "en"):
            text = getattr(description, lang) or ""
            if len(text) > MAX_DESCRIPTION:
                out.append(problem(f"description.{lang}", msg(
                    "rule.too-long", count=len(text), limit=MAX_DESCRIPTION)))
    cpd_start = cpd_since(today)
    for i, entry in enumerate(cpd, start=1):
        if entry is None:
            continue
        if entry.date > today:
            out.append(problem(f"cpd[{i}].date", msg("rule.in-the-future", when=entry.date)))
        elif entry.date < cpd_start:
            out.append(problem(f"cpd[{i}].date", msg(
                "rule.cpd-too-old", date=entry.date, years=CPD_YEARS)))
    return out


def _ends_before_start(end: dt.date, start: dt.date) -> Message:
    return msg("rule.ends-before-start", end=YearMonth(end), start=YearMonth(start))


def _partial(model: type[BaseModel], value: Any, convert: Callable[[Any], Any] | None = None) -> Any:
    """``value`` as ``model`` (through ``convert`` first), or None when it is not one."""
    try:
        return model.model_validate(convert(value) if convert else value)
    except (ValidationError, TypeError, ValueError):  # a converter's own error is a ValueError
        return None


def partial_rules(data: dict[str, Any], today: dt.date, problem: ProblemMaker) -> list[Problem]:
    """The entry rules and the warnings for the parts of a failed record that are
    well-formed on their own, so a record's problems all come in one pass."""

    def entries(group: str, model: type[BaseModel]) -> list[Any]:
        value = data.get(group)
        return [_partial(model, v) for v in value] if isinstance(value, list) else []

    description = data.get("description")
    desc = _partial(LocalText, description, _to_local_text) if description is not None else None
    cpd = entries("cpd", CpdEntry)
    out = entry_rules(
        entries("education", Education), entries("career", Career), cpd, desc, today, problem,
    )
    if all(c is not None for c in cpd):  # hours of a list with a broken row would mislead
        out.extend(_cpd_hours(cpd, today, problem))
    for path, value in _raw_local_texts(data):
        text = _partial(LocalText, value)
        if text is not None:
            out.extend(_language_warnings(path, text, problem))
    return out


_GROUP_MODELS: dict[str, type[BaseModel]] = {"education": Education, "career": Career, "cpd": CpdEntry}


def _local_keys(model: type[BaseModel]) -> list[str]:
    return [name for name, info in model.model_fields.items() if info.annotation is LocalText]


def _raw_local_texts(data: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The ``{zh, en}`` values of a record as read, by path (plain texts stand for both)."""
    found: list[tuple[str, Any]] = []

    def take(path: str, holder: Any, keys: list[str]) -> None:
        if isinstance(holder, Mapping):
            found.extend((f"{path}{key}", holder[key]) for key in keys if isinstance(holder.get(key), Mapping))

    take("", data, _local_keys(Applicant))
    for group, model in _GROUP_MODELS.items():
        rows = data.get(group)
        for i, row in enumerate(rows if isinstance(rows, list) else [], start=1):
            take(f"{group}[{i}].", row, _local_keys(model))
    competences = data.get("competences")
    if isinstance(competences, Mapping):
        for code, entry in competences.items():
            take(f"competences.{str(code).strip().upper()}.", entry, _local_keys(Competence))
    return found


@cache
def _nested(model: type[BaseModel]) -> tuple[str, ...]:
    """The fields of ``model`` that may hold a LocalText or another model (not plain values)."""
    return tuple(name for name, info in model.model_fields.items() if _may_nest(info.annotation))


def _may_nest(annotation: Any) -> bool:
    if typing.get_origin(annotation) is None:
        return isinstance(annotation, type) and issubclass(annotation, BaseModel)
    return typing.get_origin(annotation) in (list, dict) or any(
        _may_nest(a) for a in typing.get_args(annotation))


def _one_language(model: BaseModel, prefix: str, problem: ProblemMaker, out: list[Problem]) -> None:
    """A warning in ``out`` for each text of ``model`` (and of the models in it) given in
    one language only; a field's path is made only for those."""
    for name in _nested(type(model)):
        value = getattr(model, name)
        kind = type(value)  # types compared, not isinstance: a model's is an ABC's, slow to ask
        if kind is LocalText:
            if bool(value.zh) != bool(value.en):
                out.extend(_language_warnings(f"{prefix}.{name}" if prefix else name, value, problem))
            continue
        path = f"{prefix}.{name}" if prefix else name
        if kind is list:
            for i, item in enumerate(value, start=1):
                if _is_model(type(item)):
                    _one_language(item, f"{path}[{i}]", problem, out)
        elif kind is dict:
            for key, item in value.items():
                if _is_model(type(item)):
                    _one_language(item, f"{path}.{key}", problem, out)
        elif _is_model(kind):
            _one_language(value, path, problem, out)


def _is_model(kind: type) -> bool:
    known = _MODEL_TYPES.get(kind)
    if known is None:
        known = _MODEL_TYPES[kind] = issubclass(kind, BaseModel)
    return known


_MODEL_TYPES: dict[type, bool] = {}


Quota = tuple[str, "str | None", str]
"""What the quotas need of a valid applicant: programme, unit and id (:func:`quota_of`)."""


def quota_of(a: Applicant) -> Quota:
    return a.programme, a.unit, a.id


class QuotaCount:
    """Places taken per nominating unit, counted as valid applicants come: each applicant
    past the unit's quota gets a warning."""

    def __init__(self, manifest: Manifest) -> None:
        self.programmes = {pid: prog for pid, prog in manifest.programmes.items() if prog.quota}
        self.counts: dict[str, Counter[str]] = {pid: Counter() for pid in self.programmes}
        self.found: dict[str, list[Problem]] = {pid: [] for pid in self.programmes}

    def add(self, source: RawRecord, place: Quota) -> Problem | None:
        """Count the valid applicant of ``source`` in its unit's places; the warning, when
        it is past the unit's quota."""
        programme, unit, applicant_id = place
        prog = self.programmes.get(programme)
        if prog is None or unit is None or unit not in prog.quota:
            return None
        counts = self.counts[programme]
        counts[unit] += 1
        if counts[unit] <= prog.quota[unit]:
            return None
        warning = Problem(
            source.file, source.place, "unit",
            msg("rule.over-quota", unit=unit, places=prog.quota[unit], number=counts[unit]),
            "warning", applicant_id,
        )
        self.found[programme].append(warning)
        return warning

    def staged(self) -> QuotaCount:
        """A count that goes on from this one, for applicants that may yet be dropped (a
        file refused part way): :meth:`take` keeps what it counted."""
        staged = QuotaCount.__new__(QuotaCount)
        staged.programmes = self.programmes
        staged.counts = {pid: Counter(counts) for pid, counts in self.counts.items()}
        staged.found = {pid: [] for pid in self.programmes}
        return staged

    def take(self, staged: QuotaCount) -> None:
        """Keep what ``staged`` (from :meth:`staged`) counted."""
        self.counts = staged.counts
        for pid, found in staged.found.items():
            self.found[pid].extend(found)

    def warnings(self) -> list[Problem]:
        """The warnings, programme by programme in the manifest's order."""
        return [p for pid in self.programmes for p in self.found[pid]]
