"""The Word templates, rendered with sample applicants and read back as a reader sees them.

Wording is checked against the seed notices: labels and headings of the registration form
(CSEE–IET notice), the CPD record, cross-reference tables and CMES endorsement forms
(CMES–SOE notice, 附件三–八) and the checklist remarks (二、一览表).
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
import zipfile
from functools import cache
from pathlib import Path

import docx
import pytest
import yaml
from conftest import paragraph_text
from docx.oxml.ns import qn
from docx.table import Table

from formgen.forms.context import build_context
from formgen.forms.engine import CompiledTemplate
from formgen.model.applicant import Applicant
from formgen.model.manifest import load_manifest

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = load_manifest(ROOT / "manifest.yaml")
EXAMPLE = yaml.safe_load((ROOT / "data" / "applicant-example.yaml").read_text(encoding="utf-8"))
TODAY = dt.date(2026, 3, 2)
LANGS = ("zh", "en")
CHECKED, UNCHECKED = "☑", "☐"
# Markup characters, quotes, a line break, a character outside the BMP and a Jinja lookalike.
TRICKY = "A & B <C> \"q\" 'x'\n第二行 𠀾 {{7*7}} {% if %}"

# The competence statements as printed in 附件五 (CEng) and 附件六 (IEng).
SEED_STATEMENTS = {
    "CEng": {
        "A1": "Maintain and extend a sound theoretical approach in enabling the introduction "
              "and exploitation of new and advancing technology",
        "A2": "Engage in the creative and innovative development of engineering technology "
              "and continuous improvement",
        "B1": "Identify potential projects and opportunities",
        "B2": "Conduct appropriate research and undertake design and development of "
              "engineering solutions",
        "B3": "Implement design solutions and evaluate their effectiveness",
        "C1": "Plan for effective project implementation",
        "C2": "Plan, budget, organise, direct and control tasks, people and resources",
        "C3": "Lead teams and develop staff to meet changing technical and managerial needs",
        "C4": "Bring about continuous improvement through quality management",
        "D1": "Communicate with others at all levels",
        "D2": "Present and discuss proposals",
        "D3": "Demonstrate personal and social skills",
        "E1": "Comply with the Codes and Rules of Conduct",
        "E2": "Manage and apply safe systems of work",
        "E3": "Undertake engineering activities in a way that contributes to sustainable "
              "development",
        "E4": "Carry out the continuing professional development necessary to maintain and "
              "enhance competence in own area of practice",
    },
    "IEng": {
        "A1": "Maintain and extend a sound theoretical approach to the application of "
              "technology in engineering practice",
        "A2": "Use a sound evidence based approach to problem solving and contribute to "
              "continuous improvement",
        "B1": "Identify, review and select techniques, procedures and methods to undertake "
              "engineering tasks",
        "B2": "Contribute to the design and development of engineering solutions",
        "B3": "Implement design solutions and contribute to their evaluation",
        "C1": "Plan for effective project implementation",
        "C2": "Manage the planning, budgeting and organisation of tasks, people and resources",
        "C3": "Manage teams and develop staff to meet changing technical and managerial needs",
        "C4": "Manage continuous quality improvement",
        "D1": "Communicate with others at all levels",
        "D2": "Present and discuss proposals",
        "D3": "Demonstrate personal and social skills",
        "E1": "Comply with the Codes and Rules of Conduct",
        "E2": "Manage and apply safe systems of work",
        "E3": "Undertake engineering activities in a way that contributes to sustainable "
              "development",
        "E4": "Carry out the continuing professional development necessary to maintain and "
              "enhance competence in own area of practice",
    },
}
CODES = list(SEED_STATEMENTS["CEng"])
# The application documents (certificates have their own templates and tests).
DOCS = ["registration_form", "cpd_record", "cross_reference", "career_history", "cmes_endorsement",
        "fee_notice", "submission_checklist"]


# ---------------------------------------------------------------- helpers


def record(programme: str = "csee-iet", grade: str = "IEng", **changes) -> dict:
    """The example applicant, moved to ``programme`` and ``grade``, with ``changes``."""
    rec = copy.deepcopy(EXAMPLE)
    rec.update(programme=programme, grade=grade)
    if programme == "cmes-soe":
        rec.update(
            id="CMES-2026-0012",
            unit="",
            cmes={"membership_no": "M-2019-03321", "member_grade": "senior_member"},
            soe={"membership": "member", "division": "IPlantE"},
        )
    rec.update(changes)
    return rec


@cache
def compiled(doc_id: str, lang: str) -> CompiledTemplate:
    return CompiledTemplate(MANIFEST.template_path(doc_id, lang))


class Rendered:
    """A rendered document, read back with python-docx."""

    def __init__(self, rec: dict, doc_id: str, lang: str):
        self.applicant = Applicant.model_validate(rec)
        self.context = build_context(self.applicant, lang, MANIFEST, doc_id, TODAY)
        self.data = compiled(doc_id, lang).render(self.context)
        self.doc = docx.Document(io.BytesIO(self.data))
        body = self.doc.element.body
        # Every paragraph of the body, in order, table cells included (each cell once).
        self.paragraphs = [
            paragraph_text(p).replace("\u00a0", " ") for p in body.iter(qn("w:p"))
        ]
        self.text = "\n".join(self.paragraphs)
        self.tables = [Table(t, self.doc) for t in body.iter(qn("w:tbl"))]

    def rows(self, table: int = 0) -> list[list[str]]:
        """Cell texts of each row of a table, a merged cell counted once."""
        out = []
        for tr in self.tables[table]._tbl.tr_lst:
            out.append([
                "\n".join(paragraph_text(p) for p in tc.iter(qn("w:p")))
                .replace("\u00a0", " ")
                for tc in tr.tc_lst
            ])
        return out

    def has(self, *texts: str) -> None:
        missing = [t for t in texts if t not in self.text]
        assert not missing, f"missing {missing} in:\n{self.text}"


def render(rec: dict, doc_id: str, lang: str) -> Rendered:
    return Rendered(rec, doc_id, lang)


def needed(doc_id: str) -> list[tuple[str, str]]:
    """(programme, grade) pairs that get ``doc_id`` (every grade each programme offers)."""
    pairs = []
    for programme in ("csee-iet", "cmes-soe"):
        for grade in MANIFEST.programmes[programme].grades:
            if doc_id in MANIFEST.documents_for(programme, grade):
                pairs.append((programme, grade))
    return pairs


ALL_CASES = [
    (doc_id, lang, programme, grade)
    for doc_id in DOCS
    for programme, grade in needed(doc_id)
    for lang in LANGS
]


def blank_rows(rows: list[list[str]]) -> int:
    return sum(1 for r in rows if not any(c.strip() for c in r))


# ---------------------------------------------------------------- every template


@pytest.mark.parametrize("doc_id", DOCS)
def test_each_document_has_both_templates(doc_id):
    for lang in LANGS:
        assert MANIFEST.template_path(doc_id, lang).is_file()


@pytest.mark.parametrize(("doc_id", "lang", "programme", "grade"), ALL_CASES)
def test_renders_and_names_programme_and_grade(doc_id, lang, programme, grade):
    r = render(record(programme, grade), doc_id, lang)
    root = zipfile.ZipFile(io.BytesIO(r.data)).read("word/document.xml")
    assert b"<w:document" in root[:300]
    assert "{{" not in r.text and "{%" not in r.text, r.text
    prog = r.context["programme"]
    # Near the top: within the first paragraphs, before the first table row of data.
    top = "\n".join(r.paragraphs[:12])
    assert prog["title"] in r.text
    assert r.context["grade"]["label"] in top or r.context["grade"]["name"] in top
    assert prog["title"] in top


@pytest.mark.parametrize("doc_id", DOCS)
def test_zh_and_en_use_the_same_variables(doc_id):
    def names(lang):
        xml = zipfile.ZipFile(MANIFEST.template_path(doc_id, lang)).read("word/document.xml")
        text = "".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", xml.decode()))
        tags = re.findall(r"\{\{(.*?)\}\}|\{%(.*?)%\}", text)
        found = set()
        for tag in tags:
            for name in re.findall(r"[A-Za-z_][\w.]*", "".join(tag)):
                if "." in name and not name.startswith("loop."):
                    found.add(name)
        return found

    # Titles may word the grade differently (zh 特许工程师交叉对照表格, en "Chartered Engineer
    # (CEng) Cross-Reference Table"); everything else is the same in both languages.
    assert {n for n in names("zh") ^ names("en") if not n.startswith("grade.")} == set()


@pytest.mark.parametrize("doc_id", DOCS)
@pytest.mark.parametrize("lang", LANGS)
def test_each_tag_is_one_run(doc_id, lang):
    xml = zipfile.ZipFile(MANIFEST.template_path(doc_id, lang)).read("word/document.xml").decode()
    for text in re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", xml):
        if "{" in text or "}" in text:
            assert re.fullmatch(r"\{\{.*\}\}|\{%.*%\}", text), f"tag split across runs: {text!r}"


@pytest.mark.parametrize("lang", LANGS)
def test_fonts_and_language_are_in_the_styles(lang):
    styles = zipfile.ZipFile(MANIFEST.template_path("cpd_record", lang)).read(
        "word/styles.xml").decode()
    defaults = styles[styles.index("<w:docDefaults"): styles.index("</w:docDefaults>")]
    assert 'w:eastAsia="SimSun"' in defaults and 'w:ascii="Times New Roman"' in defaults
    assert 'w:val="en-GB"' in defaults and 'w:eastAsia="zh-CN"' in defaults
    title = styles[styles.index('w:styleId="FormTitle"'):]
    title = title[: title.index("</w:style>")]
    assert 'w:eastAsia="SimHei"' in title
    assert 'w:styleId="FormTable"' in styles


def test_pages_are_a4():
    for doc_id in DOCS:
        section = docx.Document(MANIFEST.template_path(doc_id, "zh")).sections[0]
        size = sorted((round(section.page_width.cm, 1), round(section.page_height.cm, 1)))
        assert size == [21.0, 29.7]
        assert (section.page_width > section.page_height) == (doc_id == "cross_reference")


# ---------------------------------------------------------------- registration form

ZH_LABELS = [
    "工程能力评价/国际工程师资质认证报名表", "Registration Form for Professional Registration",
    "个人信息 Personal information", "姓名", "Name", "性别", "Gender", "男 Male", "女 Female",
    "职务/职称", "Job Title", "所属行业", "Expertise", "手机", "Contact", "单位名称", "Company",
    "单位地址", "Company address", "单位电话", "Phone", "邮箱", "Email", "英文水平",
    "English level", "是否全英文面试", "English interview", "可以 ok", "需要翻译 with translation",
    "申请级别", "Grade applied for",
    "教育经历Education（仅填写最高学历及学位 Only fill in highest Engineering degree(s) and "
    "qualification(s)）",
    "开始Start", "结束 End", "学历", "Qualifications", "所学专业", "Course", "毕业院校",
    "Educational Establishment",
    "工作经历Career History（仅填写近5年工作经历 Only fill in latest 5 years career history）",
    "工作单位", "工作职位", "工作职责", "Responsibilities",
    "个人描述/Personal description（填写个人获得奖项，专利发表，论文发表等情况/Award, patents, "
    "paper published etc. 字数在300以内）",
]
EN_LABELS = [
    "Registration Form for Professional Registration", "Personal information", "Name", "Gender",
    "Male", "Female", "Job Title", "Expertise", "Contact", "Company", "Company address", "Phone",
    "Email", "English level", "English interview", "ok", "with translation", "Grade applied for",
    "Education", "Only fill in highest Engineering degree(s) and qualification(s)".lower(),
    "Start", "End", "Qualifications", "Course", "Educational Establishment", "Career History",
    "latest 5 years career history", "Responsibilities", "Personal description",
    "paper published etc.",
]


def test_registration_form_zh_labels_values_and_boxes():
    r = render(record(), "registration_form", "zh")
    r.has(*ZH_LABELS)
    r.has("李晓明", "高级工程师", "水电站机电设备安装", "+86 139 1000 2233",
          "中国水利水电第八工程局有限公司", "湖南省长沙市雨花区木莲东路 & 振华路口",
          "0731-8556 1234", "li.xiaoming@example.com", "大学英语六级",
          "2009年9月", "2013年7月", "工学学士", "电气工程及其自动化", "三峡大学",
          "2023年4月", "至今", "机电项目总工程师", "负责白鹤滩水电站机组安装的技术管理与质量控制",
          "水轮发电机组安装调试", "获中国电力建设集团科技进步二等奖1项", "CSEE-2026-0007")
    r.has(f"{CHECKED} 男 Male", f"{UNCHECKED} 女 Female")
    r.has(f"{UNCHECKED}可以 ok", f"{CHECKED}需要翻译 with translation")
    # csee-iet terms: IEng is 主任工程师, EngTech is 技术工程师.
    r.has(f"{UNCHECKED} 特许工程师（CEng）", f"{CHECKED} 主任工程师（IEng）",
          f"{UNCHECKED} 技术工程师（EngTech）")
    assert r.text.count(CHECKED) == 3


def test_registration_form_en_labels_values_and_boxes():
    r = render(record(gender="female", english_interview=True, grade="CEng"),
               "registration_form", "en")
    text = r.text
    r.text = text.lower()
    r.has(*(label.lower() for label in EN_LABELS))
    r.text = text
    assert not re.search(r"[\u4e00-\u9fff]", r.text), "English form shows Chinese"
    r.has("LI Xiaoming", "Senior Engineer", "Sinohydro Bureau 8 Co., Ltd.", "CET-6",
          "September 2009", "July 2013", "BEng", "China Three Gorges University", "to date",
          "Chief Engineer, Electromechanical Projects", "Second prize, PowerChina")
    r.has(f"{UNCHECKED} Male", f"{CHECKED} Female", f"{CHECKED} ok", f"{UNCHECKED} with translation")
    r.has(f"{CHECKED} Chartered Engineer (CEng)", f"{UNCHECKED} Incorporated Engineer (IEng)",
          f"{UNCHECKED} Engineering Technician (EngTech)")


PERSONAL, EDUCATION, CAREER, DESCRIPTION = range(4)  # the registration form's tables


@pytest.mark.parametrize("lang", LANGS)
def test_registration_form_tables_grow_and_keep_empty_rows(lang):
    r = render(record(), "registration_form", lang)
    # Under the section heading and the column headings: one education (1 blank row
    # kept), two posts (3 blank rows make the seed's 5); five posts or more keep none, as
    # the seed's five rows hold the latest five years.
    assert len(r.rows(EDUCATION)) == 2 + 1 + 1 and blank_rows(r.rows(EDUCATION)) == 1
    assert len(r.rows(CAREER)) == 2 + 5 and blank_rows(r.rows(CAREER)) == 3
    ed = EXAMPLE["education"][0]
    many = record(
        education=[ed, {**ed, "start": "2013-09", "end": "2016-07"},
                   {**ed, "start": "2016-09", "end": "2020-07"}],
        career=EXAMPLE["career"] * 4,
    )
    r = render(many, "registration_form", lang)
    assert len(r.rows(EDUCATION)) == 2 + 3 + 1 and blank_rows(r.rows(EDUCATION)) == 1
    assert len(r.rows(CAREER)) == 2 + 8 and blank_rows(r.rows(CAREER)) == 0
    assert r.text.count("2016") == 2


@pytest.mark.parametrize("lang", LANGS)
def test_registration_form_headings_repeat_on_a_new_page(lang):
    """The education and career tables are tables of their own, so that their section and
    column headings are heading rows Word and LibreOffice repeat on the next page."""
    r = render(record(), "registration_form", lang)
    assert len(r.tables) == 4
    for table in (EDUCATION, CAREER):
        rows = r.tables[table]._tbl.tr_lst
        repeated = [tr.find(qn("w:trPr")) is not None and tr.find(qn("w:trPr")).find(qn("w:tblHeader"))
                    is not None for tr in rows]
        assert repeated[:2] == [True, True] and not any(repeated[2:])
    assert all(tr.find(qn("w:trPr")).find(qn("w:cantSplit")) is not None
               for t in r.tables for tr in t._tbl.tr_lst)


# ---------------------------------------------------------------- CPD record


@pytest.mark.parametrize("programme", ["csee-iet", "cmes-soe"])
def test_cpd_record_zh(programme):
    r = render(record(programme), "cpd_record", "zh")
    r.has("李晓明-过去三年的继续职业发展纪录")
    rows = r.rows()
    assert rows[0] == ["时间", "继续教育内容", "主办机构", "学时", "证明人"]
    # Oldest first, then blank rows: 18 rows in all, then the total.
    assert rows[1] == ["2024年11月5日", "IEC 60034 旋转电机标准研讨会", "中国电机工程学会", "16", "WJ"]
    assert rows[2][0] == "2025年6月18日"
    assert len(rows) == 1 + 18 + 1
    assert blank_rows(rows) == 16
    assert rows[-1][:2] == ["合计学时", "40"]
    r.has("ES", "RP", "工程主管", "责任人", r.context["grade"]["label"])


def test_cpd_record_en():
    r = render(record("cmes-soe", "CEng"), "cpd_record", "en")
    r.has("LI Xiaoming-Continuous Professional Development Record for past 3 year",
          "ES = Engineering Supervisor, RP = Responsible Person", "Chartered Engineer (CEng)")
    rows = r.rows()
    assert rows[0] == ["Date", "CPD Description", "Organizer", "CPD Claimed hours",
                       "Initials of ES/RP*"]
    assert rows[1] == ["5 November 2024", "IEC 60034 rotating machines standards workshop", "CSEE",
                       "16", "WJ"]
    assert len(rows) == 20 and blank_rows(rows) == 16
    assert rows[-1][-2] == "40"


def test_cpd_record_grows_beyond_the_seed_rows():
    entry = EXAMPLE["cpd"][0]
    r = render(record(cpd=[{**entry, "hours": 2.5}] * 20), "cpd_record", "en")
    rows = r.rows()
    assert len(rows) == 1 + 20 + 3 + 1 and blank_rows(rows) == 3
    assert rows[-1][-2] == "50"


# ---------------------------------------------------------------- cross-reference table


@pytest.mark.parametrize(("programme", "grade", "zh_title", "en_title"), [
    ("csee-iet", "IEng", "主任工程师交叉对照表格", "Incorporated Engineer (IEng) Cross-Reference Table"),
    ("cmes-soe", "IEng", "技术工程师交叉对照表格", "Incorporated Engineer (IEng) Cross-Reference Table"),
    ("cmes-soe", "CEng", "特许工程师交叉对照表格", "Chartered Engineer (CEng) Cross-Reference Table"),
    ("csee-iet", "CEng", "特许工程师交叉对照表格", "Chartered Engineer (CEng) Cross-Reference Table"),
])
def test_cross_reference(programme, grade, zh_title, en_title):
    zh = render(record(programme, grade), "cross_reference", "zh")
    assert zh.paragraphs[0] == zh_title
    en = render(record(programme, grade), "cross_reference", "en")
    assert en.paragraphs[0] == en_title
    assert en.rows()[0] == ["Competence", "Roles and Responsibilities", "Education Base",
                            "Initial Professional Development", "Development Action Plan",
                            "Illustrative sources of evidence (CODES)"]
    assert zh.rows()[0][1:] == ["角色与职责", "教育基础", "初期职业发展", "发展行动计划",
                                "证据来源示例（代码）"]
    statements = yaml.safe_load((ROOT / "data" / "competences.yaml").read_text("utf-8"))[grade]
    for r, lang in ((en, "en"), (zh, "zh")):
        rows = r.rows()[1:]
        assert len(rows) == 16
        for code, row in zip(CODES, rows, strict=True):
            assert row[:3] == [code[0], code[1], statements[code][lang]]
            if lang == "en":
                assert row[2] == SEED_STATEMENTS[grade][code]
        a1, b2 = rows[0], rows[3]
        assert a1[3:] == ["", "BEng 2013", "Graduate scheme 2013-2015", "", "CV-2; R-1"]
        assert b2[3:] == ["", "", "Baihetan unit 7 design review", "Lead a design review in 2027",
                          "R-3"]
        assert all(row[3:] == [""] * 5 for i, row in enumerate(rows) if i not in (0, 3))


def test_competence_statements_match_the_seed_file():
    data = yaml.safe_load((ROOT / "data" / "competences.yaml").read_text("utf-8"))
    for grade, statements in SEED_STATEMENTS.items():
        for code, text in statements.items():
            assert data[grade][code]["en"] == text
            assert data[grade][code]["zh"]
    seed = Path("/work/shared/seeds/002_f981c2fb30452084.txt")
    if seed.exists():  # the notice itself, where available
        flat = " ".join(seed.read_text("utf-8").split())
        for statements in SEED_STATEMENTS.values():
            for text in statements.values():
                assert text in flat


# ---------------------------------------------------------------- CMES endorsement form


def _unbox(text: str) -> str:
    return re.sub(r"[☑☐] ?", "", text)


def test_cmes_endorsement_en():
    r = render(record("cmes-soe", "CEng"), "cmes_endorsement", "en")
    r.has("CMES Endorsement Form", "Form CMES -01E", "Application Form",
          "For Applicants, those come from the Chinese Mechanical Engineering Society (CMES) "
          "under Reciprocal Recognition Agreement between SOE and CMES.",
          "Applicant’s Signature: ", "Date : ",
          "Support from CMES for this application: ", "(Authorized Signature of CMES)",
          "According to the Reciprocal Recognition Agreement between SOE and CMES, members of "
          "CMES residing outside UK or Hong Kong applying membership of SOE will receive a "
          "discount off the annual subscription fee of the SOE members as “Members” or "
          "“Associate Members” if admitted through the RRA system.",
          "* please delete as appropriate",
          "Remarks: this application form must be submitted together with SOE standard "
          "application form, fees and associated documentary proof.",
          "FOR Endorsement of SOE-HK ONLY", "App. Recd on", "CMES Advice", "Application Fee",
          "ECUK App. Consideration", "SOEHK Endorsement", "Date.")
    claim = next(p for p in r.paragraphs if p.startswith("I submit herewith"))
    assert _unbox(claim) == (
        "I submit herewith my application as member/associate member * of SOE and declare "
        "that I am currently a senior member/member* of CMES residing outside UK and Hong "
        "Kong.\n(Valid CMES Membership No.: M-2019-03321)")  # the number starts a line
    assert f"{CHECKED} member/{UNCHECKED} associate member" in claim
    assert f"{CHECKED} senior member/{UNCHECKED} member*" in claim
    # Signature and date are left for the applicant.
    assert "Applicant’s Signature: ____" in r.text
    r.has("Chartered Engineer (CEng)", "IPlantE")
    block = r.rows(0)
    assert block[0] == ["FOR Endorsement of SOE-HK ONLY"]
    assert [row[1] for row in block[1:]] == ["", "", ""]


def test_cmes_endorsement_zh():
    rec = record("cmes-soe", "IEng", cmes={"membership_no": "M-7", "member_grade": "member"},
                 soe={"membership": "associate_member", "division": "BES"})
    r = render(rec, "cmes_endorsement", "zh")
    r.has("CMES 会员申请批注表", "CMES 表格 – 01C", "会员申请表", "申请人签署: ____",
          "日期: ____", "CMES 审批 : ____", "(CMES 盖章)",
          "对申请SOE 会员的事项上，依据英国营运工程师学会(SOE)与中国机械工程学会(CMES)的会员资质互认"
          "协议，并居住于英国或香港特别行政区以外的地区的要求事宜。如果获取此会员资质互认协议通过合格"
          "批准，将会取得SOE 会员或仲会员的相关年费的折扣优惠。",
          "* 请删除不适合的项目",
          "备注: 此申请书必须与SOE 标准申请表、相关费用、相关证明文件，共同呈交。",
          "SOE-HK 审核专用栏", "接收申请书", "审批意见", "申请费用", "ECUK", "考核申请书",
          "SOEHK 审批:", "技术工程师（IEng）")
    claim = next(p for p in r.paragraphs if p.startswith("申请人依据"))
    assert _unbox(claim) == (
        "申请人依据英国营运工程师学会(SOE)与中国机械工程学会(CMES)的会员资质互认协议。本人现呈送"
        "申请书，请求批准为SOE 会员/仲会员*，及申明本人为有效的CMES 高级会员/会员*，并居住于英国"
        "或香港特别行政区以外的地区。\n有效CMES 会员编号: M-7")
    assert f"{UNCHECKED}会员/{CHECKED}仲会员" in claim
    assert f"{UNCHECKED}高级会员/{CHECKED}会员" in claim
    assert r.rows(0)[0] == ["SOE-HK 审核专用栏"]


# ---------------------------------------------------------------- fee notice


def test_fee_notice_csee_is_an_estimate_of_the_certification_fee():
    """四、费用: 预计为8000元/人, covering training, interview, review and materials; 认证费用
    is a certification fee, not the ECUK registration. The note under the table writes the
    amount as the table does."""
    zh = render(record(), "fee_notice", "zh")
    assert zh.rows(1) == [
        ["费用项目", "金额", "缴纳时间", "备注"],
        ["国际工程师资质认证费用", "预计8,000元", "具体交费方式另行通知", "包括培训费用、面试费、审核费、资料费等"],
        ["一次性费用合计", "预计8,000元", ""],
    ]
    zh.has("费用通知", "李晓明", "CSEE-2026-0007", "工程能力评价/国际工程师资质认证",
           "主任工程师（IEng）", "预计为8,000元/人", "2-3年内可以免费再申请一次", "2026年3月2日")
    en = render(record(), "fee_notice", "en")
    assert en.rows(1)[1:] == [
        ["Certification fee", "CNY 8,000 (estimate)", "Payment details will be sent separately",
         "Covers training, interview, review and materials"],
        ["Total of one-off fees", "CNY 8,000 (estimate)", ""],
    ]
    en.has("expected to be CNY 8,000 per person", "2 March 2026")
    assert "Registration fee" not in en.text


def test_fee_notice_contact_one_line_each():
    """A telephone number or an e-mail address is never broken across lines: each line of
    the contact is a paragraph of its own."""
    zh = render(record(), "fee_notice", "zh")
    contact = zh.paragraphs[zh.paragraphs.index("联系方式："):][1:4]
    assert contact == ["中国电机工程学会　联系人：刘敏", "电话：010-63416782　传真：010-63416882",
                       "邮箱：min-liu@csee.org.cn"]
    en = render(record(), "fee_notice", "en")
    assert "Email: min-liu@csee.org.cn" in en.paragraphs


def test_fee_notice_cmes_soe_membership_is_paid_every_year():
    """附件十 and 二、6 备注: 再注册时需缴纳每年会员费及再注册费."""
    zh = render(record("cmes-soe", "IEng"), "fee_notice", "zh")
    fees = zh.rows(1)
    assert [row[:2] for row in fees[1:-1]] == [
        ["面试费", "1,000元"], ["SOE会员费", "500元"], ["SOE会员费（每年）", "500元/年"],
        ["SOE技术工程师首次注册费", "1,000元"], ["SOE技术工程师再注册费", "240元/年"],
        ["CMES机械工程师首次注册费", "400元"], ["CMES机械工程师再注册费", "110元/三年"],
    ]
    assert fees[3][2:] == ["再注册时缴纳", "再注册时需缴纳每年会员费及再注册费"]
    assert fees[-1] == ["一次性费用合计", "2,500元", "不含按年或按期缴纳的费用及附条件的费用"]
    zh.has("技术工程师（IEng）", "仅限之前未取得中国机械工程学会机械工程师资格者", "www.soe.org.hk")
    en = render(record("cmes-soe", "IEng"), "fee_notice", "en")
    amounts = [row[1] for row in en.rows(1)[1:-1]]
    assert amounts == ["CNY 1,000", "CNY 500", "CNY 500 per year", "CNY 1,000", "CNY 240 per year",
                       "CNY 400", "CNY 110 per three years"]
    assert en.rows(1)[3][0] == "SOE membership fee (yearly)"
    assert en.rows(1)[-1][:2] == ["Total of one-off fees", "CNY 2,500"]
    en.has("Incorporated Engineer (IEng)", "Fees are not refunded", "2 March 2026")


def test_grade_names_are_the_programmes_own():
    assert list(MANIFEST.programmes["cmes-soe"].grades) == ["CEng", "IEng"]  # 基本要求(1)
    assert "技术工程师（EngTech）" in render(record("csee-iet", "EngTech"), "fee_notice", "zh").text
    assert "主任工程师（IEng）" in render(record("csee-iet", "IEng"), "fee_notice", "zh").text
    assert "技术工程师（IEng）" in render(record("cmes-soe", "IEng"), "fee_notice", "zh").text


# ---------------------------------------------------------------- submission checklist


def test_submission_checklist_says_what_is_in_the_pack():
    zh = render(record("cmes-soe", "CEng"), "submission_checklist", "zh")
    rows = zh.rows()
    assert rows[0] == ["序号", "材料", "份数", "来源", "核对"]
    assert rows[1:] == [
        ["1", "英国营运工程师学会会员申请表", "中英文各2份", "申请人自备", UNCHECKED],
        ["2", "交叉对照表格", "英文2份", "本材料包已附", UNCHECKED],
        ["3", "CPD纪录", "中英文各2份", "本材料包已附", UNCHECKED],
        ["4", "工作经历报告", "英文2份", "本材料包已附", UNCHECKED],
        ["5", "CMES会员申请批注表", "中英文各2份", "本材料包已附", UNCHECKED],
        ["6", "有效证明文件（学历学位证书、资格证书等）", "原件及复印件", "申请人自备", UNCHECKED],
    ]
    zh.has("申请材料清单", "提交申请材料的同时需要缴纳面试费，收费标准见本材料包中的《费用通知》",
           "英国营运工程师学会会员申请表是 SOE 自己的表格，不在本材料包中",
           "表格的填写可参照《申报英国营运工程师学会工程师资格填报指南》", "特许工程师（CEng）")
    assert "附件十" not in zh.text
    en = render(record("cmes-soe", "IEng"), "submission_checklist", "en")
    rows = en.rows()
    assert rows[0] == ["No.", "Material", "Copies", "Source", "Check"]
    assert [r[1] for r in rows[1:]] == [
        "SOE membership application form", "Cross-reference table", "CPD record",
        "Career history report", "CMES endorsement form",
        "Supporting documents (degree and qualification certificates, etc.)"]
    assert [r[3] for r in rows[1:]] == ["Added by the applicant"] + ["In this pack"] * 4 + [
        "Added by the applicant"]
    en.has("Submission Checklist", "the fees are set out in the Fee Notice in this pack",
           "is the SOE’s own form and is not in this pack", "Incorporated Engineer (IEng)")
    assert "Appendix 10" not in en.text


@pytest.mark.parametrize("grade", ["CEng", "IEng"])
def test_checklist_in_the_pack_means_in_the_pack(grade):
    """An item the checklist marks as in the pack is a document the applicant's pack holds."""
    from formgen.forms.documents import render_applicant

    applicant = Applicant.model_validate(record("cmes-soe", grade))
    made = {d.doc_id for d in render_applicant(applicant, MANIFEST, ["zh"], pack=MANIFEST.default_pack)}
    items = [c for c in MANIFEST.programmes["cmes-soe"].checklist if grade in c.grades]
    context = build_context(applicant, "zh", MANIFEST, "submission_checklist", TODAY)
    for item, shown in zip(items, context["checklist"], strict=True):
        assert shown["in_pack"] == (item.document is not None and item.document in made)
    assert {"cross_reference", "cpd_record", "career_history", "cmes_endorsement"} <= made


