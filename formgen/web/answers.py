"""The applicant's answers as a file to keep: saved from the form, opened again by it.

A saved file is YAML in the data files' own format (``applicant-example.yaml``), with a
comment saying what it is, so the same file also works with ``formgen validate`` and
``formgen render``. The blank file has every field, empty, each with its label and hint
as a comment in the page's language, for filling in offline.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml

from formgen.model.applicant import COMPETENCE_CODES
from formgen.paths import safe_filename
from formgen.web.formfields import (
    CMES,
    COMPETENCE_FIELDS,
    DESCRIPTION,
    GROUP_TITLES,
    GROUPS,
    KIND_HINTS,
    LOCAL_KINDS,
    PERSONAL,
    SOE,
    Field,
)
from formgen.web.i18n import N_, Translator


def _dump(value: Any) -> str:
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False, width=100)


def saved_answers(record: dict[str, Any], tr: Translator, today: dt.date) -> tuple[str, bytes]:
    """(file name, YAML) of the answers in ``record``."""
    name = record.get("name")
    who = (name.get(tr.lang) or name.get("zh") or name.get("en")) if isinstance(name, dict) else name
    stem = tr(N_("answers"))
    filename = safe_filename(f"{stem}-{who}-{today.isoformat()}.yaml" if who else f"{stem}-{today.isoformat()}.yaml",
                             f"answers-{today.isoformat()}.yaml")
    head = "\n".join("# " + line for line in (
        tr(N_("Your answers for the engineer registration forms, saved on %(date)s."), date=tr.date(today)),
        tr(N_("To go on, open this file on the form page (Continue with saved answers).")),
    ))
    return filename, (head + "\n" + _dump(record)).encode("utf-8")


def _line(key: str, value: str, comment: str, indent: int) -> str:
    return f"{' ' * indent}{key}: {value}  # {comment}" if comment else f"{' ' * indent}{key}: {value}"


def _field_lines(spec: Field, tr: Translator, indent: int, first: str = "") -> list[str]:
    hint = spec.hint or KIND_HINTS.get(spec.kind, "")
    comment = tr(spec.label) + (f" — {tr(hint)}" if hint else "")
    if spec.kind in LOCAL_KINDS:
        value = '{zh: "", en: ""}'
    elif spec.kind == "gender":
        comment += " — male / female"
    elif spec.kind == "yesno":
        comment += " — true / false"
    elif spec.choices:
        comment += " — " + " / ".join(code for code, _ in spec.choices)
    if spec.kind not in LOCAL_KINDS:
        value = '""'
    line = _line(spec.key, value, comment, indent)
    return [first + line[len(first):] if first else line]


def blank_answers(tr: Translator, programmes: dict[str, list[str]]) -> bytes:
    """A blank answers file with every field and a comment for each."""
    lines = ["# " + tr(N_("Blank answers for the engineer registration forms: fill in what applies, then open the file on the form page."))]
    lines.append(_line("programme", '""', " / ".join(programmes), 0))
    lines.append(_line("grade", '""', " / ".join(dict.fromkeys(g for gs in programmes.values() for g in gs)), 0))
    lines.append(_line("unit", '""', tr(N_("Nominating unit")), 0))
    lines.append(_line("id", '""', tr(N_("Application reference; leave empty if you have none.")), 0))
    for spec in (*PERSONAL, DESCRIPTION):
        lines.extend(_field_lines(spec, tr, 0))
    for group, specs in GROUPS.items():
        lines.append(f"{group}:  # {tr(GROUP_TITLES[group])}")
        for i, spec in enumerate(specs):
            lines.extend(_field_lines(spec, tr, 4, first="  - " if i == 0 else ""))
    lines.append("competences:  # " + tr(N_("Competences A1 to E4 (CEng and IEng applicants)")))
    for code in COMPETENCE_CODES:
        lines.append(f"  {code}:")
        lines.extend(line for spec in COMPETENCE_FIELDS for line in _field_lines(spec, tr, 4))
    for section, specs in (("cmes", CMES), ("soe", SOE)):
        lines.append(f"{section}:")
        lines.extend(line for spec in specs for line in _field_lines(spec, tr, 2))
    return ("\n".join(lines) + "\n").encode("utf-8")
