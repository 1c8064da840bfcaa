"""The HTML form and the applicant record, both ways.

Form inputs are named by the record's own field paths, as the validator reports them:
``name.zh``, ``career[2].end``, ``competences.A1.evidence.en``, ``cmes.membership_no``.
Rows are numbered from 1; blank rows are dropped and the rest renumbered before
validation, and the form is shown again from the record, so numbers in problems and in
the form always agree.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from formgen.model.applicant import COMPETENCE_CODES, LANGUAGES
from formgen.web.formfields import (
    BLANK_ROWS,
    CMES,
    COMPETENCE_FIELDS,
    DESCRIPTION,
    GROUPS,
    LOCAL_KINDS,
    MAX_ROWS,
    MIN_ROWS,
    PERSONAL,
    SOE,
    Field,
    fields_by_key,
)

# ----------------------------------------------------------------------------- from the form

ROW_KEY = re.compile(r"^(education|career|cpd)\[(\d{1,3})\]\.(.+)$")

_PERSONAL = fields_by_key((*PERSONAL, DESCRIPTION))
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
        elif m := ROW_KEY.match(name):
            group, index, rest = m.group(1), int(m.group(2)), m.group(3)
            if not 1 <= index <= MAX_ROWS:
                continue
            key, _, lang = rest.partition(".")
            row_spec = fields_by_key(GROUPS[group]).get(key)
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
                    and parts[2] in fields_by_key(COMPETENCE_FIELDS) and parts[3] in LANGUAGES):
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


def rows_shown(pairs: Iterable[tuple[str, str]]) -> dict[str, int]:
    """The number of rows each group showed in a submitted form, blank ones included."""
    shown: dict[str, int] = {}
    for name, _ in pairs:
        m = ROW_KEY.match(name)
        if m:
            shown[m.group(1)] = max(shown.get(m.group(1), 0), int(m.group(2)))
    return shown


def without(pairs: Iterable[tuple[str, str]], prefix: str) -> list[tuple[str, str]]:
    """The submitted inputs less those of one row (``career[2].``) or entry (``competences.A1.``)."""
    return [(name, value) for name, value in pairs if not name.startswith(prefix)]


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
    from formgen.model.applicant import _to_bool

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


def form_values(record: Mapping[str, Any] | None, blank_rows: dict[str, int] | None = None) -> dict[str, Any]:
    """What each input of the form shows for ``record``, with ``blank_rows`` blank rows
    under the filled ones in each group (default :data:`BLANK_ROWS`)."""
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
        blanks = (blank_rows or {}).get(group, BLANK_ROWS)
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
