"""Documents converted together in one LibreOffice load look exactly as converted alone."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import subprocess
from pathlib import Path

import pytest
import yaml
from docx import Document
from pypdf import PdfReader

from formgen.exceptions import ConversionError
from formgen.forms.documents import render_applicant
from formgen.model.applicant import COMPETENCE_CODES, Applicant
from formgen.model.manifest import load_manifest
from formgen.office import merge
from formgen.office.converter import Converter

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def converter():
    with Converter(workers=2, timeout=60) as conv:
        yield conv


def page_images(pdf: Path) -> list[str]:
    prefix = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(prefix)], check=True)
    pages = sorted(pdf.parent.glob(f"{prefix.name}-*.png"))
    return [hashlib.sha256(p.read_bytes()).hexdigest() for p in pages]


def with_full_table(record: dict) -> dict:
    """The applicant with every competence of the cross-reference table filled in, so that
    the table runs onto more pages."""
    evidence = {"roles": "Led the commissioning of the plant's units " * 3,
                "education_base": "BEng 2013", "ipd": "Graduate scheme " * 4,
                "dap": "Lead a design review", "evidence": "CV-2; R-1"}
    return {**record, "id": record["id"] + "-FULL", "competences": dict.fromkeys(COMPETENCE_CODES, evidence)}


def sample_documents() -> list[tuple[str, bytes]]:
    """The sample applicants' forms, and the first one's with a full cross-reference table."""
    manifest = load_manifest(ROOT / "manifest.yaml")
    records = yaml.safe_load((ROOT / "data" / "applicants.yaml").read_text(encoding="utf-8"))
    records.append(with_full_table(records[0]))
    docs = []
    for record in records:
        for doc in render_applicant(Applicant.model_validate(record), manifest, ["zh", "en"], today=TODAY):
            if doc.doc_id in ("registration_form", "cross_reference", "cpd_record"):
                docs.append((f"{doc.doc_id}/{doc.lang}", doc.docx))
    return docs


@pytest.mark.needs_office
@pytest.mark.slow
def test_every_page_is_the_same_as_a_conversion_on_its_own(converter, tmp_path: Path) -> None:
    documents = sample_documents()
    assert len({key for key, _ in documents}) == 6  # three templates, two languages
    together = merge.convert_documents(documents, converter, tmp_path / "work")
    compared = 0
    for index, ((key, docx), pdf) in enumerate(zip(documents, together, strict=True)):
        assert isinstance(pdf, bytes), (key, pdf)
        alone_docx = tmp_path / f"alone-{index}.docx"
        alone_docx.write_bytes(docx)
        converter.convert(alone_docx, alone_docx.with_suffix(".pdf"))
        merged_pdf = tmp_path / f"merged-{index}.pdf"
        merged_pdf.write_bytes(pdf)
        alone = page_images(alone_docx.with_suffix(".pdf"))
        assert page_images(merged_pdf) == alone, key
        compared += len(alone)
    assert compared > len(documents)  # some documents run to more than one page


@pytest.mark.needs_office
def test_a_cross_reference_table_keeps_its_second_page(converter, tmp_path: Path) -> None:
    """The samples' tables fit on one page; the full one runs onto more, and each document
    split from the merged PDF keeps all its own pages."""
    documents = [d for d in sample_documents() if d[0] == "cross_reference/en"]
    pdfs = merge.convert_documents(documents, converter, tmp_path / "work")
    pages = [len(PdfReader(io.BytesIO(p)).pages) for p in pdfs]
    assert pages[:-1] == [1] * (len(documents) - 1) and pages[-1] >= 2, pages
    first_pages = [PdfReader(io.BytesIO(p)).pages[0].extract_text() for p in pdfs]
    assert all("Cross-Reference Table" in text for text in first_pages)
    assert "Page 2" in PdfReader(io.BytesIO(pdfs[-1])).pages[1].extract_text()


def test_a_page_total_in_the_footer_keeps_a_document_out_of_merging(tmp_path: Path) -> None:
    doc = Document()
    doc.add_paragraph("Body")
    footer = doc.sections[0].footer.paragraphs[0]
    footer._p.append(footer._p.makeelement(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}fldSimple",
        {"{http://schemas.openxmlformats.org/wordprocessingml/2006/main}instr": "NUMPAGES"},
    ))
    buffer = io.BytesIO()
    doc.save(buffer)
    assert merge.can_merge(buffer.getvalue()) is False
    assert merge.can_merge(sample_documents()[0][1]) is True
    assert merge.can_merge(b"not a zip") is False


@pytest.mark.needs_office
def test_a_broken_document_fails_alone(converter, tmp_path: Path) -> None:
    documents = [d for d in sample_documents() if d[0] == "cpd_record/zh"][:3]
    documents.insert(1, ("cpd_record/zh", b"PK\x03\x04 this is not a document"))
    pdfs = merge.convert_documents(documents, converter, tmp_path / "work")
    assert isinstance(pdfs[1], ConversionError)
    assert "could not convert" in str(pdfs[1])
    for index in (0, 2, 3):
        text = PdfReader(io.BytesIO(pdfs[index])).pages[0].extract_text()
        assert "继续职业发展纪录" in text
