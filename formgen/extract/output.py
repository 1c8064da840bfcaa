"""What ``formgen extract`` writes: the records in the data contract's layout (YAML, JSON or
XLSX, as ``formgen validate`` reads them) and a report of every file (CSV)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel

from formgen.exceptions import WHOLE_FILE, FormgenError, Problem
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


_NOT_INTAKE = ("certificate",)
"""Fields of the record that no intake gives (filled in once the applicant is registered)."""


def _nested(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds (``Name``, ``Name | None``), or None for a plain value."""
    inner = [a for a in (get_args(annotation) or (annotation,)) if a is not type(None)]
    return next((a for a in inner if isinstance(a, type) and issubclass(a, BaseModel)), None)


def _model_columns(model: type[BaseModel], prefix: str = "") -> list[str]:
    out: list[str] = []
    for name, info in model.model_fields.items():
        nested = _nested(info.annotation)
        out.extend(_model_columns(nested, f"{prefix}{name}.") if nested else [f"{prefix}{name}"])
    return out


def contract_columns() -> tuple[list[str], dict[str, list[str]]]:
    """Every column of the data contract: the applicants sheet's, and each group sheet's
    (``id`` first; ``code`` for the competences)."""
    main: list[str] = []
    groups: dict[str, list[str]] = {}
    for name, info in Applicant.model_fields.items():
        if name in _NOT_INTAKE:
            continue
        args = get_args(info.annotation)
        if name in GROUPS and args:
            entry = args[-1]
            keys = ["id", "code"] if name == "competences" else ["id"]
            groups[name] = keys + _model_columns(entry)
            continue
        nested = _nested(info.annotation)
        main.extend(_model_columns(nested, f"{name}.") if nested else [name])
    return main, groups


def _write_xlsx(records: list[dict[str, Any]], out: Path) -> None:
    import openpyxl

    main, groups = records_to_rows(records)
    contract, group_columns = contract_columns()
    book = openpyxl.Workbook()
    sheets = [("applicants", main)] + [(g, groups.get(g) or []) for g in GROUPS]
    for number, (title, rows) in enumerate(sheets):
        ws = book.active if number == 0 else book.create_sheet(title)
        assert ws is not None
        ws.title = title
        known = contract if number == 0 else group_columns.get(title, [])
        columns = list(dict.fromkeys([*known, *(k for row in rows for k in row)]))
        ws.append(columns)
        for row in rows:
            ws.append([_cell(row.get(c)) for c in columns])
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text, never a formula
        ws.freeze_panes = "A2"
    with atomic_path(out) as tmp:
        book.save(tmp)


_PER_FILE = ("extract.refused", "extract.missing", "extract.unparsable", "extract.ambiguous",
             "extract.uncertain", "extract.label-unknown", "extract.changed")
"""Findings the report already has a row for, from the file's own report."""


def write_report(reports: list[FileReport], target: Path, lang: Language,
                 findings: Sequence[Problem] = ()) -> Path:
    """One row per value read, field missing, unreadable or uncertain, ambiguity, label not
    recognised, or refused file; then one per other finding (``findings``: forms of one
    person that disagree, files passed over, the records' validation), as the command
    line shows them."""
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
        for path, carried, typed in r.changed:
            rows.append([r.file, path, msg("extract.status-changed").text(lang),
                         msg("extract.changed-values", carried=carried, typed=typed).text(lang)])
        for label, value in r.unrecognised:
            rows.append([r.file, label, msg("extract.status-label-unknown").text(lang), value])
    for finding in findings:
        if finding.code in _PER_FILE:
            continue
        status = msg("extract.status-error") if finding.severity == "error" else msg("extract.status-warning")
        whole = finding.record in (WHOLE_FILE, msg("place.the-form"))
        where = finding.file if whole else f"{finding.file} ({finding.record.text(lang)})"
        rows.append([where, finding.field, status.text(lang), finding.message.text(lang)])
    return write_csv(target, header, rows)
