"""A Word document's text as a form reader needs it: paragraphs, tables of cells on their
column grid, content controls with their tags, boxes in bookmarks, document properties.

Parsed with lxml from parts already checked by :mod:`formgen.extract.safety` (no DTD, no
entities, nothing fetched). Boxes are read however the form's maker drew them: a checkbox
control, a legacy form field, a Wingdings symbol or a ☑/☐/■/□/√ character.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

from lxml import etree

from formgen.extract.runs import (
    CHECKED_MARK,
    UNCHECKED_MARK,
    W,
    control_doubt,
    is_copy,
    paragraph_text,
    read_paragraph,
)

W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"

PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def w(tag: str) -> str:
    return f"{{{W}}}{tag}"


@dataclass
class Cell:
    """One table cell: its paragraphs' text and the grid columns it covers."""

    paragraphs: list[str]
    column: int
    span: int = 1
    doubt: str | None = None
    """Why its text is uncertain (:mod:`formgen.extract.runs`), or None."""

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs).strip()


@dataclass
class Control:
    """A content control: its tag (or title), its text, and whether its box is checked."""

    tag: str
    text: str
    checked: bool | None = None
    """For a checkbox control, its state; None for a text control."""
    doubt: str | None = None
    """Why its text is uncertain (:mod:`formgen.extract.runs`), or None."""


@dataclass
class WordDocument:
    """What a reader sees of one document."""

    paragraphs: list[str] = field(default_factory=list)
    """Body paragraphs outside tables, in order."""
    tables: list[list[list[Cell]]] = field(default_factory=list)
    """Each table's rows of cells."""
    controls: list[Control] = field(default_factory=list)
    boxes: dict[str, bool] = field(default_factory=dict)
    """Bookmark name → whether the first box inside it is checked."""
    marked: dict[str, str] = field(default_factory=dict)
    """Bookmark name → the text inside it."""
    properties: dict[str, str] = field(default_factory=dict)
    """Custom document properties."""
    inputs: list[tuple[str, str, str | None]] = field(default_factory=list)
    """Values typed in fields of body paragraphs: (the label before, the value, a doubt)."""


def _paragraphs(node: etree._Element) -> tuple[list[str], str | None]:
    texts, doubt = [], None
    for p in node.iter(w("p")):
        text, said = paragraph_text(p)
        texts.append(text)
        doubt = doubt or said
    return texts, doubt


def _cells(tr: etree._Element) -> list[Cell]:
    cells: list[Cell] = []
    column = 0
    for tc in tr.xpath("./w:tc | ./w:sdt/w:sdtContent/w:tc", namespaces={"w": W}):
        span_el = tc.find(f"{w('tcPr')}/{w('gridSpan')}")
        span = int(span_el.get(w("val"), "1")) if span_el is not None else 1
        texts, doubt = _paragraphs(tc)
        cells.append(Cell(texts, column, span, doubt))
        column += span
    return cells


def _table(tbl: etree._Element) -> list[list[Cell]]:
    return [_cells(tr) for tr in tbl.xpath("./w:tr | ./w:sdt/w:sdtContent/w:tr", namespaces={"w": W})]


def _controls(root: etree._Element) -> list[Control]:
    found = []
    for sdt in root.iter(w("sdt")):
        pr = sdt.find(w("sdtPr"))
        content = sdt.find(w("sdtContent"))
        if pr is None or content is None:
            continue
        tag = _tag_of(pr)
        if is_copy(sdt):
            continue  # LibreOffice 7.4 writes a control once per script portion
        box = pr.find(f"{{{W14}}}checkbox")
        checked = None
        if box is not None:
            state = box.find(f"{{{W14}}}checked")
            checked = state is not None and state.get(f"{{{W14}}}val", "0") in ("1", "true")
        if content.find(f".//{w('p')}") is not None:
            texts, doubt = _paragraphs(content)
            text = "\n".join(texts)
        else:
            text, doubt = paragraph_text(content)
        found.append(Control(tag, text, checked, doubt or control_doubt(sdt)))
    return found


def _tag_of(pr: etree._Element | None) -> str:
    """A content control's tag, else its title (alias); "" without either."""
    if pr is None:
        return ""
    found = pr.find(w("tag"))
    if found is None:
        found = pr.find(w("alias"))
    return found.get(w("val"), "") if found is not None else ""


def _boxes(root: etree._Element) -> dict[str, bool]:
    """Each bookmark's first box: a checkbox control's state or a box character."""
    boxes: dict[str, bool] = {}
    open_marks: dict[str, str] = {}
    for el in root.iter():
        tag = el.tag
        if tag == w("bookmarkStart"):
            open_marks[el.get(w("id"), "")] = el.get(w("name"), "")
        elif tag == w("bookmarkEnd"):
            open_marks.pop(el.get(w("id"), ""), None)
        elif open_marks and tag == f"{{{W14}}}checked":
            for name in open_marks.values():
                boxes.setdefault(name, el.get(f"{{{W14}}}val", "0") in ("1", "true"))
            open_marks.clear()
        elif open_marks and tag == w("t") and el.text:
            mark = next((ch for ch in el.text if ch in (CHECKED_MARK, UNCHECKED_MARK, "☒", "■", "□")), None)
            if mark:
                for name in open_marks.values():
                    boxes.setdefault(name, mark in (CHECKED_MARK, "☒", "■"))
                open_marks.clear()
    return boxes


def _marked(root: etree._Element) -> dict[str, str]:
    """The text inside each bookmark."""
    texts: dict[str, list[str]] = {}
    open_marks: dict[str, str] = {}
    for el in root.iter(w("bookmarkStart"), w("bookmarkEnd"), w("t")):
        if el.tag == w("bookmarkStart"):
            name = el.get(w("name"), "")
            open_marks[el.get(w("id"), "")] = name
            texts.setdefault(name, [])
        elif el.tag == w("bookmarkEnd"):
            open_marks.pop(el.get(w("id"), ""), None)
        elif open_marks and el.text:
            for name in open_marks.values():
                texts[name].append(el.text)
    return {name: "".join(parts) for name, parts in texts.items()}


def _properties(data: bytes | None) -> dict[str, str]:
    if not data:
        return {}
    root = etree.fromstring(data, PARSER)
    out = {}
    for prop in root.iter(f"{{{CUSTOM}}}property"):
        value = next(iter(prop), None)
        out[prop.get("name", "")] = (value.text or "") if value is not None else ""
    return out


def read_document(data: bytes) -> WordDocument:
    """Parse a DOCX already checked safe. Raises ``etree.XMLSyntaxError``, ``KeyError`` or
    ``zipfile.BadZipFile`` when it is damaged."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        root = etree.fromstring(z.read("word/document.xml"), PARSER)
        names = set(z.namelist())
        custom = z.read("docProps/custom.xml") if "docProps/custom.xml" in names else None
    body = root.find(w("body"))
    doc = WordDocument(properties=_properties(custom))
    if body is None:
        return doc
    for el in body.xpath("./w:p | ./w:sdt/w:sdtContent/w:p | ./w:tbl | ./w:sdt/w:sdtContent/w:tbl",
                         namespaces={"w": W}):
        if el.tag == w("p"):
            text, found = read_paragraph(el)
            doc.paragraphs.append(text)
            doc.inputs.extend(found)
        else:
            doc.tables.append(_table(el))
    doc.controls = _controls(body)
    doc.boxes = _boxes(body)
    doc.marked = _marked(body)
    return doc
