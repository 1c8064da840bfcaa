"""XLSX workbooks: sheet ``applicants`` (or the first sheet that is no group) with one
applicant per row, and a sheet per repeating group (education, career, cpd, competences).

Before openpyxl opens the workbook, every part of its zip is measured: its unpacked size,
its compression ratio (each part on its own, so incompressible padding in another part
cannot hide a bomb) and the unpacked size of all parts; no part may declare a DOCTYPE or
ENTITY. While the sheets are read, rows, cells and columns are counted.

Cells are read by their value: a formula by the result the workbook saved with it; a
formula without a saved result is an error naming its cell. A number where text is meant
(an id, a phone number) is read as text and, unless nothing can have been lost (a mainland
mobile number), flagged: a leading zero does not survive a number cell.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import ParseError
from xml.parsers.expat import ErrorString

from formgen.docxzip import declared_entities
from formgen.exceptions import DataFileError
from formgen.load.limits import MB, RATIO_FLOOR, Limits, check_count, refuse_oversized
from formgen.load.records import GROUPS, Note, RawRecord, attach, rows_to_dicts
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
_SI, _T, _R, _IS = _MAIN + "si", _MAIN + "t", _MAIN + "r", _MAIN + "is"


@dataclass(frozen=True)
class Uncalculated:
    """A cell holding a formula whose result the workbook did not save."""

    cell: str


@dataclass(frozen=True)
class NumberText:
    """A number cell in a text column, and the text read from it."""

    cell: str
    text: str


def xlsx_records(name: str, source: Any, limits: Limits) -> list[RawRecord]:
    """The records of a workbook (``source`` a binary file); DataFileError when it cannot be
    read or passes ``limits``."""
    check_zip(name, source, limits)
    source.seek(0)
    with warnings.catch_warnings():  # openpyxl's notes on features it drops
        warnings.simplefilter("ignore")
        try:
            workbook, sheets = _open(source)
        except NotXml as e:
            raise DataFileError(name, e.message) from e
        except Exception as e:  # openpyxl raises many kinds for a damaged workbook
            raise DataFileError(name, msg("file.xlsx-unreadable", detail=str(e))) from e
        try:
            return _read(name, workbook, sheets, limits)
        except (ValueError, KeyError, IndexError, TypeError) as e:  # a damaged sheet
            raise DataFileError(name, msg("file.xlsx-unreadable", detail=str(e))) from e
        finally:
            workbook.close()


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


def _open(source: Any) -> tuple[Any, list[Sheet]]:
    """The workbook as ``openpyxl.load_workbook(source, read_only=True, data_only=True)``
    reads it, its shared strings read by :func:`read_string_table`, and its worksheets
    (which openpyxl would parse whole to find their size when they do not give it)."""
    from openpyxl.reader.excel import ExcelReader

    sheets: list[Sheet] = []

    class Reader(ExcelReader):
        def read_strings(self) -> None:
            from openpyxl.xml.constants import SHARED_STRINGS

            part = self.package.find(SHARED_STRINGS)
            if part is not None:
                with self.archive.open(part.PartName[1:]) as strings:
                    try:
                        self.shared_strings = read_string_table(strings)
                    except ParseError as e:
                        raise not_xml(e, part.PartName[1:]) from e

        def read_worksheets(self) -> None:
            for sheet, rel in self.parser.find_sheets():
                if rel.target in self.valid_files and "chartsheet" not in rel.Type:
                    sheets.append(Sheet(sheet.name, rel.target, self.wb, self.shared_strings))

    reader = Reader(source, read_only=True, data_only=True)
    reader.read()
    return reader.wb, sheets


def read_string_table(source: Any) -> list[str]:
    """The texts of a sharedStrings part, as openpyxl's ``read_string_table`` reads them
    (a string's plain text and its runs' texts, without phonetic runs; ``x005F_`` dropped),
    without building an object per string, which took a fifth of a large workbook's load.
    ParseError when the part is not well-formed XML."""
    from openpyxl.xml.functions import iterparse  # defusedxml's where installed, as openpyxl

    strings: list[str] = []
    for _, node in iterparse(source):
        if node.tag == _SI:
            strings.append(string_text(node).replace("x005F_", ""))
            node.clear()
    return strings


def string_text(node: Any) -> str:
    """The text of a string (a shared ``<si>`` or an inline ``<is>``) as openpyxl's
    ``Text.from_tree(node).content`` gives it."""
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


def _read(name: str, workbook: Any, worksheets: list[Sheet], limits: Limits) -> list[RawRecord]:
    sheets = {ws.title.strip().lower(): ws for ws in worksheets}
    main_name = next((n for n in sheets if n not in GROUPS), None)
    if main_name is None:
        raise DataFileError(name, msg("file.xlsx-no-sheet"))
    main = sheets.get("applicants") or sheets[main_name]
    reader = _Reader(name, workbook, limits)
    records = [
        RawRecord(name, msg("place.sheet-row", sheet=main.title, row=str(n)), d)
        for n, d in rows_to_dicts(name, reader.rows(main, TEXT_NUMBER_COLUMNS))
    ]
    check_count(name, len(records), limits)
    for group in GROUPS:
        ws = sheets.get(group)
        if ws is not None:
            grouped = rows_to_dicts(name, reader.rows(ws, set()))
            attach(records, group, (
                (msg("place.sheet-row", sheet=ws.title, row=str(n)), d) for n, d in grouped
            ))
    if reader.marked:
        for raw in records:
            _take_notes(raw)
    refuse_oversized(records, limits)
    return records


# ----------------------------------------------------------------------------- the zip


def check_zip(name: str, source: Any, limits: Limits) -> None:
    """DataFileError unless every part of the workbook's zip is within ``limits`` and free
    of DOCTYPE and ENTITY declarations."""
    try:
        with zipfile.ZipFile(source) as z:
            infos = z.infolist()
            total = 0
            for info in infos:
                _check_part(name, info, limits)
                total += info.file_size
                if total > limits.unpacked_bytes:
                    raise DataFileError(name, msg(
                        "file.xlsx-too-large", limit=limits.unpacked_bytes // MB))
            part = declared_entities(z)
            if part is not None:
                raise DataFileError(name, msg("file.xlsx-doctype", part=part))
    except (zipfile.BadZipFile, EOFError, NotImplementedError) as e:
        raise DataFileError(name, msg("file.xlsx-not-zip")) from e


def _check_part(name: str, info: zipfile.ZipInfo, limits: Limits) -> None:
    if info.file_size > limits.part_bytes:
        raise DataFileError(name, msg(
            "file.xlsx-part-too-large", part=info.filename,
            megabytes=round(info.file_size / MB, 1), limit=limits.part_bytes // MB))
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size >= RATIO_FLOOR and ratio > limits.part_ratio:
        raise DataFileError(name, msg(
            "file.xlsx-part-ratio", part=info.filename, ratio=round(ratio),
            limit=limits.part_ratio))


# ----------------------------------------------------------------------------- the sheets


def sheet_parser() -> type[Any]:
    from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

    class SheetParser(WorkSheetParser):
        """openpyxl's sheet parser, reading values, that marks a formula without a result
        and reads inline strings (openpyxl writes every text so) by :func:`string_text`."""

        def parse_cell(self, element: Any) -> dict[str, Any]:
            inline = element.find(_IS) if element.get("t") == "inlineStr" else None
            if inline is None:
                return super().parse_cell(element)
            element.remove(inline)  # openpyxl reads the rest: place and style
            cell: dict[str, Any] = super().parse_cell(element)
            cell["value"], cell["data_type"] = string_text(inline), "s"
            return cell

        def parse_row(self, row: Any) -> tuple[int, list[dict[str, Any]]]:
            number, cells = super().parse_row(row)
            for cell, element in zip(cells, row, strict=False):
                if cell["value"] is None and element.find(FORMULA_TAG) is not None:
                    cell["data_type"] = "uncalculated"
            return number, cells

    return SheetParser


class _Reader:
    """Reads the rows of a workbook's sheets, counting cells across them."""

    def __init__(self, name: str, workbook: Any, limits: Limits):
        self.name = name
        self.workbook = workbook
        self.limits = limits
        self.cells = 0
        self.chars = 0
        """Characters of text read from the cells so far, across the sheets."""
        self.marked = False
        """Whether a cell was read as Uncalculated or NumberText."""
        self.parser = sheet_parser()

    def rows(self, ws: Any, text_columns: set[str]) -> Iterator[list[Any]]:
        """The sheet's rows as lists of values (a missing row as an empty list), the
        header first; cells of ``text_columns`` that hold numbers come as NumberText."""
        wb = self.workbook
        with wb._archive.open(ws.path) as source:
            parser = self.parser(
                source, ws.strings, data_only=True, epoch=wb.epoch,
                date_formats=wb._date_formats, timedelta_formats=wb._timedelta_formats,
            )
            try:
                yield from self._parsed(ws, parser.parse(), text_columns)
            except ParseError as e:
                raise DataFileError(self.name, not_xml(e, ws.path, ws.title).message) from e

    def _parsed(self, ws: Sheet, parsed: Iterator[Any], text_columns: set[str]) -> Iterator[list[Any]]:
        from openpyxl.cell.read_only import ReadOnlyCell

        limits = self.limits
        expected = 1
        text_at: dict[int, str] = {}
        for number, cells in parsed:
            if number > limits.rows_per_sheet:
                raise DataFileError(self.name, msg(
                    "file.xlsx-too-many-rows", sheet=ws.title, limit=limits.rows_per_sheet))
            while expected < number:  # rows left out of the sheet's XML
                expected += 1
                yield []
            expected = number + 1
            row: list[Any] = self._empty_row(ws, number, cells)
            chars = self.chars
            for c in cells:
                if c["column"] > len(row):  # cells out of order: the row grows to hold them
                    row.extend(self._empty_row(ws, number, [c])[len(row):])
                value = c["value"]
                if value is None:
                    if c["data_type"] == "uncalculated":
                        self.marked = True
                        value = Uncalculated(_where(c["column"], number))
                elif type(value) is str:
                    chars += len(value)
                    if chars > limits.text_chars:
                        raise DataFileError(self.name, msg(
                            "file.xlsx-too-much-text", limit=limits.text_chars))
                else:
                    value = self._value(ReadOnlyCell(
                        ws, number, c["column"], value, c["data_type"], c["style_id"]
                    ), text_at.get(c["column"] - 1))
                row[c["column"] - 1] = value
            self.chars = chars
            if number == 1:
                text_at = {i: h.strip() for i, h in enumerate(row)
                           if isinstance(h, str) and h.strip() in text_columns}
            yield row

    def _empty_row(self, ws: Any, number: int, cells: list[dict[str, Any]]) -> list[Any]:
        """A row as wide as its last cell, counted against the limits."""
        width = max(cells[-1]["column"], cells[0]["column"]) if cells else 0
        if width > self.limits.columns:
            raise DataFileError(self.name, msg(
                "file.xlsx-too-many-columns", sheet=ws.title, row=str(number),
                limit=self.limits.columns))
        self.cells += width
        if self.cells > self.limits.cells:
            raise DataFileError(self.name, msg("file.too-many-cells", limit=self.limits.cells))
        return [None] * width

    def _value(self, cell: Any, column: str | None) -> Any:
        """The value of a cell that holds no text; ``column`` the header of a text column."""
        value = cell.value
        text = _cell_text(cell)
        if column and isinstance(value, (int, float)) and not isinstance(value, bool):
            if text.startswith("0") or (column in PHONE_COLUMNS and _MOBILE.fullmatch(text)):
                return text  # the format kept its zeros, or there was no zero to lose
            self.marked = True
            return NumberText(_where(cell.column, cell.row), text)
        return text


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
        if re.fullmatch(r"0+", fmt) and isinstance(value, int):
            text = text.zfill(len(fmt))  # a "000000" format keeps leading zeros on screen
        return text
    return str(value)


def _take_notes(raw: RawRecord) -> None:
    """Turn the marked cells of ``raw`` into values and notes: a formula without a result
    is left out with an error, a number in a text column is its text with a warning."""
    stack: list[tuple[Any, str]] = [(raw.data, "")]
    while stack:
        node, path = stack.pop()
        keys: Any = list(node) if isinstance(node, dict) else range(len(node))
        for key in keys:
            value = node[key]
            sub = (f"{path}.{key}" if path else str(key)) if isinstance(node, dict) else f"{path}[{key + 1}]"
            if isinstance(value, Uncalculated):
                del node[key]  # the model then also says whether the field was required
                raw.notes.append(Note(sub, msg("field.formula-without-result", cell=value.cell)))
            elif isinstance(value, NumberText):
                node[key] = value.text
                raw.notes.append(Note(sub, msg(
                    "field.number-in-text-column", cell=value.cell, value=value.text), "warning"))
            elif isinstance(value, (dict, list)):
                stack.append((value, sub))
