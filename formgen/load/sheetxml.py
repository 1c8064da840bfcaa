"""The cells of an XLSX workbook's sheets: read by libxml2 a row at a time, each cell by its
value (a formula by its saved result, a number in a text column flagged), for the sheets
:mod:`formgen.load.sheetfast` does not read; :mod:`formgen.load.sheetrows` counts them
against the limits, :mod:`formgen.load.workbook` opens the workbook and makes records of
the rows.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import ParseError, iterparse
from xml.parsers.expat import ErrorString

from formgen.messages import msg

TEXT_NUMBER_COLUMNS = {
    "id", "mobile", "company_phone", "cmes.membership_no", "certificate.ecuk_number",
    "certificate.soe_membership_number",
}
"""Columns of text that a spreadsheet may turn into a number (losing a leading zero)."""
PHONE_COLUMNS = {"mobile", "company_phone"}
_MOBILE = re.compile(r"1[3-9]\d{9}")
"""A mainland mobile number: eleven digits from 13…, with no leading zero to lose."""
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_SI, _T, _R, _IS, _V = _MAIN + "si", _MAIN + "t", _MAIN + "r", _MAIN + "is", _MAIN + "v"


@dataclass(frozen=True)
class Uncalculated:
    """A cell holding a formula whose result the workbook did not save."""

    cell: str


@dataclass(frozen=True)
class NumberText:
    """A number cell in a text column, and the text read from it."""

    cell: str
    text: str


@dataclass(frozen=True)
class Sheet:
    """A worksheet of the workbook: its title, its part in the zip, the workbook and its
    shared strings."""

    title: str
    path: str
    parent: Any
    strings: list[str]


class NotXml(Exception):
    """A part of the workbook is not well-formed XML; ``message`` says which and where."""

    def __init__(self, message: Any):
        super().__init__(message)
        self.message = message


def not_xml(error: ParseError, part: str, sheet: str | None = None) -> NotXml:
    """The refusal of a part (of ``sheet``, when it is a worksheet) that ``error`` found
    not to be well-formed XML: an undefined entity such as ``&nbsp;``, a part cut short."""
    line, column = str(error.position[0]), str(error.position[1] + 1)
    detail = ErrorString(error.code)
    if sheet is None:
        return NotXml(msg("file.xlsx-part-not-xml", part=part, line=line, column=column,
                          detail=detail))
    return NotXml(msg("file.xlsx-sheet-not-xml", sheet=sheet, part=part, line=line,
                      column=column, detail=detail))



def read_string_table(source: Any) -> list[str]:
    """The texts of a sharedStrings part, as openpyxl's ``read_string_table`` reads them
    (a string's plain text and its runs' texts, without phonetic runs; ``x005F_`` dropped),
    without building an object per string, which took a fifth of a large workbook's load.
    ParseError when the part is not well-formed XML."""
    return [string_text(node).replace("x005F_", "") for node in elements(source, _SI)]


def elements(source: Any, tag: str) -> Iterator[Any]:
    """Each ``tag`` element of the XML ``source`` (a seekable binary file) once it is read
    whole, dropped from the tree after it is given, so the tree never holds more than one.

    Read by libxml2 (lxml), which hands over only those elements, entities unresolved:
    :func:`check_zip` has refused every part that declares a DOCTYPE or an ENTITY. A part
    that is not well-formed XML is read again by expat, whose ParseError says where."""
    from lxml import etree

    try:
        for _, node in etree.iterparse(source, events=("end",), tag=tag, huge_tree=True,
                                       resolve_entities=False, no_network=True, load_dtd=False):
            yield node
            node.clear(keep_tail=True)
            parent = node.getparent()
            while parent is not None and len(parent):  # the elements given before
                del parent[0]
    except etree.XMLSyntaxError as e:
        source.seek(0)
        for _ in iterparse(source):  # raises expat's ParseError, as the data's other readers do
            pass
        raise ValueError(str(e)) from e


def string_text(node: Any) -> str:
    """The text of a string (a shared ``<si>`` or an inline ``<is>``) as openpyxl's
    ``Text.from_tree(node).content`` gives it."""
    if len(node) == 1 and (child := node[0]).tag == _T:  # the usual one <t>
        return child.text or ""
    plain, runs = None, []
    for child in node:  # a later <t> replaces an earlier one, as in openpyxl
        if child.tag == _T:
            plain = child.text
        elif child.tag == _R:
            run = None
            for part in child.iterfind(_T):
                run = part.text
            if run is not None:
                runs.append(run)
    return "".join(runs) if plain is None else plain + "".join(runs)



def sheet_parser() -> type[Any]:
    from openpyxl.worksheet._reader import FORMULA_TAG, ROW_TAG, WorkSheetParser

    class SheetParser(WorkSheetParser):
        """openpyxl's sheet parser, reading values, that marks a formula without a result
        and reads inline strings (openpyxl writes every text so) by :func:`string_text`."""

        def parse_cell(self, element: Any) -> dict[str, Any]:
            text = _text_cell(element, self.shared_strings)
            if text is not None:
                self.col_counter = text["column"]
                return text
            inline = element.find(_IS) if element.get("t") == "inlineStr" else None
            if inline is None:
                return super().parse_cell(element)
            element.remove(inline)  # openpyxl reads the rest: place and style
            cell: dict[str, Any] = super().parse_cell(element)
            cell["value"], cell["data_type"] = string_text(inline), "s"
            return cell

        def parse(self) -> Iterator[tuple[int, list[dict[str, Any]]]]:
            """The sheet's rows, their cells as openpyxl's parser gives them."""
            for number, cells in self.cells():
                yield number, [{"row": _row_of(place), "column": column, "value": value,
                                "data_type": data_type, "style_id": int(style or 0)}
                               for column, value, data_type, style, place in cells]

        def cells(self) -> Iterator[tuple[int, list[Cell]]]:
            """The sheet's rows, each with its cells (openpyxl reads the sheet's other parts
            too, which values do not need, with a parser written in Python)."""
            for row in elements(self.source, ROW_TAG):
                yield self.parse_row(row)

        def parse_row(self, row: Any) -> tuple[int, list[Cell]]:
            attrib = row.attrib
            number = attrib.get("r")
            if (number is None or not (number.isascii() and number.isdigit())
                    or any(key != "r" and key != "spans" for key in attrib)):
                return self._parse_row(row)
            # a row numbered as every writer numbers them, with no dimensions of its own:
            # openpyxl's reading of the row, its texts read here (a workbook's most cells)
            self.row_counter, self.col_counter = int(number), 0
            strings = self.shared_strings
            cells: list[Cell] = []
            for element in row:
                kind = element.get("t")
                if kind == "inlineStr" or kind == "s":  # a text cell, as _text_cell reads it
                    ref = element.get("r")
                    column = _cell_column(ref) if ref else None
                    if column is not None:
                        value = None
                        # its first <v> or <is>, as find() gives it (a path search in
                        # lxml: a third of the time of reading a sheet), usually its first
                        want = _V if kind == "s" else _IS
                        child = element[0] if len(element) else None
                        if child is not None and child.tag != want:
                            child = next(element.iterchildren(want), None)
                        if child is None:
                            pass
                        elif kind == "s":
                            if index := child.text:
                                value = strings[int(index)]
                        else:
                            value = string_text(child)
                        if value is not None:
                            self.col_counter = column
                            cells.append((column, value, "s", element.get("s"), ref))
                            continue
                cell = self.parse_cell(element)
                if cell["value"] is None and element.find(FORMULA_TAG) is not None:
                    cell["data_type"] = "uncalculated"
                cells.append(_cell(cell))
            return self.row_counter, cells

        def _parse_row(self, row: Any) -> tuple[int, list[Cell]]:
            number, cells = super().parse_row(row)
            for cell, element in zip(cells, row, strict=False):
                if cell["value"] is None and element.find(FORMULA_TAG) is not None:
                    cell["data_type"] = "uncalculated"
            return number, [_cell(c) for c in cells]

    return SheetParser


def _text_cell(element: Any, shared_strings: list[str]) -> dict[str, Any] | None:
    """A text cell (shared or inline) as openpyxl reads it, which takes three times as
    long; None for any other cell."""
    kind = element.get("t")
    if kind != "s" and kind != "inlineStr":
        return None
    ref = element.get("r")
    place = _place(ref) if ref else None
    if place is None:
        return None
    value: Any = None
    if kind == "s":
        if index := element.findtext(_V):
            value = shared_strings[int(index)]
    elif (text := element.find(_IS)) is not None:
        value = string_text(text)
    if value is None:
        return None
    style = element.get("s")
    return {"row": place[0], "column": place[1], "value": value, "data_type": "s",
            "style_id": int(style) if style else 0}


Cell = tuple[int, Any, str, Any, Any]
"""A cell as read: its column (1 for A), value, openpyxl's data type, style (a number, or
its text as the sheet gives it) and row (its number, or the cell's name such as ``B7``)."""


def _cell(cell: dict[str, Any]) -> Cell:
    return cell["column"], cell["value"], cell["data_type"], cell["style_id"], cell["row"]


_REF = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})")
_ZEROS = re.compile(r"0+")
_COLUMNS: dict[str, int] = {}
"""The column of each column's letters read so far (``AB`` → 28)."""


