"""The library API: load → validate → render → convert → write, one stage after another.

The CLI and the web app call these functions; they only parse arguments and show results.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .documents import RenderedDocument, render_applicant
from .exceptions import ConversionError, FormgenError, OutputError, Problem
from .load import RawRecord, load_files
from .manifest import Manifest, load_manifest
from .models import LANGUAGES, Applicant, Language
from .paths import inside, make_output_folder, safe_filename, write_atomic
from .validate import Report, Validated, validate

if TYPE_CHECKING:
    from .convert import Converter

Progress = Callable[[int], None]
PACK_CHUNK = 20
"""Applicants whose documents are converted together, one LibreOffice load per template."""


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


def _start(result: BuildResult, records: list[RawRecord], report: Report, out: Path) -> None:
    """Count the records in, note those that failed validation, and prepare ``out``.

    What an interrupted run left in ``out`` (temporary files, its work folder) is removed.
    """
    result.records_in = len(records)
    result.problems = list(report.problems)
    result.failed_ids = [r.record_id or f"{r.file} {r.where}" for r in report.failed]
    make_output_folder(out)
    try:
        _clean_leftovers(out)
    except OSError as e:
        raise OutputError(f"cannot create the output folder {out}: {e.strerror}") from e


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
    result = BuildResult()
    _start(result, records, report, out)
    to_convert: list[tuple[Validated, list[RenderedDocument], list[Path]]] = []
    for item in report.valid:
        applicant = item.applicant
        try:
            rendered = render_applicant(applicant, manifest, chosen, docs, today=today)
            folder = safe_filename(applicant.id, "applicant")
            paths = [inside(out, folder, doc.lang, doc.filename) for doc in rendered]
            if "docx" in formats:
                for doc, path in zip(rendered, paths, strict=True):
                    write_atomic(path, doc.docx)
                result.written[applicant.id] = list(paths)
        except FormgenError as e:
            result.problems.append(failure(item.source, "", str(e)))
            result.failed_ids.append(applicant.id)
            if progress:
                progress(1)
            continue
        if "pdf" in formats:
            to_convert.append((item, rendered, paths))
        elif progress:
            progress(1)
    if to_convert:
        _write_pdfs(out, to_convert, result, progress)
    return result


def _write_pdfs(
    out: Path,
    batch: list[tuple[Validated, list[RenderedDocument], list[Path]]],
    result: BuildResult,
    progress: Progress | None,
) -> None:
    """Convert every rendered document, one LibreOffice load per template and chunk."""
    import shutil

    from .convert import Converter

    with Converter() as converter:
        for number in range(0, len(batch), PACK_CHUNK):
            chunk = batch[number : number + PACK_CHUNK]
            workdir = out / ".work" / f"render-{number:06d}"
            try:
                pdfs = _convert_rendered([docs for _, docs, _ in chunk], converter, workdir)
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
            for (item, _, paths), doc_pdfs in zip(chunk, pdfs, strict=True):
                applicant_id = item.applicant.id
                try:
                    for path, pdf in zip(paths, _all_converted(doc_pdfs), strict=True):
                        write_atomic(path.with_suffix(".pdf"), pdf)
                        result.written.setdefault(applicant_id, []).append(path.with_suffix(".pdf"))
                except FormgenError as e:
                    result.problems.append(failure(item.source, "", str(e)))
                    result.failed_ids.append(applicant_id)
                    result.written.pop(applicant_id, None)
                if progress:
                    progress(1)
    shutil.rmtree(out / ".work", ignore_errors=True)


# ----------------------------------------------------------------------------- packs

@dataclass
class PackResult(BuildResult):
    """A pack run: every record is packed, already up to date, or failed."""

    up_to_date: list[str] = field(default_factory=list)
    errors_csv: Path | None = None


def make_pack(
    applicant: Applicant,
    manifest: Manifest,
    converter: Converter,
    workdir: Path,
    *,
    pack: str | None = None,
    langs: list[Language] | None = None,
    today: dt.date | None = None,
    fingerprint_value: str = "",
) -> bytes:
    """One applicant's pack as ZIP bytes: DOCX and PDF of each document, and pack.json."""
    pack = pack or manifest.default_pack
    rendered = render_applicant(applicant, manifest, langs or list(LANGUAGES), pack=pack, today=today)
    pdfs = _convert_rendered([rendered], converter, workdir)[0]
    return _zip_pack(applicant, rendered, pdfs, pack, fingerprint_value)


def _convert_rendered(
    batch: list[list[RenderedDocument]], converter: Converter, workdir: Path
) -> list[list[bytes | ConversionError]]:
    """PDFs of every applicant's documents; one LibreOffice load per template where possible."""
    from .merge import convert_documents

    flat = [(f"{doc.doc_id}/{doc.lang}", doc.docx) for docs in batch for doc in docs]
    pdfs = convert_documents(flat, converter, workdir)
    out, start = [], 0
    for docs in batch:
        out.append(pdfs[start : start + len(docs)])
        start += len(docs)
    return out


