"""The intake roster: one workbook for staff, the applicants at a glance.

Sheets, in order:

- the roster: one row per applicant (id, name, programme, grade, unit, status, the
  problems found, the documents the applicant's programme and grade call for), sorted by
  unit, then name, by pinyin (:func:`formgen.sorting.pinyin_key`);
- ``applicants`` and the group sheets (``education``, ``career``, ``cpd``,
  ``competences``): the records as read, in the data files' own layout, with drop-down
  lists on the enumerated columns, so the workbook can be edited and read back by
  ``formgen validate``;
- one sheet per programme: applicants per unit against the notice's quota, and the
  deadline. The over-quota column counts exactly the quota warnings ``formgen validate``
  gives.

Every sheet has its header row frozen, filters on and columns sized to their text.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from formgen.exceptions import FormgenError, OutputError, Problem
from formgen.language import Language
from formgen.load import GROUPS, RawRecord, records_to_rows
from formgen.messages import Message, msg
from formgen.model.applicant import GRADE_CODES
from formgen.model.manifest import Manifest
from formgen.paths import atomic_path
from formgen.sorting import pinyin_key
from formgen.validate import Report

STATUS = {
    "ready": msg("roster.status-ready"),
    "warnings": msg("roster.status-warnings"),
    "errors": msg("roster.status-errors"),
}
"""An applicant's status: ready (no problem), warnings (valid, with warnings), errors."""

_HEAD_FILL = PatternFill("solid", fgColor="D9D9D9")
_OVER_FILL = PatternFill("solid", fgColor="F4CCCC")
_MAX_WIDTH = 60
MAIN_SHEET = "applicants"
LISTS_SHEET = "lists"


@dataclass
class RosterSummary:
    """What the roster holds: applicants by status, and the units over their quota."""

    path: Path
    applicants: int = 0
    ready: int = 0
    warnings: int = 0
    errors: int = 0
    over_quota: int = 0
    """Places taken beyond the quota, over all units (as many as the quota warnings)."""


def _status(problems: list[Problem], failed: bool) -> str:
    if failed or any(p.severity == "error" for p in problems):
        return "errors"
    return "warnings" if problems else "ready"


def _local(data: dict[str, Any], key: str, lang: str) -> str:
    value = data.get(key)
    if isinstance(value, dict):
        return _plain(value.get(lang))
    return _plain(value)


