"""The applicant's page without a browser: Post/Redirect/Get through encrypted pages,
saving and reopening answers, files of many people, only what applies, every input named,
one pass of problems, and a reference left for the office."""

from __future__ import annotations

import re
import warnings
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import CMES_RECORD, SAMPLES_FILE, WEB_SECRET, docx_text, kept_bytes
from test_web import form_fields

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from formgen.links.tokens import json_safe
from formgen.web.session import COOKIE

SECRET = WEB_SECRET


def summary_of(html: str) -> list[tuple[str, str]]:
    block = html.split('id="errors"', 1)[1].split("</div>", 1)[0] if 'id="errors"' in html else ""
    return re.findall(r'<li><a href="#([^"]+)">(.*?)</a></li>', block)


def test_every_submit_redirects_to_a_page_the_server_cannot_read(
    client: TestClient, store: Path, record: dict[str, Any]
) -> None:
    r = client.post("/?lang=zh", data=form_fields(record, action="check"), follow_redirects=False)
    assert r.status_code == 303
    assert re.fullmatch(r"/\?lang=zh&page=[A-Za-z0-9_-]{16}", r.headers["location"])
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Max-Age" not in cookie and "expires" not in cookie.lower()  # gone with the browser
    page = client.get(r.headers["location"])
    assert page.status_code == 200 and "资料已填写完整" in page.text and 'value="李晓明"' in page.text
    # Refresh repeats the GET; the language switch keeps the page
    assert 'href="/?lang=en&amp;page=' in page.text
    assert 'value="LI Xiaoming"' in client.get(r.headers["location"].replace("lang=zh", "lang=en")).text
    for clear in ("李晓明", "LI Xiaoming", "li.xiaoming", "三峡大学"):
        assert clear.encode() not in kept_bytes(store), clear
    # another browser (no session cookie) cannot open the page
    with TestClient(client.app) as other:
        gone = other.get(r.headers["location"])
        assert "李晓明" not in gone.text and "该页面的答案已不再保留" in gone.text


def test_answers_saved_as_a_file_open_again(client: TestClient, record: dict[str, Any]) -> None:
    fields = form_fields(record, action="save")
    fields["job_title.en"] = "Chief Engineer"
    saved = client.post("/?lang=zh", data=fields)
    assert saved.status_code == 200 and saved.headers["content-type"].startswith("application/yaml")
    assert "filename*=UTF-8''" + "%E7%94%B3%E8%AF%B7%E7%AD%94%E6%A1%88-%E6%9D%8E%E6%99%93%E6%98%8E-2026-11-23.yaml" in saved.headers["content-disposition"]
    text = saved.content.decode("utf-8")
    assert text.startswith("# 您在工程师注册申请表格中填写的答案，保存于2026年11月23日。\n")
    data = yaml.safe_load(text)
    assert data["job_title"] == {"zh": "高级工程师", "en": "Chief Engineer"}
    assert data["programme"] == "csee-iet" and data["grade"] == "IEng"
    opened = client.post("/?lang=en", data={"lang": "en", "action": "upload"},
                         files={"file": ("answers.yaml", saved.content, "application/yaml")})
    assert "Your answers were filled in from the file." in opened.text
    assert 'value="Chief Engineer"' in opened.text and 'value="csee-iet:IEng" selected' in opened.text
    assert opened.text.count('value="2023-04"') == 1


def test_a_failed_upload_keeps_what_was_typed(client: TestClient) -> None:
    r = client.post("/?lang=en", data={"lang": "en", "action": "upload", "name.zh": "王五", "career[1].start": "2022-03"},
                    files={"file": ("notes.txt", b"hello", "text/plain")})
    assert r.status_code == 400
    assert 'value="王五"' in r.text and 'value="2022-03"' in r.text
    assert summary_of(r.text) == [("f-upload", "Your file: Open the file you saved from this page (.yaml), a data file "
                                               "from the programme office (.yaml, .yml, .json or .xlsx), or a form "
                                               "you filled in (.docx, .doc, .odt or .rtf).")]


