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

GROUPS = ("education", "career", "cpd", "competences")


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value}


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
    groups: dict[str, list[dict[str, Any]]] = {g: [] for g in GROUPS}
    rows = []
    for record in records:
        record = dict(record)
        for group in GROUPS:
            entries = record.pop(group, None) or ({} if group == "competences" else [])
            if group == "competences":
                for code, entry in entries.items():
                    groups[group].append({"id": record["id"], "code": code, **flatten(entry)})
            else:
                for entry in entries:
                    groups[group].append({"id": record["id"], **flatten(entry)})
        rows.append(flatten(record))
    write_sheet(main_sheet, rows)
    for group, entries in groups.items():
        write_sheet(workbook.create_sheet(group), entries)
    workbook.save(target)


if __name__ == "__main__":
    args = sys.argv[1:]
    main(Path(args[0] if args else "data/applicants.yaml"), Path(args[1] if len(args) > 1 else "data/applicants.xlsx"))
