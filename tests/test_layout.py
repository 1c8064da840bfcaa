"""The printed pages, with the longest real values: what a reader sees in the PDFs.

Four applicants (both programmes, every grade layout) bring the longest unit of the
csee-iet quota table, 300-character personal descriptions in both languages, ten and twelve posts,
long job titles, twenty CPD rows and full cross-reference tables. Every document is
rendered and converted by LibreOffice in one session (documents of a template share one
load, as in ``formgen pack``), then read back page by page with poppler.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, docx_text

from formgen.forms import formatting as fmt
from formgen.forms.documents import MadeDocuments, convert_rendered, render_applicants
from formgen.model.applicant import COMPETENCE_CODES, Applicant
from formgen.model.manifest import load_manifest
from formgen.model.reference import competence_statements
from formgen.office.converter import Converter

pytestmark = [pytest.mark.needs_office, pytest.mark.slow]

MANIFEST = load_manifest(ROOT / "manifest.yaml")
SAMPLES = {r["id"]: r for r in yaml.safe_load((ROOT / "data" / "applicants.yaml").read_text("utf-8"))}
TODAY = dt.date(2026, 11, 23)

LONGEST_UNIT = max(MANIFEST.programmes["csee-iet"].quota, key=len)
DESCRIPTION = {
    "zh": ("获国家科学技术进步奖二等奖一项，省部级科学技术进步奖一等奖三项；授权发明专利十二项，实用新型专利"
           "二十项；在国内外核心期刊发表学术论文二十余篇，主持编写行业标准两项。" * 5)[:300],
    "en": ("Second prize, National Science and Technology Progress Award; 12 invention patents; "
           "over 20 SCI/EI papers; lead author of two industry standards. " * 3)[:300],
}
LONG_TITLE = {"zh": "电网规划研究所副所长兼总工程师",
              "en": "Deputy Director and Chief Engineer, Grid Planning and Research Institute"}
COMPETENCE_TEXT = ("Led the design review of the unit 7 generator stator assembly and wrote the "
                   "commissioning procedure with the site team")


def posts(count: int) -> list[dict]:
    """``count`` posts of five months each, the latest first (all within five years)."""
    out, year, month = [], 2026, 11
    for i in range(count):
        end = None if i == 0 else f"{year}-{month:02d}"
        month -= 5
        if month <= 0:
            month, year = month + 12, year - 1
        out.append({
            "start": f"{year}-{month:02d}", "end": end,
            "company": {"zh": LONGEST_UNIT, "en": "China Energy Investment Corporation Limited"},
            "job_title": LONG_TITLE,
            "responsibilities": {"zh": "负责特高压交直流混联电网规划研究与技术决策",
                                 "en": "Planning studies of hybrid UHV AC/DC grids"},
        })
    return out


CPD = [
    {"date": f"{2025 + i // 10}-{i % 10 + 1:02d}-{i + 1:02d}",
     "description": {"zh": "新型电力系统规划国际研讨会", "en": "Workshop on new-type power system planning"},
     "organizer": {"zh": "中国电机工程学会", "en": "CSEE"}, "hours": 8, "initials": "ZH"}
    for i in range(20)
]
FULL_COMPETENCES = {code: {"roles": COMPETENCE_TEXT, "education_base": "BEng 2013", "ipd": COMPETENCE_TEXT,
                           "dap": "Fatigue testing course, 2027", "evidence": "R-1; R-2; P-4"}
                    for code in COMPETENCE_CODES}


def applicant(base: str, new_id: str, **changes: object) -> Applicant:
    record = copy.deepcopy(SAMPLES[base])
    record.update(id=new_id, **changes)
    return Applicant.model_validate(record)


APPLICANTS = [
    # csee-iet IEng: the longest unit, a long job title, 300 characters, twenty CPD rows
    applicant("CSEE-2026-0007", "LONG-0001", company={"zh": LONGEST_UNIT, "en": "China Energy"},
              job_title=LONG_TITLE, description=DESCRIPTION, cpd=CPD, career=posts(2)),
    # csee-iet CEng: twelve posts (ten fill the Chinese form's first page, now that no
    # spare row follows them)
    applicant("CSEE-2026-0012", "LONG-0002", career=posts(12), description=DESCRIPTION),
    # cmes-soe CEng and IEng: full cross-reference tables, ten posts in the career report
    applicant("CMES-2026-0101", "LONG-0003", competences=FULL_COMPETENCES, career=posts(10),
              description=DESCRIPTION),
    applicant("CMES-2026-0102", "LONG-0004", competences=FULL_COMPETENCES),
    # csee-iet EngTech as it comes
    applicant("CSEE-2026-0023", "LONG-0005"),
]


@dataclass
class Printed:
    """One converted document: the text of each page, as pdftotext lays it out."""

    applicant: Applicant
    doc_id: str
    lang: str
    pdf: Path
    pages: list[str]
    words: str
    """The document's text as rendered (before any line is broken), spaces made one."""

    def lines(self, page: int | None = None) -> list[str]:
        """The lines of one page (or of every page), each run of spaces made one space."""
        texts = self.pages if page is None else [self.pages[page]]
        return [" ".join(line.split()) for text in texts for line in text.splitlines() if line.strip()]

    def on_one_line(self, text: str, page: int | None = None) -> bool:
        """True when ``text`` is printed whole on one line (spaces aside: pdftotext puts
        some between Chinese characters and digits)."""
        wanted = "".join(text.split())
        return any(wanted in "".join(line.split()) for line in self.lines(page))


