"""Which value a data path holds, and how the text written for it is read.

A path's last part decides: ``start`` and ``end`` are months (a post's end may be open),
``date`` a day, ``hours`` a number; ``gender``, ``english_interview``, ``grade`` and the
memberships are choices; ``programme`` is a programme's title; the rest is text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from formgen.extract import values
from formgen.extract.labelled import split_languages
from formgen.forms.context import REFERENCE_BY_OFFICE
from formgen.model.applicant import GRADE_CODES
from formgen.model.manifest import Manifest

CHOICES: dict[str, dict[str, tuple[str, ...]]] = {
    "gender": {"male": ("男", "male"), "female": ("女", "female")},
    "english_interview": {"true": ("可以", "ok"), "false": ("需要翻译", "with translation")},
    "cmes.member_grade": {"senior_member": ("高级会员", "senior member"), "member": ("会员", "member")},
    "soe.membership": {"associate_member": ("仲会员", "associate member"), "member": ("会员", "member")},
}
"""The boxes of each field with boxes: value → the words beside its box."""
NO_REFERENCE = (REFERENCE_BY_OFFICE.zh, REFERENCE_BY_OFFICE.en)
"""What a form shows for an application without a reference yet: no id."""


def grade_options(manifest: Manifest, programme: str | None) -> dict[str, tuple[str, ...]]:
    """Grade codes with the words for them: the code, and the programme's names (every
    programme's when it is not known, leaving out a name two programmes give two grades)."""
    names: dict[str, set[str]] = {code: {code} for code in GRADE_CODES}
    progs = [manifest.programmes[programme]] if programme in manifest.programmes else list(
        manifest.programmes.values())
    owners: dict[str, set[str]] = {}
    for prog in progs:
        for code, term in prog.grades.items():
            for word in (term.zh, term.en):
                owners.setdefault(word, set()).add(code)
    for word, codes in owners.items():
        if len(codes) == 1:
            names[next(iter(codes))].add(word)
    return {code: tuple(words) for code, words in names.items()}


def choice_value(path: str, choice: str) -> object:
    """A ticked box's value in the data: ``true``/``false`` as booleans for the English
    interview, the choice itself for the rest."""
    if path == "english_interview":
        return {"true": True, "false": False}.get(choice, choice)
    return choice


def choice_fields(manifest: Manifest) -> dict[str, tuple[str, ...]]:
    """Every field with boxes and its values (for reading bookmarks)."""
    out = {path: tuple(options) for path, options in CHOICES.items()}
    out["grade"] = GRADE_CODES
    return out


@dataclass(frozen=True)
class Parsed:
    """One value read: its path, the value in the data contract, the text it came from."""

    path: str
    value: Any
    text: str
    weak: bool = False
    """A stand-in (the other language's value shown in this one): used only when no form
    gives the value itself."""
    doubt: str | None = None
    """Why the value could not be read for certain (see :func:`formgen.extract.read.doubt_message`),
    or None for a value read."""


class Unparsable(Exception):
    """Text at a path that is not what the field holds."""

    def __init__(self, path: str, text: str):
        super().__init__(path, text)
        self.path = path
        self.text = text


_LAST = re.compile(r"(?:^|\.)([a-z_]+)$")


def _last(path: str) -> str:
    m = _LAST.search(path)
    return m[1] if m else path


def parse(path: str, text: str, kind: str, manifest: Manifest, programme: str | None,
          lang: str | None = None) -> list[Parsed]:
    """The values ``text`` gives at ``path`` (``kind`` as the labelled reader says, or
    ``tag``); none for an empty text. Raises Unparsable."""
    raw = text
    text = values.clean_lines(text)
    if not text:
        return []
    last = _last(path)
    group = path.split("[", 1)[0] if "[" in path else ""
    try:
        if kind == "range":
            prefix = path.rsplit(".", 1)[0]
            path = f"{prefix}.start"  # where text that is no range is kept
            start, end = values.month_range(raw, open_end=group == "career")
            if not start:
                return []
            return [Parsed(path, start, text), Parsed(f"{prefix}.end", end, text)]
        if group in ("education", "career") and last in ("start", "end"):
            if last == "end" and group == "career" and values.OPEN_END.fullmatch(text):
                return [Parsed(path, None, text)]
            return [Parsed(path, values.month(text), text)]
        if group == "cpd" and last == "date":
            return [Parsed(path, values.day(text), text)]
        if group == "cpd" and last == "hours":
            return [Parsed(path, values.hours(text), text)]
    except values.Unreadable:
        raise Unparsable(path, text) from None
    if path == "id" and text in NO_REFERENCE:
        return []
    if path == "programme":
        for programme_id, prog in manifest.programmes.items():
            if text in (prog.title.zh, prog.title.en, programme_id) or text.startswith(
                    (prog.title.zh, prog.title.en)):
                return [Parsed(path, programme_id, text)]
        raise Unparsable(path, text)
    options = grade_options(manifest, programme) if path == "grade" else CHOICES.get(path)
    if options is not None:
        picked = values.chosen(raw, options)
        if not picked:
            if any(ch in values.MARKS for ch in raw):
                return []  # boxes, none ticked: nothing chosen
            raise Unparsable(path, text)
        value = choice_value(path, picked[0])
        return [Parsed(path, value if len(picked) == 1 else tuple(picked), text)]
    if kind == "local":
        parts = {lang: text} if lang else split_languages(raw)
        return [Parsed(f"{path}.{code}", value, value) for code, value in parts.items()]
    return [Parsed(path, text, text)]
