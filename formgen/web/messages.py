"""Problems placed on the form: each at its input, with a reader's name for the field,
in the page's language (the text of the problem's message id, see :mod:`formgen.messages`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from markupsafe import Markup

from formgen.exceptions import Problem
from formgen.messages import msg
from formgen.model.applicant import COMPETENCE_CODES, LANGUAGES
from formgen.web.formfields import (
    CMES,
    COMPETENCE_FIELDS,
    DESCRIPTION,
    GROUP_TITLES,
    GROUPS,
    LANGUAGE_NAMES,
    LOCAL_KINDS,
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
    target: str
    """The id of the input to go to from the summary."""
    label: str
    message: str
    severity: str
    number: int = 0
    """Its place among the page's messages, for a unique element id."""

    @property
    def element_id(self) -> str:
        return f"m{self.number}-{self.target}"

    def describes(self, path: str, lang: str = "") -> bool:
        """Whether the message is about the input of ``path`` (in ``lang`` for a pair)."""
        return self.field == path or (bool(lang) and self.field == f"{path}.{lang}")


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


def described_by(hint_id: str, found: list[FieldMessage], path: str, lang: str = "") -> Markup:
    """`` aria-describedby="…"`` for an input: its hint, then the messages about it."""
    ids = [hint_id] if hint_id else []
    ids += [m.element_id for m in found if m.describes(path, lang)]
    return Markup(' aria-describedby="{}"').format(" ".join(ids)) if ids else Markup("")


def has_error(found: list[FieldMessage], *fields: str) -> bool:
    """Whether ``found`` holds an error (about one of ``fields`` when given)."""
    return any(m.severity == "error" and (not fields or m.field in fields) for m in found)


def input_id(path: str) -> str:
    """The HTML id of the input for a record path: ``career[2].end`` → ``f-career-2-end``."""
    return "f-" + re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-")


def place_of(path: str) -> str:
    """The form input a problem's field belongs to."""
    if path in ("programme", "grade"):
        return "programme_grade"
    return path


_PAIRED = {k for k, f in _PERSONAL.items() if f.kind in LOCAL_KINDS}
_FIRST_OF = {"cmes": "cmes.membership_no", "soe": "soe.membership"}


def target_of(path: str) -> str:
    """The id of the input a summary link for ``path`` goes to (the first input of a row,
    a group or a pair)."""
    if not path or path == "certificate" or path.startswith("certificate."):
        return "errors"
    if path == "doc":
        return "download"
    if path in _FIRST_OF:
        return input_id(_FIRST_OF[path])
    m = re.fullmatch(r"(education|career|cpd)(?:\[(\d+)\])?(?:\.([a-z_]+))?(?:\.(zh|en))?", path)
    if m:
        group, row, key, lang = m.group(1), m.group(2) or "1", m.group(3), m.group(4)
        spec = fields_by_key(GROUPS[group]).get(key or "") or GROUPS[group][0]
        lang = lang or ("zh" if spec.kind in LOCAL_KINDS else "")
        return input_id(f"{group}[{row}].{spec.key}" + (f".{lang}" if lang else ""))
    parts = path.split(".")
    if parts[0] == "competences":
        code = parts[1] if len(parts) > 1 else "A1"
        key = parts[2] if len(parts) > 2 else COMPETENCE_FIELDS[0].key
        lang = parts[3] if len(parts) > 3 else "zh"
        return input_id(f"competences.{code}.{key}.{lang}")
    if parts[0] in _PAIRED:
        return input_id(f"{parts[0]}.{parts[1] if len(parts) > 1 and parts[1] in LANGUAGES else 'zh'}")
    return input_id(path)


def in_language(label: str, lang: str, tr: Translator) -> str:
    """``姓名（中文）`` / ``Name (English)``: a label with the language of its input."""
    return tr("%(label)s (%(language)s)", label=label, language=tr(LANGUAGE_NAMES[lang]))


def label_parts(label: str, lang: str, tr: Translator) -> tuple[str, str, str]:
    """``in_language`` split around the language's name, which is the part shown:
    ("姓名（", "中文", "）")."""
    name = tr(LANGUAGE_NAMES[lang])
    whole = in_language(label, lang, tr)
    before, _, after = whole.rpartition(name)
    return before, name, after


