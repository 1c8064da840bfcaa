"""The compiled renderer gives the same documents as plain docxtpl, and stays strict."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
import yaml
from conftest import cell_text, paragraph_text
from docx import Document
from docxtpl import DocxTemplate

from formgen.exceptions import TemplateError
from formgen.forms.context import build_context
from formgen.forms.engine import CompiledTemplate, make_environment
from formgen.model.applicant import Applicant
from formgen.model.manifest import load_manifest

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 23)


def document_text(data: bytes) -> list[str]:
    doc = Document(io.BytesIO(data))
    lines = [paragraph_text(p) for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            lines.append(" | ".join(cell_text(cell) for cell in row.cells))
    for section in doc.sections:
        lines += [paragraph_text(p) for p in section.footer.paragraphs + section.header.paragraphs]
    return lines


def sample_applicants() -> list[Applicant]:
    records = yaml.safe_load((ROOT / "data" / "applicants.yaml").read_text(encoding="utf-8"))
    return [Applicant.model_validate(r) for r in records]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.slow
def test_compiled_render_matches_docxtpl_for_every_form(lang: str) -> None:
    manifest = load_manifest(ROOT / "manifest.yaml")
    people = sample_applicants()
    checked = 0
    for doc_id, doc in manifest.documents.items():
        if doc.kind != "form" or lang not in doc.templates:
            continue
        for applicant in people:
            if doc_id not in manifest.documents_for(applicant.programme, applicant.grade):
                continue
            path = manifest.template_path(doc_id, lang)
            context = build_context(applicant, lang, manifest, doc_id, TODAY)
            plain = DocxTemplate(path)
            plain.render(context, make_environment(), autoescape=True)
            buffer = io.BytesIO()
            plain.save(buffer)
            fast = CompiledTemplate(path).render(context)
            assert document_text(fast) == document_text(buffer.getvalue()), (doc_id, applicant.id)
            assert zipfile.ZipFile(io.BytesIO(fast)).testzip() is None
            checked += 1
    assert checked >= 10


def test_rendering_twice_gives_the_same_document() -> None:
    manifest = load_manifest(ROOT / "manifest.yaml")
    applicant = sample_applicants()[0]
    template = CompiledTemplate(manifest.template_path("registration_form", "zh"))
    context = build_context(applicant, "zh", manifest, "registration_form", TODAY)
    assert document_text(template.render(context)) == document_text(template.render(context))


def test_a_template_variable_the_data_lacks_fails_loudly(tmp_path: Path) -> None:
    from docx import Document as NewDocument

    doc = NewDocument()
    doc.add_paragraph("Name: {{ a.name }} Badge: {{ a.badge_colour }}")
    path = tmp_path / "t.docx"
    doc.save(path)
    manifest = load_manifest(ROOT / "manifest.yaml")
    context = build_context(sample_applicants()[0], "en", manifest, "", TODAY)
    with pytest.raises(TemplateError) as caught:
        CompiledTemplate(path).render(context)
    assert str(caught.value) == (
        f"{path}, body: uses a variable the data does not have: 'dict object' has no attribute 'badge_colour'"
    )


def test_values_are_escaped_and_never_evaluated(tmp_path: Path) -> None:
    from docx import Document as NewDocument

    doc = NewDocument()
    doc.add_paragraph("{{ a.description }}")
    path = tmp_path / "t.docx"
    doc.save(path)
    manifest = load_manifest(ROOT / "manifest.yaml")
    record = yaml.safe_load((ROOT / "data" / "applicants.yaml").read_text(encoding="utf-8"))[0]
    value = "A & B <c> \"d\" 'e' {{7*7}} {% if x %}y{% endif %} {_{ x }_} {_% y %_} 𠀾"
    record["description"] = {"zh": value, "en": "x"}
    context = build_context(Applicant.model_validate(record), "zh", manifest, "", TODAY)
    text = document_text(CompiledTemplate(path).render(context))
    assert value in text
