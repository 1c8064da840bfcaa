"""The web page reads a filled form: uploading a DOCX fills in the page, as extract reads it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import MANIFEST_FILE, TODAY, example_dict
from fastapi.testclient import TestClient
from notice_form import notice_form

from formgen.forms.documents import render_document
from formgen.model.applicant import Applicant
from formgen.model.manifest import load_manifest
from formgen.web.app import create_app

SECRET = "a-test-secret-of-some-length"


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FORMGEN_TODAY", TODAY)
        with TestClient(create_app(secret=SECRET)) as c:
            yield c


def upload(client: TestClient, name: str, data: bytes, lang: str = "zh") -> object:
    return client.post(f"/upload?lang={lang}", files={"file": (name, data, "application/octet-stream")})


def test_uploading_formgens_filled_form_fills_in_the_page(client: TestClient) -> None:
    applicant = Applicant.model_validate(example_dict())
    form = render_document(applicant, "registration_form", "zh", load_manifest(MANIFEST_FILE),
                           dt.date.fromisoformat(TODAY))
    r = upload(client, "报名表.docx", form.docx)
    assert r.status_code == 200, r.text[:300]
    assert 'value="李晓明"' in r.text and 'value="三峡大学"' in r.text
    assert 'value="li.xiaoming@example.com"' in r.text
    assert 'value="csee-iet:IEng" selected' in r.text


def test_uploading_the_notice_form_fills_in_the_page(client: TestClient, tmp_path: Path) -> None:
    r = upload(client, "form.docx", notice_form(tmp_path / "form.docx").read_bytes(), lang="en")
    assert r.status_code == 200, r.text[:300]
    assert 'value="李晓明"' in r.text and 'value="LI Xiaoming"' in r.text


def test_a_pdf_renamed_docx_is_refused(client: TestClient) -> None:
    r = upload(client, "form.docx", b"%PDF-1.7\n", lang="en")
    assert r.status_code == 400
    assert "this is a PDF file, not a Word document, whatever its name says" in r.text