def test_a_file_of_many_people_asks_which(client: TestClient) -> None:
    r = client.post("/?lang=zh", data={"lang": "zh", "action": "upload", "name.zh": "已填写"},
                    files={"file": ("applicants.yaml", SAMPLES_FILE.read_bytes(), "application/yaml")})
    assert "此文件包含6人的资料。要打开哪一位的答案？" in r.text
    people = re.findall(r'<label for="f-person[^"]*">(.*?)</label>', r.text)
    assert people[0] == "CSEE-2026-0007 · 李晓明 / LI Xiaoming" and len(people) == 6
    assert 'value="已填写"' in r.text  # nothing typed is lost while choosing
    page = re.search(r'name="page" value="([^"]+)"', r.text)
    assert page is not None
    nobody = client.post("/?lang=zh", data={"lang": "zh", "action": "choose", "page": page.group(1)})
    assert summary_of(nobody.text)[0][1].endswith("请选择要打开哪一位的答案。")
    chosen = client.post("/?lang=zh", data={"lang": "zh", "action": "choose", "person": "5", "page": page.group(1)})
    assert 'id="f-name-zh" value="孙伟"' in chosen.text and 'value="cmes-soe:' in chosen.text


def test_the_blank_file_opens_as_an_empty_form(client: TestClient) -> None:
    r = client.get("/blank.yaml?lang=en")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    blank = yaml.safe_load(r.content)
    assert set(blank) >= {"programme", "grade", "name", "education", "career", "cpd", "competences", "cmes", "soe"}
    assert "# Name — The English name as it should appear on certificates" in r.text
    assert "start: \"\"  # Start — For example 2020-09." in r.text
    zh = client.get("/blank.yaml").text
    assert "# 姓名 — 英文姓名按证书上的写法填写" in zh
    opened = client.post("/?lang=en", data={"lang": "en", "action": "upload"},
                         files={"file": ("blank.yaml", r.content, "application/yaml")})
    assert opened.status_code == 200 and "is not a month" not in opened.text
    assert ("f-name-zh", "Name: is missing: write it in Chinese, in English, or both") in summary_of(opened.text)


def test_only_what_the_programme_needs(client: TestClient, record: dict[str, Any]) -> None:
    empty = client.get("/").text
    for part in ('id="f-competences"', 'id="f-cmes-group"', 'id="f-soe-group"', 'id="download-list"'):
        assert re.search(part + r'[^>]* hidden>', empty), part  # shown once a programme is chosen
    csee = client.post("/?lang=en", data=form_fields(record, action="update")).text
    assert re.search(r'id="f-cmes-group"[^>]* hidden>', csee) and not re.search(r'id="f-competences"[^>]* hidden>', csee)
    docs = re.findall(r'<li class="document" data-show-for="[^"]*"( hidden)?>\s*<span class="doc-title">([^<]+)<', csee)
    assert [title for hidden, title in docs if not hidden] == [
        "Registration Form for Professional Registration", "Continuous Professional Development Record",
        "Cross-Reference Table", "Fee Notice"]
    assert 'value="doc:registration_form:zh:pdf"' in csee and 'value="doc:fee_notice:en:docx"' in csee
    # CMES fields typed for another programme are kept but never become an error of this one
    fields = form_fields(record, action="check", **{"cmes.membership_no": "M-1"})
    checked = client.post("/?lang=en", data=fields).text
    assert "Your details are complete" in checked and 'value="M-1"' in checked
    engtech = client.post("/?lang=en", data=form_fields({**record, "grade": "EngTech"}, action="update")).text
    assert re.search(r'id="f-competences"[^>]* hidden>', engtech)
    cmes = client.post("/?lang=zh", data=form_fields(json_safe(CMES_RECORD), action="check")).text
    assert "资料已填写完整" in cmes
    assert not re.search(r'id="f-cmes-group"[^>]* hidden>', cmes) and 'value="M-2023-20015"' in cmes