def page_texts(pdf: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(pdf), "-"],
                         capture_output=True, check=True)
    return out.stdout.decode().split("\f")[:-1]


def page_words(pdf: Path) -> list[list[tuple[float, float, str]]]:
    """(x, y, word) of each word of each page, in points from the top left."""
    html = subprocess.run(["pdftotext", "-bbox", "-enc", "UTF-8", str(pdf), "-"],
                          capture_output=True, check=True).stdout.decode()
    pages = []
    for page in html.split("<page ")[1:]:
        pages.append([(float(x), float(y), word) for x, y, word in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>', page)])
    return pages


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str, str], Printed]:
    """Every document of every applicant, converted in one LibreOffice session."""
    folder = tmp_path_factory.mktemp("layout")
    with Converter(workers=2) as converter:
        rendered = render_applicants(APPLICANTS, MANIFEST, ["zh", "en"], today=TODAY)
        made = convert_rendered(APPLICANTS, rendered, converter, folder / "work")
    out = {}
    for result in made:
        assert isinstance(result, MadeDocuments), result
        assert result.pdfs is not None
        for document, pdf in zip(result.documents, result.pdfs, strict=True):
            path = folder / f"{result.applicant.id}-{document.doc_id}-{document.lang}.pdf"
            path.write_bytes(pdf)
            out[result.applicant.id, document.doc_id, document.lang] = Printed(
                result.applicant, document.doc_id, document.lang, path, page_texts(path),
                " ".join(docx_text(document.docx).split()))
    return out


# ---------------------------------------------------------------- every document


def test_every_page_after_the_first_names_its_applicant(printed):
    """A running head on every later page, naming the document's own applicant (documents
    of one template are converted together, each with its own header)."""
    several = 0
    for (number, _, lang), doc in printed.items():
        name = doc.applicant.name.get(lang)
        head = f"申请人：{name}（{number}）" if lang == "zh" else f"Applicant: {name} ({number})"
        for page in range(1, len(doc.pages)):
            several += 1
            assert doc.on_one_line(head, page), (number, doc.doc_id, lang, page, doc.pages[page])
            others = [a.id for a in APPLICANTS if a.id != number and a.id in doc.pages[page]]
            assert not others, (number, doc.doc_id, lang, page)
    assert several >= 10  # the long values run several documents onto more pages


def test_every_document_names_programme_and_grade_on_its_first_page(printed):
    for (_, doc_id, lang), doc in printed.items():
        grades = MANIFEST.programmes[doc.applicant.programme].grades
        name = grades[doc.applicant.grade].get(lang)
        label = f"{name}（{doc.applicant.grade}）" if lang == "zh" else f"{name} ({doc.applicant.grade})"
        assert doc.on_one_line(label, 0), (doc.applicant.id, doc_id, lang)
        society = MANIFEST.programmes[doc.applicant.programme].society.abbr
        assert society in doc.pages[0], (doc.applicant.id, doc_id, lang)


