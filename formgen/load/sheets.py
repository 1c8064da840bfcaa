"""CSV and XLSX data files: one applicant per row, the repeating groups in extra files
(``<main>.<group>.csv`` or ``<group>.csv``) or extra sheets named after the group.

Cells are read as text, so phone numbers keep their leading zeros.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from formgen.exceptions import DataFileError
from formgen.load.records import GROUPS, RawRecord, attach, rows_to_dicts
from formgen.load.text import decode
from formgen.messages import msg

MAX_XLSX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_XLSX_RATIO = 200


def group_of(path: Path) -> str | None:
    stem = path.stem.lower()
    for group in GROUPS:
        if stem == group or re.search(rf"[._-]{group}$", stem):
            return group
    return None


def _read_csv_rows(path: Path) -> list[list[Any]]:
    text = decode(str(path), path.read_bytes())
    if not text.strip():
        raise DataFileError(str(path), msg("file.empty"))
    return [list(row) for row in csv.reader(io.StringIO(text))]


def read_csv(path: Path, extra_group_files: list[Path]) -> list[RawRecord]:
    rows = _read_csv_rows(path)
    records = [
        RawRecord(str(path), msg("place.row", row=str(number)), data)
        for number, data in rows_to_dicts(str(path), rows)
    ]
    if not records:
        raise DataFileError(str(path), msg("file.no-applicants"))
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
        grouped = rows_to_dicts(str(group_path), _read_csv_rows(group_path))
        attach(records, group, (
            (msg("place.file-row", file=group_path.name, row=str(n)), d) for n, d in grouped
        ))
    return records


def _cell_value(cell: Any) -> Any:
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


def _check_zip(name: str, source: Any) -> None:
    try:
        with zipfile.ZipFile(source) as z:
            infos = z.infolist()
    except zipfile.BadZipFile as e:
        raise DataFileError(name, msg("file.xlsx-not-zip")) from e
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > MAX_XLSX_UNCOMPRESSED or total / packed > MAX_XLSX_RATIO:
        raise DataFileError(name, msg("file.xlsx-too-large"))
    for info in infos:
        if info.filename.endswith(".xml") or info.filename.endswith(".rels"):
            with zipfile.ZipFile(source) as z, z.open(info) as member:
                head = member.read(4096)
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise DataFileError(name, msg("file.xlsx-doctype", part=info.filename))


def read_xlsx(path: Path) -> list[RawRecord]:
    with path.open("rb") as f:
        return xlsx_records(str(path), f)


def xlsx_records(name: str, source: Any) -> list[RawRecord]:
    import openpyxl

    _check_zip(name, source)
    source.seek(0)
    try:
        workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a damaged workbook
        raise DataFileError(name, msg("file.xlsx-unreadable", detail=str(e))) from e
    try:
        sheets = {ws.title.strip().lower(): ws for ws in workbook.worksheets}
        main_name = next((n for n in sheets if n not in GROUPS), None)
        if main_name is None:
            raise DataFileError(name, msg("file.xlsx-no-sheet"))
        main = sheets.get("applicants") or sheets[main_name]

        def rows_of(ws: Any) -> Iterator[list[Any]]:
            for row in ws.iter_rows():
                yield [
                    value if (value := c.value) is None or type(value) is str else _cell_value(c)
                    for c in row
                ]

        sheet_title = main.title
        records = [
            RawRecord(name, msg("place.sheet-row", sheet=sheet_title, row=str(n)), d)
            for n, d in rows_to_dicts(name, rows_of(main))
        ]
        if not records:
            raise DataFileError(name, msg("file.no-applicants"))
        for group in GROUPS:
            ws = sheets.get(group)
            if ws is not None:
                grouped = rows_to_dicts(name, rows_of(ws))
                attach(records, group, (
                    (msg("place.sheet-row", sheet=ws.title, row=str(n)), d) for n, d in grouped
                ))
        return records
    finally:
        workbook.close()
