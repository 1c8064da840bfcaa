"""The rows of a workbook's sheets as lists of values: read by :mod:`formgen.load.sheetfast`
where it can, else by :mod:`formgen.load.sheetxml`'s parser, with rows, columns, cells and
the characters of their texts counted against the limits as they come.

A reader that leaves the texts as the sheets write them (``escaped``: their references,
such as ``&#26446;``, replaced later, where the records are made, alongside the other
workers) reads only sheets :func:`fast_cells` reads whole, and counts a text's characters
as it stands (no fewer than it has): anything else asks for the workbook to be read again
(ReadWhole) by a reader that replaces them itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import Any
from xml.etree.ElementTree import ParseError

from formgen.exceptions import DataFileError
from formgen.load.limits import Limits
from formgen.load.records import ReadWhole
from formgen.load.sheetfast import KNOWN_CELLS, Dates, MixedRow, TextRow, fast_cells
from formgen.load.sheettexts import Unsupported
from formgen.load.sheetxml import (
    _MOBILE,
    PHONE_COLUMNS,
    Cell,
    NumberText,
    Sheet,
    Uncalculated,
    _cell_text,
    _where,
    not_xml,
    sheet_parser,
)
from formgen.messages import msg


class _Reader:
    """Reads the rows of a workbook's sheets, counting cells across them."""

    def __init__(self, name: str, workbook: Any, limits: Limits, escaped: bool = False):
        self.name = name
        self.workbook = workbook
        self.limits = limits
        self.escaped = escaped
        """Whether the texts of the rows after the first are left as the sheets write them."""
        self.cells = 0
        self.chars = 0
        """Characters of text read from the cells so far, across the sheets."""
        self.marked = False
        """Whether a cell was read as Uncalculated or NumberText."""
        self.parser = sheet_parser()

    def rows(self, ws: Any, text_columns: set[str]) -> Iterator[list[Any]]:
        """The sheet's rows as lists of values (a missing row as an empty list), the
        header first; cells of ``text_columns`` that hold numbers come as NumberText."""
        try:
            yield from self._parsed(ws, self._cells(ws), text_columns)
        except ParseError as e:
            raise DataFileError(self.name, not_xml(e, ws.path, ws.title).message) from e

    def _cells(self, ws: Any) -> Iterator[tuple[int, list[Cell] | TextRow | MixedRow]]:
        """The sheet's rows, each with its cells: read by :func:`fast_cells` as far as it
        can, then by the parser from the start, the rows given already skipped."""
        wb = self.workbook
        given = 0
        dates = Dates(wb._date_formats, wb._timedelta_formats, wb.epoch)
        with wb._archive.open(ws.path) as source:
            try:
                for row in fast_cells(source, ws.strings, dates, self.escaped):
                    given += 1
                    yield row
                return
            except Unsupported:
                if self.escaped:
                    raise ReadWhole() from None
        with wb._archive.open(ws.path) as source:
            parser = self.parser(
                source, ws.strings, data_only=True, epoch=wb.epoch,
                date_formats=wb._date_formats, timedelta_formats=wb._timedelta_formats,
            )
            yield from islice(parser.cells(), given, None)

    def _too_much_text(self) -> Exception:
        """The refusal of a workbook with more text than the limit; ReadWhole when the texts
        are counted as written (a reference counts for more than its character)."""
        if self.escaped:
            return ReadWhole()
        return DataFileError(self.name, msg("file.xlsx-too-much-text", limit=self.limits.text_chars))

    def _parsed(self, ws: Sheet, parsed: Iterator[Any], text_columns: set[str]) -> Iterator[list[Any]]:
        limits = self.limits
        expected = 1
        text_at: dict[int, str] = {}
        known: dict[tuple[Any, ...], Any] = {}
        for number, cells in parsed:
            if number > limits.rows_per_sheet:
                raise DataFileError(self.name, msg(
                    "file.xlsx-too-many-rows", sheet=ws.title, limit=limits.rows_per_sheet))
            while expected < number:  # rows left out of the sheet's XML
                expected += 1
                yield []
            expected = number + 1
            if type(cells) is TextRow:
                texts = self._texts(ws, number, cells)
                if number == 1:
                    text_at = {i: h.strip() for i, h in enumerate(texts) if h.strip() in text_columns}
                yield texts
                continue
            if type(cells) is MixedRow:
                row = cells.values
                self._count_cells(ws, number, len(row))
                chars = self.chars + sum(map(len, cells.texts))
                for index, data_type, style_id in cells.others:
                    value = row[index]
                    if type(value) is str:
                        chars += len(value)
                    elif value is not None and index not in text_at and (
                            text := known.get((value.__class__, value, data_type, style_id))) is not None:
                        row[index] = text  # (as _other gives it, without the call)
                    elif value is not None or data_type == "uncalculated":
                        row[index] = self._other(ws, number, index + 1, value, data_type, style_id,
                                                 text_at.get(index), known)
                if chars > limits.text_chars:
                    raise self._too_much_text()
            else:
                row = self._empty_row(ws, number, cells)
                chars = self.chars
                for c in cells:
                    column, value, data_type, style_id, _ = c
                    if column > len(row):  # cells out of order: the row grows to hold them
                        row.extend(self._empty_row(ws, number, [c])[len(row):])
                    if type(value) is str:
                        chars += len(value)
                        if chars > limits.text_chars:
                            raise self._too_much_text()
                    elif value is not None and column - 1 not in text_at and (
                            text := known.get((value.__class__, value, data_type, style_id))) is not None:
                        value = text  # (as _other gives it, without the call)
                    elif value is not None or data_type == "uncalculated":
                        value = self._other(ws, number, column, value, data_type, style_id,
                                            text_at.get(column - 1), known)
                    row[column - 1] = value
            self.chars = chars
            if number == 1:
                text_at = {i: h.strip() for i, h in enumerate(row)
                           if isinstance(h, str) and h.strip() in text_columns}
            yield row

    def _other(self, ws: Any, number: int, column: int, value: Any, data_type: str,
               style_id: Any, text_column: str | None, known: dict[tuple[Any, ...], Any]) -> Any:
        """The value of a cell that holds no text, in column ``text_column`` (a text
        column's header) or another, not in ``known`` (the values of the sheet's other
        cells by what they held, which :meth:`_parsed` looks in first): kept there."""
        from openpyxl.cell.read_only import ReadOnlyCell

        if value is None:  # (uncalculated)
            self.marked = True
            return Uncalculated(_where(column, number))
        text = self._value(ReadOnlyCell(ws, number, column, value, data_type, style_id), text_column)
        if text_column is None:  # (in a text column, the cell's place may mark it)
            if len(known) >= KNOWN_CELLS:
                known.clear()
            known[value.__class__, value, data_type, style_id] = text
        return text

    def _texts(self, ws: Any, number: int, texts: TextRow) -> list[Any]:
        """A row of texts in columns A, B, C … as :meth:`_parsed` reads its cells one by
        one, counted against the limits."""
        self._count_cells(ws, number, len(texts))
        self.chars += sum(map(len, texts))
        if self.chars > self.limits.text_chars:
            raise self._too_much_text()
        return list(texts)

    def _empty_row(self, ws: Any, number: int, cells: list[Cell]) -> list[Any]:
        """A row as wide as its last cell, counted against the limits."""
        width = max(cells[-1][0], cells[0][0]) if cells else 0
        self._count_cells(ws, number, width)
        return [None] * width

    def _count_cells(self, ws: Any, number: int, width: int) -> None:
        """Count a row ``width`` cells wide against the limits (columns, cells)."""
        if width > self.limits.columns:
            raise DataFileError(self.name, msg(
                "file.xlsx-too-many-columns", sheet=ws.title, row=str(number),
                limit=self.limits.columns))
        self.cells += width
        if self.cells > self.limits.cells:
            raise DataFileError(self.name, msg("file.too-many-cells", limit=self.limits.cells))

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
