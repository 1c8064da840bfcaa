"""Generate the Word templates in templates/zh and templates/en.

Run from anywhere:  python scripts/make_templates.py

Each document has one template per language with the same variables (see formgen/context.py).
Every Jinja tag is written as one run, and table row loops ({%tr ... %}) sit in a row of
their own, so the templates survive editing in Word. Staff may edit the generated files
afterwards; running this script again overwrites them.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_ALIGN_VERTICAL, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt, RGBColor
from docx_base import HEI, SONG, blank_document, fonts_xml, set_fonts, set_lang  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"

HEAD_FILL = "D9D9D9"  # section and column headings
LABEL_FILL = "F2F2F2"  # field labels

# ---------------------------------------------------------------- document and styles


def _paragraph_style(doc, name, *, base="Normal", size=None, bold=None, east_asia=None,
                     align=None, before=0, after=0, color=None, keep_next=False):
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles[base]
    style.quick_style = True
    if size:
        style.font.size = Pt(size)
    if bold is not None:
        style.font.bold = bold
    if color:
        style.font.color.rgb = RGBColor.from_string(color)
    if east_asia:
        set_fonts(style, east_asia)
    pf = style.paragraph_format
    pf.space_before = Pt(before)
    pf.space_after = Pt(after)
    if align is not None:
        pf.alignment = align
    if keep_next:
        pf.keep_with_next = True
    return style


def new_document(lang: str, title: str, *, landscape: bool = False):
    doc = blank_document(lang, title, half_points=21, kern=True)

    # Page: A4, portrait or landscape.
    sec = doc.sections[0]
    if landscape:
        sec.orientation = WD_ORIENT.LANDSCAPE
        sec.page_width, sec.page_height = Cm(29.7), Cm(21.0)
        sec.left_margin = sec.right_margin = Cm(1.5)
        sec.top_margin = sec.bottom_margin = Cm(1.6)
    else:
        sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)
        sec.left_margin = sec.right_margin = Cm(2.0)
        sec.top_margin = Cm(1.8)
        sec.bottom_margin = Cm(1.6)
    sec.header_distance = Cm(1.0)
    sec.footer_distance = Cm(0.8)

    normal = doc.styles["Normal"]
    normal.font.size = Pt(10.5)  # 五号
    set_fonts(normal, SONG)
    set_lang(normal)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.widow_control = True

    _paragraph_style(doc, "Form Title", size=16, bold=True, east_asia=HEI,
                     align=WD_ALIGN_PARAGRAPH.CENTER, before=0, after=4, keep_next=True)
    _paragraph_style(doc, "Form Subtitle", size=12, bold=True, east_asia=HEI,
                     align=WD_ALIGN_PARAGRAPH.CENTER, after=4, keep_next=True)
    _paragraph_style(doc, "Form Info", size=9.5, align=WD_ALIGN_PARAGRAPH.CENTER,
                     after=8, color="404040")
    _paragraph_style(doc, "Form Text", after=6)
    _paragraph_style(doc, "Form Note", size=9, before=3)
    _paragraph_style(doc, "Form Cell", size=10)
    _paragraph_style(doc, "Form Cell Centre", base="Form Cell", align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph_style(doc, "Form Label", base="Form Cell", bold=True)
    _paragraph_style(doc, "Form Head", base="Form Cell", bold=True, east_asia=HEI,
                     align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph_style(doc, "Form Section", base="Form Cell", bold=True, east_asia=HEI)
    _paragraph_style(doc, "Form Footer", size=8.5, align=WD_ALIGN_PARAGRAPH.CENTER,
                     color="595959")

    # Table style: thin borders all round, compact cell margins.
    border = '<w:{0} w:val="single" w:sz="{1}" w:space="0" w:color="000000"/>'
    borders = "".join(
        border.format(side, 8 if side in ("top", "left", "bottom", "right") else 4)
        for side in ("top", "left", "bottom", "right", "insideH", "insideV")
    )
    doc.styles.element.append(parse_xml(
        f'<w:style {nsdecls("w")} w:type="table" w:customStyle="1" w:styleId="FormTable">'
        '<w:name w:val="Form Table"/><w:basedOn w:val="TableNormal"/>'
        '<w:uiPriority w:val="59"/><w:qFormat/>'
        '<w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr>'
        f'<w:rPr>{fonts_xml(SONG)}<w:sz w:val="20"/><w:szCs w:val="20"/></w:rPr>'
        f'<w:tblPr><w:tblBorders>{borders}</w:tblBorders>'
        '<w:tblCellMar><w:top w:w="28" w:type="dxa"/><w:left w:w="85" w:type="dxa"/>'
        '<w:bottom w:w="28" w:type="dxa"/><w:right w:w="85" w:type="dxa"/></w:tblCellMar>'
        '</w:tblPr></w:style>'
    ))

    _page_footer(doc, lang)
    return doc


def _field(paragraph, instr: str) -> None:
    run = paragraph.add_run()
    run._r.append(parse_xml(f'<w:fldChar {nsdecls("w")} w:fldCharType="begin"/>'))
    run = paragraph.add_run()
    run._r.append(parse_xml(
        f'<w:instrText {nsdecls("w")} xml:space="preserve"> {instr} </w:instrText>'))
    run = paragraph.add_run()
    run._r.append(parse_xml(f'<w:fldChar {nsdecls("w")} w:fldCharType="separate"/>'))
    paragraph.add_run("1")
    run = paragraph.add_run()
    run._r.append(parse_xml(f'<w:fldChar {nsdecls("w")} w:fldCharType="end"/>'))


def _page_footer(doc, lang: str) -> None:
    p = doc.sections[0].footer.paragraphs[0]
    p.style = doc.styles["Form Footer"]
    # The page number only: a total (NUMPAGES) would stop documents of one template from
    # being converted together in one LibreOffice load (see formgen/merge.py).
    if lang == "zh":
        p.add_run("第 ")
        _field(p, "PAGE")
        p.add_run(" 页")
    else:
        p.add_run("Page ")
        _field(p, "PAGE")


# ---------------------------------------------------------------- text with tags

_TOKEN = re.compile(r"(\{\{.*?\}\}|\{%.*?%\}|\*\*.*?\*\*)")


def fill(paragraph, text: str, *, bold: bool | None = None):
    """Add text to a paragraph: every {{ tag }} / {% tag %} is one run of its own,
    **...** is bold, a newline starts a new line (w:br)."""
    for part in _TOKEN.split(text):
        if not part:
            continue
        strong = bold
        if part.startswith("**") and part.endswith("**"):
            part, strong = part[2:-2], True
        if part.startswith(("{{", "{%")):
            run = paragraph.add_run(part)
            if strong:
                run.bold = True
            continue
        lines = part.split("\n")
        for i, line in enumerate(lines):
            if i:
                paragraph.add_run().add_break()
            if line:
                run = paragraph.add_run(line)
                if strong:
                    run.bold = True
    return paragraph


def para(doc_or_cell, text: str = "", style: str = "Form Text", *, align=None, first=False):
    """A paragraph in a document or cell; ``first`` reuses a cell's initial empty paragraph."""
    if first:
        p = doc_or_cell.paragraphs[0]
        p.style = style
    else:
        p = doc_or_cell.add_paragraph(style=style)
    if align is not None:
        p.alignment = align
    return fill(p, text)


