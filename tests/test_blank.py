"""Blank fillable forms: ``formgen render --blank`` and the web page's blank downloads give
the forms of a programme and grade with nothing filled in, named for the grade; filled in,
they come back through extract."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import yaml
from conftest import TODAY, cli, docx_text
from docx import Document
from fastapi.testclient import TestClient
from lxml import etree

from formgen.web.app import create_app

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
W14 = "{http://schemas.microsoft.com/office/word/2010/wordml}"



def names(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*.docx")}


def test_blank_forms_of_a_programme_and_grade_named_for_the_grade(tmp_path: Path) -> None:
    result = cli("render", "--blank", "--programme", "csee-iet", "--grade", "IEng", "--out", tmp_path / "csee")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"6 blank form file(s) written to {tmp_path / 'csee'}"
    assert names(tmp_path / "csee") == {
        "zh/报名表-空白-IEng.docx", "zh/CPD纪录-空白-IEng.docx", "zh/交叉对照表格-空白-IEng.docx",
        "en/Registration-Form-blank-IEng.docx", "en/CPD-Record-blank-IEng.docx",
        "en/Cross-Reference-blank-IEng.docx"}
    # the forms the applicant fills in only: no fee notice, no checklist; no cross-reference
    # table where the grade has none
    assert cli("render", "--blank", "--programme", "cmes-soe", "--grade", "CEng", "--lang", "zh",
               "--out", tmp_path / "cmes").exit_code == 0
    assert names(tmp_path / "cmes") == {
        "zh/CPD纪录-空白-CEng.docx", "zh/交叉对照表格-空白-CEng.docx", "zh/工作经历报告-空白-CEng.docx",
        "zh/CMES会员申请批注表-空白-CEng.docx"}
    assert cli("render", "--blank", "--programme", "csee-iet", "--grade", "EngTech", "--lang", "en",
               "--out", tmp_path / "engtech").exit_code == 0
    assert names(tmp_path / "engtech") == {"en/Registration-Form-blank-EngTech.docx",
                                           "en/CPD-Record-blank-EngTech.docx"}


def test_a_blank_form_shows_the_programme_and_grade_and_nobody(tmp_path: Path) -> None:
    assert cli("render", "--blank", "--programme", "csee-iet", "--grade", "CEng", "--lang", "zh",
               "--out", tmp_path).exit_code == 0
    text = docx_text(tmp_path / "zh" / "报名表-空白-CEng.docx")
    assert "项目：工程能力评价/国际工程师资质认证（CSEE/IET）" in text and "☑\u00a0特许工程师（CEng）" in text
    assert "编号：由项目办公室编号" in text
    assert text.count("☑") == 1  # the grade; no gender, no interview answer
    cpd = docx_text(tmp_path / "zh" / "CPD纪录-空白-CEng.docx")
    assert cpd.startswith("[姓名]-过去三年的继续职业发展纪录")  # the notice's heading
    assert "applicant" not in " ".join(names(tmp_path))


def test_blank_forms_refused_with_the_reason(tmp_path: Path) -> None:
    data = tmp_path / "data.yaml"
    data.write_text("[]\n", encoding="utf-8")
    for args, said in (
        (("--programme", "csee-iet"), "--blank renders empty forms: give --programme and --grade, and no data files"),
        ((data, "--programme", "csee-iet", "--grade", "IEng"),
         "--blank renders empty forms: give --programme and --grade, and no data files"),
        (("--programme", "nope", "--grade", "IEng"), "'nope' is not one of: csee-iet, cmes-soe"),
        (("--programme", "cmes-soe", "--grade", "EngTech"), "'EngTech' is not a grade of cmes-soe; it offers CEng, IEng"),
    ):
        result = cli("render", "--blank", *args, "--out", tmp_path / "out")
        assert result.exit_code == 1
        assert result.output.strip() == f"Error: {said}", result.output


def test_the_career_history_report_leaves_empty_posts_to_fill_in(tmp_path: Path) -> None:
    assert cli("render", "--blank", "--programme", "cmes-soe", "--grade", "IEng", "--lang", "en",
               "--out", tmp_path).exit_code == 0
    body = etree.fromstring(Document(str(tmp_path / "en" / "Career-History-Report-blank-IEng.docx"))
                            .element.body.xml.encode())
    tags = [t.get(f"{W}val") for t in body.iter(f"{W}tag")]
    for post in (1, 2):
        assert [t for t in tags if t.startswith(f"career[{post}].")] == [
            f"career[{post}].start", f"career[{post}].end", f"career[{post}].company.en",
            f"career[{post}].job_title.en", f"career[{post}].responsibilities.en"]
    assert not any(t.startswith("career[3]") for t in tags)


def _type(doc: Any, tag: str, text: str) -> None:
    """Type into a control as Word does: the control's run gets the text."""
    for sdt in doc.element.body.iter(f"{W}sdt"):
        if sdt.find(f"{W}sdtPr/{W}tag").get(f"{W}val") == tag:
            run = sdt.find(f"{W}sdtContent").find(f".//{W}r")
            t = run.find(f"{W}t")
            if t is None:
                t = etree.SubElement(run, f"{W}t")
            t.text = text
            return
    raise AssertionError(f"no control {tag}")


