"""The forms on paper, as the notices print them: answers of several lines printed as
lines, blank forms with room to write, the Chinese registration form on one page with five
posts, a membership number never broken, one way of writing an amount.

Every document is rendered and converted by LibreOffice in one session, then read back
with poppler (the text of each page, and each word's place on it).
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
from conftest import ROOT

from formgen.forms import formatting as fmt
from formgen.forms.blank import render_blank
from formgen.forms.documents import render_document
from formgen.model.applicant import Applicant
from formgen.model.manifest import load_manifest
from formgen.office.converter import Converter
from formgen.office.merge import convert_documents

pytestmark = [pytest.mark.needs_office, pytest.mark.slow]

MANIFEST = load_manifest(ROOT / "manifest.yaml")
SAMPLES = {r["id"]: r for r in yaml.safe_load((ROOT / "data" / "applicants.yaml").read_text("utf-8"))}
TODAY = dt.date(2026, 11, 23)

# Answers of two lines each, as an applicant types them (Enter between the lines).
LINES = {
    "description": {"zh": ("授权发明专利5项", "发表SCI论文8篇"), "en": ("5 invention patents", "8 SCI papers")},
    "responsibilities": {"zh": ("负责机组安装调试", "负责质量控制"),
                         "en": ("Installation of the units", "Quality control on site")},
    "cpd": {"zh": ("质量管理培训", "现场实操考核"), "en": ("Quality management course", "Practical test on site")},
    "roles": {"en": ("Led reviews", "Wrote procedures")},
}


def two_lines(key: str) -> dict[str, str]:
    return {lang: "\n".join(lines) for lang, lines in LINES[key].items()}


def record(base: str, new_id: str, **changes: object) -> Applicant:
    data = copy.deepcopy(SAMPLES[base])
    data.update(id=new_id, **changes)
    return Applicant.model_validate(data)


def _with_lines(base: str, new_id: str) -> Applicant:
    data = copy.deepcopy(SAMPLES[base])
    data["career"][0]["responsibilities"] = two_lines("responsibilities")
    data["cpd"][0]["description"] = two_lines("cpd")
    competences = data.get("competences") or {}
    competences["B2"] = {**competences.get("B2", {}), "roles": {"en": two_lines("roles")["en"]}}
    data.update(description=two_lines("description"), competences=competences)
    return record(base, new_id, **{k: data[k] for k in ("career", "cpd", "competences", "description")})


def _posts(count: int) -> list[dict]:
    """``count`` posts of eleven months each, the latest first, all within five years."""
    out, year, month = [], 2026, 11
    for i in range(count):
        end = None if i == 0 else f"{year}-{month:02d}"
        month -= 11
        if month <= 0:
            month, year = month + 12, year - 1
        out.append({"start": f"{year}-{month:02d}", "end": end,
                    "company": {"zh": "国网湖北省电力有限公司经济技术研究院", "en": "State Grid Hubei Economic Research Institute"},
                    "job_title": {"zh": "电网规划高级工程师", "en": "Senior Grid Planning Engineer"},
                    "responsibilities": {"zh": "负责特高压交直流混联电网规划研究", "en": "Planning studies of UHV grids"}})
    return out


DESCRIPTION_300 = ("获国家科学技术进步奖二等奖一项，省部级科学技术进步奖一等奖三项；授权发明专利十二项，实用新型专利"
                   "二十项；在国内外核心期刊发表学术论文二十余篇，主持编写行业标准两项。" * 5)[:300]

APPLICANTS = {
    "lines-csee": _with_lines("CSEE-2026-0007", "LINES-0001"),
    "lines-cmes": _with_lines("CMES-2026-0101", "LINES-0002"),
    "five-posts": record("CSEE-2026-0007", "FIVE-0001", career=_posts(5),
                         description={"zh": DESCRIPTION_300, "en": "Two invention patents."}),
    "number": record("CMES-2026-0101", "NUMBER-0001",
                     cmes={"membership_no": "S-2011-00042", "member_grade": "member"}),
}
FILLED = [
    ("lines-csee", "registration_form"), ("lines-csee", "cpd_record"), ("lines-cmes", "cpd_record"),
    ("lines-cmes", "career_history"), ("lines-cmes", "cross_reference"), ("lines-cmes", "registration_form"),
    ("five-posts", "registration_form"), ("number", "cmes_endorsement"), ("lines-csee", "fee_notice"),
]
BLANK = [("cmes-soe", "CEng", d) for d in ("cpd_record", "cmes_endorsement", "career_history")] + [
    ("csee-iet", "IEng", "registration_form")]


@dataclass
class Printed:
    pdf: Path
    pages: list[str]

    def lines(self) -> list[str]:
        """Every line of every page, its runs of spaces made one."""
        return [" ".join(line.split()) for text in self.pages for line in text.splitlines() if line.strip()]

    def line_with(self, text: str) -> str:
        """The one line holding ``text`` whole (spaces aside: pdftotext puts some between
        Chinese characters and digits)."""
        wanted = "".join(text.split())
        found = [line for line in self.lines() if wanted in "".join(line.split())]
        assert len(found) == 1, (text, found)
        return found[0]

    def words(self) -> list[tuple[int, float, float, str]]:
        """(page, x, y, word) of every word, in points from the page's top left."""
        html = subprocess.run(["pdftotext", "-bbox", "-enc", "UTF-8", str(self.pdf), "-"],
                              capture_output=True, check=True).stdout.decode()
        return [(page, float(x), float(y), w) for page, text in enumerate(html.split("<page ")[1:])
                for x, y, w in re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>', text)]

    def top_of(self, text: str) -> float:
        """Where ``text`` is printed (the top of its first word, in points): it is printed
        once, its words one after the other on one line."""
        wanted = "".join(text.split())
        words = self.words()
        found = []
        for i, (page, _, y, word) in enumerate(words):
            joined = ""
            for other_page, _, other_y, other in words[i:]:
                if (other_page, other_y) != (page, y) or len(joined) >= len(wanted):
                    break
                joined += other
            if joined.startswith(wanted) and wanted.startswith(word):
                found.append(y)
        assert len(found) == 1, (text, found)
        return found[0]

    def flat(self) -> str:
        """The text of every page, without spaces."""
        return "".join("".join(self.pages).split())


def _pages(pdf: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True)
    return out.stdout.decode().split("\f")[:-1]


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str, str], Printed]:
    """Each document of FILLED and BLANK in both languages, converted in one session."""
    folder = tmp_path_factory.mktemp("paper")
    documents = []
    for key, doc_id in FILLED:
        for lang in ("zh", "en"):
            documents.append(((key, doc_id, lang), render_document(APPLICANTS[key], doc_id, lang, MANIFEST, TODAY)))
    for programme, grade, doc_id in BLANK:
        for lang in ("zh", "en"):
            documents.append(((f"blank-{programme}", doc_id, lang),
                              render_blank(MANIFEST, programme, grade, doc_id, lang, TODAY)))
    with Converter(workers=2) as converter:
        pdfs = convert_documents([(f"{d.doc_id}/{d.lang}", d.docx) for _, d in documents], converter,
                                 folder / "work")
    out = {}
    for (key, _), pdf in zip(documents, pdfs, strict=True):
        assert isinstance(pdf, bytes), pdf
        path = folder / f"{'-'.join(key)}.pdf"
        path.write_bytes(pdf)
        out[key] = Printed(path, _pages(path))
    return out


