"""The HTML form and the applicant record: field names, conversions both ways, error places.

Form inputs are named by the record's own field paths, as the validator reports them:
``name.zh``, ``career[2].end``, ``competences.A1.evidence.en``, ``cmes.membership_no``.
So a problem's field is the name of the input it belongs to. Rows are numbered from 1;
blank rows are dropped and the rest renumbered before validation, and the form is shown
again from the record, so numbers in problems and in the form always agree.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..exceptions import Problem
from ..models import COMPETENCE_CODES, LANGUAGES
from .i18n import N_, Translator

MAX_ROWS = 30
"""Rows kept per repeating group; more are ignored."""
MIN_ROWS = {"education": 2, "career": 3, "cpd": 3}
"""Rows shown in a group, blank ones included, so the form works without JavaScript."""
BLANK_ROWS = 1
"""Blank rows always shown under the filled ones."""


@dataclass(frozen=True)
class Field:
    """One field of the form: a record path relative to its group, and how it is typed."""

    key: str
    label: str
    kind: str = "text"
    """text, email, tel, month, date, number, local, longlocal, gender, yesno, select."""
    hint: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    required: bool = False


PERSONAL = (  # in the order of the seed form, packed for a four-column grid
    Field("name", N_("Name"), "local", N_("The English name as it should appear on certificates, e.g. LI Xiaoming."), required=True),
    Field("gender", N_("Gender"), "gender", required=True),
    Field("mobile", N_("Mobile"), "tel", required=True),
    Field("job_title", N_("Job title"), "local", required=True),
    Field("expertise", N_("Field of expertise"), "local", required=True),
    Field("company", N_("Company"), "local", required=True),
    Field("company_phone", N_("Company phone"), "tel", required=True),
    Field("email", N_("Email"), "email", required=True),
    Field("company_address", N_("Company address"), "local", required=True),
    Field("english_level", N_("English level"), "local", N_("e.g. 大学英语六级 / CET-6"), required=True),
    Field("english_interview", N_("English interview"), "yesno", required=True),
)
DESCRIPTION = Field(
    "description", N_("Personal description"), "longlocal",
    N_("Awards, patents and papers; at most 300 characters in each language."),
)
GROUPS: dict[str, tuple[Field, ...]] = {
    "education": (
        Field("start", N_("Start"), "month", required=True),
        Field("end", N_("End"), "month", required=True),
        Field("qualification", N_("Degree or qualification"), "local", required=True),
        Field("course", N_("Course"), "local", required=True),
        Field("institution", N_("University or college"), "local", required=True),
    ),
    "career": (
        Field("start", N_("Start"), "month", required=True),
        Field("end", N_("End"), "month", N_("Leave empty for the post you hold now.")),
        Field("company", N_("Company"), "local", required=True),
        Field("job_title", N_("Job title"), "local", required=True),
        Field("responsibilities", N_("Responsibilities"), "longlocal", required=True),
    ),
    "cpd": (
        Field("date", N_("Date"), "date", required=True),
        Field("description", N_("What was learnt or done"), "local", required=True),
        Field("organizer", N_("Organizer"), "local", required=True),
        Field("hours", N_("Hours"), "number", required=True),
        Field("initials", N_("Initials of ES/RP"), "text", N_("Engineering Supervisor or Responsible Person")),
    ),
}
GROUP_TITLES = {
    "education": N_("Education"),
    "career": N_("Career"),
    "cpd": N_("Continuing professional development"),
}
GROUP_HINTS = {
    "education": N_("Your highest engineering degree only."),
    "career": N_("The posts you held during the latest five years, latest first."),
    "cpd": N_("CPD activities of the past three years."),
}
COMPETENCE_FIELDS = (
    Field("roles", N_("Roles and responsibilities"), "local"),
    Field("education_base", N_("Education base"), "local"),
    Field("ipd", N_("Initial professional development"), "local"),
    Field("dap", N_("Development action plan"), "local"),
    Field("evidence", N_("Sources of evidence (codes)"), "local"),
)
CMES = (
    Field("membership_no", N_("CMES membership number"), "text"),
    Field("member_grade", N_("CMES member grade"), "select",
          choices=(("senior_member", N_("Senior member")), ("member", N_("Member")))),
)
SOE = (
    Field("membership", N_("SOE membership applied for"), "select",
          choices=(("member", N_("Member")), ("associate_member", N_("Associate member")))),
    Field("division", N_("SOE division"), "select",
          choices=(("IRTE", "IRTE"), ("IPlantE", "IPlantE"), ("BES", "BES"))),
)
OTHER_LABELS = {
    "id": N_("Application reference"),
    "programme": N_("Programme and grade"),
    "grade": N_("Programme and grade"),
    "programme_grade": N_("Programme and grade"),
    "unit": N_("Nominating unit"),
    "competences": N_("Competences"),
    "cmes": N_("CMES membership"),
    "soe": N_("SOE membership"),
    "certificate": N_("Certificate"),
    "certificate.issued_on": N_("Certificate"),
    "doc": N_("Document"),
}
LANGUAGE_NAMES = {"zh": N_("Chinese"), "en": N_("English")}
LOCAL_KINDS = ("local", "longlocal")

# ----------------------------------------------------------------------------- from the form

_ROW_KEY = re.compile(r"^(education|career|cpd)\[(\d{1,3})\]\.(.+)$")


def _fields_by_key(fields: Iterable[Field]) -> dict[str, Field]:
    return {f.key: f for f in fields}


_PERSONAL = _fields_by_key((*PERSONAL, DESCRIPTION))
_SIMPLE_KEYS = {"id", "unit", "certificate.issued_on"} | {f"cmes.{f.key}" for f in CMES} | {
    f"soe.{f.key}" for f in SOE
}


def _clean(value: str) -> str:
    return value.replace("\r\n", "\n").strip()


def _put_local(target: dict[str, Any], key: str, lang: str, value: str) -> None:
    target.setdefault(key, {})[lang] = value


def record_from_form(form: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The applicant record a submitted form describes; empty inputs are left out.

    Only the form's own inputs are read; anything else in the submission is ignored.
    """
    record: dict[str, Any] = {}
    rows: dict[str, dict[int, dict[str, Any]]] = {g: {} for g in GROUPS}
    competences: dict[str, dict[str, Any]] = {}
    for name, raw in form:
        value = _clean(raw)
        if not value:
            continue
        if name == "programme_grade":
            programme, _, grade = value.partition(":")
            record["programme"] = programme
            if grade:
                record["grade"] = grade
        elif name in _SIMPLE_KEYS:
            _set_path(record, name, value)
        elif name.split(".")[0] in _PERSONAL:
            key, _, lang = name.partition(".")
            spec = _PERSONAL[key]
            if spec.kind in LOCAL_KINDS:
                if lang in LANGUAGES:
                    _put_local(record, key, lang, value)
            elif not lang:
                record[key] = value
        elif m := _ROW_KEY.match(name):
            group, index, rest = m.group(1), int(m.group(2)), m.group(3)
            if not 1 <= index <= MAX_ROWS:
                continue
            key, _, lang = rest.partition(".")
            row_spec = _fields_by_key(GROUPS[group]).get(key)
            if row_spec is None:
                continue
            row = rows[group].setdefault(index, {})
            if row_spec.kind in LOCAL_KINDS:
                if lang in LANGUAGES:
                    _put_local(row, key, lang, value)
            elif not lang:
                row[key] = value
        elif name.startswith("competences."):
            parts = name.split(".")
            if (len(parts) == 4 and parts[1] in COMPETENCE_CODES
                    and parts[2] in _fields_by_key(COMPETENCE_FIELDS) and parts[3] in LANGUAGES):
                _put_local(competences.setdefault(parts[1], {}), parts[2], parts[3], value)
    for group, by_index in rows.items():
        entries = [by_index[i] for i in sorted(by_index) if by_index[i]]
        if entries:
            record[group] = entries
    if competences:
        record["competences"] = {code: competences[code] for code in COMPETENCE_CODES if code in competences}
    return record


