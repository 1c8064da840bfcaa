"""``formgen render``: write every document each valid record needs, as DOCX and/or PDF.

Files go to ``out/<id>/<lang>/<file name from the manifest>``. A record that fails (in
validation, rendering or conversion) gets nothing written and a problem saying why, on
the command line and in ``out/errors.csv``.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

from formgen.exceptions import ConversionError, FormgenError
from formgen.forms.blank import blank_documents, render_blank
from formgen.forms.documents import (
    RenderedDocument,
    check_documents,
    choose_languages,
    languages_of,
    render_and_convert,
)
from formgen.forms.naming import applicant_folder
from formgen.messages import msg
from formgen.model.manifest import Manifest
from formgen.paths import inside, write_atomic
from formgen.run import BuildResult, Progress, prepare_output
from formgen.validate import Validated, validate_files

ERRORS_CSV = "errors.csv"
"""The run's report, beside the applicants' folders: no applicant's folder may take its name."""
CHUNK = 20
"""Applicants whose documents are converted together, one LibreOffice load per template."""


def write_documents(
    data: list[Path],
    out: Path,
    *,
    manifest: Manifest,
    today: dt.date,
    langs: Sequence[str] | None = None,
    docs: Sequence[str] | None = None,
    formats: tuple[str, ...] = ("docx",),
    progress: Progress | None = None,
) -> BuildResult:
    """Write ``out/<id>/<lang>/<file>`` for every valid record; report the rest."""
    chosen = choose_languages(langs)
    check_documents(manifest, docs)
    records, report = validate_files(data, manifest, today)
    result = BuildResult()
    result.start(records, report.problems, report.failed)
    prepare_output(out)
    step = progress or (lambda n: None)
    valid = _one_per_folder(report.valid, result, step)
    with ExitStack() as stack:
        converter = None
        if "pdf" in formats and valid:
            from formgen.office.converter import Converter

            converter = stack.enter_context(Converter())
        for number in range(0, len(valid), CHUNK):
            chunk = valid[number : number + CHUNK]
            made = render_and_convert(
                [item.applicant for item in chunk], manifest, chosen, only=docs, today=today,
                converter=converter, workdir=out / ".work" / f"render-{number:06d}",
            )
            for item, documents in zip(chunk, made, strict=True):
                try:
                    if isinstance(documents, FormgenError):
                        raise documents
                    result.written[item.applicant.id] = _write(
                        out, (applicant_folder(item.applicant.id),), documents.documents,
                        documents.pdfs, formats)
                except FormgenError as e:
                    result.fail(item.source, e.message)
                step(1)
    shutil.rmtree(out / ".work", ignore_errors=True)
    result.write_errors_csv(out / ERRORS_CSV)
    return result


def write_blank(
    out: Path,
    *,
    manifest: Manifest,
    programme: str,
    grade: str,
    today: dt.date,
    langs: Sequence[str] | None = None,
    docs: Sequence[str] | None = None,
    formats: tuple[str, ...] = ("docx",),
) -> list[Path]:
    """The blank fillable forms of ``programme`` and ``grade`` (see :mod:`formgen.forms.blank`),
    as ``out/<lang>/<file>``; FormgenError for an unknown programme or a grade it does not
    offer."""
    chosen = choose_languages(langs)
    check_documents(manifest, docs)
    wanted = blank_documents(manifest, programme, grade, docs)
    prepare_output(out)
    rendered = [
        render_blank(manifest, programme, grade, doc_id, lang, today)
        for doc_id in wanted for lang in languages_of(manifest, doc_id, chosen)
    ]
    pdfs: list[bytes | ConversionError] = []
    if "pdf" in formats and rendered:
        from formgen.office.converter import Converter
        from formgen.office.merge import convert_documents

        with Converter() as converter:
            pdfs = convert_documents([(f"{d.doc_id}/{d.lang}", d.docx) for d in rendered],
                                     converter, out / ".work")
        shutil.rmtree(out / ".work", ignore_errors=True)
    return _write(out, (), rendered, pdfs or None, formats)


def _one_per_folder(
    valid: list[Validated], result: BuildResult, step: Progress
) -> list[Validated]:
    """The records to write: a record whose folder is another's (ids that clean to the same
    name, ``A/1`` and ``A_1``, or differ only in case) fails instead of overwriting it."""
    folders: dict[str, str] = {}
    kept = []
    for item in valid:
        folder = applicant_folder(item.applicant.id)
        if folder.casefold() == ERRORS_CSV:
            result.fail(item.source, msg("render.report-folder", folder=folder), "id")
            step(1)
            continue
        other = folders.setdefault(folder.casefold(), item.applicant.id)
        if other != item.applicant.id:
            result.fail(item.source, msg("render.same-folder", folder=folder, other=other), "id")
            step(1)
            continue
        kept.append(item)
    return kept


def _write(
    out: Path, folder: tuple[str, ...], documents: Sequence[RenderedDocument],
    pdfs: Sequence[bytes | ConversionError] | None, formats: tuple[str, ...],
) -> list[Path]:
    """Write ``out/<folder…>/<lang>/<file>`` of each document, as DOCX and (given its PDFs)
    PDF; a PDF that could not be made raises its ConversionError."""
    written = []
    for index, doc in enumerate(documents):
        path = inside(out, *folder, doc.lang, doc.filename)
        if "docx" in formats:
            write_atomic(path, doc.docx)
            written.append(path)
        if pdfs is not None:
            pdf = pdfs[index]
            if isinstance(pdf, ConversionError):
                raise pdf
            write_atomic(path.with_suffix(".pdf"), pdf)
            written.append(path.with_suffix(".pdf"))
    return written
