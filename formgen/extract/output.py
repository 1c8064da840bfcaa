"""What ``formgen extract`` writes: the records in the data contract's layout (YAML, JSON or
XLSX, as ``formgen validate`` reads them) and a report of every file (CSV)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from formgen.exceptions import FormgenError
from formgen.extract.read import FileReport, doubt_message
from formgen.language import Language
from formgen.load import GROUPS, records_to_rows
from formgen.messages import msg
from formgen.model.applicant import Applicant
from formgen.paths import atomic_path, write_atomic, write_csv

OUTPUT_SUFFIXES = (".yaml", ".yml", ".json", ".xlsx")
_ORDER = list(Applicant.model_fields)


def _ordered(data: dict[str, Any]) -> dict[str, Any]:
    return {k: data[k] for k in sorted(data, key=lambda k: _ORDER.index(k) if k in _ORDER else 99)}


def check_output(out: Path) -> None:
    """FormgenError unless ``out`` names a YAML, JSON or XLSX file."""
    if out.suffix.lower() not in OUTPUT_SUFFIXES:
        raise FormgenError(msg("extract.output-type", suffix=out.suffix, allowed=list(OUTPUT_SUFFIXES)))


def write_records(records: list[dict[str, Any]], out: Path) -> None:
    """``out`` by its suffix: YAML or JSON (a list of records), XLSX (sheet ``applicants``
    and one sheet per group). Raises FormgenError for another suffix."""
    suffix = out.suffix.lower()
    records = [_ordered(r) for r in records]
    if suffix in (".yaml", ".yml"):
        text = yaml.safe_dump(records, allow_unicode=True, sort_keys=False, width=1000)
        write_atomic(out, text.encode("utf-8"))
    elif suffix == ".json":
        write_atomic(out, json.dumps(records, ensure_ascii=False, indent=1).encode("utf-8"))
    elif suffix == ".xlsx":
        _write_xlsx(records, out)
    else:
        check_output(out)


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _write_xlsx(records: list[dict[str, Any]], out: Path) -> None:
    import openpyxl

    main, groups = records_to_rows(records)
    book = openpyxl.Workbook()
    sheets = [("applicants", main)] + [(g, groups.get(g) or []) for g in GROUPS]
    for number, (title, rows) in enumerate(sheets):
        ws = book.active if number == 0 else book.create_sheet(title)
        assert ws is not None
        ws.title = title
        columns = list(dict.fromkeys(k for row in rows for k in row))
        ws.append(columns)
        for row in rows:
            ws.append([_cell(row.get(c)) for c in columns])
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text, never a formula
        ws.freeze_panes = "A2"
    with atomic_path(out) as tmp:
        book.save(tmp)


def write_report(reports: list[FileReport], target: Path, lang: Language) -> Path:
    """One row per value read, field missing or unreadable, ambiguity, or refused file."""
    header = [m.text(lang) for m in (msg("extract.col-file"), msg("extract.col-field"),
                                     msg("extract.col-status"), msg("extract.col-value"))]
    rows: list[list[str]] = []
    for r in reports:
        if r.refused is not None:
            rows.append([r.file, "", msg("extract.status-refused").text(lang), r.refused.text(lang)])
            continue
        for p in r.read:
            status = msg("extract.status-stand-in") if p.weak else msg("extract.status-read")
            if p.doubt:
                status = msg("extract.status-uncertain", why=doubt_message(p.doubt))
            rows.append([r.file, p.path, status.text(lang), "" if p.value is None else str(p.value)])
        for path in r.missing:
            rows.append([r.file, path, msg("extract.status-missing").text(lang), ""])
        for path, text in r.unparsable:
            rows.append([r.file, path, msg("extract.status-unparsable").text(lang), text])
        for path, found in r.ambiguous:
            rows.append([r.file, path, msg("extract.status-ambiguous").text(lang), " | ".join(found)])
        for label, value in r.unrecognised:
            rows.append([r.file, label, msg("extract.status-label-unknown").text(lang), value])
    return write_csv(target, header, rows)