def spacer(doc, pt: float = 4) -> None:
    p = doc.add_paragraph(style="Form Text")
    p.paragraph_format.space_after = Pt(0)
    p.paragraph_format.line_spacing = Pt(pt)


# ---------------------------------------------------------------- tables


@dataclass
class C:
    """One cell of a row: its paragraphs, how many grid columns it spans, how it looks."""

    text: str | list[str] = ""
    span: int = 1
    style: str = "Form Cell"
    fill: str | None = None
    valign: str = "center"
    extra: dict = field(default_factory=dict)


def label(text, span=1):
    return C(text, span, "Form Label", LABEL_FILL)


def head(text, span=1):
    return C(text, span, "Form Head", HEAD_FILL)


def section(text, span):
    return C(text, span, "Form Section", HEAD_FILL)


def value(text="", span=1, style="Form Cell"):
    return C(text, span, style)


def centre(text="", span=1):
    return C(text, span, "Form Cell Centre")


class Grid:
    """A fixed-layout table on a column grid (widths in cm)."""

    def __init__(self, doc, widths: list[float], *, align_centre: bool = True):
        self.doc = doc
        self.widths = widths
        self.table = doc.add_table(rows=0, cols=len(widths))
        self.table.style = doc.styles["Form Table"]
        self.table.autofit = False  # w:tblLayout fixed
        tbl_pr = self.table._tbl.tblPr
        tbl_w = tbl_pr.find(qn("w:tblW"))
        if tbl_w is not None:
            tbl_w.set(qn("w:type"), "dxa")
            tbl_w.set(qn("w:w"), str(round(sum(widths) / 2.54 * 1440)))
        if align_centre:
            self.table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for col, w in zip(self.table.columns, widths, strict=True):
            col.width = Cm(w)

    def row(self, cells: list[C], *, height: float | None = None, exact=False,
            header=False, cant_split=True, keep_next=False):
        if sum(c.span for c in cells) != len(self.widths):
            raise ValueError(f"row spans {sum(c.span for c in cells)} of {len(self.widths)}")
        row = self.table.add_row()
        originals = list(row.cells)
        pos = 0
        for spec in cells:
            cell = originals[pos]
            if spec.span > 1:
                cell = cell.merge(originals[pos + spec.span - 1])
            cell.width = Cm(sum(self.widths[pos: pos + spec.span]))
            texts = spec.text if isinstance(spec.text, list) else [spec.text]
            for i, t in enumerate(texts):
                p = para(cell, t, spec.style, first=(i == 0))
                if keep_next:
                    p.paragraph_format.keep_with_next = True
            if spec.fill:
                cell._tc.get_or_add_tcPr().append(parse_xml(
                    f'<w:shd {nsdecls("w")} w:val="clear" w:color="auto" w:fill="{spec.fill}"/>'
                ))
            cell.vertical_alignment = {
                "center": WD_ALIGN_VERTICAL.CENTER, "top": WD_ALIGN_VERTICAL.TOP,
            }[spec.valign]
            pos += spec.span
        if height:
            row.height = Cm(height)
            row.height_rule = WD_ROW_HEIGHT_RULE.EXACTLY if exact else WD_ROW_HEIGHT_RULE.AT_LEAST
        tr_pr = row._tr.get_or_add_trPr()
        if cant_split:
            tr_pr.append(parse_xml(f'<w:cantSplit {nsdecls("w")}/>'))
        if header:
            tr_pr.append(parse_xml(f'<w:tblHeader {nsdecls("w")}/>'))
        return row

    def tag_row(self, tag: str):
        """A row holding only a {%tr ... %} tag (docxtpl replaces the whole row)."""
        return self.row([value(tag, len(self.widths))])


