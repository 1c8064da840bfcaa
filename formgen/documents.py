"""Which documents an applicant gets, rendered to DOCX bytes with their output names."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from .context import build_context
from .exceptions import FormgenError
from .manifest import Manifest
from .models import Applicant, Language
from .render import TEMPLATES, output_name


@dataclass(frozen=True)
class RenderedDocument:
    """One document of one applicant in one language."""

    doc_id: str
    lang: Language
    filename: str
    docx: bytes


def documents_needed(
    applicant: Applicant, manifest: Manifest, only: list[str] | None = None, pack: str | None = None
) -> list[str]:
    """Document ids this applicant needs, in the pack's order, narrowed to ``only``."""
    needed = manifest.documents_for(applicant.programme, applicant.grade)
    if pack is not None:
        needed = [d for d in manifest.packs[pack].documents if d in needed]
    if only:
        needed = [d for d in needed if d in only]
    return needed


def languages_of(manifest: Manifest, doc_id: str, langs: list[Language]) -> list[Language]:
    return [lang for lang in langs if lang in manifest.documents[doc_id].templates]


def render_document(
    applicant: Applicant,
    doc_id: str,
    lang: Language,
    manifest: Manifest,
    today: dt.date | None = None,
    context: dict[str, Any] | None = None,
) -> RenderedDocument:
    """One document; ``context`` may be a context of the same applicant and language to reuse."""
    doc = manifest.documents[doc_id]
    template = TEMPLATES.get(manifest.template_path(doc_id, lang))
    if context is None:
        context = build_context(applicant, lang, manifest, doc_id, today)
    else:
        context = {**context, "document": {"id": doc_id, "title": doc.title.get(lang)}}
    filename = output_name(doc.output[lang], applicant.id, applicant.name.get(lang))
    return RenderedDocument(doc_id, lang, filename, template.render(context))


def render_applicant(
    applicant: Applicant,
    manifest: Manifest,
    langs: list[Language],
    only: list[str] | None = None,
    pack: str | None = None,
    today: dt.date | None = None,
) -> list[RenderedDocument]:
    """Every document the applicant needs, in every language asked for."""
    out = []
    contexts: dict[Language, dict[str, Any]] = {}
    for doc_id in documents_needed(applicant, manifest, only, pack):
        for lang in languages_of(manifest, doc_id, langs):
            if lang not in contexts:
                contexts[lang] = build_context(applicant, lang, manifest, doc_id, today)
            out.append(render_document(applicant, doc_id, lang, manifest, today, contexts[lang]))
    names = [(d.lang, d.filename) for d in out]
    if len(set(names)) != len(names):
        raise FormgenError(
            f"two documents of {applicant.id} would get the same file name; "
            "check the output names in the manifest"
        )
    return out