# ---------------------------------------------------------------- career history report


def test_career_history_report_zh():
    r = render(record("cmes-soe", "CEng"), "career_history", "zh")
    assert r.paragraphs[0] == "工作经历报告"
    r.has("项目：中国机械工程学会机械工程师与英国营运工程师学会特许工程师或技术工程师资格互认项目（CMES/SOE）",
          "申请人：李晓明（CMES-2026-0012）", "申请级别：特许工程师（CEng）",
          "SOE专业分会：IPlantE 设备工程师学会", "一、工作经历", "二、个人描述", "申请人签名：")
    posts = [r.rows(i) for i in (1, 2)]
    assert posts[0] == [["2023年4月 – 至今"], ["工作单位", "中国水利水电第八工程局有限公司"],
                        ["工作职位", "机电项目总工程师"],
                        ["工作职责", "负责白鹤滩水电站机组安装的技术管理与质量控制"]]
    assert posts[1][0] == ["2020年1月 – 2023年3月"]
    assert r.rows(3) == [["获中国电力建设集团科技进步二等奖1项；授权发明专利2项；发表论文《大型水轮发电机组定子现场组装工艺》。"]]


def test_career_history_report_en():
    r = render(record("cmes-soe", "IEng"), "career_history", "en")
    assert r.paragraphs[0] == "Career History Report"
    r.has("Applicant: LI Xiaoming (CMES-2026-0012)", "Grade applied for: Incorporated Engineer (IEng)",
          "1. Career history", "2. Personal description", "Applicant’s signature:")
    assert r.rows(0)[0] == ["Name", "LI Xiaoming", "Application no.", "CMES-2026-0012"]
    assert r.rows(1) == [["April 2023 – to date"], ["Employer", "Sinohydro Bureau 8 Co., Ltd."],
                         ["Job title", "Chief Engineer, Electromechanical Projects"],
                         ["Responsibilities", "Technical management and quality control of unit "
                                              "installation at Baihetan hydropower station"]]
    assert r.rows(2)[0] == ["January 2020 – March 2023"]
    assert len(r.tables) == 4  # the applicant, two posts, the description