def loop(grid: Grid, header: str, cells: list[C], *, height: float | None = None):
    grid.tag_row("{%tr " + header + " %}")
    grid.row(cells, height=height)
    grid.tag_row("{%tr endfor %}")


def blank_rows(grid: Grid, group: str, spans: list[int], height: float):
    loop(grid, f"for _ in blank_rows.{group}", [value("", s) for s in spans], height=height)


# ---------------------------------------------------------------- the documents

def info_line(doc, lang: str, *, name=True, division=False, number=False):
    """Two lines under a title: the programme, then the applicant and the grade applied for."""
    zh = lang == "zh"
    programme = ("项目：{{programme.title}}（{{programme.society.abbr}}/{{programme.partner.abbr}}）"
                 if zh else "Programme: {{programme.title}} ({{programme.society.abbr}}/"
                 "{{programme.partner.abbr}})")
    parts = []
    if name:
        parts.append("申请人：{{a.name}}（{{a.id}}）" if zh else "Applicant: {{a.name}} ({{a.id}})")
    parts.append("申请级别：{{grade.label}}" if zh else "Grade applied for: {{grade.label}}")
    if number:
        parts.append("编号：{{a.id}}" if zh else "Application no.: {{a.id}}")
    if division:
        parts.append("SOE专业分会：{{a.soe.division}} {{a.soe.division_name}}" if zh else
                     "SOE division: {{a.soe.division}} {{a.soe.division_name}}")
    return para(doc, programme + "\n" + ("　" if zh else " · ").join(parts), "Form Info")