LABELS = {
    ("registration_form", "zh"): ["是否全英文面试", "English interview", "Company address", "申请级别",
                                  "Grade applied for", "Educational Establishment", "工作职责"],
    ("registration_form", "en"): ["Grade applied for", "Company address", "English interview",
                                  "English level", "Educational Establishment", "Responsibilities"],
    ("cpd_record", "en"): ["CPD Claimed", "Initials of", "CPD Description",
                           "Record for past 3 year", "Total CPD claimed hours"],
    ("cpd_record", "zh"): ["继续教育内容", "主办机构", "合计学时", "过去三年的继续职业发展纪录"],
    ("cross_reference", "en"): ["Initial Professional", "Illustrative sources of", "Education Base"],
    ("cross_reference", "zh"): ["证据来源示例（代码）", "初期职业发展", "发展行动计划"],
    ("cmes_endorsement", "en"): ["SOEHK Endorsement", "App. Recd on", "Application Fee"],
    ("cmes_endorsement", "zh"): ["接收申请书日期", "ECUK 考核申请书", "SOE-HK 审核专用栏"],
    ("fee_notice", "zh"): ["提交申请材料时缴纳", "具体交费方式另行通知", "CMES机械工程师首次注册费",
                           "SOE会员费（每年）", "一次性费用合计", "预计8,000元"],
    ("fee_notice", "en"): ["CNY 110 per three years", "Paid on re-registration", "Total of one-off fees",
                           "Grade applied for", "CNY 8,000 (estimate)"],
    ("submission_checklist", "zh"): ["有效证明文件（学历学位证书、资格证书等）", "英国营运工程师学会会员申请表",
                                     "本材料包已附", "申请人自备"],
    ("submission_checklist", "en"): ["SOE membership application form", "In this pack"],
    ("career_history", "en"): ["Grade applied for", "Responsibilities", "Application no."],
    ("career_history", "zh"): ["申请级别", "工作职责", "二、个人描述"],
}


@pytest.mark.parametrize(("doc_id", "lang"), list(LABELS))
def test_labels_and_headings_keep_their_words_on_one_line(printed, doc_id, lang):
    """Every label a document has is printed on one line (a label of the other programme's
    document is not looked for)."""
    shown = [doc for (_, d, la), doc in printed.items() if (d, la) == (doc_id, lang)]
    seen = set()
    for doc in shown:
        labels = list(LABELS[doc_id, lang])
        if doc.applicant.soe is not None and doc_id in ("cmes_endorsement", "career_history"):
            # "SOE division: IRTE Institute of Road Transport Engineers", never "…学 / 会"
            division = MANIFEST.programmes[doc.applicant.programme].divisions[doc.applicant.soe.division]
            labels.append(f"{doc.applicant.soe.division} {division.name.get(lang)}")
        for label in labels:
            if label in doc.words:
                seen.add(label)
                assert doc.on_one_line(label), (doc.applicant.id, doc_id, lang, label)
    assert seen >= set(LABELS[doc_id, lang])


def test_contact_email_copies_whole(printed):
    """The e-mail address is never broken at its hyphen: the PDF's text has it whole."""
    for lang in ("zh", "en"):
        doc = printed["LONG-0001", "fee_notice", lang]
        assert any("min-liu@csee.org.cn" in line for line in doc.lines())


# ---------------------------------------------------------------- registration form


def test_chinese_registration_form_is_one_page_with_a_full_description(printed):
    doc = printed["LONG-0001", "registration_form", "zh"]
    assert len(doc.pages) == 1
    flat = "".join(doc.pages[0].split())
    assert DESCRIPTION["zh"] in flat
    assert len(DESCRIPTION["zh"]) == 300
    for label in ("姓名", "性别", "职务/职称", "所属行业", "手机", "单位名称", "单位地址", "单位电话", "邮箱",
                  "英文水平", "是否全英文面试", "申请级别", "教育经历", "工作经历", "个人描述"):
        assert label in flat, label
    for value in (LONGEST_UNIT, LONG_TITLE["zh"], "li.xiaoming@example.com"):
        assert doc.on_one_line(value), value
    english = printed["LONG-0001", "registration_form", "en"]
    assert len(english.pages) == 1
    assert " ".join(DESCRIPTION["en"].split()) in " ".join(english.pages[0].split())


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_twelve_posts_run_onto_a_second_page_with_their_headings(printed, lang):
    doc = printed["LONG-0002", "registration_form", lang]
    assert len(doc.pages) == 2
    heading = "工作经历Career History" if lang == "zh" else "Career History (only fill in"
    assert doc.on_one_line(heading, 1) and doc.on_one_line("Responsibilities", 1)
    for post in doc.applicant.career:
        assert doc.on_one_line(f"{fmt.month(post.start, lang)} –"), post.start  # one line each
    if lang == "zh":
        assert doc.on_one_line(LONGEST_UNIT)
    assert doc.on_one_line(DESCRIPTION[lang][:30], 1)  # the description follows


