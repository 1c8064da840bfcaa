"""Write data/applicants.xlsx from data/applicants.yaml: one sheet of applicants (columns
named by dotted path) and one sheet per repeating group, rows keyed by the applicant id.

Usage: python scripts/make_sample_xlsx.py [SOURCE.yaml] [TARGET.xlsx]
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import openpyxl
import yaml

from formgen.load import records_to_rows


def cell(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return None
    return str(value)


def write_sheet(ws: Any, rows: list[dict[str, Any]]) -> None:
    columns: list[str] = []
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    ws.append(columns)
    for row in rows:
        ws.append([cell(row.get(c)) for c in columns])
    for column in ws.iter_cols():
        for c in column:
            c.number_format = "@"  # text: phones and ids keep every digit
        ws.column_dimensions[column[0].column_letter].width = 18


def main(source: Path, target: Path) -> None:
    records = yaml.safe_load(source.read_text(encoding="utf-8"))
    workbook = openpyxl.Workbook()
    main_sheet = workbook.active
    main_sheet.title = "applicants"
    rows, groups = records_to_rows(records)
    write_sheet(main_sheet, rows)
    for group, entries in groups.items():
        write_sheet(workbook.create_sheet(group), entries)
    workbook.save(target)


if __name__ == "__main__":
    args = sys.argv[1:]
    main(Path(args[0] if args else "data/applicants.yaml"), Path(args[1] if len(args) > 1 else "data/applicants.xlsx"))