def _set_path(target: dict[str, Any], dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    for key in keys[:-1]:
        target = target.setdefault(key, {})
    target[keys[-1]] = value


def reference_for(record: Mapping[str, Any], today: dt.date) -> str:
    """A reference for an application that has none: stable for the same person."""
    prefix = {"csee-iet": "CSEE", "cmes-soe": "CMES"}.get(str(record.get("programme")), "WEB")
    seed = repr((record.get("name"), record.get("email"), record.get("mobile"))).encode()
    return f"{prefix}-{today.year}-W{hashlib.sha256(seed).hexdigest()[:6].upper()}"


# ----------------------------------------------------------------------------- to the form

def _text(value: Any) -> str:
    if value is None or isinstance(value, (dict, list)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def _local(value: Any) -> dict[str, str]:
    if isinstance(value, Mapping):
        return {lang: _text(value.get(lang)) for lang in LANGUAGES}
    text = _text(value)
    return {lang: text for lang in LANGUAGES}


def _month(value: Any) -> str:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return f"{value:%Y-%m}"
    return _text(value)


def _yesno(value: Any) -> str:
    from ..models import _to_bool

    try:
        result = _to_bool(value)
    except ValueError:
        return _text(value)
    return _text(result) if isinstance(result, bool) else _text(value)


def _value(spec: Field, value: Any) -> Any:
    if spec.kind in LOCAL_KINDS:
        return _local(value)
    if spec.kind == "month":
        return _month(value)
    if spec.kind == "yesno":
        return _yesno(value)
    return _text(value)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def form_values(record: Mapping[str, Any] | None, extra_rows: dict[str, int] | None = None) -> dict[str, Any]:
    """What each input of the form shows for ``record`` (blank rows added)."""
    record = record or {}
    values: dict[str, Any] = {
        "id": _text(record.get("id")),
        "unit": _text(record.get("unit")),
        "programme_grade": "",
    }
    programme, grade = _text(record.get("programme")), _text(record.get("grade"))
    if programme and grade:
        values["programme_grade"] = f"{programme}:{grade}"
    for spec in (*PERSONAL, DESCRIPTION):
        values[spec.key] = _value(spec, record.get(spec.key))
    for group, specs in GROUPS.items():
        entries = record.get(group)
        rows = [
            {spec.key: _value(spec, _mapping(entry).get(spec.key)) for spec in specs}
            for entry in (entries if isinstance(entries, list) else [])[:MAX_ROWS]
        ]
        blanks = BLANK_ROWS + (extra_rows or {}).get(group, 0)
        total = min(MAX_ROWS, max(MIN_ROWS[group], len(rows) + blanks))
        while len(rows) < total:
            rows.append({spec.key: _value(spec, None) for spec in specs})
        values[group] = rows
    competences = _mapping(record.get("competences"))
    by_code = {str(k).strip().upper(): v for k, v in competences.items()}
    values["competences"] = {
        code: {spec.key: _local(_mapping(by_code.get(code)).get(spec.key)) for spec in COMPETENCE_FIELDS}
        for code in COMPETENCE_CODES
    }
    values["cmes"] = {spec.key: _text(_mapping(record.get("cmes")).get(spec.key)) for spec in CMES}
    values["soe"] = {spec.key: _text(_mapping(record.get("soe")).get(spec.key)) for spec in SOE}
    values["certificate"] = {"issued_on": _text(_mapping(record.get("certificate")).get("issued_on"))}
    return values


# ----------------------------------------------------------------------------- problems

@dataclass
class FieldMessage:
    """One problem, placed on the form and said in the page's language."""

    field: str
    """The input it belongs to (a record path; ``programme_grade`` for programme and grade)."""
    anchor: str
    """The id of the element to link to."""
    label: str
    message: str
    severity: str


@dataclass
class FormMessages:
    """Problems by input, and all of them in order for the summary."""

    items: list[FieldMessage] = field(default_factory=list)

    def at(self, path: str, *, children: bool = False) -> list[FieldMessage]:
        """Problems of the input ``path`` (and of its sub-fields with ``children``)."""
        return [
            m for m in self.items
            if m.field == path or (children and m.field.startswith(path + "."))
        ]

    @property
    def errors(self) -> list[FieldMessage]:
        return [m for m in self.items if m.severity == "error"]

    @property
    def warnings(self) -> list[FieldMessage]:
        return [m for m in self.items if m.severity != "error"]

    def __bool__(self) -> bool:
        return bool(self.items)


def input_id(path: str) -> str:
    """The HTML id of the input for a record path: ``career[2].end`` → ``f-career-2-end``."""
    return "f-" + re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-")


def place_of(path: str) -> str:
    """The form input a problem's field belongs to."""
    if path in ("programme", "grade"):
        return "programme_grade"
    return path


def label_of(path: str, tr: Translator) -> str:
    """A reader's name for a field path, e.g. 工作经历 第2行 · 结束时间."""
    if path in OTHER_LABELS:
        return tr(OTHER_LABELS[path])
    parts = path.split(".")
    lang = parts[-1] if parts[-1] in LANGUAGES and len(parts) > 1 else None
    if lang:
        parts = parts[:-1]
    suffix = f" ({tr(LANGUAGE_NAMES[lang])})" if lang else ""
    head = parts[0]
    m = re.fullmatch(r"(education|career|cpd)(?:\[(\d+)\])?", head)
    if m:
        group = tr(GROUP_TITLES[m.group(1)])
        if m.group(2):
            group = tr("%(group)s, row %(row)s", group=group, row=m.group(2))
        if len(parts) > 1:
            spec = _fields_by_key(GROUPS[m.group(1)]).get(parts[1])
            return f"{group} · {tr(spec.label) if spec else parts[1]}{suffix}"
        return group + suffix
    if head == "competences" and len(parts) >= 2:
        text = f"{tr(OTHER_LABELS['competences'])} {parts[1]}"
        if len(parts) > 2:
            spec = _fields_by_key(COMPETENCE_FIELDS).get(parts[2])
            text += f" · {tr(spec.label) if spec else parts[2]}"
        return text + suffix
    if head in ("cmes", "soe") and len(parts) > 1:
        spec = _fields_by_key(CMES if head == "cmes" else SOE).get(parts[1])
        return (tr(spec.label) if spec else path) + suffix
    if head in _PERSONAL:
        return tr(_PERSONAL[head].label) + suffix
    if head in OTHER_LABELS:
        return tr(OTHER_LABELS[head]) + suffix
    return path or tr("The record as a whole")


def form_messages(problems: Iterable[Problem], tr: Translator) -> FormMessages:
    out = FormMessages()
    seen = set()
    for p in problems:
        place = place_of(p.field)
        if p.field in GROUPS and p.message == "is missing":
            message = tr(N_("Add at least one entry."))
        else:
            message = tr.problem(p.message)
        if (place, message) in seen:
            continue
        seen.add((place, message))
        out.items.append(FieldMessage(
            field=place,
            anchor=input_id(_anchor_path(place)) if place else "errors",
            label=label_of(p.field, tr),
            message=message,
            severity=p.severity,
        ))
    out.items.sort(key=lambda m: m.severity != "error")
    return out


def _anchor_path(path: str) -> str:
    """The element that holds a path's input: the field's own box."""
    m = re.fullmatch(r"(education|career|cpd)\[(\d+)\]\.([a-z_]+)(\.(zh|en))?", path)
    if m:
        return f"{m.group(1)}[{m.group(2)}].{m.group(3)}"
    parts = path.split(".")
    if parts[-1] in LANGUAGES and len(parts) > 1:
        parts = parts[:-1]
    if parts[0] == "competences":
        return ".".join(parts[:2])
    return ".".join(parts)
