"""The library API, and the batch pipeline every run of many records goes through.

    manifest → templates → fonts                  check_templates
    load → validate                               check_data
    load → validate → roster                      make_roster
    forms → records → validate                    extract_forms
    load → validate → plan → render → convert → write → errors.csv     run_batch
        documents (formgen.forms.write)           render
        packs (formgen.packs.build)               build_packs
        certificates (formgen.certificates.run)   print_certificates

Every function takes the :class:`~formgen.settings.Settings` its door built (the CLI per
command, the web app once): the manifest, the day, the languages, the converter's
workers and timeout, the register's and the link store's paths. :func:`run_batch` is
the one batch run: it validates, prepares the output folder, starts the run's one
converter, cuts the job's items into chunks, renders the next chunk while earlier ones
convert, writes each as it comes back, and writes ``errors.csv``; a feature gives only
its :class:`~formgen.run.BatchJob`. The commands that load data call these functions;
the ones that look up or change one certificate (verify, revoke,
register) call their feature directly, and the web app (one applicant per request)
renders through :mod:`formgen.forms.documents`. Nothing below this module imports it.
"""

from __future__ import annotations

import importlib
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from formgen.exceptions import OutputError
from formgen.fonts import require_families
from formgen.language import Language
from formgen.load import RawRecord
from formgen.messages import Message
from formgen.office import cores, open_converter
from formgen.paths import cannot_write
from formgen.run import (
    ERRORS_CSV,
    BatchJob,
    BuildResult,
    Progress,
    check_errors_csv,
    chunk_size,
    prepare_output,
)
from formgen.settings import Settings
from formgen.validate import Report, check_files, validate_files

if TYPE_CHECKING:
    from formgen.certificates.run import CertificateOptions, CertificateRun
    from formgen.credentials.job import CredentialOptions, CredentialRun
    from formgen.extract import Extraction
    from formgen.packs.build import PackResult
    from formgen.roster import RosterSummary

# Each feature is imported when its function is called, so that a command loads only
# what it uses (``formgen validate`` does not load the certificates, the forms or the
# web). The features' types are still found here, as they always were:
_FROM_FEATURES = {
    "CertificateOptions": "formgen.certificates.run", "CertificateRun": "formgen.certificates.run",
    "CredentialOptions": "formgen.credentials.job", "CredentialRun": "formgen.credentials.job",
    "Extraction": "formgen.extract", "PackResult": "formgen.packs.build",
    "RosterSummary": "formgen.roster",
}


def __getattr__(name: str) -> Any:
    module = _FROM_FEATURES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "BuildResult", "CertificateOptions", "CertificateRun", "CredentialOptions", "Extraction", "PackResult",
    "RosterSummary", "build_packs", "check_data", "check_streamed", "check_templates",
    "extract_forms", "make_roster",
    "print_certificates", "render", "render_blank", "run_batch",
]

Result = TypeVar("Result", bound=BuildResult)


def run_batch(
    settings: Settings,
    data: list[Path],
    out: Path,
    job: BatchJob[Any, Result],
    *,
    progress: Progress | None = None,
    on_total: Callable[[int], None] | None = None,
    force: bool = False,
) -> Result:
    """Run ``job`` over the records in ``data``, writing into ``out``.

    ``on_total(n)`` is called once the job's items are planned, ``progress(k)`` as k
    more steps are done. Every record ends written or failed; ``out/errors.csv`` lists
    the failures. A FormgenError from the job's plan (something that stops the whole run)
    is raised before anything is rendered. An ``out/errors.csv`` formgen did not write is
    replaced only with ``force`` (see :func:`formgen.run.check_errors_csv`).
    """
    check_errors_csv(out, data, force=force)
    records, report = validate_files(data, settings.manifest, settings.today)
    records, report = job.narrow(records, report)
    result = job.result
    result.start(records, report.problems, report.failed)
    if job.needs_converter:
        require_families()  # a run that cannot draw its PDFs makes no output folder
    prepare_output(out)
    step = progress or _no_progress
    work: Path | None = None
    try:
        items = job.plan(report, step)
        if on_total is not None:
            on_total(sum(job.units(item) for item in items))
        if items:
            try:
                work = Path(tempfile.mkdtemp(prefix=".work-", dir=out))
            except OSError as e:
                job.fail_chunk(items, cannot_write(e, out, folder=True))
            else:
                _make(settings, job, items, work, step, out)
        job.finish(out)
    finally:
        try:
            job.close()
        finally:
            if work is not None:
                shutil.rmtree(work, ignore_errors=True)
    try:
        check_errors_csv(out, data, force=force)  # nor one put there while the run went
        result.write_errors_csv(out / ERRORS_CSV)
    except OutputError as e:
        result.unwritten.append(e.message)
    return result