# ---------------------------------------------------------------- answers of several lines

MULTI = [("lines-csee", "registration_form", "description"), ("lines-csee", "registration_form", "responsibilities"),
         ("lines-cmes", "registration_form", "description"),
         ("lines-csee", "cpd_record", "cpd"), ("lines-cmes", "cpd_record", "cpd"),
         ("lines-cmes", "career_history", "description"), ("lines-cmes", "career_history", "responsibilities")]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(("key", "doc_id", "field"), MULTI)
def test_an_answer_of_two_lines_prints_as_two_lines(printed, key, doc_id, field, lang):
    """Each line of the answer on a line of its own, the second right under the first (no
    empty line between them, and none above the first: it starts where its cell does)."""
    doc = printed[key, doc_id, lang]
    first, second = LINES[field][lang]
    assert second not in doc.line_with(first) and first not in doc.line_with(second)
    gap = doc.top_of(second) - doc.top_of(first)
    assert 10 <= gap <= 16, gap  # one line of 12.5 pt


def test_an_answer_of_two_lines_starts_at_the_top_of_its_cell(printed):
    """No empty line above an answer: the description starts one line under its heading."""
    for lang, heading in (("zh", "published etc."), ("en", "Personal description")):  # its last line
        doc = printed["lines-csee", "registration_form", lang]
        first = LINES["description"][lang][0]
        gap = doc.top_of(first) - doc.top_of(heading)
        assert 10 <= gap <= 20, (lang, gap)