ROW = 0.8  # minimum height of a form row, cm


def registration_form(lang: str):
    zh = lang == "zh"
    doc = new_document(lang, "工程能力评价/国际工程师资质认证报名表" if zh
                       else "Registration Form for Professional Registration")
    if zh:
        para(doc, "工程能力评价/国际工程师资质认证报名表", "Form Title")
        para(doc, "Registration Form for Professional Registration", "Form Subtitle")
    else:
        para(doc, "Registration Form for Professional Registration", "Form Title")
    info_line(doc, lang, name=False, number=True)

    def lab(zh_text, en_text, span=1):
        return label([zh_text, en_text] if zh else [en_text], span)

    g = Grid(doc, [2.5, 3.5, 2.9, 2.3, 2.2, 3.6])
    g.row([section("个人信息 Personal information" if zh else "Personal information", 6)])
    gender = (["{{a.male_box}} 男 Male", "{{a.female_box}} 女 Female"] if zh
              else ["{{a.male_box}} Male", "{{a.female_box}} Female"])
    g.row([lab("姓名", "Name"), value("{{a.name}}"), lab("性别", "Gender"), value(gender),
           lab("职务/职称", "Job Title"), value("{{a.job_title}}")], height=ROW)
    g.row([lab("所属行业", "Expertise"), value("{{a.expertise}}"), lab("手机", "Contact"),
           value("{{a.mobile}}", 3)], height=ROW)
    g.row([lab("单位名称", "Company"), value("{{a.company}}"), lab("单位地址", "Company address"),
           value("{{a.company_address}}", 3)], height=ROW)
    g.row([lab("单位电话", "Phone"), value("{{a.company_phone}}"), lab("邮箱", "Email"),
           value("{{a.email}}", 3)], height=ROW)
    interview = (["{{a.interview_ok_box}}可以 ok", "{{a.interview_translation_box}}需要翻译 with translation"]
                 if zh else ["{{a.interview_ok_box}} ok", "{{a.interview_translation_box}} with translation"])
    g.row([lab("英文水平", "English level"), value("{{a.english_level}}"),
           lab("是否全英文面试", "English interview"), value(interview, 3)], height=ROW)
    if zh:
        grades = "{% for g in grades %}{{g.box}} {{g.name}}（{{g.code}}）{% if not loop.last %}　　{% endif %}{% endfor %}"
        g.row([lab("申请级别", "Grade applied for"), value(grades, 5)], height=ROW)
    else:
        g.row([lab("申请级别", "Grade applied for"),
               value(["{%p for g in grades %}", "{{g.box}} {{g.name}} ({{g.code}})",
                      "{%p endfor %}"], 5)], height=ROW)

    # Education: highest degree only.
    g.row([section("教育经历Education（仅填写最高学历及学位 Only fill in highest Engineering "
                   "degree(s) and qualification(s)）" if zh else
                   "Education (only fill in highest Engineering degree(s) and qualification(s))", 6)])
    g.row([head(["开始Start", "结束 End"] if zh else ["Start", "End"]),
           head(["学历", "Qualifications"] if zh else "Qualifications"),
           head(["所学专业", "Course"] if zh else "Course", 2),
           head(["毕业院校", "Educational Establishment"] if zh else "Educational Establishment", 2)],
          header=False)
    loop(g, "for e in a.education", [
        centre(["{{e.start}} –", "{{e.end}}"]), centre("{{e.qualification}}"),
        centre("{{e.course}}", 2), centre("{{e.institution}}", 2)], height=ROW)
    blank_rows(g, "education", [1, 1, 2, 2], 1.1)

    # Career: latest five years.
    g.row([section("工作经历Career History（仅填写近5年工作经历 Only fill in latest 5 years "
                   "career history）" if zh else
                   "Career History (only fill in latest 5 years career history)", 6)])
    g.row([head(["开始Start", "结束 End"] if zh else ["Start", "End"]),
           head(["工作单位", "Company"] if zh else "Company"),
           head(["工作职位", "Job Title"] if zh else "Job Title", 2),
           head(["工作职责", "Responsibilities"] if zh else "Responsibilities", 2)])
    loop(g, "for c in a.career", [
        centre(["{{c.start}} –", "{{c.end}}"]), centre("{{c.company}}"),
        centre("{{c.job_title}}", 2), value("{{c.responsibilities}}", 2)], height=ROW)
    blank_rows(g, "career", [1, 1, 2, 2], ROW)

    # Personal description.
    g.row([section("个人描述/Personal description（填写个人获得奖项，专利发表，论文发表等情况/"
                   "Award, patents, paper published etc. 字数在300以内）" if zh else
                   "Personal description (award, patents, paper published etc.; "
                   "no more than 300 characters)", 6)], keep_next=True)
    g.row([C("{{a.description}}", 6, valign="top")], height=3.0)
    return doc


