"""A Word document's text as a form reader needs it: paragraphs, tables of cells on their
column grid, content controls with their tags, boxes in bookmarks, document properties.

Parsed with lxml from parts already checked by :mod:`formgen.extract.safety` (no DTD, no
entities, nothing fetched). Boxes are read however the form's maker drew them: a checkbox
control, a legacy form field, a Wingdings symbol or a ☑/☐/■/□/√ character.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from formgen.extract.runs import (
    CHECKED_MARK,
    UNCHECKED_MARK,
    W,
    control_doubt,
    is_copy,
    paragraph_text,
    read_paragraph,
    sdt_tag,
    w,
)
from formgen.forms.carry import NAMESPACE, PROPERTY_KEY, PROPERTY_RECORD

W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"

PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


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
    key: str = ""
    """The form key formgen's forms carry (:mod:`formgen.forms.carry`), or ''."""
    carried: dict[str, Any] | None = None
    """The record formgen's form carries, as rendered; None when it carries none."""
    inputs: list[tuple[str, str, str | None]] = field(default_factory=list)
    """Values typed in fields of body paragraphs: (the label before, the value, a doubt)."""


_T, _VAL, _BR, _CR, _P = w("t"), w("val"), w("br"), w("cr"), w("p")
_W14_CHECKED, _W14_VAL = f"{{{W14}}}checked", f"{{{W14}}}val"


def _paragraphs(node: etree._Element) -> tuple[list[str], str | None]:
    texts, doubt = [], None
    for p in node.iter(_P):
        text, said = paragraph_text(p)
        texts.append(text)
        doubt = doubt or said
    return texts, doubt


_CELLS = etree.XPath("./w:tc | ./w:sdt/w:sdtContent/w:tc", namespaces={"w": W})
_ROWS = etree.XPath("./w:tr | ./w:sdt/w:sdtContent/w:tr", namespaces={"w": W})
_GRID_SPAN = f"{w('tcPr')}/{w('gridSpan')}"


def _cells(tr: etree._Element) -> list[Cell]:
    cells: list[Cell] = []
    column = 0
    for tc in _CELLS(tr):
        span_el = tc.find(_GRID_SPAN)
        span = int(span_el.get(_VAL, "1")) if span_el is not None else 1
        texts, doubt = _paragraphs(tc)
        cells.append(Cell(texts, column, span, doubt))
        column += span
    return cells


def _table(tbl: etree._Element) -> list[list[Cell]]:
    return [_cells(tr) for tr in _ROWS(tbl)]


_SDT, _SDT_PR, _SDT_CONTENT = w("sdt"), w("sdtPr"), w("sdtContent")
_W14_CHECKBOX = f"{{{W14}}}checkbox"


def _controls(root: etree._Element) -> list[Control]:
    found = []
    for sdt in root.iter(_SDT):
        pr = sdt.find(_SDT_PR)
        content = sdt.find(_SDT_CONTENT)
        if pr is None or content is None:
            continue
        if is_copy(sdt):
            continue  # LibreOffice 7.4 writes a control once per script portion
        box = pr.find(_W14_CHECKBOX)
        checked = None
        if box is not None:
            state = box.find(_W14_CHECKED)
            checked = state is not None and state.get(_W14_VAL, "0") in ("1", "true")
        if content.find(f".//{_P}") is not None:
            texts, doubt = _paragraphs(content)
            text = "\n".join(texts)
        else:
            text, doubt = paragraph_text(content)
        found.append(Control(sdt_tag(sdt), text, checked, doubt or control_doubt(sdt)))
    return found


_BOOKMARK_START, _BOOKMARK_END, _ID, _NAME = w("bookmarkStart"), w("bookmarkEnd"), w("id"), w("name")
_BOX_MARKS = (CHECKED_MARK, UNCHECKED_MARK, "☒", "■", "□")


def _boxes(root: etree._Element) -> dict[str, bool]:
    """Each bookmark's first box: a checkbox control's state or a box character."""
    boxes: dict[str, bool] = {}
    open_marks: dict[str, str] = {}
    for el in root.iter(_BOOKMARK_START, _BOOKMARK_END, _W14_CHECKED, _T):
        tag = el.tag
        if tag == _BOOKMARK_START:
            open_marks[el.get(_ID, "")] = el.get(_NAME, "")
        elif tag == _BOOKMARK_END:
            open_marks.pop(el.get(_ID, ""), None)
        elif open_marks and tag == _W14_CHECKED:
            for name in open_marks.values():
                boxes.setdefault(name, el.get(_W14_VAL, "0") in ("1", "true"))
            open_marks.clear()
        elif open_marks and tag == _T and el.text:
            mark = next((ch for ch in el.text if ch in _BOX_MARKS), None)
            if mark:
                for name in open_marks.values():
                    boxes.setdefault(name, mark in (CHECKED_MARK, "☒", "■"))
                open_marks.clear()
    return boxes


