"""The library API: load → validate → render → convert → write, one stage after another.

The CLI and the web app call these functions; they only parse arguments and show results.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .documents import RenderedDocument, render_applicant
from .exceptions import FormgenError, OutputError, Problem
from .load import RawRecord, load_files
from .manifest import Manifest, load_manifest
from .models import LANGUAGES, Language
from .paths import inside, safe_filename, write_atomic
from .validate import Report, validate

Progress = Callable[[int], None]


def today_default() -> dt.date:
    """Today, or the date in FORMGEN_TODAY (YYYY-MM-DD) for reproducible runs."""
    override = os.environ.get("FORMGEN_TODAY")
    if override:
        try:
            return dt.date.fromisoformat(override)
        except ValueError as e:
            raise FormgenError(f"FORMGEN_TODAY='{override}' is not a date (YYYY-MM-DD)") from e
    return dt.date.today()


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

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.failed_ids


def check_data(
    data: list[Path], manifest: Manifest | None = None, today: dt.date | None = None
) -> tuple[list[RawRecord], Report]:
    """Load and validate data files; the report lists every problem."""
    manifest = manifest or load_manifest()
    records = load_files(data)
    return records, validate(records, manifest, today or today_default())


def failure(raw: RawRecord, field_name: str, message: str) -> Problem:
    rid = raw.record_id
    where = f"{raw.where} ({rid})" if rid else raw.where
    return Problem(raw.file, where, field_name, message, "error", rid)


def check_languages(langs: list[str] | None) -> list[Language]:
    chosen = list(langs or LANGUAGES)
    for lang in chosen:
        if lang not in LANGUAGES:
            raise FormgenError(f"unknown language '{lang}'; use zh or en")
    return chosen  # type: ignore[return-value]


def check_documents(manifest: Manifest, docs: list[str] | None) -> None:
    for doc in docs or []:
        if doc not in manifest.documents:
            known = ", ".join(manifest.documents)
            raise FormgenError(f"unknown document '{doc}'; the manifest has: {known}")


def render(
    data: list[Path],
    out: Path,
    *,
    langs: list[str] | None = None,
    docs: list[str] | None = None,
    formats: tuple[str, ...] = ("docx",),
    manifest: Manifest | None = None,
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> BuildResult:
    """Write ``out/<id>/<lang>/<file>`` for every valid record; report the rest."""
    manifest = manifest or load_manifest()
    chosen = check_languages(langs)
    check_documents(manifest, docs)
    today = today or today_default()
    records, report = check_data(data, manifest, today)
    result = BuildResult(records_in=len(records), problems=list(report.problems))
    result.failed_ids = [r.record_id or f"{r.file} {r.where}" for r in report.failed]
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot create the output folder {out}: {e.strerror}") from e
    pdf_jobs: list[tuple[str, RawRecord, Path, Path]] = []
    for item in report.valid:
        applicant = item.applicant
        try:
            rendered = render_applicant(applicant, manifest, chosen, docs, today=today)
            paths = _write_documents(out, applicant.id, rendered, "docx" in formats)
        except FormgenError as e:
            result.problems.append(failure(item.source, "", str(e)))
            result.failed_ids.append(applicant.id)
            if progress:
                progress(1)
            continue
        result.written[applicant.id] = [p for p in paths if "docx" in formats]
        if "pdf" in formats:
            for p in paths:
                pdf_jobs.append((applicant.id, item.source, p, p.with_suffix(".pdf")))
        if progress:
            progress(1)
    if pdf_jobs:
        _convert_jobs(pdf_jobs, result, keep_docx="docx" in formats)
    return result


def _write_documents(
    out: Path, applicant_id: str, rendered: list[RenderedDocument], keep: bool
) -> list[Path]:
    folder = safe_filename(applicant_id, "applicant")
    paths = []
    for doc in rendered:
        target = inside(out, folder, doc.lang, doc.filename)
        write_atomic(target, doc.docx)
        paths.append(target)
    return paths


def _convert_jobs(
    jobs: list[tuple[str, RawRecord, Path, Path]], result: BuildResult, keep_docx: bool
) -> None:
    from .convert import convert_files

    outcome = convert_files([(docx, pdf) for _, _, docx, pdf in jobs])
    for applicant_id, raw, docx, pdf in jobs:
        error = outcome.get(docx)
        if error is not None:
            result.problems.append(failure(raw, "", str(error)))
            if applicant_id not in result.failed_ids:
                result.failed_ids.append(applicant_id)
            result.written.pop(applicant_id, None)
        else:
            result.written.setdefault(applicant_id, []).append(pdf)
        if not keep_docx:
            docx.unlink(missing_ok=True)