def cpd_record(lang: str):
    zh = lang == "zh"
    doc = new_document(lang, "继续专业发展纪录" if zh else "Continuous Professional Development Record")
    para(doc, "{{a.name}}-过去三年的继续职业发展纪录" if zh else
         "{{a.name}}-Continuous Professional Development Record for past 3 year", "Form Title")
    info_line(doc, lang, name=False)
    widths = [3.1, 5.9, 3.6, 1.8, 2.6]
    g = Grid(doc, widths)
    g.row([head("时间"), head("继续教育内容"), head("主办机构"), head("学时"), head("证明人")] if zh
          else [head("Date"), head("CPD Description"), head("Organizer"),
                head("CPD Claimed hours"), head("Initials of ES/RP*")], header=True)
    loop(g, "for c in a.cpd", [centre("{{c.date}}"), value("{{c.description}}"),
                               centre("{{c.organizer}}"), centre("{{c.hours}}"),
                               centre("{{c.initials}}")], height=0.85)
    blank_rows(g, "cpd", [1, 1, 1, 1, 1], 0.85)
    g.row([C("合计学时" if zh else "Total CPD claimed hours", 3, "Form Label", LABEL_FILL),
           C("{{a.cpd_total}}", 1, "Form Head", LABEL_FILL), C("", 1, fill=LABEL_FILL)],
          height=0.75)
    para(doc, "注：证明人 = ES（工程主管，Engineering Supervisor）或 RP（责任人，Responsible "
         "Person）的姓名缩写。" if zh else
         "ES = Engineering Supervisor, RP = Responsible Person", "Form Note")
    return doc


def cross_reference(lang: str):
    zh = lang == "zh"
    doc = new_document(lang, "交叉对照表格" if zh else "Cross-Reference Table", landscape=True)
    para(doc, "{{grade.name}}交叉对照表格" if zh else
         "{{grade.name}} ({{grade.code}}) Cross-Reference Table", "Form Title")
    info_line(doc, lang)
    g = Grid(doc, [0.8, 0.8, 6.9, 4.0, 3.3, 3.5, 3.5, 3.9])
    if zh:
        heads = ["能力要求", "角色与职责", "教育基础", "初期职业发展", "发展行动计划",
                 "证据来源示例（代码）"]
    else:
        heads = ["Competence", "Roles and Responsibilities", "Education Base",
                 "Initial Professional Development", "Development Action Plan",
                 "Illustrative sources of evidence (CODES)"]
    g.row([head(heads[0], 3)] + [head(h) for h in heads[1:]], header=True)
    loop(g, "for c in competences", [
        C("{{c.letter}}", 1, "Form Head"), centre("{{c.number}}"), value("{{c.statement}}"),
        value("{{c.roles}}"), value("{{c.education_base}}"), value("{{c.ipd}}"),
        value("{{c.dap}}"), value("{{c.evidence}}")], height=1.0)
    return doc


def _endorsement_block(doc, zh: bool):
    g = Grid(doc, [3.6, 4.5, 3.6, 4.5])
    g.row([section("SOE-HK 审核专用栏" if zh else "FOR Endorsement of SOE-HK ONLY", 4)])
    rows = ([("接收申请书日期:", "CMES 审批意见:"), ("申请费用", "ECUK 考核申请书"),
             ("SOEHK 审批:", "日期:")] if zh else
            [("App. Recd on", "CMES Advice"), ("Application Fee", "ECUK App. Consideration"),
             ("SOEHK Endorsement", "Date.")])
    for left, right in rows:
        g.row([label(left), value(""), label(right), value("")], height=1.1)


