"""Blank fillable forms: the forms an applicant fills in, for a programme and a grade, with
nothing filled in but the programme and the grade (``formgen render --blank`` and the web
page's blank downloads)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from formgen.exceptions import FormgenError
from formgen.forms.context import blank_applicant
from formgen.forms.documents import RenderedDocument, documents_needed, render_document
from formgen.forms.engine import CUSTOM_PROPERTIES, TEMPLATES
from formgen.forms.naming import output_name
from formgen.language import Language
from formgen.messages import msg
from formgen.model.manifest import Manifest, Term

BLANK_NAME = Term(zh="空白-{grade}", en="blank-{grade}")
"""What stands for the applicant's name in a blank form's file name (报名表-空白-IEng.docx)."""


def is_fillable(manifest: Manifest, doc_id: str) -> bool:
    """A form an applicant fills in: its templates carry controls and custom properties."""
    return all(
        any(part.name == CUSTOM_PROPERTIES
            for part in TEMPLATES.get(manifest.template_path(doc_id, lang)).parts)
        for lang in manifest.documents[doc_id].templates
    )


def blank_documents(manifest: Manifest, programme: str, grade: str,
                    docs: Sequence[str] | None = None) -> list[str]:
    """The fillable forms a ``programme`` applicant for ``grade`` needs (of ``docs``, if
    given); FormgenError for an unknown programme or a grade it does not offer."""
    prog = manifest.programmes.get(programme)
    if prog is None:
        raise FormgenError(msg("field.not-one-of", value=programme, allowed=list(manifest.programmes)))
    if grade not in prog.grades:
        raise FormgenError(msg("rule.grade-not-offered", grade=grade, programme=programme,
                               grades=list(prog.grades)))
    return [d for d in documents_needed(blank_applicant(programme, grade), manifest, docs)
            if is_fillable(manifest, d)]


def render_blank(manifest: Manifest, programme: str, grade: str, doc_id: str, lang: Language,
                 today: dt.date | None = None, key: str | None = None, unit: str = "") -> RenderedDocument:
    """One blank form, named for the grade instead of an applicant; the forms of one
    download share one form ``key`` (a fresh one when none is given). A ``unit`` (the
    web page's) is carried, not shown."""
    applicant = blank_applicant(programme, grade)
    if unit:
        applicant = applicant.model_copy(update={"unit": unit})
    rendered = render_document(applicant, doc_id, lang, manifest, today, key=key, blank=True)
    name = BLANK_NAME.get(lang).format(grade=grade)
    return dataclasses.replace(
        rendered, filename=output_name(manifest.documents[doc_id].output[lang], "", name))