def _plain(value: Any) -> str:
    """A value as a spreadsheet cell's text: what the loader reads back as the same value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _records(records: list[RawRecord]) -> list[RawRecord]:
    """The records that are applicants, read or refused (not group rows without one, not
    values that are no record)."""
    return [r for r in records if r.kind not in ("orphan", "not_a_mapping")]


def sort_key(data: dict[str, Any]) -> tuple[Any, ...]:
    """Units, then names, by pinyin; the id breaks ties."""
    name = _local(data, "name", "zh") or _local(data, "name", "en")
    return (pinyin_key(_plain(data.get("unit"))), pinyin_key(name), _plain(data.get("id")))


def _problems_by_record(people: list[RawRecord], problems: list[Problem]) -> dict[int, list[Problem]]:
    """Each problem under the first of ``people`` (in roster order) it names, by place or by
    id, keyed by ``id()`` of the record; looked up, not searched, as a roster may list
    thousands."""
    by_place: dict[tuple[str, str], int] = {}
    by_id: dict[tuple[str, str], int] = {}
    for index, r in enumerate(people):
        by_place.setdefault((r.file, repr(r.place)), index)
        if r.record_id:
            by_id.setdefault((r.file, r.record_id), index)
    out: dict[int, list[Problem]] = {}
    for p in problems:
        found = [by_place.get((p.file, repr(p.record)))]
        if p.record_id:
            found.append(by_id.get((p.file, p.record_id)))
        indices = [i for i in found if i is not None]
        if indices:
            out.setdefault(id(people[min(indices)]), []).append(p)
    return out


def write_roster(
    records: list[RawRecord], report: Report, manifest: Manifest, today: dt.date, out: Path,
    lang: Language,
) -> RosterSummary:
    """Write the roster of ``records`` (validated as ``report``) to ``out`` (XLSX).

    Headers and statuses are in ``lang``; the data sheets keep the data files' column
    names. Raises FormgenError, writing nothing, when a data file could not be read (a
    roster without its applicants would count wrong), OutputError when the file cannot be
    written.
    """
    unreadable = [r for r in records if r.kind == "whole_file"]
    if unreadable:
        why = tuple(msg("roster.file-why", file=r.file, reason=r.refused) for r in unreadable)
        raise FormgenError(msg("roster.input-unreadable", files=why))
    people = sorted(_records(records), key=lambda r: sort_key(r.data))
    failed = {id(r) for r in report.failed}
    by_record = _problems_by_record(people, report.problems)
    summary = RosterSummary(out, applicants=len(people))
    workbook = Workbook()
    overview = workbook.active
    assert overview is not None
    overview.title = msg("roster.sheet").text(lang)[:31]
    header = [
        msg("roster.col-id"), msg("roster.col-name-zh"), msg("roster.col-name-en"),
        msg("roster.col-programme"), msg("roster.col-grade"), msg("roster.col-unit"),
        msg("roster.col-status"), msg("roster.col-problems"), msg("roster.col-documents"),
        msg("roster.col-file"),
    ]
    rows: list[list[str]] = []
    fills: list[PatternFill | None] = []
    for r in people:
        problems = by_record.get(id(r), [])
        status = _status(problems, id(r) in failed)
        setattr(summary, status, getattr(summary, status) + 1)
        data = r.data
        programme, grade = _plain(data.get("programme")), _plain(data.get("grade"))
        docs = (manifest.documents_for(programme, grade)
                if programme in manifest.programmes and grade in GRADE_CODES else [])
        rows.append([
            _plain(data.get("id")), _local(data, "name", "zh"), _local(data, "name", "en"),
            programme, grade, _plain(data.get("unit")), STATUS[status].text(lang),
            "\n".join(_problem_line(p, lang) for p in problems),
            "\n".join(manifest.documents[d].title.get(lang) for d in docs),
            f"{r.file} {r.where.text(lang)}",
        ])
        fills.append(_OVER_FILL if status == "errors" else None)
    _table(overview, [h.text(lang) for h in header], rows, fills)

    _data_sheets(workbook, [r.data for r in people], manifest)
    for programme_id in manifest.programmes:
        summary.over_quota += _quota_sheet(workbook, programme_id, report, people, manifest, today, lang)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(out) as tmp:
            workbook.save(tmp)
    except OSError as e:
        raise OutputError(msg("output.cannot-write", path=str(out), reason=str(e.strerror or e))) from e
    return summary


def _problem_line(p: Problem, lang: Language) -> str:
    severity = msg("problem.error") if p.severity == "error" else msg("problem.warning")
    return msg("roster.problem", field=p.field or "-", severity=severity, message=p.message).text(lang)


def _table(ws: Worksheet, header: list[str], rows: list[list[str]],
           fills: list[PatternFill | None] | None = None) -> None:
    """Header row (bold, shaded, frozen, with filters), rows, columns sized to their text."""
    ws.append(header)
    for number, row in enumerate(rows):
        ws.append(row)
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, even when it starts with "=": never a formula
            fill = fills[number] if fills else None
            if fill is not None:
                cell.fill = fill
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = _HEAD_FILL
    ws.freeze_panes = "A2"
    if header:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{max(1, len(rows) + 1)}"
    for col, title in enumerate(header, start=1):
        texts = [title] + [str(r[col - 1]) for r in rows if col - 1 < len(r)]
        width = max(_width(line) for t in texts for line in (t.split("\n") or [""]))
        ws.column_dimensions[get_column_letter(col)].width = min(_MAX_WIDTH, width + 2)
        if any("\n" in t for t in texts):
            for cell in ws.iter_cols(min_col=col, max_col=col, min_row=2):
                for c in cell:
                    c.alignment = Alignment(wrap_text=True, vertical="top")


def _width(text: str) -> int:
    """Display width: a CJK character takes two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _data_sheets(workbook: Workbook, records: list[dict[str, Any]], manifest: Manifest) -> None:
    """``applicants`` and the group sheets, as ``formgen validate`` reads them."""
    main, groups = records_to_rows(records)
    columns = _columns(main, ("id", "programme", "grade", "unit", "name.zh", "name.en"))
    sheet = workbook.create_sheet(MAIN_SHEET)
    _table(sheet, columns, [[_plain(row.get(c)) for c in columns] for row in main])
    for group in GROUPS:
        rows = groups.get(group) or []
        lead = ("id", "code") if group == "competences" else ("id",)
        group_columns = _columns(rows, lead)
        ws = workbook.create_sheet(group)
        _table(ws, group_columns, [[_plain(row.get(c)) for c in group_columns] for row in rows])
    _dropdowns(workbook, sheet, columns, len(main), manifest)


