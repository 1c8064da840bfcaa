"""What every run shares: today's date, progress, the result, failed records and errors.csv.

A run (render, pack, certificates) accounts for every input record: it is written, or it
failed and has at least one row in ``errors.csv``, which is written in the command line's
language (:func:`formgen.messages.environment_language`).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from formgen.exceptions import WHOLE_FILE, FormgenError, OutputError, Problem
from formgen.language import Language
from formgen.load import RawRecord
from formgen.messages import Message, environment_language, msg, printable
from formgen.paths import make_output_folder, write_csv

Progress = Callable[[int], None]
"""``progress(k)``: k more records (or certificates) are done."""

ERRORS_HEADER = [msg("errors-csv.record"), msg("errors-csv.field"), msg("errors-csv.message")]


def today_default() -> dt.date:
    """Today, or the date in FORMGEN_TODAY (YYYY-MM-DD) for reproducible runs."""
    override = os.environ.get("FORMGEN_TODAY")
    if override:
        try:
            return dt.date.fromisoformat(override)
        except ValueError as e:
            raise FormgenError(msg("run.today-not-a-date", value=override)) from e
    return dt.date.today()


def failure(raw: RawRecord, field_name: str, message: Message) -> Problem:
    """An error that stops ``raw``, placed like a validation problem."""
    return Problem(raw.file, raw.place, field_name, message, "error", raw.record_id)


def record_key(raw: RawRecord, lang: Language = "en") -> str:
    """How a record is named in a run's summary: its id (printable), else its file and
    place (only the file, for a file that could not be read)."""
    return _record_name(raw.file, raw.where, raw.record_id, lang)


def _record_name(file: str, place: Message, record_id: str, lang: Language) -> str:
    """The id (printable), else the file and place; the file alone for a whole file."""
    if place == WHOLE_FILE:
        return file
    return printable(record_id) or f"{file} {place.text(lang)}"


@dataclass
class BuildResult:
    """What a run did: every input record ends up written or failed."""

    records_in: int = 0
    written: dict[str, list[Path]] = field(default_factory=dict)
    """Files written per applicant id."""
    problems: list[Problem] = field(default_factory=list)
    """Validation problems (errors and warnings) and failures while rendering or converting."""
    failed_ids: list[str] = field(default_factory=list)
    """Records that produced nothing, by id (or by place when they have no id)."""
    failed_records: list[RawRecord] = field(default_factory=list)
    """The records that failed, as read."""
    errors_csv: Path | None = None
    """The errors.csv written, if the run writes one."""

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def unreadable_files(self) -> list[str]:
        """Files that could not be read at all (each also has a row in errors.csv)."""
        return [r.file for r in self.failed_records if r.whole_file]

    @property
    def ok(self) -> bool:
        return not self.failed_ids and not self.unreadable_files

    def start(self, records: list[RawRecord], problems: list[Problem],
              failed: Iterable[RawRecord]) -> None:
        """Count the records in and note those that failed validation (and the files that
        could not be read)."""
        self.records_in = sum(1 for r in records if not r.whole_file)
        self.problems = list(problems)
        for raw in failed:
            self._mark_failed(raw)

    def fail(self, raw: RawRecord, message: Message, field_name: str = "") -> None:
        """Record that ``raw`` failed after validation, and why; nothing of it stays written."""
        self.problems.append(failure(raw, field_name, message))
        self._mark_failed(raw)
        self.written.pop(raw.record_id, None)

    def _mark_failed(self, raw: RawRecord) -> None:
        if not any(r is raw for r in self.failed_records):
            self.failed_records.append(raw)
            if not raw.whole_file:
                self.failed_ids.append(record_key(raw))

    def write_errors_csv(self, target: Path) -> Path:
        """``errors.csv``: a row per error (record, field, message); a failed record with
        no error listed still gets a row, so every failed record is accounted for."""
        self.errors_csv = write_errors_csv(target, self.errors, self.failed_records)
        return self.errors_csv


def write_errors_csv(
    target: Path, errors: list[Problem], failed: Iterable[RawRecord] = (),
    lang: Language | None = None,
) -> Path:
    """``errors.csv``: one row per error (UTF-8 with a BOM, formula-safe), and a row for any
    failed record none of the errors names; in ``lang``, by default the command line's."""
    lang = lang or environment_language()
    rows = [[_record_cell(p, lang), printable(p.field), p.message.text(lang)] for p in errors]
    listed = {(p.file, p.record_id) for p in errors}
    for raw in failed:
        if (raw.file, raw.record_id) not in listed:
            rows.append([record_key(raw, lang), "", msg("errors-csv.record-failed").text(lang)])
    return write_csv(target, [m.text(lang) for m in ERRORS_HEADER], rows)


def _record_cell(p: Problem, lang: Language) -> str:
    """errors.csv's record column: the id, else the file and place (the file alone for a
    file that could not be read)."""
    return _record_name(p.file, p.record, p.record_id, lang)


def prepare_output(out: Path) -> None:
    """Create ``out`` and remove what an interrupted run left in it (temporary files, its
    work folder)."""
    make_output_folder(out)
    try:
        for leftover in out.glob(".tmp-*"):
            leftover.unlink(missing_ok=True)
        shutil.rmtree(out / ".work", ignore_errors=True)
    except OSError as e:
        raise OutputError(msg("output.cannot-create-folder", folder=str(out), reason=str(e.strerror))) from e