class _Inputs(HTMLParser):
    """Every input, select and textarea, and the text of every label, by id."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[dict[str, str]] = []
        self.labels: dict[str, str] = {}
        self._label: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden",):
            self.inputs.append(a)
        if tag == "label":
            self._label = a.get("for", "")
            self.labels[self._label] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._label = None

    def handle_data(self, data: str) -> None:
        if self._label is not None:
            self.labels[self._label] += data.removesuffix("*")  # the required mark, hidden from readers


@pytest.mark.parametrize(("lang", "names"), [
    ("zh", {"f-name-zh": "姓名（中文）", "f-name-en": "姓名（英文）", "f-career-1-company-en": "工作单位（英文）",
            "f-competences-A1-ipd-zh": "初期专业发展（IPD）（中文）", "f-email": "电子邮箱", "f-gender": "男"}),
    ("en", {"f-name-zh": "Name (Chinese)", "f-name-en": "Name (English)", "f-career-1-start": "Start",
            "f-cmes-membership-no": "CMES membership number", "f-upload": "Your answers file"}),
])
def test_every_input_has_a_name_and_no_placeholder(client: TestClient, lang: str, names: dict[str, str]) -> None:
    html = client.get(f"/?lang={lang}").text
    parsed = _Inputs()
    parsed.feed(html)
    unnamed = [i.get("name") for i in parsed.inputs
               if not i.get("aria-hidden") and not parsed.labels.get(i.get("id", "")) and not i.get("aria-label")]
    assert unnamed == []
    assert not [i for i in parsed.inputs if "placeholder" in i]
    for input_id, name in names.items():
        assert parsed.labels[input_id].strip() == name
    # hints are tied to their inputs
    assert re.search(r'id="f-career-1-start" value="" class="short"[^>]*aria-describedby="f-career-1-start-hint"', html)


def test_date_limits_are_shown_as_dates(client: TestClient) -> None:
    html = client.get("/?lang=en").text  # today is 23 Nov 2026 in the tests
    assert "The posts you held during the latest 5 years (since 23 November 2021), latest first." in html
    assert "CPD activities of the past 3 years (on or after 23 November 2023)." in html
    assert "最近5年（2021年11月23日以来）担任的职务" in client.get("/").text


def test_every_problem_in_one_pass(client: TestClient, record: dict[str, Any]) -> None:
    fields = form_fields(record, action="check")
    fields["cpd[1].date"] = "18.06.2025"  # a date that cannot be read
    del fields["company.en"]  # a warning, shown beside the errors
    del fields["unit"]  # a rule of the programme
    fields["career[1].start"] = "04/2023"  # month first: read
    problems = client.post("/?lang=en", data=fields).text
    assert summary_of(problems) == [
        ("f-unit", "Nominating unit: is missing; csee-iet applicants are nominated by a unit of the quota table"),
        ("f-cpd-1-date", "Continuing professional development, row 1 · Date: &#39;18.06.2025&#39; is not a date; "
                         "write it as YYYY-MM-DD, e.g. 2025-06-18"),
    ]
    warnings_block = problems.split('id="warnings-title"', 1)[1]
    assert '<a href="#f-company-en">Company (English): has no English text' in warnings_block


@pytest.mark.parametrize("written", ["2012-07", "2012.07", "2012/07", "07/2012", "7/2012", "2012年7月", "２０１２年７月"])
def test_common_month_forms_are_read(written: str) -> None:
    from formgen.model.applicant import Education

    entry = Education.model_validate({"start": written, "end": "2016-07", "qualification": "x", "course": "x", "institution": "x"})
    assert (entry.start.year, entry.start.month) == (2012, 7)


def test_a_blank_reference_is_left_to_the_office(client: TestClient, record: dict[str, Any]) -> None:
    fields = form_fields(record, action="doc:registration_form:zh:docx")
    del fields["id"]
    zh = client.post("/?lang=zh", data=fields)
    assert zh.headers["content-type"].startswith("application/vnd.openxmlformats")
    zh_text = docx_text(zh.content)
    assert "编号：由项目办公室编号" in zh_text and "CSEE-2026-W" not in zh_text
    assert "（（" not in zh_text  # the note is not bracketed twice where the id is in brackets
    en = client.post("/?lang=zh", data={**fields, "action": "doc:registration_form:en:docx"})
    en_text = docx_text(en.content)
    assert "assigned by the programme office" in en_text and "((" not in en_text