def _make(settings: Settings, job: BatchJob[Any, Any], items: list[Any], work: Path,
          step: Progress, out: Path) -> None:
    """Render → convert → write every chunk (work files in ``work``); the next chunk
    renders while earlier ones convert, and at most one chunk more than there are
    converters waits its turn. A chunk whose work files cannot be written (a full disk)
    fails its records, saying so, and the others go on."""
    workers = settings.workers or min(cores(), job.most_workers or cores())
    total = sum(job.units(item) for item in items)
    chunks = job.chunks(items, chunk_size(total, workers, job.chunk_bounds))
    workers = min(workers, len(chunks))
    with ExitStack() as stack:
        converter = None
        if job.needs_converter:
            largest = max(sum(job.units(i) for i in c) for c in chunks)
            converter = stack.enter_context(open_converter(
                settings, workers=workers,
                timeout=settings.timeout + job.seconds_per_unit * largest,
                pdf_options=job.pdf_options,
            ))
        pool = stack.enter_context(ThreadPoolExecutor(workers, thread_name_prefix="formgen-convert"))
        pending: dict[Future[Any], list[Any]] = {}
        for number, chunk in enumerate(chunks):
            rendered = job.render(chunk, number)
            pending[pool.submit(job.convert, rendered, converter, work / f"{number:05d}")] = chunk
            while len(pending) > workers:
                _write_done(job, pending, step, out, wait_all=False)
        _write_done(job, pending, step, out, wait_all=True)


def _write_done(job: BatchJob[Any, Any], pending: dict[Future[Any], list[Any]],
                step: Progress, out: Path, wait_all: bool) -> None:
    """Write the chunks whose conversion is done (all of them, with ``wait_all``)."""
    while pending:
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        for future in done:
            chunk = pending.pop(future)
            try:
                job.write(chunk, future.result(), step)
            except (OutputError, OSError) as e:
                job.fail_chunk(chunk, _not_written(e, out))
                step(sum(job.units(item) for item in chunk))
        if not wait_all:
            return


def _not_written(e: OutputError | OSError, out: Path) -> Message:
    """Why a chunk's work files could not be written, said of the output folder (the
    work folder inside it is the run's own)."""
    if isinstance(e, OutputError):
        if not isinstance(e.__cause__, OSError):
            return e.message
        e = e.__cause__
    return cannot_write(e, out, folder=True)


def _no_progress(steps: int) -> None:
    return None


def check_templates(settings: Settings) -> tuple[list[Message], list[Message]]:
    """The manifest's templates against the data and each other, and their fonts against
    the installed families: (what each font is drawn with, every problem)."""
    from formgen.forms.check import check_templates as template_problems
    from formgen.forms.check import context_texts, template_paths
    from formgen.forms.typefaces import check_fonts

    manifest = settings.manifest
    problems = template_problems(manifest, settings.today)
    report, font_problems = check_fonts(template_paths(manifest),
                                        context_texts(manifest, settings.today))
    return report, problems + font_problems


def check_data(
    settings: Settings, data: list[Path], *, keep_applicants: bool = True,
) -> tuple[list[RawRecord], Report]:
    """Load and validate data files; the report lists every problem (and the valid
    applicants, unless ``keep_applicants`` is False: then it only counts them)."""
    return validate_files(data, settings.manifest, settings.today,
                          keep_applicants=keep_applicants)


