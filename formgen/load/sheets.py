"""CSV data files: one applicant per row, the repeating groups in extra files
(``<main>.<group>.csv`` or ``<group>.csv``); XLSX workbooks are read by
:mod:`formgen.load.workbook` in the same layout.

Cells are read as text, so phone numbers keep their leading zeros. Rows, cells and
columns are counted as they are read, and a file that passes its limits is refused.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from formgen.exceptions import DataFileError
from formgen.load.limits import Limits, check_count, read_within, refuse_oversized
from formgen.load.records import GROUPS, RawRecord, attach, rows_to_dicts
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
    rows: list[list[Any]] = []
    cells = 0
    try:
        for row in csv.reader(io.StringIO(text)):
            if len(rows) >= limits.rows_per_sheet:
                raise DataFileError(str(path), msg("file.too-many-rows", limit=limits.rows_per_sheet))
            if len(row) > limits.columns:
                raise DataFileError(str(path), msg(
                    "file.too-many-columns", row=str(len(rows) + 1), limit=limits.columns))
            cells += len(row)
            if cells > limits.cells:
                raise DataFileError(str(path), msg("file.too-many-cells", limit=limits.cells))
            rows.append(row)
    except csv.Error as e:  # a field longer than the csv module reads, a NUL …
        raise DataFileError(str(path), msg("file.not-csv", detail=str(e))) from e
    return rows


def read_csv(path: Path, extra_group_files: list[Path], limits: Limits) -> list[RawRecord]:
    rows = _read_csv_rows(path, limits)
    records = [
        RawRecord(str(path), msg("place.row", row=str(number)), data)
        for number, data in rows_to_dicts(str(path), rows)
    ]
    check_count(str(path), len(records), limits)
    group_files: dict[Path, str] = {}
    for group in GROUPS:
        for candidate in (
            path.with_name(f"{path.stem}.{group}.csv"),
            path.with_name(f"{path.stem}-{group}.csv"),
            path.with_name(f"{path.stem}_{group}.csv"),
            path.with_name(f"{group}.csv"),
        ):
            if candidate.exists():
                group_files[candidate.resolve()] = group
                break
    for extra in extra_group_files:
        group_files[extra.resolve()] = group_of(extra) or ""
    for group_path, group in group_files.items():
        grouped = rows_to_dicts(str(group_path), _read_csv_rows(group_path, limits))
        attach(records, group, (
            (msg("place.file-row", file=group_path.name, row=str(n)), d) for n, d in grouped
        ))
    refuse_oversized(records, limits)
    return records