def _columns(rows: list[dict[str, Any]], lead: tuple[str, ...]) -> list[str]:
    seen: dict[str, None] = dict.fromkeys(lead)
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)


def _choices(manifest: Manifest) -> dict[str, list[str]]:
    units: dict[str, None] = {}
    divisions: dict[str, None] = {}
    for prog in manifest.programmes.values():
        units.update(dict.fromkeys(sorted(prog.quota, key=pinyin_key)))
        divisions.update(dict.fromkeys(prog.divisions))
    return {
        "programme": list(manifest.programmes),
        "grade": list(GRADE_CODES),
        "gender": ["male", "female"],
        "english_interview": ["true", "false"],
        "unit": list(units),
        "cmes.member_grade": ["senior_member", "member"],
        "soe.membership": ["member", "associate_member"],
        "soe.division": list(divisions),
    }


def _dropdowns(workbook: Workbook, sheet: Worksheet, columns: list[str], count: int,
               manifest: Manifest) -> None:
    """Drop-down lists on the enumerated columns, their choices on a hidden sheet."""
    lists = workbook.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    last = max(count + 1, 500)
    for number, (column, choices) in enumerate(_choices(manifest).items(), start=1):
        if not choices:
            continue
        letter = get_column_letter(number)
        lists.cell(1, number, column)
        for row, choice in enumerate(choices, start=2):
            lists.cell(row, number, choice)
        if column not in columns:
            sheet.cell(1, len(columns) + 1, column).font = Font(bold=True)
            columns.append(column)
        target = get_column_letter(columns.index(column) + 1)
        source = f"{quote_sheetname(LISTS_SHEET)}!${letter}$2:${letter}${len(choices) + 1}"
        # A unit outside the quota table is allowed (validate warns), so only a warning here.
        check = DataValidation(type="list", formula1=source, allow_blank=True,
                               errorStyle="warning" if column == "unit" else "stop")
        check.add(f"{target}2:{target}{last}")
        sheet.add_data_validation(check)


def _quota_sheet(
    workbook: Workbook, programme_id: str, report: Report, people: list[RawRecord],
    manifest: Manifest, today: dt.date, lang: Language,
) -> int:
    """Applicants per unit against the quota; returns the places taken beyond it."""
    prog = manifest.programmes[programme_id]
    ws = workbook.create_sheet(programme_id[:31])
    everyone: Counter[str] = Counter(
        _plain(r.data.get("unit")) for r in people if _plain(r.data.get("programme")) == programme_id
    )
    valid: Counter[str] = Counter(
        v.applicant.unit for v in report.valid if v.applicant.programme == programme_id
    )
    units = list(prog.quota) + sorted((u for u in everyone if u not in prog.quota), key=pinyin_key)
    header = [m.text(lang) for m in (
        msg("roster.col-unit"), msg("roster.col-quota"), msg("roster.col-applicants"),
        msg("roster.col-valid"), msg("roster.col-over"))]
    rows: list[list[Any]] = []
    fills: list[PatternFill | None] = []
    over_total = 0
    for unit in units:
        quota = prog.quota.get(unit)
        # validate counts valid applicants of units in the quota table, one warning per
        # applicant beyond the unit's places
        over = max(0, valid[unit] - quota) if quota is not None else 0
        over_total += over
        label = unit or msg("roster.no-unit").text(lang)
        rows.append([label, quota if quota is not None else "", everyone[unit], valid[unit], over])
        fills.append(_OVER_FILL if over else None)
    rows.append([msg("roster.total").text(lang), sum(prog.quota.values()) if prog.quota else "",
                 sum(everyone.values()), sum(valid.values()), over_total])
    fills.append(None)
    _table(ws, header, rows, fills)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    deadline = prog.deadline_date(today.year)
    ws.append([])
    if deadline is None:
        ws.append([msg("roster.no-deadline").text(lang)])
    else:
        left = (deadline - today).days
        note: Message = (msg("roster.deadline-days", days=left) if left >= 0
                         else msg("roster.deadline-passed"))
        ws.append([msg("roster.deadline").text(lang), deadline.isoformat(), note.text(lang)])
    return over_total
