"""XLSX workbooks read a record at a time: each applicant's row of the main sheet is taken
with its rows of the group sheets, read alongside (each group sheet from where it stands),
so that memory does not grow with the number of applicants. The rows of some applicants go
together (:class:`SheetGroup`) to where the records are made of them and examined: a worker
process, once there are workers; the process that reads only counts and matches them.

This holds while each group sheet lists its rows in the order of the applicants, each
applicant's rows together (as formgen writes them). A row that turns up for an applicant
already given, or one that waits for its applicant past :data:`AHEAD_WAIT` applicants (a
sheet sorted otherwise: by date, by name), ends it: :class:`ReadWhole` names the sheet
and asks for the workbook to be read again with that sheet filed by applicant id first
(:mod:`formgen.load.sheetfiled`, ``filed``, ``file_only``), which takes rows in any order,
in memory that does not grow either; should that read give up too, every group sheet is
filed, the texts replaced as they are read. An id given to two applicants with rows asks
for it to be read whole (:func:`formgen.load.workbook.xlsx_records`), which gives the rows
to the last of them. The records are those the whole read gives, in the same order.

The texts of the rows are left as the sheets write them (:class:`Layout` ``escaped``), and
their references (openpyxl writes every character not ASCII as one, ``&#26446;``) are
replaced where the records are made, in a worker once there are workers: the process that
reads is the busiest. A text that does not read asks for the workbook to be read again,
filed, by a reader that replaces them itself (:mod:`formgen.load.sheetrows`).

:func:`applicants` does this for any rows: a workbook's sheets here, a CSV file and its
group files in :func:`formgen.load.sheets.csv_stream`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import warnings
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any

from formgen.bounds import Expansion
from formgen.exceptions import DataFileError
from formgen.load.limits import Limits, refuse_oversized
from formgen.load.records import (
    GROUPS,
    Columns,
    RawRecord,
    ReadWhole,
    attach,
    header_columns,
    orphan,
    row_record,
)
from formgen.load.sheetfiled import Filed, Row, RowFile
from formgen.load.sheettexts import Unsupported, unescape_row, unescape_rows
from formgen.load.streams import Group
from formgen.load.workbook import (
    TEXT_NUMBER_COLUMNS,
    Sheet,
    _Reader,
    _take_notes,
    main_sheet,
    open_checked,
)
from formgen.messages import Message, msg

SHEET_ITEMS = 200
"""Applicants made records together (in a worker process, once there are workers)."""
AHEAD_WAIT = 1_000
"""Applicants given, none of them its own, after which a group row read ahead ends the read
in order (its sheet is taken to be in another order: the workbook is read again, filed)."""

Applicant = tuple[int, list[Any], tuple[list[Row], ...], bool]
"""An applicant as read: the number and values of its row of the main sheet, its rows of
each group sheet, and whether a cell read so far was marked (see :func:`_take_notes`)."""


def xlsx_stream(name: str, source: Any, limits: Limits, filed: bool = False,
                file_only: frozenset[str] = frozenset()) -> Iterator[RawRecord | Group]:
    """The records of a workbook (``source`` a binary file), its applicants in groups of
    rows (:class:`SheetGroup`, each made records on its own) and its stray group rows one
    at a time; DataFileError when it cannot be read or passes ``limits``, ReadWhole when
    its group rows are not in the order of its applicants (unless ``filed``: the group
    sheets are then filed by id first, those of ``file_only`` only when it names any) or
    an id with rows is given twice."""
    workbook, sheets = open_checked(name, source, limits)
    records = _records(name, workbook, sheets, limits, filed, file_only)
    try:
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
        records.close()  # (its file of rows deleted)
        workbook.close()


@dataclass(frozen=True)
class Layout:
    """The sheets of a workbook: the main sheet's title and columns, and each group sheet's
    group, title and columns (None while its header is not read); or a CSV file's and those
    of its group files (``csv``: each group file's title its name)."""

    main: str
    columns: Columns
    groups: tuple[tuple[str, str, Columns | None], ...]
    csv: bool = False
    escaped: bool = False
    """Whether the texts of the rows (but the headers) are as the sheets write them, their
    references (``&#26446;``) to be replaced where the records are made."""

    def place(self, title: str, row: int) -> Message:
        """Where row ``row`` of sheet or group file ``title`` is, as the whole read says:
        ``msg("place.sheet-row", sheet=title, row=str(row))`` (or ``place.file-row``),
        made as msg makes it, without its look at each value (every row has its place)."""
        if self.csv:
            return Message("place.file-row", (("file", title), ("row", str(row))))
        return Message("place.sheet-row", (("sheet", title), ("row", str(row))))

    def main_place(self, row: int) -> Message:
        """Where row ``row`` of the main sheet or file is, as the whole read says."""
        return self.place(self.main, row) if not self.csv else Message("place.row", (("row", str(row)),))


@dataclass(frozen=True)
class SheetGroup(Group):
    """Applicants of a workbook as their rows were read, to be made records by
    :meth:`records` (in a worker process perhaps), as the main process made them before."""

    layout: Layout | None = None
    applicants: tuple[Applicant, ...] = ()

    def value_texts(self) -> tuple[str, ...] | None:
        """The texts of the cells (the numbers and days in them are made texts of ASCII);
        None when a cell holds anything else."""
        texts: list[str] = []
        for _, values, rows, _ in self.applicants:
            for row in (values, *(row for found in rows for _, row in found)):
                for value in row:
                    kind = type(value)
                    if kind is str:
                        texts.append(value)
                    elif value is not None and kind not in _ASCII_VALUES:
                        return None
        return ("".join(texts),)

    def records(self) -> tuple[list[RawRecord], Expansion] | None:
        layout = self.layout
        assert layout is not None
        if layout.escaped:  # the texts made as the sheets' parser makes them, here
            try:
                unescape_rows([row for _, values, rows, _ in self.applicants
                               for row in (values, *(row for found in rows for _, row in found))])
            except Unsupported:
                return None  # (the workbook is read again by a reader that says why)
        texts: dict[str, str] = {}
        out = []
        for number, values, rows, marked in self.applicants:
            raw = RawRecord(self.file, layout.main_place(number),
                            row_record(layout.columns, values, texts))
            for (group, title, columns), found in zip(layout.groups, rows, strict=True):
                if found and columns is not None:
                    attach([raw], group, [
                        (layout.place(title, n), row_record(columns, row, texts)) for n, row in found])
            if marked:
                _take_notes(raw)
            refuse_oversized([raw], self.limits)
            out.append(raw)
        return out, Expansion()


_ASCII_VALUES = frozenset((int, float, bool, dt.date, dt.datetime, dt.time))
"""Cell values whose text (as the model makes it) is ASCII."""


_NONE: Any = object()
"""No id given."""


class Rows:
    """A sheet's rows that give a record (not empty under its header), each with the id it
    gives, as :func:`formgen.load.records.rows_to_dicts` reads them (``escaped``: the texts
    of the rows after the header as the sheet writes them, see :class:`Layout`)."""

    def __init__(self, rows: Iterator[list[Any]], escaped: bool = False):
        self.rows = rows
        self.escaped = escaped
        self.columns: Columns | None = None
        self.id_at: int | None = None
        """The column of the id, when one column alone gives it."""

    def __iter__(self) -> Iterator[tuple[int, list[Any], Any]]:
        header = next(self.rows, None)
        if header is None:
            return
        columns = self.columns = header_columns(header)
        ids = [(index, keys) for index, keys in columns if keys[0] == "id"]
        if len(ids) == 1 and ids[0][1] == ("id",):
            self.id_at = ids[0][0]
        escaped, at = self.escaped, self.id_at
        for number, row in enumerate(self.rows, start=2):
            if (at is not None and at < len(row) and type(value := row[at]) is str
                    and "&" not in value and value.strip()):
                yield number, row, value  # (as _filled and _id find it, without their calls)
            elif _filled(columns, row, escaped):
                yield number, row, self._id(columns, row)

    def _id(self, columns: Columns, row: list[Any]) -> Any:
        at = self.id_at
        if at is None:
            return row_record(columns, _unescaped(row) if self.escaped else row, {}).get("id", _NONE)
        value = row[at] if at < len(row) else None
        if self.escaped:
            value = _text_read(value)
        if value is None or (isinstance(value, str) and not value.strip()):
            return _NONE
        return value


def _filled(columns: Columns, row: list[Any], escaped: bool = False) -> bool:
    """Whether a column of ``columns`` gives ``row`` a value (it makes a record); its texts
    as the sheet writes them when ``escaped`` (a reference may stand for a space)."""
    width = len(row)
    for index, _ in columns:
        if index >= width:
            return False
        value = row[index]
        if escaped:
            value = _text_read(value)
        if value is not None and not (isinstance(value, str) and not value.strip()):
            return True
    return False


def _text_read(value: Any) -> Any:
    """``value`` as written in a sheet, as read: a text's references replaced
    (:func:`_unescaped`)."""
    return _unescaped([value])[0] if type(value) is str and "&" in value else value


def _unescaped(values: list[Any]) -> list[Any]:
    """A copy of ``values`` with its texts' references replaced (:func:`unescape_row`);
    ReadWhole when they do not read (the workbook is read again by a reader that says why)."""
    values = list(values)
    try:
        unescape_row(values)
    except Unsupported:
        raise ReadWhole() from None
    return values


class _Group:
    """A group sheet's rows, read as far as the applicants given so far need."""

    def __init__(self, group: str, title: str, rows: Rows):
        self.group, self.title, self.rows = group, title, rows
        self.read = iter(rows)
        self.ahead: Filed | None = None
        """The row read last, for an applicant still to come (or for nobody)."""
        self.waited = 0
        """Applicants given since :attr:`ahead` was read, none of them its."""

    def next(self) -> Filed | None:
        if self.ahead is not None:
            row, self.ahead = self.ahead, None
            return row
        for number, values, given in self.read:
            return number, _group_row_id(given), values
        return None

    def take(self, applicant_id: str, given: set[str]) -> list[Row]:
        """The rows of ``applicant_id``, which come next; ReadWhole when a row of an
        applicant given already comes instead."""
        found = []
        while (row := self.next()) is not None:
            if row[1] == applicant_id:
                found.append((row[0], row[2]))
                continue
            if row[1] in given:
                raise ReadWhole((self.title,))
            self.ahead = row
            break
        if found or self.ahead is None:
            self.waited = 0
        else:
            self.waited += 1
            if self.waited > AHEAD_WAIT:
                raise ReadWhole((self.title,))
        return found

    def left(self, given: set[str]) -> Iterator[Filed]:
        """The rows for nobody, once every applicant is given; ReadWhole when a row of an
        applicant given comes instead."""
        while (row := self.next()) is not None:
            if row[1] in given:
                raise ReadWhole((self.title,))
            yield row


class _FiledGroup:
    """A group sheet's rows filed by applicant id (read whole into ``file`` at once), each
    applicant's taken wherever they stand."""

    def __init__(self, group: str, title: str, rows: Rows, file: RowFile):
        self.group, self.title, self.rows, self.file = group, title, rows, file
        self.number = file.add((number, _group_row_id(given), values) for number, values, given in rows)

    def take(self, applicant_id: str, given: set[str]) -> list[Row]:
        """The rows of ``applicant_id``."""
        return self.file.rows_of(self.number, applicant_id)

    def left(self, given: set[str]) -> Iterator[Filed]:
        """The rows for nobody (of no applicant in ``given``), in the sheet's order."""
        return self.file.left(self.number, given)


def _group_row_id(value: Any) -> str:
    """The applicant id a group row gives (``value`` as :class:`Rows` found it), as
    :func:`formgen.load.records.attach` reads it."""
    return "" if value is _NONE else str(value or "").strip()


def _record_id(value: Any) -> str:
    """The id of a record whose ``id`` is ``value``, as :attr:`RawRecord.record_id` gives it."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return ""


def _records(name: str, workbook: Any, worksheets: list[Sheet], limits: Limits, filed: bool,
             file_only: frozenset[str]) -> Generator[RawRecord | Group, None, None]:
    sheets, main = main_sheet(name, worksheets)
    # the texts as written (replaced in the workers), but when every group sheet is filed:
    # that read comes after a doubt (a text that did not read, perhaps), and says why
    escaped = not filed or bool(file_only)
    reader = _Reader(name, workbook, limits, escaped=escaped)
    groups = [(group, ws.title, Rows(reader.rows(ws, set()), escaped))
              for group in GROUPS if (ws := sheets.get(group)) is not None]
    yield from applicants(name, limits, Rows(reader.rows(main, TEXT_NUMBER_COLUMNS), escaped), groups,
                          filed, main_title=main.title, marked=lambda: reader.marked, escaped=escaped,
                          file_only=file_only)


def applicants(name: str, limits: Limits, main_rows: Rows, group_rows: list[tuple[str, str, Rows]],
               filed: bool, *, main_title: str = "", csv: bool = False,
               marked: Callable[[], bool] = lambda: False,
               escaped: bool = False,
               file_only: frozenset[str] = frozenset()) -> Iterator[RawRecord | Group]:
    """The records of a workbook's main sheet ``main_title`` (or of a CSV file: ``csv``),
    its rows ``main_rows``, with each applicant's rows of the group sheets (or files)
    ``group_rows`` (group, title, rows) read alongside, or, ``filed``, filed by id first in
    a :class:`RowFile` that is deleted when this ends (those whose titles ``file_only``
    gives, when it gives any: the others still read alongside); ``marked`` whether a cell
    read so far was marked."""
    file = RowFile() if filed else None
    try:
        yield from _applicants(name, limits, main_rows, group_rows, file,
                               Layout(main_title, [], (), csv, escaped), marked, file_only)
    finally:
        if file is not None:
            file.close()


def _applicants(name: str, limits: Limits, main_rows: Rows, group_rows: list[tuple[str, str, Rows]],
                file: RowFile | None, places: Layout, marked: Callable[[], bool],
                file_only: frozenset[str]) -> Iterator[RawRecord | Group]:
    groups: list[_Group | _FiledGroup] = [
        _FiledGroup(group, title, rows, file)
        if file is not None and (not file_only or title in file_only) else _Group(group, title, rows)
        for group, title, rows in group_rows]
    if file is not None:
        file.index()
    pending: list[Applicant] = []
    count = done = 0

    def flush() -> SheetGroup:
        nonlocal done
        group = SheetGroup(name, "", done + 1, len(pending), limits, layout=dataclasses.replace(
            places, columns=main_rows.columns or [],
            groups=tuple((g.group, g.title, g.rows.columns) for g in groups)),
            applicants=tuple(pending))
        done += len(pending)
        pending.clear()
        return group

    given: set[str] = set()
    with_rows: set[str] = set()
    try:
        for number, values, value in main_rows:
            count += 1
            if count > limits.records:
                raise DataFileError(name, msg("file.too-many-records", limit=limits.records))
            applicant_id = _record_id(None if value is _NONE else value)
            rows: tuple[list[Row], ...] = tuple([] for _ in groups)
            if applicant_id:
                if applicant_id in with_rows:  # read whole, the rows go to the last of them
                    raise ReadWhole()
                given.add(applicant_id)
                rows = tuple(group.take(applicant_id, given) for group in groups)
                if any(rows):
                    with_rows.add(applicant_id)
            pending.append((number, values, rows, marked()))
            if len(pending) >= SHEET_ITEMS:
                yield flush()
    except Exception:
        if pending:  # the applicants read before, as they were given before
            yield flush()
        raise
    if pending:
        yield flush()
    if not count:
        raise DataFileError(name, msg("file.no-applicants"))
    for group in groups:  # rows for nobody, as the whole read reports them
        for row in group.left(given):
            yield orphan(name, places.place(group.title, row[0]), row[1], group.group)
