"""The fonts templates ask for, and what fontconfig draws each with (``formgen check``).

A template asks for a font wherever Word names one: the run and style fonts of every
part (body, headers, footers, notes, comments, styles, numbering), the symbol fonts, the
font table, and the theme's heading and body fonts. Each must be a font of formgen's list
(``formgen/fonts.toml``) and fontconfig must draw it, under formgen's configuration, with
the family the list says; anything else would be drawn by a stand-in of other widths.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from pathlib import Path
from xml.etree.ElementTree import Element

from defusedxml import ElementTree

from formgen.bounds import Refused
from formgen.docxzip import read_template
from formgen.exceptions import FormgenError, TemplateError
from formgen.fonts import FONT_LIST, fonts_conf, resolve, undrawable
from formgen.messages import Message, msg

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_RUN_FONTS = (f"{_W}ascii", f"{_W}hAnsi", f"{_W}eastAsia", f"{_W}cs")


def _theme_fonts(root: Element) -> set[str]:
    """The theme's heading and body fonts (latin, East Asian, complex script); an empty East
    Asian font means Word's choice for Simplified Chinese, the theme's ``Hans`` font."""
    found: set[str] = set()
    for scheme in (f"{_A}majorFont", f"{_A}minorFont"):
        for fonts in root.iter(scheme):
            for kind in ("latin", "ea", "cs"):
                element = fonts.find(f"{_A}{kind}")
                if element is not None and (typeface := element.get("typeface")):
                    found.add(typeface)
            east_asian = fonts.find(f"{_A}ea")
            if east_asian is None or not east_asian.get("typeface"):
                for script in fonts.iter(f"{_A}font"):
                    if script.get("script") == "Hans" and (typeface := script.get("typeface")):
                        found.add(typeface)
    return found


def template_fonts(path: Path) -> set[str]:
    """Every font the template at ``path`` names."""
    return _read(path)[0]


def _read(path: Path) -> tuple[set[str], str]:
    """The fonts the template names, and the text it prints itself (all its parts)."""
    found: set[str] = set()
    text: list[str] = []
    try:
        with zipfile.ZipFile(io.BytesIO(read_template(path))) as docx:
            for name in docx.namelist():
                if not name.endswith(".xml") or not name.startswith("word/"):
                    continue
                root = ElementTree.fromstring(docx.read(name))
                if name.startswith("word/theme/"):
                    found |= _theme_fonts(root)
                    continue
                for element in root.iter(f"{_W}rFonts"):
                    found.update(v for a in _RUN_FONTS if (v := element.get(a)))
                text.extend(e.text or "" for e in root.iter(f"{_W}t"))
                found.update(v for e in root.iter(f"{_W}sym") if (v := e.get(f"{_W}font")))
                found.update(v for e in root.iter(f"{_W}font") if (v := e.get(f"{_W}name")))
    except Refused as e:
        raise TemplateError(msg("template.refused", path=str(path), reason=e.message)) from e
    except (OSError, zipfile.BadZipFile, ElementTree.ParseError, ValueError) as e:
        raise TemplateError(msg("template.unreadable", path=str(path), detail=str(e))) from e
    return found, "".join(text)


def check_fonts(
    templates: Iterable[Path], texts: Iterable[str] = ()
) -> tuple[list[Message], list[Message]]:
    """``(report, problems)`` on the fonts of ``templates``: a line per font saying what
    fontconfig draws it with, and a problem for each font drawn by anything but its
    listed family (naming the Debian package to install) or missing from the list, and
    for each character of the templates' own text, or of ``texts`` (what formgen writes
    into every document: check boxes, the manifest's terms), that no font can draw."""
    users: dict[str, list[Path]] = {}
    problems: list[Message] = []
    for path in templates:
        try:
            fonts, text = _read(path)
        except FormgenError as e:
            problems.append(e.message)
            continue
        for font in fonts:
            users.setdefault(font, []).append(path)
        problems += [_no_glyph(char, f"{path.parent.name}/{path.name}") for char in undrawable(text)]
    problems += [_no_glyph(char, "formgen") for char in undrawable("".join(texts))]
    try:
        resolved = resolve(sorted(users, key=str.casefold))
    except FormgenError as e:
        return [], [*problems, e.message]
    report: list[Message] = [msg("check.fonts-heading", conf=str(fonts_conf()))]
    for r in resolved:
        paths = users[r.font]
        if r.ok:
            report.append(msg("check.font-drawn", font=r.font, family=r.drawn_by, count=len(paths)))
        elif r.family is None:
            names = [f"{p.parent.name}/{p.name}" for p in paths]
            problems.append(msg(
                "check.font-not-listed", font=r.font, templates=names, drawn=r.drawn_by or "-",
                list=str(FONT_LIST),
            ))
        else:
            problems.append(msg(
                "check.font-falls-back", font=r.font, count=len(paths), drawn=r.drawn_by or "-",
                family=r.family.name, package=r.family.package,
            ))
    return report, problems


def _no_glyph(char: str, where: str) -> Message:
    return msg("check.no-glyph", where=where, char=char, code=f"U+{ord(char):04X}")
