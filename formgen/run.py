"""What every batch run shares: the job a feature gives, the result, failed records and
errors.csv.

A run (render, pack, certificates) is driven by :func:`formgen.main.run_batch`; the
feature gives it a :class:`BatchJob`, which says what to make of the valid records and
how to render, convert and write one chunk of them. The run accounts for every input
record: it is written, or it failed and has at least one row in ``errors.csv``, which is
written in the command line's language (:func:`formgen.messages.environment_language`).
"""

from __future__ import annotations

import csv
import io
import math
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from formgen.exceptions import WHOLE_FILE, OutputError, Problem
from formgen.language import LANGUAGES, Language
from formgen.load import RawRecord
from formgen.messages import Message, environment_language, msg, printable
from formgen.paths import check_target, make_output_folder, write_csv
from formgen.validate import Report

Progress = Callable[[int], None]
"""``progress(k)``: k more records (or certificates) are done."""

ERRORS_CSV = "errors.csv"
"""The run's report, in the output folder."""
ERRORS_HEADER = [msg("errors-csv.record"), msg("errors-csv.field"), msg("errors-csv.message")]


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
        return printable(file)
    return printable(record_id) or f"{printable(file)} {place.text(lang)}"


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
    unwritten: list[Message] = field(default_factory=list)
    """Why the run's own files (errors.csv, print.pdf, register.csv) could not be written."""

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


def check_errors_csv(out: Path, inputs: Iterable[Path], *, force: bool = False) -> None:
    """OutputError, before a run starts, when writing ``out/errors.csv`` would replace one
    of ``inputs`` (never) or a file formgen did not write (unless ``force``): formgen's own
    report starts with the header it writes, in either language."""
    target = out / ERRORS_CSV
    check_target(target, inputs, force=True)
    if not force and (target.exists() or target.is_symlink()) and not _is_report(target):
        raise OutputError(msg("output.not-a-report", path=str(target)))


def _is_report(path: Path) -> bool:
    """Whether ``path`` starts as formgen's errors.csv does (byte-order mark and header)."""
    heads = []
    for lang in LANGUAGES:
        line = io.StringIO()
        csv.writer(line).writerow([m.text(lang) for m in ERRORS_HEADER])
        heads.append(("\ufeff" + line.getvalue()).encode("utf-8"))
    try:
        with path.open("rb") as fh:
            start = fh.read(max(len(h) for h in heads))
    except OSError:
        return False
    return any(start.startswith(h) for h in heads)


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
        for work in out.glob(".work*"):
            shutil.rmtree(work, ignore_errors=True)
    except OSError as e:
        raise OutputError(msg("output.cannot-create-folder", folder=str(out), reason=str(e.strerror))) from e


Item = TypeVar("Item")
Result = TypeVar("Result", bound=BuildResult)


class BatchJob(Generic[Item, Result]):
    """What a feature gives the batch pipeline (:func:`formgen.main.run_batch`).

    The pipeline validates the data, prepares the output folder, then asks the job for
    its items (:meth:`plan`), cuts them into chunks (:meth:`chunks`), and for each chunk
    calls :meth:`render` (in the pipeline's thread, while earlier chunks convert),
    :meth:`convert` (in a worker thread, with the run's one converter) and :meth:`write`
    (back in the pipeline's thread). :meth:`finish` runs once every chunk is written,
    :meth:`close` however the run ends. A job fails records through ``result.fail``;
    one record's failure never stops the others.
    """

    needs_converter: bool = True
    """False when nothing is converted (DOCX only): no LibreOffice is started."""
    pdf_options: dict[str, object] | None = None
    """LibreOffice's PDF export settings for this job's conversions."""
    chunk_bounds: tuple[int, int] = (20, 50)
    """The fewest and most items converted together (:func:`chunk_size`)."""
    most_workers: int | None = None
    """Converters at most when the settings name none (None: one per core)."""
    seconds_per_unit: float = 0.5
    """Time a conversion may take beyond the settings' timeout, per item in its chunk."""

    def __init__(self, result: Result):
        self.result = result

    def narrow(self, records: list[RawRecord], report: Report) -> tuple[list[RawRecord], Report]:
        """The records this run is about (all, unless the job says otherwise)."""
        return records, report

    def plan(self, report: Report, step: Progress) -> list[Item]:
        """The items to make from the valid records; records that cannot be made fail
        here (``step`` counts those the progress total includes)."""
        raise NotImplementedError

    def units(self, item: Item) -> int:
        """How many steps of progress ``item`` is."""
        return 1

    def chunks(self, items: list[Item], size: int) -> list[list[Item]]:
        """The items cut into chunks of ``size``."""
        return [items[i : i + size] for i in range(0, len(items), size)]

    def render(self, chunk: list[Item], number: int) -> Any:
        """The chunk's documents, ready to convert."""
        raise NotImplementedError

    def convert(self, rendered: Any, converter: Any, workdir: Path) -> Any:
        """The chunk's documents converted (``converter`` is None when the job needs
        none); work files go in ``workdir``, which the pipeline removes at the end."""
        return rendered

    def write(self, chunk: list[Item], converted: Any, step: Progress) -> None:
        """Write what the chunk made; mark each item written or failed."""
        raise NotImplementedError

    def record_of(self, item: Item) -> RawRecord:
        """The record ``item`` was made from."""
        raise NotImplementedError

    def fail_chunk(self, chunk: list[Item], message: Message) -> None:
        """Every record of ``chunk`` failed, for ``message`` (its work files could not be
        written: a full disk)."""
        for item in chunk:
            self.result.fail(self.record_of(item), message)

    def finish(self, out: Path) -> None:
        """After every chunk is written (e.g. one file of all of them)."""

    def close(self) -> None:
        """However the run ends, once it is over."""


def chunk_size(total: int, workers: int, bounds: tuple[int, int]) -> int:
    """Items converted together: about three chunks a worker, within ``bounds`` (enough
    to share the cost of a LibreOffice load, few enough to spread the work)."""
    smallest, largest = bounds
    return max(smallest, min(largest, math.ceil(total / (workers * 3)) if total else smallest))
