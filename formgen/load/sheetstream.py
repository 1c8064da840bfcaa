"""XLSX workbooks read a record at a time: each applicant's row of the main sheet is given
with its rows of the group sheets, read alongside (each group sheet from where it stands),
so that memory does not grow with the number of applicants.

This holds while each group sheet lists its rows in the order of the applicants, each
applicant's rows together (as formgen writes them, and as staff keep them). A row that
turns up for an applicant already given ends it: :class:`ReadWhole` asks for the workbook
to be read whole (:func:`formgen.load.workbook.xlsx_records`), which attaches rows in any
order. The records are those the whole read gives, in the same order.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

from formgen.exceptions import DataFileError
from formgen.load.limits import Limits, refuse_oversized
from formgen.load.records import GROUPS, RawRecord, ReadWhole, attach, orphan, rows_to_dicts
from formgen.load.workbook import (
    TEXT_NUMBER_COLUMNS,
    Sheet,
    _Reader,
    _take_notes,
    main_sheet,
    open_checked,
)
from formgen.messages import Message, msg

Row = tuple[Message, str, dict[str, Any]]
"""A group row: where it is, the applicant id it gives, its fields."""


def xlsx_stream(name: str, source: Any, limits: Limits) -> Iterator[RawRecord]:
    """The records of a workbook (``source`` a binary file) one at a time; DataFileError
    when it cannot be read or passes ``limits``, ReadWhole when its group rows are not in
    the order of its applicants."""
    workbook, sheets = open_checked(name, source, limits)
    try:
        records = _records(name, workbook, sheets, limits)
        while True:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    raw = next(records)
                except StopIteration:
                    return
                except (ValueError, KeyError, IndexError, TypeError) as e:  # a damaged sheet
                    raise DataFileError(name, msg("file.xlsx-unreadable", detail=str(e))) from e
            yield raw
    finally:
        workbook.close()


class _Group:
    """A group sheet's rows, read as far as the applicants given so far need."""

    def __init__(self, group: str, sheet: Sheet, rows: Iterator[tuple[int, dict[str, Any]]]):
        self.group, self.sheet, self.rows = group, sheet, rows
        self.ahead: Row | None = None
        """The row read last, for an applicant still to come (or for nobody)."""

    def next(self) -> Row | None:
        if self.ahead is not None:
            row, self.ahead = self.ahead, None
            return row
        for number, data in self.rows:
            where = msg("place.sheet-row", sheet=self.sheet.title, row=str(number))
            return where, str(data.get("id", "") or "").strip(), data
        return None

    def take(self, applicant_id: str, given: set[str]) -> list[tuple[Message, dict[str, Any]]]:
        """The rows of ``applicant_id``, which come next; ReadWhole when a row of an
        applicant given already comes instead."""
        found = []
        while (row := self.next()) is not None:
            if row[1] == applicant_id:
                found.append((row[0], row[2]))
                continue
            if row[1] in given:
                raise ReadWhole()
            self.ahead = row
            break
        return found


def _records(name: str, workbook: Any, worksheets: list[Sheet], limits: Limits) -> Iterator[RawRecord]:
    sheets, main = main_sheet(name, worksheets)
    reader = _Reader(name, workbook, limits)
    groups = [_Group(group, ws, rows_to_dicts(name, reader.rows(ws, set())))
              for group in GROUPS if (ws := sheets.get(group)) is not None]
    given: set[str] = set()
    with_rows: set[str] = set()
    count = 0
    for number, data in rows_to_dicts(name, reader.rows(main, TEXT_NUMBER_COLUMNS)):
        count += 1
        if count > limits.records:
            raise DataFileError(name, msg("file.too-many-records", limit=limits.records))
        raw = RawRecord(name, msg("place.sheet-row", sheet=main.title, row=str(number)), data)
        applicant_id = raw.record_id
        if applicant_id:
            if applicant_id in with_rows:  # read whole, the rows go to the last of them
                raise ReadWhole()
            given.add(applicant_id)
            for group in groups:
                rows = group.take(applicant_id, given)
                if rows:
                    with_rows.add(applicant_id)
                    attach([raw], group.group, rows)
        if reader.marked:
            _take_notes(raw)
        refuse_oversized([raw], limits)
        yield raw
    if not count:
        raise DataFileError(name, msg("file.no-applicants"))
    for group in groups:  # rows for nobody, as the whole read reports them
        while (row := group.next()) is not None:
            if row[1] in given:
                raise ReadWhole()
            yield orphan(name, row[0], row[1], group.group)