def _marked(root: etree._Element) -> dict[str, str]:
    """The text inside each bookmark."""
    texts: dict[str, list[str]] = {}
    open_marks: dict[str, str] = {}
    for el in root.iter(_BOOKMARK_START, _BOOKMARK_END, _T, _BR, _CR, _P):
        if el.tag == _BOOKMARK_START:
            name = el.get(_NAME, "")
            open_marks[el.get(_ID, "")] = name
            texts.setdefault(name, [])
        elif el.tag == _BOOKMARK_END:
            open_marks.pop(el.get(_ID, ""), None)
        elif not open_marks:
            continue
        elif el.tag == _T:
            if el.text:
                for name in open_marks.values():
                    texts[name].append(el.text)
        else:  # a line break, or a new paragraph after some text: a line of its own
            for name in open_marks.values():
                if texts[name] and (el.tag != _P or texts[name][-1] != "\n"):
                    texts[name].append("\n")
    return {name: "".join(parts).strip("\n") for name, parts in texts.items()}


def _properties(data: bytes | None) -> dict[str, str]:
    if not data:
        return {}
    root = etree.fromstring(data, PARSER)
    out = {}
    for prop in root.iter(f"{{{CUSTOM}}}property"):
        value = next(iter(prop), None)
        out[prop.get("name", "")] = (value.text or "") if value is not None else ""
    return out


MAX_CARRIED = 4 * 1024 * 1024
"""The longest record a form may carry, unpacked."""


def _carried_part(z: zipfile.ZipFile, names: list[str]) -> tuple[str, dict[str, Any] | None]:
    """The key and record of formgen's custom XML part (the first, where a suite copied it)."""
    for name in sorted(n for n in names if n.startswith("customXml/item") and "Props" not in n):
        if z.getinfo(name).file_size > MAX_CARRIED:
            continue
        root = etree.fromstring(z.read(name), PARSER)
        if root.tag != f"{{{NAMESPACE}}}form":
            continue
        key = root.findtext(f"{{{NAMESPACE}}}key") or ""
        return key.strip(), _record(root.findtext(f"{{{NAMESPACE}}}record") or "")
    return "", None


MAX_DEPTH = 6
"""How deep a carried record nests (record → competences → A1 → roles → zh is 5)."""


def _record(text: str) -> dict[str, Any] | None:
    """The carried record, or None for anything that is not one (a form is not trusted)."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(value, dict):
        return None
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return None
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return value


def _carried_properties(properties: dict[str, str]) -> dict[str, Any] | None:
    """The record in the properties ``formgen.record.1`` … (zlib, base64)."""
    chunks = []
    number = 1
    while f"{PROPERTY_RECORD}.{number}" in properties:
        chunks.append(properties[f"{PROPERTY_RECORD}.{number}"])
        number += 1
    if not chunks:
        return None
    try:
        unpacker = zlib.decompressobj()
        raw = unpacker.decompress(base64.b64decode("".join(chunks), validate=True), MAX_CARRIED)
        if unpacker.unconsumed_tail:
            return None
        return _record(raw.decode("utf-8"))
    except (binascii.Error, zlib.error, UnicodeDecodeError):
        return None


def read_document(data: bytes) -> WordDocument:
    """Parse a DOCX already checked safe. Raises ``etree.XMLSyntaxError``, ``KeyError`` or
    ``zipfile.BadZipFile`` when it is damaged."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        root = etree.fromstring(z.read("word/document.xml"), PARSER)
        names = z.namelist()
        custom = z.read("docProps/custom.xml") if "docProps/custom.xml" in names else None
        key, carried = _carried_part(z, names)
    body = root.find(w("body"))
    doc = WordDocument(properties=_properties(custom))
    if carried is None:
        carried = _carried_properties(doc.properties)
    doc.key = key or doc.properties.get(PROPERTY_KEY, "").strip()
    doc.carried = carried
    if body is None:
        return doc
    for el in body.xpath("./w:p | ./w:sdt/w:sdtContent/w:p | ./w:tbl | ./w:sdt/w:sdtContent/w:tbl",
                         namespaces={"w": W}):
        if el.tag == _P:
            text, found = read_paragraph(el)
            doc.paragraphs.append(text)
            doc.inputs.extend(found)
        else:
            doc.tables.append(_table(el))
    doc.controls = _controls(body)
    doc.boxes = _boxes(body)
    doc.marked = _marked(body)
    return doc