# ---------------------------------------------------------------- pages after the first


@pytest.mark.parametrize("doc_id", DOCS)
@pytest.mark.parametrize("lang", LANGS)
def test_pages_after_the_first_name_the_applicant(doc_id, lang):
    """A running head on every page but the first (which has its own, empty header and a
    title block naming the applicant); the footer numbers every page."""
    programme, grade = needed(doc_id)[0]
    r = render(record(programme, grade), doc_id, lang)
    section = r.doc.sections[0]
    assert section.different_first_page_header_footer
    head = "\n".join(paragraph_text(p) for p in section.header.paragraphs)
    name, number = r.context["a"]["name"], r.context["a"]["id"]
    assert head == (f"{r.context['document']['title']}　申请人：{name}（{number}）" if lang == "zh"
                    else f"{r.context['document']['title']} · Applicant: {name} ({number})")
    assert not "".join(paragraph_text(p) for p in section.first_page_header.paragraphs).strip()
    for footer in (section.footer, section.first_page_footer):
        assert "PAGE" in footer._element.xml


@pytest.mark.parametrize("lang", LANGS)
def test_cross_reference_rows_carry_their_group_letter(lang):
    """Every row shows its group's letter, so a group that runs onto the next page keeps
    it: in the heading style on the group's first row (as the seed prints it), in a
    lighter style on the rows that continue the group."""
    r = render(record("cmes-soe", "CEng"), "cross_reference", lang)
    rows = r.tables[0].rows[1:]
    assert len(rows) == 16
    for code, row in zip(CODES, rows, strict=True):
        letter = row.cells[0].paragraphs[0]
        assert paragraph_text(letter) == code[0]
        assert letter.style.name == ("Form Head" if code.endswith("1") else "Form Head Repeated")