def test_a_competence_of_two_lines_prints_as_two_lines(printed):
    for lang in ("zh", "en"):  # the Chinese table shows the English answer where there is no Chinese
        doc = printed["lines-cmes", "cross_reference", lang]
        first, second = LINES["roles"]["en"]
        assert second not in doc.line_with(first)
        assert 10 <= doc.top_of(second) - doc.top_of(first) <= 16


# ---------------------------------------------------------------- blank forms


def test_a_blank_cpd_record_has_the_notices_heading_and_no_total(printed):
    zh, en = printed["blank-cmes-soe", "cpd_record", "zh"], printed["blank-cmes-soe", "cpd_record", "en"]
    assert zh.lines()[0] == "[姓名]-过去三年的继续职业发展纪录"
    assert en.lines()[0].startswith("[Name]-Continuous Professional Development Record")
    assert zh.line_with("合计学时") == "合计学时"  # nothing written where the total goes
    assert en.line_with("Total CPD claimed hours") == "Total CPD claimed hours"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_blank_endorsement_form_leaves_lines_to_write_on(printed, lang):
    doc = printed["blank-cmes-soe", "cmes_endorsement", lang]
    number = doc.line_with("有效CMES 会员编号:" if lang == "zh" else "(Valid CMES Membership No.:")
    assert re.search(r"_{15,}", number), number
    division = "".join(doc.line_with("SOE专业分会：" if lang == "zh" else "SOE division:").split())
    assert re.fullmatch(r"SOE(专业分会：|division:)_{15,}", division), division
    applicant = doc.line_with("申请人：" if lang == "zh" else "Applicant:")
    if lang == "zh":
        assert re.match(r"申请人：_{15,} 编号：由项目办公室编号", applicant), applicant
    else:
        assert re.match(r"Applicant: _{15,} · Application no\.: assigned by the programme office",
                        applicant), applicant


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_blank_posts_leave_lines_for_their_dates(printed, lang):
    doc = printed["blank-cmes-soe", "career_history", lang]
    dates = [line for line in doc.lines() if re.fullmatch(r"_{10,} – _{10,}", line)]
    assert len(dates) == 2, doc.lines()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_blank_form_reads_as_if_the_office_gave_the_applicant(printed, lang):
    for (key, _, la), doc in printed.items():
        if key.startswith("blank-") and la == lang:
            text = doc.flat()
            assert "申请人：（" not in text and "Applicant:(" not in text, key


# ---------------------------------------------------------------- one page, whole numbers


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_five_posts_and_300_characters_fit_the_registration_form_on_one_page(printed, lang):
    doc = printed["five-posts", "registration_form", lang]
    assert len(doc.pages) == 1
    for post in APPLICANTS["five-posts"].career:  # each post's start, and no spare row
        doc.line_with(f"{fmt.month(post.start, lang)} –")
    assert doc.flat().count("–") == 1 + 5  # the education's one, the posts'
    if lang == "zh":
        assert DESCRIPTION_300 in doc.flat()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_membership_number_is_printed_whole_on_one_line(printed, lang):
    doc = printed["number", "cmes_endorsement", lang]
    line = "".join(doc.line_with("S-2011-00042").split())
    assert line == ("有效CMES会员编号:S-2011-00042" if lang == "zh" else "(ValidCMESMembershipNo.:S-2011-00042)")


def test_the_fee_notice_writes_the_fee_one_way(printed):
    zh = printed["lines-csee", "fee_notice", "zh"].flat()
    assert "预计8,000元" in zh and "预计为8,000元/人" in zh and "8000" not in zh
    en = " ".join(" ".join(printed["lines-csee", "fee_notice", "en"].pages).split())
    assert "CNY 8,000 (estimate)" in en and "expected to be CNY 8,000 per person" in en