def _all_converted(pdfs: list[bytes | ConversionError]) -> list[bytes]:
    """The PDFs of one applicant's documents, or a ConversionError naming every failure."""
    failed = [str(p) for p in pdfs if isinstance(p, ConversionError)]
    if failed:
        raise ConversionError("; ".join(failed))
    return [p for p in pdfs if isinstance(p, bytes)]


def _zip_pack(
    applicant: Applicant,
    rendered: list[RenderedDocument],
    pdfs: list[bytes | ConversionError],
    pack: str,
    fingerprint_value: str,
) -> bytes:
    from .pack import build_zip, pack_files

    converted = _all_converted(pdfs)
    by_name = {
        (doc.lang, doc.filename): pdf for doc, pdf in zip(rendered, converted, strict=True)
    }
    meta = {
        "id": applicant.id,
        "name": {"zh": applicant.name.get("zh"), "en": applicant.name.get("en")},
        "programme": applicant.programme,
        "grade": applicant.grade,
        "pack": pack,
        "fingerprint": fingerprint_value,
    }
    return build_zip(pack_files(rendered, by_name), meta)


def _clean_leftovers(out: Path) -> None:
    """Remove what an interrupted run left behind: temporary files and its work folder."""
    import shutil

    for leftover in out.glob(".tmp-*"):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(out / ".work", ignore_errors=True)


def build_packs(
    data: list[Path],
    out: Path,
    *,
    pack: str | None = None,
    langs: list[str] | None = None,
    manifest: Manifest | None = None,
    today: dt.date | None = None,
    workers: int | None = None,
    timeout: float = 60.0,
    progress: Progress | None = None,
    on_total: Callable[[int], None] | None = None,
) -> PackResult:
    """Write ``out/<id>-<name>.zip`` for every valid record and ``out/errors.csv`` for the rest."""
    import shutil
    from concurrent.futures import ThreadPoolExecutor

    from .convert import Converter
    from .pack import fingerprint, pack_filename, read_fingerprint

    manifest = manifest or load_manifest()
    pack = pack or manifest.default_pack
    if pack not in manifest.packs:
        raise FormgenError(f"unknown pack '{pack}'; the manifest has: {', '.join(manifest.packs)}")
    chosen = check_languages(langs)
    today = today or today_default()
    records, report = check_data(data, manifest, today)
    result = PackResult()
    _start(result, records, report, out)
    if on_total:
        on_total(len(records))
    if progress and report.failed:
        progress(len(report.failed))

    names: dict[str, str] = {}
    tasks = []
    for item in report.valid:
        a = item.applicant
        name = pack_filename(a)
        if name.casefold() in names:
            result.problems.append(failure(item.source, "name", f"its pack would be named {name}, like that of {names[name.casefold()]}; give the applicants distinct ids"))
            result.failed_ids.append(a.id)
            if progress:
                progress(1)
            continue
        names[name.casefold()] = a.id
        target = inside(out, name)
        fp = fingerprint(a, manifest, pack, chosen, today.isoformat())
        if target.exists() and read_fingerprint(target) == fp:
            result.up_to_date.append(a.id)
            result.written[a.id] = [target]
            if progress:
                progress(1)
            continue
        tasks.append((item, target, fp))

    def run(chunk: list[tuple[Validated, Path, str]], number: int, converter: Converter) -> None:
        workdir = out / ".work" / f"chunk-{number:05d}"
        rendered: list[tuple[Validated, Path, str, list[RenderedDocument]]] = []
        try:
            for item, target, fp in chunk:
                try:
                    docs = render_applicant(item.applicant, manifest, chosen, pack=pack, today=today)
                    rendered.append((item, target, fp, docs))
                except FormgenError as e:
                    record_failure(item, str(e))
            pdfs = _convert_rendered([docs for *_, docs in rendered], converter, workdir)
            for (item, target, fp, docs), doc_pdfs in zip(rendered, pdfs, strict=True):
                try:
                    write_atomic(target, _zip_pack(item.applicant, docs, doc_pdfs, pack, fp))
                except FormgenError as e:
                    record_failure(item, str(e))
                    continue
                result.written[item.applicant.id] = [target]
                if progress:
                    progress(1)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def record_failure(item: Validated, message: str) -> None:
        result.problems.append(failure(item.source, "", message))
        result.failed_ids.append(item.applicant.id)
        if progress:
            progress(1)

    if tasks:
        chunks = [tasks[i : i + PACK_CHUNK] for i in range(0, len(tasks), PACK_CHUNK)]
        # Two chunks in flight: one renders while the other converts.
        with Converter(workers=workers, timeout=timeout) as converter, ThreadPoolExecutor(
            max_workers=2
        ) as pool:
            for future in [pool.submit(run, c, n, converter) for n, c in enumerate(chunks)]:
                future.result()
    shutil.rmtree(out / ".work", ignore_errors=True)
    result.errors_csv = write_errors_csv(out / "errors.csv", result.errors)
    return result


def write_errors_csv(target: Path, errors: list[Problem]) -> Path:
    """``errors.csv``: one row per problem that stopped a record (record id, field, message)."""
    from .paths import write_csv

    rows = [[p.record_id or f"{p.file} {p.record}", p.field, p.message] for p in errors]
    return write_csv(target, ["record", "field", "message"], rows)
