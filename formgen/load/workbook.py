"""XLSX workbooks: sheet ``applicants`` (or the first sheet that is no group) with one
applicant per row, and a sheet per repeating group (education, career, cpd, competences).

Before openpyxl opens the workbook, every part of its zip is measured: its unpacked size,
its compression ratio (each part on its own, so incompressible padding in another part
cannot hide a bomb) and the unpacked size of all parts; no part may declare a DOCTYPE or
ENTITY. While the sheets are read, rows, cells and columns are counted.

Cells are read by their value (:mod:`formgen.load.sheetxml`): a formula by the result the
workbook saved with it; a formula without a saved result is an error naming its cell. A
number where text is meant (an id, a phone number) is read as text and, unless nothing can
have been lost (a mainland mobile number), flagged: a leading zero does not survive a
number cell.
"""

from __future__ import annotations

import warnings
import zipfile
from typing import Any
from xml.etree.ElementTree import ParseError

from formgen.docxzip import declared_entities
from formgen.exceptions import DataFileError
from formgen.load.limits import MB, RATIO_FLOOR, Limits, check_count, refuse_oversized
from formgen.load.records import GROUPS, Note, RawRecord, attach, rows_to_dicts
from formgen.load.sheetrows import _Reader
from formgen.load.sheetxml import (
    PHONE_COLUMNS,
    TEXT_NUMBER_COLUMNS,
    NotXml,
    NumberText,
    Sheet,
    Uncalculated,
    not_xml,
    read_string_table,
    sheet_parser,
    string_text,
)
from formgen.messages import msg

__all__ = [
    "PHONE_COLUMNS", "TEXT_NUMBER_COLUMNS", "NotXml", "NumberText", "Sheet", "Uncalculated",
    "check_zip", "read_string_table", "sheet_parser", "string_text", "xlsx_records",
]


def xlsx_records(name: str, source: Any, limits: Limits) -> list[RawRecord]:
    """The records of a workbook (``source`` a binary file); DataFileError when it cannot be
    read or passes ``limits``."""
    workbook, sheets = open_checked(name, source, limits)
    with warnings.catch_warnings():  # openpyxl's notes on features it drops
        warnings.simplefilter("ignore")
        try:
            return _read(name, workbook, sheets, limits)
        except (ValueError, KeyError, IndexError, TypeError) as e:  # a damaged sheet
            raise DataFileError(name, msg("file.xlsx-unreadable", detail=str(e))) from e
        finally:
            workbook.close()


def open_checked(name: str, source: Any, limits: Limits) -> tuple[Any, list[Sheet]]:
    """The workbook and its worksheets (:func:`_open`), once the ZIP is checked against
    ``limits``; DataFileError naming ``name`` when it cannot be opened."""
    check_zip(name, source, limits)
    source.seek(0)
    with warnings.catch_warnings():  # openpyxl's notes on features it drops
        warnings.simplefilter("ignore")
        try:
            return _open(source)
        except NotXml as e:
            raise DataFileError(name, e.message) from e
        except Exception as e:  # openpyxl raises many kinds for a damaged workbook
            raise DataFileError(name, msg("file.xlsx-unreadable", detail=str(e))) from e


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


def main_sheet(name: str, worksheets: list[Sheet]) -> tuple[dict[str, Sheet], Sheet]:
    """The worksheets by lower-case title, and the applicants' sheet (``applicants``, else
    the first that is not a group's); DataFileError when there is none."""
    sheets = {ws.title.strip().lower(): ws for ws in worksheets}
    main_name = next((n for n in sheets if n not in GROUPS), None)
    if main_name is None:
        raise DataFileError(name, msg("file.xlsx-no-sheet"))
    return sheets, sheets.get("applicants") or sheets[main_name]


def _read(name: str, workbook: Any, worksheets: list[Sheet], limits: Limits) -> list[RawRecord]:
    sheets, main = main_sheet(name, worksheets)
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