def check_streamed(settings: Settings, data: list[Path]) -> Report:
    """Load and validate data files a record at a time, on every core: the report lists
    every problem and counts the records, in memory that does not grow with them (it
    holds no applicant)."""
    return check_files(data, settings.manifest, settings.today, workers=settings.workers)


def make_roster(
    settings: Settings, data: list[Path], out: Path, *, lang: Language = "en",
) -> RosterSummary:
    """Load and validate data files and write the intake roster (XLSX) to ``out``."""
    from formgen.roster import write_roster

    records, report = validate_files(data, settings.manifest, settings.today)
    return write_roster(records, report, settings.manifest, settings.today, out, lang)


def extract_forms(
    settings: Settings,
    files: list[Path],
    out: Path,
    report: Path,
    *,
    defaults: dict[str, str] | None = None,
    lang: Language = "en",
    progress: Progress | None = None,
) -> Extraction:
    """Read filled forms back into records: write them to ``out`` (YAML, JSON or XLSX, every
    record, valid or not, for staff to complete) and the per-file report to ``report``."""
    from formgen.extract import extract
    from formgen.extract.output import check_output, write_records, write_report

    check_output(out)
    result = extract(settings, files, defaults, progress)
    write_records([r.data for r in result.records], out)
    write_report(result.reports, report, lang, result.problems)
    return result


def render(
    settings: Settings,
    data: list[Path],
    out: Path,
    *,
    docs: list[str] | None = None,
    formats: tuple[str, ...] = ("docx",),
    progress: Progress | None = None,
    force: bool = False,
) -> BuildResult:
    """Write ``out/<id>/<lang>/<file>`` (DOCX, PDF or both) for every valid record, in
    the settings' languages."""
    from formgen.forms.write import DocumentJob

    return run_batch(settings, data, out, DocumentJob(settings, out, docs, formats),
                     progress=progress, force=force)


def render_blank(
    settings: Settings,
    out: Path,
    programme: str,
    grade: str,
    *,
    docs: list[str] | None = None,
    formats: tuple[str, ...] = ("docx",),
) -> list[Path]:
    """Write the blank fillable forms of ``programme`` and ``grade`` to ``out/<lang>/``."""
    from formgen.forms.write import write_blank

    return write_blank(settings, out, programme, grade, docs=docs, formats=formats)


def build_packs(
    settings: Settings,
    data: list[Path],
    out: Path,
    *,
    pack: str | None = None,
    progress: Progress | None = None,
    on_total: Callable[[int], None] | None = None,
    force: bool = False,
) -> PackResult:
    """Write ``out/<id>-<name>.zip`` for every valid record and ``out/errors.csv`` for the
    rest; packs whose inputs have not changed are left as they are."""
    from formgen.packs.build import PackJob

    return run_batch(settings, data, out, PackJob(settings, out, pack),
                     progress=progress, on_total=on_total, force=force)


def print_certificates(
    settings: Settings,
    data: list[Path],
    out: Path,
    options: CertificateOptions | None = None,
    *,
    progress: Progress | None = None,
    on_total: Callable[[int], None] | None = None,
    credentials: CredentialOptions | None = None,
    force: bool = False,
) -> CredentialRun:
    """Number and print the certificates due to every valid record (``print.pdf``, one PDF
    per holder, ``register.csv``, ``errors.csv``); see :class:`CertificateOptions` for a
    reissue, signing and the verification address, :class:`CredentialOptions` for the
    digital credentials beside each PDF."""
    from formgen.certificates.run import CertificateOptions
    from formgen.credentials.job import CredentialJob, CredentialOptions

    check_errors_csv(out, data, force=force)  # before the register is opened (or made)
    job = CredentialJob(settings, options or CertificateOptions(), credentials or CredentialOptions())
    with job.opened_register():
        run_batch(settings, data, out, job, progress=progress, on_total=on_total, force=force)
        job.write_register_csv(out)
    return job.result
