"""The web page reads a filled form: uploading a DOCX fills in the page, as extract reads it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from conftest import MANIFEST_FILE, TODAY, example_dict, upload
from fastapi.testclient import TestClient
from notice_form import notice_form

from formgen.forms.documents import render_document
from formgen.model.applicant import Applicant
from formgen.model.manifest import load_manifest


def test_uploading_formgens_filled_form_fills_in_the_page(page_client: TestClient) -> None:
    applicant = Applicant.model_validate(example_dict())
    form = render_document(applicant, "registration_form", "zh", load_manifest(MANIFEST_FILE),
                           dt.date.fromisoformat(TODAY))
    r = upload(page_client, "报名表.docx", form.docx)
    assert r.status_code == 200, r.text[:300]
    assert 'value="李晓明"' in r.text and 'value="三峡大学"' in r.text
    assert 'value="li.xiaoming@example.com"' in r.text
    assert 'value="csee-iet:IEng" selected' in r.text


def test_uploading_the_notice_form_fills_in_the_page(page_client: TestClient, tmp_path: Path) -> None:
    r = upload(page_client, "form.docx", notice_form(tmp_path / "form.docx").read_bytes(), lang="en")
    assert r.status_code == 200, r.text[:300]
    assert 'value="李晓明"' in r.text and 'value="LI Xiaoming"' in r.text


def test_a_pdf_renamed_docx_is_refused(page_client: TestClient) -> None:
    r = upload(page_client, "form.docx", b"%PDF-1.7\n", lang="en")
    assert r.status_code == 400
    assert "this is a PDF file, not a Word document, whatever its name says" in r.text


def test_uploading_one_form_restores_the_whole_record_it_carries(page_client: TestClient) -> None:
    """A registration form in Chinese gives the English values and the unit too (the form
    carries the record): no problem to correct."""
    applicant = Applicant.model_validate(example_dict())
    form = render_document(applicant, "registration_form", "zh", load_manifest(MANIFEST_FILE),
                           dt.date.fromisoformat(TODAY))
    r = upload(page_client, "报名表.docx", form.docx, lang="en")
    assert r.status_code == 200, r.text[:300]
    assert 'value="LI Xiaoming"' in r.text and 'value="Senior Engineer"' in r.text
    assert 'name="unit" id="f-unit" value="中国电力建设集团有限公司"' in r.text
    assert "problems to correct" not in r.text and "problem to correct" not in r.text


def test_a_cross_reference_table_alone_says_which_forms_are_still_needed(page_client: TestClient) -> None:
    """A blank cross-reference table, filled in: the page takes what it carries and names
    the forms still needed, instead of a list of fields required."""
    import io

    from docx import Document

    from formgen.forms.blank import render_blank

    manifest = load_manifest(MANIFEST_FILE)
    blank = render_blank(manifest, "csee-iet", "CEng", "cross_reference", "en", dt.date.fromisoformat(TODAY))
    doc = Document(io.BytesIO(blank.docx))
    typed = _type_into(doc, "competences.A1.roles.en", "Led the design of a 500 kV substation.")
    assert typed
    out = io.BytesIO()
    doc.save(out)
    r = upload(page_client, "Cross-reference.docx", out.getvalue(), lang="en")
    assert r.status_code == 200, r.text[:300]
    assert "Led the design of a 500 kV substation." in r.text
    assert 'value="csee-iet:CEng" selected' in r.text
    assert ("Filled in from your Cross-Reference Table: what it carries. Still needed: "
            "Registration Form for Professional Registration, Continuous Professional Development Record."
            ) in r.text.replace("\n", " ")
    assert "is required" not in r.text and "problems to correct" not in r.text
    r = upload(page_client, "Cross-reference.docx", out.getvalue(), lang="zh")
    assert "尚需：" in r.text


def _type_into(doc: object, tag: str, text: str) -> bool:
    """Type ``text`` into the content control tagged ``tag``, as a person does."""
    from lxml import etree

    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    for sdt in doc.element.body.iter(f"{w}sdt"):  # type: ignore[attr-defined]
        found = sdt.find(f"{w}sdtPr/{w}tag")
        if found is not None and found.get(f"{w}val") == tag:
            content = sdt.find(f"{w}sdtContent")
            texts = list(content.iter(f"{w}t"))
            if not texts:
                texts = [etree.SubElement(next(content.iter(f"{w}r")), f"{w}t")]
            texts[0].text = text
            for extra in texts[1:]:
                extra.text = ""
            return True
    return False


def test_the_blank_forms_of_one_visit_share_a_key_and_come_back_as_one_person(
        page_client: TestClient, tmp_path: Path) -> None:
    """The Chinese and English blank forms downloaded from one page carry one form key, so
    the record read back from both is one person's, with both languages' names."""
    import io
    import re

    import yaml
    from conftest import cli
    from docx import Document

    from formgen.extract.document import read_document

    page = page_client.get("/?lang=en").text
    key = re.search(r'name="form_key" value="([^"]+)"', page)
    assert key is not None
    other = re.search(r'name="form_key" value="([^"]+)"', page_client.get("/?lang=en").text)
    assert other is not None and other[1] != key[1]  # another visit, another key
    filled = []
    for lang, name in (("zh", "王强"), ("en", "WANG Qiang")):
        r = page_client.post("/?lang=en", data={"lang": "en", "programme_grade": "csee-iet:IEng", "unit": "国家电网有限公司",
                                           "form_key": key[1], "action": f"blank:registration_form:{lang}"})
        assert r.status_code == 200 and read_document(r.content).key == key[1]
        assert read_document(r.content).carried == {"programme": "csee-iet", "grade": "IEng", "unit": "国家电网有限公司"}
        doc = Document(io.BytesIO(r.content))
        assert _type_into(doc, f"name.{lang}", name) and _type_into(doc, "email", "wang.qiang@example.com")
        out = io.BytesIO()
        doc.save(out)
        filled.append((f"form-{lang}.docx", out.getvalue()))
    for name, data in filled:
        (tmp_path / name).write_bytes(data)
    result = cli("extract", tmp_path / filled[0][0], tmp_path / filled[1][0], "--out", tmp_path / "back.yaml")
    back = yaml.safe_load((tmp_path / "back.yaml").read_text(encoding="utf-8"))
    assert len(back) == 1, result.output
    assert back[0]["name"] == {"zh": "王强", "en": "WANG Qiang"}
    assert back[0]["unit"] == "国家电网有限公司"  # the page's, carried by the blank forms
    r = upload(page_client, filled[0][0], filled[0][1], lang="en")
    assert 'name="unit" id="f-unit" value="国家电网有限公司"' in r.text and 'value="王强"' in r.text
