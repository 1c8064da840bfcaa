"""CSV data files: one applicant per row, the repeating groups in extra files
(``<main>.<group>.csv`` or ``<group>.csv``); XLSX workbooks are read by
:mod:`formgen.load.workbook` in the same layout.

Cells are read as text, so phone numbers keep their leading zeros. Rows, cells and
columns are counted as they are read, and a file that passes its limits is refused.
:func:`csv_stream` reads a file and its group files a row at a time, for ``formgen
validate``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from formgen.exceptions import DataFileError
from formgen.load.limits import Limits, check_count, read_within, refuse_oversized
from formgen.load.records import GROUPS, RawRecord, attach, rows_to_dicts
from formgen.load.sheetstream import Rows, applicants
from formgen.load.streams import Group, line_pieces, read_chunks
from formgen.load.text import decode
from formgen.messages import msg


def group_of(path: Path) -> str | None:
    stem = path.stem.lower()
    for group in GROUPS:
        if stem == group or re.search(rf"[._-]{group}$", stem):
            return group
    return None


def _read_csv_rows(path: Path, limits: Limits) -> list[list[Any]]:
    text = decode(str(path), read_within(path, limits))
    if not text.strip():
        raise DataFileError(str(path), msg("file.empty"))
    return list(_rows(path, io.StringIO(text), limits))


def _rows(path: Path, lines: Iterable[str], limits: Limits) -> Iterator[list[Any]]:
    """The rows of the CSV file at ``path``, its text ``lines``, counted against ``limits``."""
    count = cells = 0
    try:
        for row in csv.reader(lines):
            if count >= limits.rows_per_sheet:
                raise DataFileError(str(path), msg("file.too-many-rows", limit=limits.rows_per_sheet))
            if len(row) > limits.columns:
                raise DataFileError(str(path), msg(
                    "file.too-many-columns", row=str(count + 1), limit=limits.columns))
            cells += len(row)
            if cells > limits.cells:
                raise DataFileError(str(path), msg("file.too-many-cells", limit=limits.cells))
            count += 1
            yield row
    except csv.Error as e:  # a field longer than the csv module reads, a NUL …
        raise DataFileError(str(path), msg("file.not-csv", detail=str(e))) from e


def _streamed_rows(path: Path, limits: Limits) -> Iterator[list[Any]]:
    """:func:`_read_csv_rows`, the text read a piece at a time."""
    lines = _Lines(read_chunks(path, limits))
    yield from _rows(path, lines, limits)
    if not lines.any_text:
        raise DataFileError(str(path), msg("file.empty"))


class _Lines:
    """The lines of a text read in pieces, as ``io.StringIO(text)`` gives them, noting
    whether any holds more than white space."""

    def __init__(self, chunks: Iterator[str]):
        self.chunks = chunks
        self.any_text = False

    def __iter__(self) -> Iterator[str]:
        for piece in line_pieces(self.chunks):
            if not self.any_text and piece.strip():
                self.any_text = True
            yield from io.StringIO(piece)


def group_files(path: Path, extra_group_files: list[Path]) -> dict[Path, str]:
    """The group files of the CSV file at ``path`` (``<main>.<group>.csv``, ``<group>.csv``
    … beside it, then ``extra_group_files``), each with its group, in the order they are
    read."""
    found: dict[Path, str] = {}
    for group in GROUPS:
        for candidate in (
            path.with_name(f"{path.stem}.{group}.csv"),
            path.with_name(f"{path.stem}-{group}.csv"),
            path.with_name(f"{path.stem}_{group}.csv"),
            path.with_name(f"{group}.csv"),
        ):
            if candidate.exists():
                found[candidate.resolve()] = group
                break
    for extra in extra_group_files:
        found[extra.resolve()] = group_of(extra) or ""
    return found


def read_csv(path: Path, extra_group_files: list[Path], limits: Limits) -> list[RawRecord]:
    rows = _read_csv_rows(path, limits)
    records = [
        RawRecord(str(path), msg("place.row", row=str(number)), data)
        for number, data in rows_to_dicts(str(path), rows)
    ]
    check_count(str(path), len(records), limits)
    for group_path, group in group_files(path, extra_group_files).items():
        grouped = rows_to_dicts(str(group_path), _read_csv_rows(group_path, limits))
        attach(records, group, (
            (msg("place.file-row", file=group_path.name, row=str(n)), d) for n, d in grouped
        ))
    refuse_oversized(records, limits)
    return records


def csv_stream(path: Path, extra_group_files: list[Path], limits: Limits, filed: bool = False,
               file_only: frozenset[str] = frozenset()) -> Iterator[RawRecord | Group]:
    """The records of a CSV file as :func:`read_csv` gives them, a row at a time, with
    each applicant's rows of its group files read alongside (or filed by id first: those
    ``file_only`` names, when it names any), as
    :func:`formgen.load.sheetstream.xlsx_stream` reads a workbook's."""
    yield from applicants(
        str(path), limits, Rows(_streamed_rows(path, limits)),
        [(group, group_path.name, Rows(_streamed_rows(group_path, limits)))
         for group_path, group in group_files(path, extra_group_files).items()],
        filed, csv=True, file_only=file_only)