def _cell_column(ref: str) -> int | None:
    """The column of :func:`_place`, without the regular expression once the column's
    letters are known."""
    letters = ref.rstrip("0123456789")
    column = _COLUMNS.get(letters)
    digits = len(ref) - len(letters)
    if column is None or not 0 < digits <= 7 or ref[len(letters)] == "0":
        place = _place(ref)
        return None if place is None else place[1]
    return column


def _row_of(place: int | str) -> int:
    """The row of a cell's :data:`Cell` place: its number, or its name's (read by _place)."""
    return place if type(place) is int else _place(str(place))[0]  # type: ignore[index]


def _place(ref: str) -> tuple[int, int] | None:
    """(row, column) of a cell's name such as ``AB12``; None for anything else."""
    match = _REF.fullmatch(ref)
    if match is None:
        return None
    letters = match.group(1)
    column = _COLUMNS.get(letters)
    if column is None:
        from openpyxl.utils import column_index_from_string

        column = _COLUMNS[letters] = column_index_from_string(letters)
    return int(match.group(2)), column


def _where(column: int, row: int) -> str:
    """A cell's name: ``C3``."""
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(column)}{row}"


def _cell_text(cell: Any) -> Any:
    value = cell.value
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (int, float)):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value)
        fmt = cell.number_format or ""
        if _ZEROS.fullmatch(fmt) and isinstance(value, int):
            text = text.zfill(len(fmt))  # a "000000" format keeps leading zeros on screen
        return text
    return str(value)
