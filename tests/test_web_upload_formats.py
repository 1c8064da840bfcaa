"""The web page reads a filled form in every format ``formgen extract`` reads: a ``.doc``,
``.odt`` or ``.rtf`` saved by LibreOffice is saved as DOCX by the app's own locked-down
LibreOffice (through the conversion queue) and read as extract reads it; a file refused
by extract's checks is refused in the page's words, never with a traceback."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
from conftest import MANIFEST_FILE, TODAY, example_dict, upload
from fastapi.testclient import TestClient

from formgen.forms.documents import render_document
from formgen.model.applicant import Applicant
from formgen.model.manifest import load_manifest

pytestmark = [pytest.mark.needs_office, pytest.mark.slow]

FORMATS = ("doc", "odt", "rtf")


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The filled Chinese registration form, as LibreOffice saves it in each format."""
    from formgen.office.process import soffice_path

    root = tmp_path_factory.mktemp("upload-formats")
    applicant = Applicant.model_validate(example_dict())
    form = root / "报名表.docx"
    form.write_bytes(render_document(applicant, "registration_form", "zh", load_manifest(MANIFEST_FILE),
                                     dt.date.fromisoformat(TODAY)).docx)
    for fmt in FORMATS:
        subprocess.run([str(soffice_path()), f"-env:UserInstallation={(root / 'profile').as_uri()}",
                        "--headless", "--convert-to", fmt, "--outdir", str(root), str(form)],
                       check=True, capture_output=True, timeout=300)
    return {fmt: (root / f"报名表.{fmt}").read_bytes() for fmt in FORMATS}



@pytest.mark.parametrize("fmt", FORMATS)
def test_a_form_saved_by_libreoffice_fills_in_the_page(page_client: TestClient, saved: dict[str, bytes],
                                                       fmt: str) -> None:
    assert saved[fmt][:4] in (b"\xd0\xcf\x11\xe0", b"PK\x03\x04", b"{\\rt")  # the format itself
    r = upload(page_client, f"报名表.{fmt}", saved[fmt])
    assert r.status_code == 200, r.text[:300]
    assert 'value="李晓明"' in r.text and 'value="三峡大学"' in r.text
    assert 'value="li.xiaoming@example.com"' in r.text
    assert 'value="csee-iet:IEng" selected' in r.text


def test_the_name_does_not_decide_the_format(page_client: TestClient, saved: dict[str, bytes]) -> None:
    """An .odt named .docx is converted as an .odt; a .docx named .doc is read as it is."""
    r = upload(page_client, "报名表.docx", saved["odt"], lang="en")
    assert r.status_code == 200, r.text[:300]
    assert 'value="李晓明"' in r.text


@pytest.mark.parametrize(("name", "data", "en", "zh"), [
    ("form.doc", b"%PDF-1.7\n", "this is a PDF file, not a Word document, whatever its name says",
     "这是PDF文件，不是Word文档（文件名后缀与内容不符）"),
    ("form.rtf", b"", "This file is empty.", "此文件是空的。"),
    ("form.odt", b"PK\x03\x04 not really a zip", "the file is damaged and cannot be read", "文件已损坏，无法读取"),
])
def test_a_file_that_is_not_a_form_is_refused_in_words(page_client: TestClient, name: str, data: bytes,
                                                       en: str, zh: str) -> None:
    r = upload(page_client, name, data, lang="en")
    assert r.status_code == 400
    assert en in r.text
    r = upload(page_client, name, data, lang="zh")
    assert r.status_code == 400
    assert zh in r.text


def test_a_form_libreoffice_cannot_open_is_refused_in_words(page_client: TestClient,
                                                            saved: dict[str, bytes]) -> None:
    """An OpenDocument file that passes the checks but that LibreOffice cannot open: the
    page says what to do, and names no file of the server's."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", "<not xml")
    for lang, words in [
        ("en", "This form could not be opened to be read. Save it as a Word document (.docx) in "
               "Word, WPS or LibreOffice and open that."),
        ("zh", "无法打开并读取此表格。请在 Word、WPS 或 LibreOffice 中将它另存为 Word 文档（.docx），再打开该文件。"),
    ]:
        r = upload(page_client, "form.odt", buffer.getvalue(), lang=lang)
        assert r.status_code == 400
        assert words in r.text
        assert "formgen-extract" not in r.text and "Traceback" not in r.text
    r = upload(page_client, "报名表.odt", saved["odt"])  # the app's LibreOffice still converts
    assert r.status_code == 200 and 'value="李晓明"' in r.text
