"""``formgen render``: write every document each valid record needs, as DOCX and/or PDF.

Files go to ``out/<id>/<lang>/<file name from the manifest>``. A record that fails (in
validation, rendering or conversion) gets nothing written and a problem saying why, on
the command line and in ``out/errors.csv``. The run is :func:`formgen.main.run_batch`
with a :class:`DocumentJob`.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from formgen.exceptions import ConversionError, FormgenError
from formgen.forms.blank import blank_documents, render_blank
from formgen.forms.carry import new_key
from formgen.forms.documents import (
    MadeDocuments,
    RenderedDocument,
    check_documents,
    convert_rendered,
    languages_of,
    render_applicants,
)
from formgen.forms.naming import applicant_folder
from formgen.load import RawRecord
from formgen.messages import msg
from formgen.office import open_converter
from formgen.paths import inside, write_together
from formgen.run import ERRORS_CSV, BatchJob, BuildResult, Progress, prepare_output
from formgen.settings import Settings, choose_languages
from formgen.validate import Report, Validated

Rendered = tuple[list[Validated], list[list[RenderedDocument] | FormgenError]]


class DocumentJob(BatchJob[Validated, BuildResult]):
    """Every document each valid record needs, in the settings' languages (narrowed to
    ``docs``), written as ``formats``; PDFs only when ``formats`` asks for them."""

    def __init__(self, settings: Settings, out: Path, docs: Sequence[str] | None,
                 formats: tuple[str, ...]):
        check_documents(settings.manifest, docs)
        super().__init__(BuildResult())
        self.settings = settings
        self.out = out
        self.docs = docs
        self.formats = formats
        self.needs_converter = "pdf" in formats

    def plan(self, report: Report, step: Progress) -> list[Validated]:
        """The valid records, one per folder: a record whose folder is another's (ids
        that clean to the same name, ``A/1`` and ``A_1``, or differ only in case) fails
        instead of overwriting it."""
        folders: dict[str, str] = {}
        kept = []
        for item in report.valid:
            folder = applicant_folder(item.applicant.id)
            if folder.casefold() == ERRORS_CSV:
                self.result.fail(item.source, msg("render.report-folder", folder=folder), "id")
                continue
            other = folders.setdefault(folder.casefold(), item.applicant.id)
            if other != item.applicant.id:
                self.result.fail(item.source, msg("render.same-folder", folder=folder,
                                                  other=other), "id")
                continue
            kept.append(item)
        return kept

    def render(self, chunk: list[Validated], number: int) -> Rendered:
        return chunk, render_applicants(
            [item.applicant for item in chunk], self.settings.manifest, self.settings.languages,
            only=self.docs, today=self.settings.today)

    def convert(self, rendered: Rendered, converter: Any, workdir: Path) -> list[
            MadeDocuments | FormgenError]:
        chunk, documents = rendered
        return convert_rendered([item.applicant for item in chunk], documents, converter,
                                workdir)

    def write(self, chunk: list[Validated], converted: list[MadeDocuments | FormgenError],
              step: Progress) -> None:
        for item, made in zip(chunk, converted, strict=True):
            try:
                if isinstance(made, FormgenError):
                    raise made
                self.result.written[item.applicant.id] = _write(
                    self.out, (applicant_folder(item.applicant.id),), made.documents,
                    made.pdfs, self.formats)
            except FormgenError as e:
                self.result.fail(item.source, e.message)
            step(1)

    def record_of(self, item: Validated) -> RawRecord:
        return item.source


def write_blank(
    settings: Settings,
    out: Path,
    programme: str,
    grade: str,
    *,
    docs: Sequence[str] | None = None,
    formats: tuple[str, ...] = ("docx",),
) -> list[Path]:
    """The blank fillable forms of ``programme`` and ``grade`` (see :mod:`formgen.forms.blank`),
    as ``out/<lang>/<file>``, in the settings' languages; FormgenError for an unknown
    programme or a grade it does not offer."""
    manifest = settings.manifest
    chosen = choose_languages(settings.languages)
    check_documents(manifest, docs)
    wanted = blank_documents(manifest, programme, grade, docs)
    prepare_output(out)
    key = new_key()  # one download: a person's forms of it join when they come back
    rendered = [
        render_blank(manifest, programme, grade, doc_id, lang, settings.today, key)
        for doc_id in wanted for lang in languages_of(manifest, doc_id, chosen)
    ]
    pdfs: list[bytes | ConversionError] = []
    if "pdf" in formats and rendered:
        from formgen.office.merge import convert_documents

        with open_converter(settings) as converter:
            pdfs = convert_documents([(f"{d.doc_id}/{d.lang}", d.docx) for d in rendered],
                                     converter, out / ".work")
        shutil.rmtree(out / ".work", ignore_errors=True)
    return _write(out, (), rendered, pdfs or None, formats)


def _write(
    out: Path, folder: tuple[str, ...], documents: Sequence[RenderedDocument],
    pdfs: Sequence[bytes | ConversionError] | None, formats: tuple[str, ...],
) -> list[Path]:
    """Write ``out/<folder…>/<lang>/<file>`` of each document, as DOCX and (given its PDFs)
    PDF, all or none (:func:`formgen.paths.write_together`): a PDF that could not be made
    raises its ConversionError before anything is written, a file that cannot be written
    (a full disk) its OutputError after what was written is removed."""
    files: list[tuple[Path, bytes]] = []
    for index, doc in enumerate(documents):
        path = inside(out, *folder, doc.lang, doc.filename)
        if "docx" in formats:
            files.append((path, doc.docx))
        if pdfs is not None:
            pdf = pdfs[index]
            if isinstance(pdf, ConversionError):
                raise pdf
            files.append((path.with_suffix(".pdf"), pdf))
    write_together(files)
    return [path for path, _ in files]
