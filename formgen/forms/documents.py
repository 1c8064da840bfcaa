"""Which documents an applicant gets, rendered to DOCX and, when asked, converted to PDF.

:func:`render_applicants` (or :func:`render_document` for one) then
:func:`convert_rendered` is the one way documents are made: ``formgen render``,
``formgen pack`` and the web app all go through them. Documents of the same template are converted
together, one LibreOffice load for the whole batch (:mod:`formgen.office.merge`).
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from formgen.exceptions import ConversionError, FormgenError
from formgen.forms.carry import CUSTOM_PROPERTIES, application_key, carried_record, carry, new_key
from formgen.forms.context import build_context
from formgen.forms.engine import TEMPLATES
from formgen.forms.naming import output_name
from formgen.messages import joined, msg
from formgen.model.applicant import Applicant, Language
from formgen.model.manifest import Manifest

if TYPE_CHECKING:
    from formgen.office.converter import Converter


@dataclass(frozen=True)
class RenderedDocument:
    """One document of one applicant in one language."""

    doc_id: str
    lang: Language
    filename: str
    docx: bytes


@dataclass(frozen=True)
class MadeDocuments:
    """One applicant's documents, and their PDFs when they were converted."""

    applicant: Applicant
    documents: list[RenderedDocument]
    pdfs: list[bytes] | None
    """One PDF per document, in the same order; None when no PDF was asked for."""


def check_documents(manifest: Manifest, docs: Sequence[str] | None) -> None:
    """FormgenError unless every id in ``docs`` is a document of the manifest."""
    for doc in docs or []:
        if doc not in manifest.documents:
            raise FormgenError(msg("run.unknown-document", document=doc, known=list(manifest.documents)))


def documents_needed(
    applicant: Applicant, manifest: Manifest, only: Sequence[str] | None = None,
    pack: str | None = None,
) -> list[str]:
    """Document ids this applicant needs, in the pack's order, narrowed to ``only``."""
    needed = manifest.documents_for(applicant.programme, applicant.grade)
    if pack is not None:
        needed = [d for d in manifest.packs[pack].documents if d in needed]
    if only:
        needed = [d for d in needed if d in only]
    return needed


def languages_of(manifest: Manifest, doc_id: str, langs: Sequence[Language]) -> list[Language]:
    return [lang for lang in langs if lang in manifest.documents[doc_id].templates]


def render_document(
    applicant: Applicant,
    doc_id: str,
    lang: Language,
    manifest: Manifest,
    today: dt.date | None = None,
    context: dict[str, Any] | None = None,
    *,
    key: str | None = None,
    blank: bool = False,
) -> RenderedDocument:
    """One document; ``context`` may be a context of the same applicant and language to reuse.

    A fillable form carries the form ``key`` and the record (:mod:`formgen.forms.carry`):
    by default the application's key, or a fresh one for an application without an id;
    a ``blank`` form carries only the programme and the grade."""
    doc = manifest.documents[doc_id]
    template = TEMPLATES.get(manifest.template_path(doc_id, lang))
    if context is None:
        context = build_context(applicant, lang, manifest, doc_id, today)
    else:
        context = {**context, "document": {"id": doc_id, "title": doc.title.get(lang)}}
    filename = output_name(doc.output[lang], applicant.id, applicant.name.get(lang))
    docx = template.render(context)
    if any(part.name == CUSTOM_PROPERTIES for part in template.parts):
        if key is None:
            key = application_key(applicant.programme, applicant.id) if applicant.id and not blank else new_key()
        docx = carry(docx, key, doc_id, lang, carried_record(applicant, blank))
    return RenderedDocument(doc_id, lang, filename, docx)


def render_applicant(
    applicant: Applicant,
    manifest: Manifest,
    langs: Sequence[Language],
    only: Sequence[str] | None = None,
    pack: str | None = None,
    today: dt.date | None = None,
    key: str | None = None,
) -> list[RenderedDocument]:
    """Every document the applicant needs, in every language asked for; the fillable forms
    share one form ``key`` (the application's by default)."""
    out = []
    contexts: dict[Language, dict[str, Any]] = {}
    if key is None and not applicant.id:
        key = new_key()
    for doc_id in documents_needed(applicant, manifest, only, pack):
        for lang in languages_of(manifest, doc_id, langs):
            if lang not in contexts:
                contexts[lang] = build_context(applicant, lang, manifest, doc_id, today)
            out.append(render_document(applicant, doc_id, lang, manifest, today, contexts[lang], key=key))
    names = [(d.lang, d.filename) for d in out]
    if len(set(names)) != len(names):
        raise FormgenError(msg("run.same-file-name", id=applicant.id))
    return out


def render_applicants(
    applicants: Sequence[Applicant],
    manifest: Manifest,
    langs: Sequence[Language],
    *,
    only: Sequence[str] | None = None,
    pack: str | None = None,
    today: dt.date | None = None,
) -> list[list[RenderedDocument] | FormgenError]:
    """Each applicant's documents, or the error that stopped them, in order."""
    rendered: list[list[RenderedDocument] | FormgenError] = []
    for applicant in applicants:
        try:
            rendered.append(render_applicant(applicant, manifest, langs, only, pack, today))
        except FormgenError as e:
            rendered.append(e)
    return rendered


def convert_rendered(
    applicants: Sequence[Applicant],
    rendered: Sequence[list[RenderedDocument] | FormgenError],
    converter: Converter | None,
    workdir: Path | None = None,
) -> list[MadeDocuments | FormgenError]:
    """The applicants' rendered documents, with their PDFs when there is a ``converter``:
    one LibreOffice load per template for the whole batch (work files go in ``workdir``,
    removed afterwards). An applicant any of whose PDFs failed gets the error naming
    every failure; one applicant's failure never stops the others."""
    if converter is None:
        return [
            docs if isinstance(docs, FormgenError) else MadeDocuments(applicant, docs, None)
            for applicant, docs in zip(applicants, rendered, strict=True)
        ]
    from formgen.office.merge import convert_documents

    if workdir is None:
        raise ValueError("converting documents needs a work folder")
    flat = [
        (f"{doc.doc_id}/{doc.lang}", doc.docx)
        for docs in rendered if not isinstance(docs, FormgenError) for doc in docs
    ]
    try:
        pdfs = convert_documents(flat, converter, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    out: list[MadeDocuments | FormgenError] = []
    start = 0
    for applicant, docs in zip(applicants, rendered, strict=True):
        if isinstance(docs, FormgenError):
            out.append(docs)
            continue
        mine = pdfs[start : start + len(docs)]
        start += len(docs)
        failed = [p for p in mine if isinstance(p, ConversionError)]
        if len(failed) == 1:
            out.append(failed[0])
        elif failed:
            out.append(ConversionError(joined(failed, msg("list.semicolon"))))
        else:
            out.append(MadeDocuments(applicant, docs, [p for p in mine if isinstance(p, bytes)]))
    return out