# ---------------------------------------------------------------- CPD record


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_twenty_cpd_rows_with_repeated_headings(printed, lang):
    doc = printed["LONG-0001", "cpd_record", lang]
    for entry in CPD:
        assert doc.on_one_line(fmt.day(dt.date.fromisoformat(entry["date"]), lang)), entry["date"]
    total = "合计学时" if lang == "zh" else "Total CPD claimed hours"
    last = len(doc.pages) - 1
    assert doc.on_one_line(total, last) and "160" in doc.pages[last]
    for page in range(1, len(doc.pages)):  # headings on every page
        assert doc.on_one_line("继续教育内容" if lang == "zh" else "CPD Description", page)


# ---------------------------------------------------------------- cross-reference table


@pytest.mark.parametrize("number", ["LONG-0003", "LONG-0004", "LONG-0001"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_competence_rows_keep_their_letter(printed, number, lang):
    """Every competence row is printed with its group's letter beside it, on whichever
    page it falls, and the headings repeat on every page."""
    doc = printed[number, "cross_reference", lang]
    statements = competence_statements(MANIFEST)[doc.applicant.grade]
    page_of: dict[str, int] = {}
    for code in COMPETENCE_CODES:
        start = "".join(statements[code][lang].split())[:14]
        found = [i for i, text in enumerate(doc.pages) if start in "".join(text.split())]
        assert len(found) == 1, (code, found)
        page_of[code] = found[0]
    heading = "证据来源示例（代码）" if lang == "zh" else "Illustrative sources of"
    for page in range(len(doc.pages)):
        assert doc.on_one_line(heading, page)
    # The letters printed in the first column (left margin 1.5 cm, column 0.8 cm) of each
    # page are those of the rows on that page, one each.
    first_column = (1.5 + 0.8) / 2.54 * 72
    for page, words in enumerate(page_words(doc.pdf)):
        letters = sorted(w for x, _, w in words if x < first_column and w in "ABCDE" and w)
        assert letters == sorted(c[0] for c, p in page_of.items() if p == page), page
    if number != "LONG-0001":  # full tables run onto more pages
        assert len(doc.pages) > 1


@pytest.mark.parametrize("number", ["LONG-0001", "LONG-0002"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_table_with_a_few_entries_fits_on_one_page(printed, number, lang):
    """CEng and IEng with the samples' few entries: one page, not a second holding one row."""
    doc = printed[number, "cross_reference", lang]
    assert len(doc.pages) == 1
    last = "".join(competence_statements(MANIFEST)[doc.applicant.grade]["E4"][lang].split())[:14]
    assert last in "".join(doc.pages[0].split())


# ---------------------------------------------------------------- career history report


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_career_history_report_keeps_each_post_on_one_page(printed, lang):
    doc = printed["LONG-0003", "career_history", lang]
    assert len(doc.pages) >= 2
    employer, duties = ("工作单位", "工作职责") if lang == "zh" else ("Employer", "Responsibilities")
    periods = 0
    for page in range(len(doc.pages)):
        lines = doc.lines(page)
        heads = [line for line in lines if re.match(r"^\S+.* – ", line)]
        assert len(heads) == sum(line.startswith(employer) for line in lines) == sum(
            line.startswith(duties) for line in lines), (page, lines)
        periods += len(heads)
    assert periods == 10
    assert doc.on_one_line("二、个人描述" if lang == "zh" else "2. Personal description")