def label_of(path: str, tr: Translator) -> str:
    """A reader's name for a field path, e.g. 工作经历 第2行 · 结束时间."""
    if path in OTHER_LABELS:
        return tr(OTHER_LABELS[path])
    parts = path.split(".")
    lang = parts[-1] if parts[-1] in LANGUAGES and len(parts) > 1 else None
    if lang:
        parts = parts[:-1]
    text = _label(parts, path, tr)
    return in_language(text, lang, tr) if lang else text


def _label(parts: list[str], path: str, tr: Translator) -> str:
    head = parts[0]
    m = re.fullmatch(r"(education|career|cpd)(?:\[(\d+)\])?", head)
    if m:
        group = tr(GROUP_TITLES[m.group(1)])
        if m.group(2):
            group = tr("%(group)s, row %(row)s", group=group, row=m.group(2))
        if len(parts) > 1:
            spec = fields_by_key(GROUPS[m.group(1)]).get(parts[1])
            return f"{group} · {tr(spec.label) if spec else parts[1]}"
        return group
    if head == "competences" and len(parts) >= 2:
        text = f"{tr(OTHER_LABELS['competences'])} {parts[1]}"
        if len(parts) > 2:
            spec = fields_by_key(COMPETENCE_FIELDS).get(parts[2])
            text += f" · {tr(spec.label) if spec else parts[2]}"
        return text
    if head in ("cmes", "soe") and len(parts) > 1:
        spec = fields_by_key(CMES if head == "cmes" else SOE).get(parts[1])
        return tr(spec.label) if spec else path
    if head in _PERSONAL:
        return tr(_PERSONAL[head].label)
    if head in OTHER_LABELS:
        return tr(OTHER_LABELS[head])
    return path or tr("The record as a whole")


_SECTIONS = ["programme_grade", "unit", "id", *(f.key for f in PERSONAL), "education", "career",
             "description", "cpd", "competences", "cmes", "soe", "certificate"]


def form_position(path: str) -> tuple[int, ...]:
    """Where a path's input is on the form, for listing problems in the form's order."""
    parts = re.findall(r"[A-Za-z_0-9]+", path)
    if not parts:
        return (-1,)
    head = parts[0]
    out = [_SECTIONS.index(head) if head in _SECTIONS else len(_SECTIONS)]
    rest = parts[1:]
    if head in GROUPS and rest and rest[0].isdigit():
        keys = list(fields_by_key(GROUPS[head]))
        out += [int(rest[0]), keys.index(rest[1]) if len(rest) > 1 and rest[1] in keys else -1]
        rest = rest[2:]
    elif head == "competences" and rest:
        keys = list(fields_by_key(COMPETENCE_FIELDS))
        out += [COMPETENCE_CODES.index(rest[0]) if rest[0] in COMPETENCE_CODES else 99,
                keys.index(rest[1]) if len(rest) > 1 and rest[1] in keys else -1]
        rest = rest[2:]
    elif head in ("cmes", "soe") and rest:
        keys = list(fields_by_key(CMES if head == "cmes" else SOE))
        out.append(keys.index(rest[0]) if rest[0] in keys else -1)
        rest = rest[1:]
    out.append(LANGUAGES.index(rest[-1]) if rest and rest[-1] in LANGUAGES else -1)
    return tuple(out)


def _is_pair(path: str) -> bool:
    """Whether ``path`` names a Chinese–English pair of inputs (not one of its languages)."""
    m = re.fullmatch(r"(?:(education|career|cpd)\[\d+\]\.)?([a-z_]+)", path)
    if m and m.group(1):
        spec = fields_by_key(GROUPS[m.group(1)]).get(m.group(2))
        return spec is not None and spec.kind in LOCAL_KINDS
    return bool(m) and path in _PAIRED


def form_messages(problems: Iterable[Problem], tr: Translator) -> FormMessages:
    out = FormMessages()
    seen = set()
    for p in problems:
        place = place_of(p.field)
        shown = p.message
        if p.field in GROUPS and shown.id == "field.missing":  # a group of rows left empty
            shown = msg("field.no-entries")
        elif shown.id == "field.missing" and _is_pair(place):
            shown = msg("field.missing-both-languages")
        message = shown.text(tr.lang)
        if (place, message) in seen:
            continue
        seen.add((place, message))
        out.items.append(FieldMessage(
            field=place,
            target=target_of(place),
            label=label_of(p.field, tr),
            message=message,
            severity=p.severity,
        ))
    out.items.sort(key=lambda m: (m.severity != "error", form_position(m.field)))
    for number, item in enumerate(out.items, start=1):
        item.number = number
    return out
