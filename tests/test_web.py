"""The web app, end to end with the real converter: pages, uploads, links, API, load."""

from __future__ import annotations

import io
import json
import logging
import re
import subprocess
import threading
import warnings
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from click.testing import CliRunner
from conftest import Live, upload

with warnings.catch_warnings():  # starlette's note that it prefers httpx2
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from formgen.links.tokens import json_safe, make_token
from formgen.load import load_bytes
from formgen.office.converter import Converter
from formgen.settings import Paths
from formgen.web import create_app, web_settings
from formgen.web.parsing import ParseLimits

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "data" / "applicant-example.yaml"
SECRET = "test-secret-for-links-0123456789"
MB = 1024 * 1024
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# ----------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module", autouse=True)
def fixed_today(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FORMGEN_TODAY", "2026-11-23")
        mp.delenv("FORMGEN_SECRET", raising=False)
        mp.setenv("FORMGEN_LINK_STORE", str(tmp_path_factory.mktemp("default-store") / "links.sqlite"))
        yield


@pytest.fixture(scope="module")
def converter() -> Iterator[Converter]:
    with Converter(workers=2) as conv:
        yield conv


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("store") / "links.sqlite"


@pytest.fixture(scope="module")
def client(converter: Converter, store: Path) -> Iterator[TestClient]:
    with TestClient(create_app(web_settings(paths=Paths(link_store=store)), secret=SECRET, converter=converter)) as c:
        yield c


@pytest.fixture(scope="module")
def record() -> dict[str, Any]:
    return json_safe(load_bytes(EXAMPLE.name, EXAMPLE.read_bytes())[0].data)


def form_fields(record: dict[str, Any], **extra: str) -> dict[str, str]:
    """The form inputs, named by record path, that describe ``record``."""
    out: dict[str, str] = {}

    def put(path: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                put(f"{path}.{key}", item)
        elif isinstance(value, list):
            for i, item in enumerate(value, start=1):
                put(f"{path}[{i}]", item)
        elif value is not None:
            out[path] = str(value).lower() if isinstance(value, bool) else str(value)

    for key, value in record.items():
        if key in ("programme", "grade"):
            continue
        put(key, value)
    out["programme_grade"] = f"{record['programme']}:{record['grade']}"
    # a plain value stands for both languages; the form has an input per language
    local = {"name", "job_title", "expertise", "company", "company_address", "english_level"}
    for key in list(out):
        head = re.sub(r"\[\d+\]", "", key)
        if head in local or re.fullmatch(r"(education|career|cpd)\.(qualification|course|institution|company|job_title|responsibilities|description|organizer)", head) \
                or re.fullmatch(r"competences\.\w+\.\w+", head):
            value = out.pop(key)
            out[f"{key}.zh"] = out[f"{key}.en"] = value
    out.update(extra)
    return out


def zip_names(data: bytes) -> list[str]:
    return zipfile.ZipFile(io.BytesIO(data)).namelist()


def docx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    return re.sub(r"<[^>]+>", "", xml)


def pdf_text(data: bytes, tmp_path: Path) -> str:
    pdf = tmp_path / "out.pdf"
    pdf.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def field_box(html: str, input_id: str) -> str:
    """The HTML of the form field (label, hint, messages, inputs) that holds ``input_id``."""
    at = html.index(f'id="{input_id}"')
    start = max(html.rfind('<div class="field', 0, at), html.rfind('<fieldset class="field', 0, at))
    end = min(i for i in (html.find('<div class="field', at), html.find('<fieldset class="field', at), len(html)) if i > 0)
    return html[start:end]


# ----------------------------------------------------------------------------- the page

def test_page_is_chinese_by_default(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    html = r.text
    assert '<html lang="zh-CN">' in html
    for words in ("国际工程师资格申请表格", "姓名", "性别", "工作单位", "教育经历", "工作经历",
                  "继续专业发展", "交叉对照表格", "继续填写已保存的答案", "下载全部文件（ZIP）", "英语面试"):
        assert words in html, words
    assert 'href="/?lang=en"' in html and ">English</a>" in html
    assert "Download all documents" not in html
    # grade names as each programme's notice translates them
    assert "CSEE–IET · 主任工程师 (IEng)" in html and "CMES–SOE · 技术工程师 (IEng)" in html


def test_page_in_english_with_the_switch(client: TestClient) -> None:
    html = client.get("/?lang=en").text
    assert '<html lang="en">' in html
    for words in ("Application forms for international engineer registration", "Name", "Gender",
                  "Education", "Career", "Continuing professional development", "Continue with answers you saved",
                  "Download all documents (ZIP)", "English interview"):
        assert words in html, words
    assert 'href="/?lang=zh"' in html and ">中文</a>" in html
    for chinese_label in ("姓名", "工作经历", "下载全部文件"):
        assert chinese_label not in html
    # the form posts back in the same language
    assert 'action="/?lang=en"' in html and 'name="lang" value="en"' in html
    # every programme and grade in its own terms, from the manifest
    assert "CSEE–IET · Incorporated Engineer (IEng)" in html and "CMES–SOE · Incorporated Engineer (IEng)" in html


def test_rows_added_and_deleted_without_javascript(client: TestClient) -> None:
    html = client.get("/").text
    assert 'name="career[1].start"' in html and 'name="career[2].start"' not in html
    assert 'value="add:career"' in html and 'value="delete:career:1"' in html  # the no-script ways
    more = client.post("/", data={"lang": "zh", "action": "add:career", "career[1].start": "2023-04",
                                  "career[2].start": ""})
    assert more.url.fragment == "f-career-3"  # the new row, after a redirect
    assert 'name="career[3].start"' in more.text and 'value="2023-04"' in more.text
    rows = {"career[1].start": "2023-04", "career[2].start": "2019-01", "career[2].end": "2023-03",
            "career[3].start": "2015-07"}
    fewer = client.post("/", data={"lang": "zh", "action": "delete:career:2", **rows})
    assert 'value="2019-01"' not in fewer.text and 'value="2023-03"' not in fewer.text
    # the rows after the deleted one move up, and as many blank rows stay as there were
    assert re.search(r'name="career\[2\]\.start" id="f-career-2-start" value="2015-07"', fewer.text)
    assert 'name="career[3].start"' not in fewer.text


def test_errors_next_to_the_field_in_the_page_language(client: TestClient, record: dict[str, Any]) -> None:
    fields = form_fields(record, email="li.xiaoming(at)example", action="check")
    fields["career[1].start"], fields["career[1].end"] = "2024-05", "2023-01"
    del fields["name.en"], fields["name.zh"]
    r = client.post("/?lang=en", data=fields)
    assert r.status_code == 200 and len(r.history) == 1 and r.history[0].status_code == 303
    html = r.text
    assert "<title>3 problems to correct – Application forms" in html
    email = field_box(html, "f-email")
    assert 'value="li.xiaoming(at)example"' in email  # what was typed stays
    said = re.search(r'<p class="field-msg error" id="([^"]+)"><span class="visually-hidden">Error: </span>'
                     r"&#39;li.xiaoming\(at\)example&#39; is not an email address</p>", email)
    assert said, email
    assert f'aria-describedby="{said.group(1)}" aria-invalid="true"' in email  # tied to the input
    name = field_box(html, "f-name-zh")
    assert "is missing: write it in Chinese, in English, or both" in name
    assert name.count('aria-invalid="true"') == 2  # both inputs of the pair
    end = field_box(html, "f-career-1-end")
    assert "ends (January 2023) before it starts (May 2024)" in end  # months by Babel
    assert 'value="2023-01"' in end
    # the summary, focused when the page opens, links to the inputs themselves
    assert '<div class="summary error" id="errors" tabindex="-1" autofocus' in html
    for target in ("f-name-zh", "f-email", "f-career-1-end"):
        assert f'<li><a href="#{target}">' in html
    assert 'role="alert"' not in html.split('id="errors"')[1]  # fields do not shout
    assert 'value="三峡大学"' in html and 'action="/?lang=en"' in html

    zh = client.post("/?lang=zh", data=fields).text
    assert "此项为必填项：请填写中文、英文或两者。" in field_box(zh, "f-name-zh")
    assert "“li.xiaoming(at)example”不是有效的电子邮箱地址。" in field_box(zh, "f-email")
    assert "结束时间（2023年1月）早于开始时间（2024年5月）。" in field_box(zh, "f-career-1-end")
    assert "<title>有3处需要修改 – 国际工程师资格申请表格</title>" in zh


@pytest.mark.needs_office
def test_check_then_download_the_pack_from_the_form(client: TestClient, record: dict[str, Any]) -> None:
    ok = client.post("/?lang=zh", data=form_fields(record, action="check"))
    assert ok.status_code == 200
    assert "资料已填写完整" in ok.text and "工程能力评价/国际工程师资质认证报名表" in ok.text
    r = client.post("/?lang=zh", data=form_fields(record, action="pack"))
    assert r.status_code == 200, r.text[:500]
    assert r.headers["content-type"] == "application/zip"
    assert r.headers["cache-control"] == "no-store"
    names = zip_names(r.content)
    assert "zh/报名表-李晓明.pdf" in names and "en/Registration-Form-LI Xiaoming.docx" in names
    expected = quote("CSEE-2026-0007-李晓明.zip")
    assert r.headers["content-disposition"] == f"attachment; filename=\"CSEE-2026-0007.zip\"; filename*=UTF-8''{expected}"


@pytest.mark.needs_office
def test_one_document_from_the_form(client: TestClient, record: dict[str, Any], tmp_path: Path) -> None:
    fields = form_fields(record, action="document", doc="cpd_record", doc_lang="en", format="pdf")
    r = client.post("/?lang=zh", data=fields)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert "LI Xiaoming" in pdf_text(r.content, tmp_path)
    wrong = client.post("/?lang=zh", data={**fields, "action": "doc:cmes_endorsement:zh:pdf"})
    assert wrong.status_code == 200 and wrong.url.fragment == "errors"
    summary = wrong.text.split('id="errors"')[1].split("</div>")[0]
    assert "<a href=\"#download\">文件：CSEE–IET项目主任工程师申请人不需要“CMES会员申请批注表”，请选择其他文件。</a>" in summary


# ----------------------------------------------------------------------------- API

def test_api_render_docx(client: TestClient, record: dict[str, Any]) -> None:
    r = client.post("/api/render?doc=registration_form&lang=zh&format=docx", json=record)
    assert r.status_code == 200
    assert r.headers["content-type"] == DOCX
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["content-disposition"] == (
        "attachment; filename=\"CSEE-2026-0007-registration_form-zh.docx\"; "
        "filename*=UTF-8''%E6%8A%A5%E5%90%8D%E8%A1%A8-%E6%9D%8E%E6%99%93%E6%98%8E.docx"
    )
    text = docx_text(r.content)
    assert "李晓明" in text and "三峡大学" in text and "中国水利水电第八工程局有限公司" in text


@pytest.mark.needs_office
def test_api_render_pdf(client: TestClient, record: dict[str, Any], tmp_path: Path) -> None:
    r = client.post("/api/render?doc=registration_form&lang=en&format=pdf", json=record)
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert r.headers["content-disposition"].startswith('attachment; filename="Registration-Form-LI Xiaoming.pdf"; ')
    text = pdf_text(r.content, tmp_path)
    assert "LI Xiaoming" in text and "China Three Gorges University" in text


@pytest.mark.needs_office
def test_api_pack(client: TestClient, record: dict[str, Any]) -> None:
    r = client.post("/api/pack", json=record)
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    names = zip_names(r.content)
    assert {n.split("/")[0] for n in names} == {"zh", "en", "pack.json"}
    assert sum(n.endswith(".pdf") for n in names) == sum(n.endswith(".docx") for n in names) == 8
    meta = json.loads(zipfile.ZipFile(io.BytesIO(r.content)).read("pack.json"))
    assert meta["name"] == {"zh": "李晓明", "en": "LI Xiaoming"}


def test_api_invalid_data_gets_field_errors(
    client: TestClient, record: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = {k: v for k, v in record.items() if k != "name"}
    bad["email"] = "nope"
    bad["career"] = [dict(record["career"][0], start="2024-05", end="2023-01")]
    r = client.post("/api/render?doc=registration_form", json=bad)
    assert r.status_code == 422
    errors = r.json()["errors"]
    assert errors == [
        {"field": "name", "message": "is missing", "code": "field.missing"},
        {"field": "email", "message": "'nope' is not an email address", "code": "value.not-an-email-address"},
        {"field": "career[1].end", "message": "ends (January 2023) before it starts (May 2024)",
         "code": "rule.ends-before-start"},
    ]
    # the API speaks English whatever the document's language or the server's locale
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    zh = client.post("/api/render?doc=registration_form&lang=zh", json=bad)
    assert zh.json()["errors"] == errors
    pack = client.post("/api/pack", json=bad)
    assert pack.status_code == 422 and pack.json()["errors"] == errors


def test_api_invalid_requests(client: TestClient, record: dict[str, Any]) -> None:
    r = client.post("/api/render?doc=registration_form&lang=fr", json=record)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "lang"
    assert r.json()["errors"][0]["code"] == "api.invalid-parameter"
    r = client.post("/api/render?doc=no_such_doc", json=record)
    assert r.status_code == 422 and r.json()["errors"] == [{
        "field": "doc", "code": "api.unknown-document",
        "message": "'no_such_doc' is not a document; the documents are: registration_form, cpd_record, "
                   "cross_reference, career_history, cmes_endorsement, fee_notice, submission_checklist",
    }]
    r = client.post("/api/render?doc=cmes_endorsement", json=record)
    assert r.status_code == 422 and r.json()["errors"] == [{
        "field": "doc", "code": "api.document-not-needed",
        "message": "csee-iet IEng applicants do not need 'cmes_endorsement'",
    }]
    r = client.post("/api/pack", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and "not valid JSON" in r.json()["errors"][0]["message"]
    assert r.json()["errors"][0]["code"] == "api.body-not-json"
    r = client.post("/api/pack", content=b'{"id": "A-1",\n "id": "A-2"}',
                    headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.json()["errors"][0]["message"] == "the key 'id' is given twice (lines 1 and 2)"
    r = client.post("/api/pack", json=[record])
    assert r.status_code == 422
    r = client.post("/api/pack", content=b"{" + b" " * (3 * MB) + b"}", headers={"content-type": "application/json"})
    assert r.status_code == 413 and "2 MB" in r.json()["errors"][0]["message"]


def test_openapi_describes_the_applicant_body(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/api/render", "/api/pack"):
        op = spec["paths"][path]["post"]
        body = op["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": "#/components/schemas/Applicant"}
        assert op["responses"]["422"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Errors"}
    applicant = spec["components"]["schemas"]["Applicant"]
    assert {"name", "email", "career", "education", "cpd", "competences", "cmes", "soe"} <= set(applicant["properties"])
    assert "Career" in spec["components"]["schemas"] and "LocalText" in spec["components"]["schemas"]
    assert not any(p.startswith(("/f/", "/d/")) or p == "/" for p in spec["paths"])


def test_nothing_lists_or_reaches_applicants(client: TestClient) -> None:
    def paths(routes: list[Any]) -> Iterator[str]:
        for route in routes:
            inner = getattr(route, "original_router", None)  # an included router
            yield from paths(inner.routes) if inner is not None else [route.path]

    assert sorted(paths(client.app.routes)) == [  # type: ignore[attr-defined]
        "/", "/", "/api/pack", "/api/render", "/blank.yaml", "/d/{token}", "/email-link",
        "/f/{token}", "/health", "/openapi.json", "/static", "/upload"]
    assert client.get("/health").text == "ok"  # for a load balancer: says nothing of anyone
    # /email-link sends only the link its form carries, to the address typed (test_web_mail.py)
    assert client.get("/f/").status_code == 404
    # /d/{token} hands over only the file sealed under the key its link holds (test_downloads.py)
    assert client.get("/d/").status_code == 404
    assert client.get("/api/pack").status_code == 405


# ----------------------------------------------------------------------------- uploads

def xlsx_of(record: dict[str, Any]) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    main = wb.active
    main.title = "applicants"
    flat = {k: v for k, v in form_fields(record).items() if not re.match(r"(education|career|cpd|competences)", k)}
    flat.pop("programme_grade")
    flat.update(programme=record["programme"], grade=record["grade"])
    main.append(list(flat))
    main.append(list(flat.values()))
    for group in ("education", "career"):
        ws = wb.create_sheet(group)
        rows = [{"id": record["id"], **{f"{k}.zh" if isinstance(v, dict) else k: (v["zh"] if isinstance(v, dict) else v)
                                          for k, v in entry.items()}} for entry in record[group]]
        ws.append(list(rows[0]))
        for row in rows:
            ws.append(list(row.values()))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_upload_fills_in_the_form(client: TestClient, record: dict[str, Any]) -> None:
    for name, data in (
        ("me.yaml", EXAMPLE.read_bytes()),
        ("me.json", json.dumps(record, ensure_ascii=False).encode()),
        ("me.xlsx", xlsx_of(record)),
    ):
        r = upload(client, name, data)
        assert r.status_code == 200, (name, r.text[:300])
        assert r.headers["cache-control"] == "no-store"
        assert 'value="李晓明"' in r.text and 'value="三峡大学"' in r.text, name
        assert 'value="csee-iet:IEng" selected' in r.text


def test_upload_limits(client: TestClient) -> None:
    r = upload(client, "big.yaml", b"#" * (2 * MB + 1))
    assert r.status_code == 413 and "文件超过2 MB，未予读取。" in r.text
    r = upload(client, "huge.yaml", b"#" * (5 * MB), lang="en")
    assert r.status_code == 413 and "The file or form is larger than 2 MB; it was not read." in r.text
    r = upload(client, "fake.xlsx", b"name: not a workbook\n")
    assert r.status_code == 400 and "这不是 XLSX 工作簿" in r.text
    r = upload(client, "fake.json", b"name: {zh: not json}\n", lang="en")
    assert r.status_code == 400 and "This is not a valid JSON file." in r.text
    r = upload(client, "notes.txt", b"hello")
    assert r.status_code == 400 and ("请打开从本页面保存的文件（.yaml）、项目办公室提供的数据文件（.yaml、.yml、"
                                     ".json 或 .xlsx），或您填好的 Word 表格（.docx、.doc、.odt 或 .rtf）。") in r.text
    r = upload(client, "notes.txt", b"hello", lang="en")
    assert r.status_code == 400 and ("Open the file you saved from this page (.yaml), a data file from the "
                                     "programme office (.yaml, .yml, .json or .xlsx), or a form you filled in "
                                     "(.docx, .doc, .odt or .rtf).") in r.text


def _xlsx_with(part: str, xml: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr(part, xml)
    return buffer.getvalue()


@pytest.mark.slow
def test_hostile_uploads_are_refused_quickly(client: TestClient, tmp_path: Path) -> None:
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text("root:do-not-show-this")
    xxe = _xlsx_with("xl/workbook.xml", (
        f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file://{secret_file}">]>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets>&e;</sheets></workbook>'
    ).encode())
    laughs = _xlsx_with("xl/sharedStrings.xml", (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
        + ']><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol9;</t></si></sst>'
    ).encode())
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", b"<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (150 * MB))
    marker = tmp_path / "ran"
    code_tag = f'!!python/object/apply:os.system ["touch {marker}"]\n'.encode()
    cases = [
        ("external-entity.xlsx", xxe, "DOCTYPE 或 ENTITY"),
        ("billion-laughs.xlsx", laughs, "DOCTYPE 或 ENTITY"),
        ("zip-bomb.xlsx", bomb.getvalue(), "其中 xl/worksheets/sheet1.xml 解压后为 150 MB，最多读取 16 MB"),
        ("code.yaml", code_tag, "不允许的标签"),
        ("code2.yaml", b"name: !!python/name:os.system\n", "不允许的标签"),
    ]
    for name, data, words in cases:
        assert len(data) < 2 * MB, name
        r = upload(client, name, data)
        assert r.status_code == 400, (name, r.status_code)
        assert words in r.text, name
        assert "do-not-show-this" not in r.text
    assert not marker.exists()


# ----------------------------------------------------------------------------- privacy

def test_static_files_and_headers(client: TestClient) -> None:
    r = client.get("/static/style.css")
    assert r.status_code == 200 and "public" in r.headers["cache-control"]
    page = client.get("/")
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_no_token_in_logs(
    converter: Converter, record: dict[str, Any], store: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, rec: logging.LogRecord) -> None:
            records.append(rec)

    token = make_token(record, SECRET)  # a long signed link of earlier versions
    keep = Keep()
    for access_log in (True, False):
        app = create_app(web_settings(paths=Paths(link_store=store)), secret=SECRET, converter=converter)
        with Live(app, access_log=access_log) as live:
            for name in ("", "uvicorn", "uvicorn.access", "uvicorn.error", "formgen"):
                logging.getLogger(name).addHandler(keep)
            try:
                with httpx.Client(base_url=live.url) as http:
                    assert http.get(f"/f/{token}?lang=en&email=li.xiaoming@example.com").status_code == 200
                    assert http.get(f"/f/{token[:-4]}").status_code == 403
                    assert http.post("/api/render?doc=registration_form", json=record).status_code == 200
            finally:
                for name in ("", "uvicorn", "uvicorn.access", "uvicorn.error", "formgen"):
                    logging.getLogger(name).removeHandler(keep)
    out, err = capfd.readouterr()
    logged = "\n".join(r.getMessage() for r in records) + out + err
    assert "GET /f/… HTTP/1.1" in logged  # the access log ran, without the token
    assert token[:40] not in logged and "lang=en" not in logged
    assert "li.xiaoming" not in logged and "李晓明" not in logged


# ----------------------------------------------------------------------------- load

def _applicant(record: dict[str, Any], i: int) -> dict[str, Any]:
    return {**record, "id": f"CSEE-2026-{100 + i:04d}", "name": {"zh": f"李{i}号", "en": f"LI Number{i}"}}


class Held:
    """The real converter, with a gate in front: a request that needs PDFs waits at the
    gate until ``release()``, so a test knows its documents are still being made.
    ``wait_for(n)`` returns once ``n`` requests are waiting there."""

    def __init__(self, converter: Converter):
        self.converter = converter
        self._open = threading.Event()
        self._arrived = threading.Condition()
        self.waiting = 0

    def convert_many(self, jobs: Any, on_done: Any = None) -> Any:
        if not self._open.is_set():
            with self._arrived:
                self.waiting += 1
                self._arrived.notify_all()
            if not self._open.wait(300):
                raise RuntimeError("the test never released the converter")
        return self.converter.convert_many(jobs, on_done)

    def wait_for(self, count: int) -> None:
        with self._arrived:
            arrived = self._arrived.wait_for(lambda: self.waiting >= count, timeout=120)
        assert arrived, f"{self.waiting} of {count} requests reached the converter"

    def release(self) -> None:
        self._open.set()


@pytest.mark.needs_office
@pytest.mark.slow
def test_twenty_downloads_at_once(converter: Converter, record: dict[str, Any]) -> None:
    """Twenty applicants at once: every fourth takes the whole pack, the others one PDF;
    the page is answered while all twenty are still waiting for their documents."""
    held = Held(converter)
    # twenty bodies read at once by a few child processes: on a busy machine the last ones
    # wait longer than the 10 s the site grants before it answers "busy" (429)
    app = create_app(secret=SECRET, converter=held, parse_limits=ParseLimits(seconds=120))
    with Live(app) as live:

        def fetch(i: int) -> tuple[int, httpx.Response]:
            applicant = _applicant(record, i)
            with httpx.Client(base_url=live.url, timeout=180) as http:
                if i % 4 == 0:
                    r = http.post("/api/pack", json=applicant)
                elif i % 4 == 1:
                    r = http.post("/?lang=zh", data=form_fields(applicant, action="document", doc="registration_form", doc_lang="zh", format="pdf"))
                else:
                    r = http.post("/api/render?doc=cpd_record&lang=en&format=pdf", json=applicant)
            return i, r

        with ThreadPoolExecutor(20) as pool:
            try:
                futures = [pool.submit(fetch, i) for i in range(20)]
                held.wait_for(20)  # every one of them is waiting for its PDFs
                with httpx.Client(base_url=live.url, timeout=30) as http:
                    page = http.get("/")
                assert not any(f.done() for f in futures), "a download ended before its PDFs were made"
            finally:
                held.release()
            results = [f.result() for f in futures]
        assert page.status_code == 200 and "姓名" in page.text
        for i, r in results:
            assert r.status_code == 200, (i, r.status_code, r.text[:300])
            disposition = r.headers["content-disposition"]
            if i % 4 == 0:
                names = zip_names(r.content)
                assert f"zh/报名表-李{i}号.pdf" in names and f"en/Registration-Form-LI Number{i}.pdf" in names
                assert quote(f"CSEE-2026-{100 + i:04d}-李{i}号.zip") in disposition
            elif i % 4 == 1:
                assert r.content.startswith(b"%PDF") and quote(f"报名表-李{i}号.pdf") in disposition
            else:
                assert r.content.startswith(b"%PDF") and quote(f"CPD-Record-LI Number{i}.pdf") in disposition


@pytest.mark.needs_office
def test_full_queue_gets_429_at_once(converter: Converter, record: dict[str, Any]) -> None:
    """With room for one job, the pack being made keeps its place and every further
    request is turned away while that pack is still waiting for its PDFs."""
    held = Held(converter)
    app = create_app(secret=SECRET, converter=held, max_queue=1)
    with Live(app) as live:

        def fetch(i: int, timeout: float) -> httpx.Response:
            with httpx.Client(base_url=live.url, timeout=timeout) as http:
                if i % 2:
                    return http.post("/api/pack", json=_applicant(record, i))
                return http.post("/?lang=en", data=form_fields(_applicant(record, i), action="pack"))

        with ThreadPoolExecutor(1) as pool:
            try:
                first = pool.submit(fetch, 0, 120)
                held.wait_for(1)  # the first pack holds the only place
                # answered while it is still held: a request that waited instead would
                # wait for good, as nothing is released until these have their answers
                turned_away = [fetch(i, 30) for i in range(1, 6)]
            finally:
                held.release()
            made = first.result()
    assert made.status_code == 200, made.text[:300]
    assert "en/Registration-Form-LI Number0.pdf" in zip_names(made.content)
    for r in turned_away:
        assert r.status_code == 429
        assert r.headers["retry-after"] == "30"
        if r.headers["content-type"].startswith("application/json"):
            assert "try again" in r.json()["errors"][0]["message"]
        else:
            assert "Please try again in a minute; your details are still in the form." in r.text
            assert 'value="LI Number' in r.text
    assert {r.headers["content-type"].split(";")[0] for r in turned_away} == {"application/json", "text/html"}


def test_serve_command_help() -> None:
    from formgen.cli import main

    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0 and "--port" in result.output and "--host" in result.output