def _tick(doc: Any, tag: str) -> None:
    """Tick a checkbox control as Word does: its state, and the box character."""
    for sdt in doc.element.body.iter(f"{W}sdt"):
        if sdt.find(f"{W}sdtPr/{W}tag").get(f"{W}val") == tag:
            sdt.find(f"{W}sdtPr/{W14}checkbox/{W14}checked").set(f"{W14}val", "1")
            sdt.find(f".//{W}t").text = "☑"
            return
    raise AssertionError(f"no box {tag}")


def test_a_blank_form_filled_in_comes_back(tmp_path: Path) -> None:
    assert cli("render", "--blank", "--programme", "csee-iet", "--grade", "CEng", "--lang", "zh",
               "--doc", "registration_form", "--out", tmp_path / "forms").exit_code == 0
    form = tmp_path / "forms" / "zh" / "报名表-空白-CEng.docx"
    doc = Document(str(form))
    for tag, text in (("name.zh", "赵磊"), ("email", "zhao.lei@example.com"), ("mobile", "13900001111"),
                      ("company.zh", "国网湖北省电力有限公司"), ("education[1].start", "2008年9月"),
                      ("education[1].end", "2012年7月"), ("education[1].institution.zh", "武汉大学"),
                      ("career[1].start", "2012年8月"), ("career[1].end", "至今"),
                      ("career[1].company.zh", "国网湖北省电力有限公司")):
        _type(doc, tag, text)
    _tick(doc, "gender=male")
    _tick(doc, "english_interview=false")
    doc.save(str(form))
    out = tmp_path / "back.yaml"
    result = cli("extract", tmp_path / "forms", "--out", out)
    assert "1 file(s), 0 refused: 1 record(s)" in result.output, result.output
    [record] = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert {k: record[k] for k in ("programme", "grade", "name", "email", "mobile", "gender",
                                   "english_interview", "company")} == {
        "programme": "csee-iet", "grade": "CEng", "name": {"zh": "赵磊"},
        "email": "zhao.lei@example.com", "mobile": "13900001111", "gender": "male",
        "english_interview": False, "company": {"zh": "国网湖北省电力有限公司"}}
    assert record["education"] == [{"start": "2008-09", "end": "2012-07", "institution": {"zh": "武汉大学"}}]
    assert record["career"] == [{"start": "2012-08", "end": None, "company": {"zh": "国网湖北省电力有限公司"}}]


def test_a_blank_form_not_filled_in_is_not_read_as_an_applicant(tmp_path: Path) -> None:
    assert cli("render", "--blank", "--programme", "csee-iet", "--grade", "IEng", "--lang", "en",
               "--doc", "cpd_record", "--out", tmp_path / "forms").exit_code == 0
    result = cli("extract", tmp_path / "forms", "--out", tmp_path / "back.yaml")
    assert ("forms/en/CPD-Record-blank-IEng.docx, the form: error: not read: nothing is filled in: "
            "the form gives only the programme and the grade") in result.output
    assert "1 file(s), 1 refused: 0 record(s)" in result.output


# ----------------------------------------------------------------------------- the web page


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FORMGEN_TODAY", TODAY)
        with TestClient(create_app(secret="a-test-secret-of-some-length")) as c:
            yield c


def blank(client: TestClient, choice: str, action: str, lang: str = "zh") -> Any:
    return client.post(f"/?lang={lang}", data={"lang": lang, "programme_grade": choice, "action": action})


def test_the_page_offers_a_blank_form_of_each_fillable_document(client: TestClient) -> None:
    page = client.get("/?lang=en").text
    for doc_id in ("registration_form", "cpd_record", "cross_reference", "career_history", "cmes_endorsement"):
        for lang in ("zh", "en"):
            assert f'value="blank:{doc_id}:{lang}"' in page
    assert "blank:fee_notice" not in page and "blank:submission_checklist" not in page
    assert "Blank form to fill in:" in page
    assert "空白表格（自行填写）：" in client.get("/?lang=zh").text


def test_a_blank_download_is_the_chosen_programme_and_grades_form(client: TestClient) -> None:
    r = blank(client, "csee-iet:IEng", "blank:registration_form:zh")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    disposition = r.headers["content-disposition"]
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "报名表-空白-IEng.docx"
    assert 'filename="registration_form-IEng-zh-blank.docx"' in disposition
    text = docx_text(r.content)
    assert "☑\u00a0主任工程师（IEng）" in text and text.count("☑") == 1
    r = blank(client, "cmes-soe:CEng", "blank:career_history:en", lang="en")
    assert unquote(r.headers["content-disposition"].split("filename*=UTF-8''")[1]) == \
        "Career-History-Report-blank-CEng.docx"
    assert "Chartered Engineer (CEng)" in docx_text(io.BytesIO(r.content).getvalue())


def test_a_blank_download_needs_a_programme_and_a_form_of_it(client: TestClient) -> None:
    r = blank(client, "", "blank:registration_form:zh")
    assert r.status_code == 200 and "请先在上方选择申请的项目和级别。" in r.text
    r = blank(client, "cmes-soe:CEng", "blank:registration_form:en", lang="en")
    assert "Choose a document." in r.text
    r = blank(client, "csee-iet:IEng", "blank:fee_notice:en", lang="en")
    assert "Choose a document." in r.text
