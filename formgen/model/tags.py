"""How a filled form names its values: the contract between the forms formgen renders and
``formgen extract``, which reads them back.

Each applicant value in a form is a Word content control (``w:sdt``) whose tag (and title,
which LibreOffice keeps when it drops tags) is the value's data path: ``name.zh``,
``career[2].company.en``, ``competences.B2.evidence.zh``. A value shown in one language's
document as a stand-in for the other language's (the record has no Chinese name, so the
Chinese form shows the English one) is tagged ``name.zh~en:1a2b3c4d``: the path, the
language the text came from and a digest of the text. While the text is unchanged it is
that other language's value; once someone types over it, it is this language's.

A box (gender, interview, grade, memberships) is a checkbox control tagged
``gender=male``, and sits in a bookmark ``fg_gender__male`` too: bookmarks survive every
office suite, so the box is still found when a suite has dropped the control's tag.

A value printed in bold (``RICH_TEXT``: the CMES membership number) is a rich-text control,
as LibreOffice draws a plain-text control's text without the run's bold, inside a bookmark
``fg_cmes_membership_no``: LibreOffice keeps no tag or title of a rich-text control.
A value of several lines is a rich-text control too, as LibreOffice prints no line break
inside a plain-text one, in a bookmark ``fgl_PATH`` (``lines_bookmark``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_TAG = re.compile(r"^(?P<path>[A-Za-z_][\w.\[\]]*?)(?:~(?P<lang>zh|en):(?P<digest>[0-9a-f]{8}))?$")
_CHOICE = re.compile(r"^(?P<path>[A-Za-z_][\w.]*)=(?P<value>\w+)$")
BOOKMARK_PREFIX = "fg_"


def digest(text: str) -> str:
    """Eight hex digits that tell whether a stand-in text was changed."""
    return hashlib.sha1(" ".join(text.split()).encode("utf-8")).hexdigest()[:8]


def value_tag(path: str, shown_from: str | None = None, text: str = "") -> str:
    """The tag of a value at ``path``; ``shown_from`` is the other language when the text
    shown is that language's value standing in."""
    return f"{path}~{shown_from}:{digest(text)}" if shown_from else path


def choice_tag(path: str, value: str) -> str:
    """The tag of the box that says ``path`` is ``value`` (``gender=male``)."""
    return f"{path}={value}"


def choice_bookmark(path: str, value: str) -> str:
    """The bookmark around the box (``fg_gender__male``): letters, digits and ``_``, as
    Word allows, at most 40 characters."""
    return f"{BOOKMARK_PREFIX}{path.replace('.', '_')}__{value}"[:40]


RICH_TEXT = ("cmes.membership_no",)
"""Values in rich-text controls inside bookmarks (see above)."""


def text_bookmark(path: str) -> str:
    """The bookmark around a value in a rich-text control (``fg_cmes_membership_no``)."""
    return f"{BOOKMARK_PREFIX}{path.replace('.', '_')}"[:40]


LINES_PREFIX = "fgl_"
"""Bookmarks around a value printed on several lines (see ``lines_bookmark``)."""
_INDEX = re.compile(r"^([A-Za-z]\w*?)_(\d+)$")


def lines_bookmark(path: str) -> str:
    """The bookmark around a value of several lines, which is printed in a rich-text control
    (LibreOffice draws a plain-text control's line breaks as nothing):
    ``career[3].responsibilities.zh`` → ``fgl_career_3__responsibilities__zh``. None when
    the name would be longer than the 40 characters Word allows."""
    name = LINES_PREFIX + "__".join(
        re.sub(r"\[(\d+)\]", r"_\1", part) for part in path.split("."))
    return name if len(name) <= 40 else ""


def parse_text_bookmark(name: str) -> str | None:
    """The path of the value a bookmark holds, or None when it holds none of them."""
    if name.startswith(LINES_PREFIX):
        parts = name[len(LINES_PREFIX):].split("__")
        path = ".".join(_INDEX.sub(r"\1[\2]", part) for part in parts)
        return path if path and lines_bookmark(path) == name and parse_tag(path) else None
    return next((path for path in RICH_TEXT if text_bookmark(path) == name), None)


@dataclass(frozen=True)
class Tag:
    """A control's tag, read."""

    path: str
    """The data path (``career[2].company.en``), or for a box the field (``gender``)."""
    choice: str | None = None
    """For a box: the value it stands for (``male``)."""
    shown_from: str | None = None
    """For a stand-in text: the language it came from."""
    digest: str | None = None
    """For a stand-in text: the digest of the text as rendered."""


def parse_tag(tag: str) -> Tag | None:
    """The tag's parts, or None when it is not one of formgen's."""
    tag = tag.strip()
    choice = _CHOICE.match(tag)
    if choice:
        return Tag(choice["path"], choice=choice["value"])
    value = _TAG.match(tag)
    if value and ("." in value["path"] or value["path"] in _TOP_LEVEL):
        return Tag(value["path"], shown_from=value["lang"], digest=value["digest"])
    return None


def parse_bookmark(name: str, choices: dict[str, tuple[str, ...]]) -> Tag | None:
    """The box a bookmark marks, given the fields with boxes and their values."""
    if not name.startswith(BOOKMARK_PREFIX) or "__" not in name:
        return None
    field, _, value = name[len(BOOKMARK_PREFIX):].rpartition("__")
    for path, values in choices.items():
        if path.replace(".", "_") == field and value in values:
            return Tag(path, choice=value)
    return None


_TOP_LEVEL = {"id", "programme", "grade", "unit", "mobile", "email", "company_phone"}