def cmes_endorsement(lang: str):
    zh = lang == "zh"
    doc = new_document(lang, "CMES 会员申请批注表" if zh else "CMES Endorsement Form")
    right = WD_ALIGN_PARAGRAPH.RIGHT
    if zh:
        para(doc, "CMES 会员申请批注表", "Form Title")
        para(doc, "CMES 表格 – 01C", "Form Text", align=right)
        para(doc, "会员申请表", "Form Subtitle")
        info_line(doc, lang, division=True)
        para(doc, "申请人依据英国营运工程师学会(SOE)与中国机械工程学会(CMES)的会员资质互认协议。"
             "本人现呈送申请书，请求批准为SOE {{a.soe.member_box}}会员/{{a.soe.associate_member_box}}"
             "仲会员*，及申明本人为有效的CMES {{a.cmes.senior_member_box}}高级会员/"
             "{{a.cmes.member_box}}会员*，并居住于英国或香港特别行政区以外的地区。"
             "有效CMES 会员编号: **{{a.cmes.membership_no}}**", "Form Text")
        spacer(doc, 10)
        para(doc, "申请人签署: _____________________", "Form Text")
        para(doc, "日期: ____________________", "Form Text")
        spacer(doc, 10)
        para(doc, "CMES 审批 : ___________________", "Form Text")
        para(doc, "(CMES 盖章)", "Form Text")
        spacer(doc, 10)
        para(doc, "对申请SOE 会员的事项上，依据英国营运工程师学会(SOE)与中国机械工程学会(CMES)的"
             "会员资质互认协议，并居住于英国或香港特别行政区以外的地区的要求事宜。如果获取此会员资质"
             "互认协议通过合格批准，将会取得SOE 会员或仲会员的相关年费的折扣优惠。", "Form Text")
        para(doc, "* 请删除不适合的项目", "Form Text")
        para(doc, "备注: 此申请书必须与SOE 标准申请表、相关费用、相关证明文件，共同呈交。", "Form Text")
    else:
        para(doc, "CMES Endorsement Form", "Form Title")
        para(doc, "Form CMES -01E", "Form Text", align=right)
        para(doc, "Application Form", "Form Subtitle")
        info_line(doc, lang, division=True)
        para(doc, "For Applicants, those come from the Chinese Mechanical Engineering Society "
             "(CMES) under Reciprocal Recognition Agreement between SOE and CMES.", "Form Text")
        # A no-break space keeps each box on the same line as its word.
        para(doc, "I submit herewith my application as {{a.soe.member_box}}\u00a0member/"
             "{{a.soe.associate_member_box}}\u00a0associate member * of SOE and declare that I am "
             "currently a {{a.cmes.senior_member_box}}\u00a0senior member/{{a.cmes.member_box}}"
             "\u00a0member* of CMES residing outside UK and Hong Kong. (Valid CMES Membership No.: "
             "**{{a.cmes.membership_no}}**)", "Form Text")
        spacer(doc, 10)
        para(doc, "Applicant’s Signature: _________________________ Date : _______________",
             "Form Text")
        spacer(doc, 10)
        para(doc, "Support from CMES for this application: __________________________.",
             "Form Text")
        para(doc, "(Authorized Signature of CMES)", "Form Text", align=right)
        spacer(doc, 6)
        para(doc, "According to the Reciprocal Recognition Agreement between SOE and CMES, "
             "members of CMES residing outside UK or Hong Kong applying membership of SOE will "
             "receive a discount off the annual subscription fee of the SOE members as “Members” "
             "or “Associate Members” if admitted through the RRA system.", "Form Text")
        para(doc, "* please delete as appropriate", "Form Text")
        para(doc, "Remarks: this application form must be submitted together with SOE standard "
             "application form, fees and associated documentary proof.", "Form Text")
    spacer(doc, 12)
    _endorsement_block(doc, zh)
    return doc