# ---------------------------------------------------------------- awkward values


def _tricky_record(programme: str) -> dict:
    cpd = [{**EXAMPLE["cpd"][0], "description": TRICKY, "organizer": TRICKY, "initials": "<&>"}]
    return record(
        programme, "CEng",
        name={"zh": TRICKY, "en": TRICKY}, job_title=TRICKY, company=TRICKY,
        description={"zh": TRICKY, "en": TRICKY}, cpd=cpd,
        competences={"C3": {"roles": TRICKY, "evidence": "a<b>&c"}},
    )


@pytest.mark.parametrize(("doc_id", "lang", "programme", "grade"),
                         [c for c in ALL_CASES if c[3] == "CEng"])
def test_awkward_values_come_out_exactly(doc_id, lang, programme, grade):
    r = render(_tricky_record(programme), doc_id, lang)
    assert TRICKY in r.text, r.text  # every document shows the applicant's name
    if doc_id == "registration_form":
        assert r.paragraphs.count(TRICKY) == 4  # name, job title, company, description
    if doc_id == "cpd_record":
        assert "<&>" in r.paragraphs
        assert TRICKY + "-" in r.text  # the heading starts with the name
    if doc_id == "cross_reference":
        c3 = r.rows()[1 + CODES.index("C3")]
        assert c3[3] == TRICKY and c3[7] == "a<b>&c"


def test_a_fee_note_naming_a_fee_the_programme_lacks_is_refused(tmp_path):
    from conftest import EXAMPLE_FILE, cli

    manifest = yaml.safe_load((ROOT / "manifest.yaml").read_text(encoding="utf-8"))
    for doc in manifest["documents"].values():
        doc["templates"] = {lang: str(ROOT / path) for lang, path in doc["templates"].items()}
    manifest["competences"] = str(ROOT / manifest["competences"])
    manifest["programmes"]["csee-iet"]["fees_note"]["en"] = "The fee is {fee2} per person."
    path = tmp_path / "manifest.yaml"
    path.write_text(yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False), "utf-8")
    result = cli("validate", "--manifest", path, EXAMPLE_FILE)
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: {path}: programmes.csee-iet: the fees note names {{fee2}}, but the programme has 1 fee(s)")
