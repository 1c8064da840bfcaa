"""Values of several lines in a form's content controls: printed as lines everywhere.

Rendering turns a line break in a value into ``<w:br/>`` inside the value's run, as
docxtpl does. Word prints that break in any control, but LibreOffice (which makes
formgen's PDFs, and which applicants print from) imports a plain-text control as a field
and prints its text with the breaks dropped ("5 invention patents8 SCI papers"). So a
plain-text control whose value holds a break becomes a rich-text control, whose runs
LibreOffice prints as they are; the value stays in one run of the control, its lines
separated by ``<w:br/>``, which is how Word writes a line typed with Shift+Enter and how
``formgen extract`` reads it back. LibreOffice keeps no tag of a rich-text control, so the
control sits in a bookmark named after its path (:func:`formgen.model.tags.lines_bookmark`),
as the CMES membership number does. Controls of one line are left as they are.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from formgen.model.tags import lines_bookmark, parse_tag

_CONTROL = re.compile(
    r"<w:sdt(?: [^>]*)?>(<w:sdtPr>(?:(?!</w:sdtPr>).)*</w:sdtPr>)"
    r"(<w:sdtContent>(?:(?!</w:sdtContent>|<w:sdt[ >]).)*</w:sdtContent>)</w:sdt>",
    re.DOTALL,
)
_PLAIN = re.compile(r"<w:text(?: [^>]*)?/>")
_TAG = re.compile(r'<w:tag w:val="([^"]*)"/>')
BOOKMARK_IDS = 900000
"""The first bookmark id given to a value of several lines (the templates' own bookmarks
have ids below 100000)."""


def bookmark_ids() -> Iterator[int]:
    """Ids for the bookmarks of one document's values of several lines."""
    return itertools.count(BOOKMARK_IDS)


def _break_in_control(xml: str) -> bool:
    """Whether a line break stands inside a control's content (the templates' own breaks,
    between lines of text, do not)."""
    at = xml.find("<w:br/>")
    while at != -1:
        if xml.rfind("<w:sdtContent>", 0, at) > xml.rfind("</w:sdtContent>", 0, at):
            return True
        at = xml.find("<w:br/>", at + 7)
    return False


def print_lines(xml: str, ids: Iterator[int]) -> str:
    """``xml`` (a rendered part) with each plain-text control that holds a line break made
    a rich-text control inside a bookmark (see the module's docstring)."""
    if not _break_in_control(xml):
        return xml

    def rich(m: re.Match[str]) -> str:
        properties, content = m.group(1), m.group(2)
        if "<w:br/>" not in content or not _PLAIN.search(properties):
            return m.group(0)
        control = m.group(0).replace(properties, _PLAIN.sub("", properties), 1)
        tag = _TAG.search(properties)
        parsed = parse_tag(tag.group(1)) if tag else None
        name = lines_bookmark(parsed.path) if parsed and parsed.choice is None else ""
        if not name:
            return control
        number = next(ids)
        return (f'<w:bookmarkStart w:id="{number}" w:name="{name}"/>{control}'
                f'<w:bookmarkEnd w:id="{number}"/>')

    return _CONTROL.sub(rich, xml)
