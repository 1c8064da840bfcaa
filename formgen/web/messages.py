"""Problems placed on the form: each at its input, with a reader's name for the field,
in the page's language (the text of the problem's message id, see :mod:`formgen.messages`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from formgen.exceptions import Problem
from formgen.messages import msg
from formgen.model.applicant import LANGUAGES
from formgen.web.formfields import (
    CMES,
    COMPETENCE_FIELDS,
    DESCRIPTION,
    GROUP_TITLES,
    GROUPS,
    LANGUAGE_NAMES,
    OTHER_LABELS,
    PERSONAL,
    SOE,
    fields_by_key,
)
from formgen.web.i18n import Translator

_PERSONAL = fields_by_key((*PERSONAL, DESCRIPTION))


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
            spec = fields_by_key(GROUPS[m.group(1)]).get(parts[1])
            return f"{group} · {tr(spec.label) if spec else parts[1]}{suffix}"
        return group + suffix
    if head == "competences" and len(parts) >= 2:
        text = f"{tr(OTHER_LABELS['competences'])} {parts[1]}"
        if len(parts) > 2:
            spec = fields_by_key(COMPETENCE_FIELDS).get(parts[2])
            text += f" · {tr(spec.label) if spec else parts[2]}"
        return text + suffix
    if head in ("cmes", "soe") and len(parts) > 1:
        spec = fields_by_key(CMES if head == "cmes" else SOE).get(parts[1])
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
        shown = p.message
        if p.field in GROUPS and shown.id == "field.missing":  # a group of rows left empty
            shown = msg("field.no-entries")
        message = shown.text(tr.lang)
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