def fee_notice(lang: str):
    zh = lang == "zh"
    doc = new_document(lang, "费用通知" if zh else "Fee Notice")
    para(doc, "费用通知" if zh else "Fee Notice", "Form Title")
    spacer(doc, 6)
    g = Grid(doc, [3.4, 13.6])
    for lab_zh, lab_en, val in (
        ("申请人", "Applicant", "{{a.name}}"),
        ("申请编号", "Application no.", "{{a.id}}"),
        ("项目", "Programme", "{{programme.title}}（{{programme.society.abbr}}/"
                              "{{programme.partner.abbr}}）" if zh else
         "{{programme.title}} ({{programme.society.abbr}}/{{programme.partner.abbr}})"),
        ("申请级别", "Grade applied for", "{{grade.label}}"),
    ):
        g.row([label(lab_zh if zh else lab_en), value(val)], height=0.8)
    spacer(doc, 8)
    para(doc, "您本次申请的有关费用如下：" if zh else
         "The fees for your application are as follows:", "Form Text")
    g = Grid(doc, [5.6, 2.9, 3.4, 5.1])
    g.row([head("费用项目"), head("金额"), head("缴纳时间"), head("备注")] if zh else
          [head("Item"), head("Amount"), head("When due"), head("Note")], header=True)
    amount = ("{{f.amount}}{% if f.per %}/{{f.per}}{% endif %}" if zh else
              "{{f.amount}}{% if f.per %} per {{f.per}}{% endif %}")
    loop(g, "for f in fees", [value("{{f.item}}"), centre(amount), centre("{{f.due}}"),
                              value("{{f.note}}")], height=0.8)
    g.row([C("一次性费用合计" if zh else "Total of one-off fees", 1, "Form Label", LABEL_FILL),
           C("{{fees_total}}", 1, "Form Head", LABEL_FILL),
           C("{{fees_total_note}}", 2, "Form Cell", LABEL_FILL)], height=0.8)
    spacer(doc, 8)
    para(doc, "**说明：**{{programme.fees_note}}" if zh else "**Note:** {{programme.fees_note}}")
    para(doc, "**联系方式：**{{programme.contact}}" if zh else "**Contact:** {{programme.contact}}")
    spacer(doc, 16)
    para(doc, "{{programme.society.name}}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    para(doc, "{{today}}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    return doc


def submission_checklist(lang: str):
    zh = lang == "zh"
    doc = new_document(lang, "申请材料清单" if zh else "Submission Checklist")
    para(doc, "申请材料清单" if zh else "Submission Checklist", "Form Title")
    info_line(doc, lang)
    g = Grid(doc, [1.6, 8.6, 4.8, 2.0])
    g.row([head("序号"), head("材料"), head("份数"), head("核对")] if zh else
          [head("No."), head("Material"), head("Copies"), head("Check")], header=True)
    loop(g, "for c in checklist", [centre("{{c.no}}"), value("{{c.item}}"), centre("{{c.copies}}"),
                                   centre("☐")], height=0.9)
    spacer(doc, 8)
    if zh:
        para(doc, "**备注：**", "Form Text")
        para(doc, "1．提交申请材料的同时需要缴纳面试费，收费标准见附件十", "Form Text")
        para(doc, "2．表格的填写可参照《申报英国营运工程师学会工程师资格填报指南》。", "Form Text")
    else:
        para(doc, "**Remarks:**", "Form Text")
        para(doc, "1. The interview fee is paid when the application materials are submitted; "
             "see Appendix 10 for the fee scale.", "Form Text")
        para(doc, "2. For filling in the forms, refer to the Guide to Applying for SOE Engineer "
             "Qualifications (《申报英国营运工程师学会工程师资格填报指南》).", "Form Text")
    return doc


DOCUMENTS = {
    "registration_form": registration_form,
    "cpd_record": cpd_record,
    "cross_reference": cross_reference,
    "cmes_endorsement": cmes_endorsement,
    "fee_notice": fee_notice,
    "submission_checklist": submission_checklist,
}


def main(argv: list[str]) -> int:
    wanted = argv or list(DOCUMENTS)
    for doc_id in wanted:
        for lang in ("zh", "en"):
            out = TEMPLATES / lang / f"{doc_id}.docx"
            out.parent.mkdir(parents=True, exist_ok=True)
            DOCUMENTS[doc_id](lang).save(out)
            print(out.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
