"""The building blocks of the application documents' templates (scripts/make_templates.py):
page set-up and running heads, paragraph and table styles, text with Jinja tags, and
fixed-layout tables on a column grid.

Layout rules every document follows, so that pages survive real data:
- every page after the first names the applicant (a running head; the first page has its
  own, empty header, and the title block names the applicant instead);
- the heading rows of a table that may cross a page repeat on the next page, and no row
  is split between pages;
- a row that continues a group repeats the group's label (the competence letter), and
  rows that read as one block (a post of the career history) carry "keep with next", so
  they move to the next page together;
- every Jinja tag is one run of its own, so each value sits in its own run and the
  templates survive editing in Word;
- in a form the applicant fills in, each value is a content control tagged with its data
  path (``[[TAG|{{ value }}]]`` in the text, see ``control``), so ``formgen extract``
  reads the filled form back; the controls have no border and no placeholder, so the
  form prints as it would without them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_ALIGN_VERTICAL, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt, RGBColor
from docx_base import HEI, LATIN, SONG, blank_document, fonts_xml, set_fonts, set_lang  # noqa: E402

from formgen.model.tags import choice_bookmark, choice_tag, text_bookmark

HEAD_FILL = "D9D9D9"  # section and column headings
LABEL_FILL = "F2F2F2"  # field labels
NBSP = "\u00a0"

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


def new_document(lang: str, title: str, *, landscape: bool = False, top: float = 1.8,
                 bottom: float = 1.6, header: float = 0.8, footer: float = 0.7):
    """An A4 document with the form styles, a page number in the footer and, on every page
    after the first, a running head naming the document and the applicant."""
    doc = blank_document(lang, title, half_points=21, kern=True)

    sec = doc.sections[0]
    if landscape:
        sec.orientation = WD_ORIENT.LANDSCAPE
        sec.page_width, sec.page_height = Cm(29.7), Cm(21.0)
        sec.left_margin = sec.right_margin = Cm(1.5)
    else:
        sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)
        sec.left_margin = sec.right_margin = Cm(2.0)
    sec.top_margin = Cm(top)
    sec.bottom_margin = Cm(bottom)
    sec.header_distance = Cm(header)
    sec.footer_distance = Cm(footer)

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
    _paragraph_style(doc, "Form Heading", size=11.5, bold=True, east_asia=HEI, before=10,
                     after=4, keep_next=True)
    _paragraph_style(doc, "Form Text", after=6)
    _paragraph_style(doc, "Form Note", size=9, before=3)
    # Table text at 10 pt on lines of 12.5 pt, as Chinese forms are set: the CJK fonts'
    # own line height (1.45 em) would leave the Chinese registration form no room on
    # one page for its 300-character description.
    cell = _paragraph_style(doc, "Form Cell", size=10)
    cell.paragraph_format.line_spacing = Pt(12.5)
    _paragraph_style(doc, "Form Cell Centre", base="Form Cell", align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph_style(doc, "Form Label", base="Form Cell", bold=True)
    _paragraph_style(doc, "Form Head", base="Form Cell", bold=True, east_asia=HEI,
                     align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph_style(doc, "Form Head Repeated", base="Form Cell", align=WD_ALIGN_PARAGRAPH.CENTER,
                     color="808080")
    _paragraph_style(doc, "Form Section", base="Form Cell", bold=True, east_asia=HEI)
    _paragraph_style(doc, "Form Footer", size=8.5, align=WD_ALIGN_PARAGRAPH.CENTER,
                     color="595959")
    _paragraph_style(doc, "Form Running Head", size=8.5, align=WD_ALIGN_PARAGRAPH.RIGHT,
                     color="595959")
    _paragraph_style(doc, "Form Gap", size=1)

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

    _page_furniture(doc, lang)
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


def _page_number(doc, p, lang: str) -> None:
    p.style = doc.styles["Form Footer"]
    # The page number only: a total (NUMPAGES) would stop documents of one template from
    # being converted together in one LibreOffice load (see formgen/office/merge.py).
    if lang == "zh":
        p.add_run("第 ")
        _field(p, "PAGE")
        p.add_run(" 页")
    else:
        p.add_run("Page ")
        _field(p, "PAGE")


def _page_furniture(doc, lang: str) -> None:
    """Footers with the page number; a running head on the pages after the first."""
    sec = doc.sections[0]
    sec.different_first_page_header_footer = True
    _page_number(doc, sec.footer.paragraphs[0], lang)
    _page_number(doc, sec.first_page_footer.paragraphs[0], lang)
    sec.first_page_header.paragraphs[0].style = doc.styles["Form Running Head"]
    head = sec.header.paragraphs[0]
    head.style = doc.styles["Form Running Head"]
    fill(head, "{{document.title}}　申请人：{{a.name}}{{a.name_line}}{{a.before_id}}{{a.id}}"
         "{{a.after_id}}" if lang == "zh" else
         "{{document.title}} · Applicant: {{a.name}}{{a.name_line}}{{a.before_id}}{{a.id}}"
         "{{a.after_id}}")


# ---------------------------------------------------------------- text with tags

_TOKEN = re.compile(r"(\[\[.*?\|.*?\]\]|\{\{.*?\}\}|\{%.*?%\}|\*\*.*?\*\*)")
_CONTROL = re.compile(r"^\[\[(.*?)\|(.*?)\]\]$")
W14 = 'xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml"'
_bookmarks = iter(range(100, 100000, 10))


MULTILINE = ("description", "responsibilities", "roles", "education_base", "ipd", "dap",
             "evidence", "company_address")
"""Fields whose values may run to several lines: their plain-text controls take a line
break (w:multiLine), so Word lets the applicant start a new line in them; rendered with a
break in the value, they become rich-text controls (see formgen/forms/lines.py)."""


def _run_xml(text: str, bold: bool) -> str:
    rpr = "<w:rPr><w:b/></w:rPr>" if bold else ""
    return f'<w:r>{rpr}<w:t xml:space="preserve">{text}</w:t></w:r>' if text else ""


def control(paragraph, tag: str, content: str, bold: bool | None = None) -> None:
    """A content control around ``content`` (a {{ value }}, or nothing in a spare row),
    tagged and titled ``tag`` (the value's data path, see formgen/model/tags.py).

    ``box:PATH=VALUE`` makes a checkbox control, inside a bookmark fg_PATH__VALUE that
    office suites keep when they drop a control's tag. A text control is plain text
    (w:text): its title survives LibreOffice; a bold one is rich text in a bookmark. No placeholder and no border: the form
    prints as it does without controls."""
    strong = bool(bold)
    if content.startswith("**") and content.endswith("**"):
        content, strong = content[2:-2], True
    if tag.startswith("box:"):
        path, _, choice = tag[4:].partition("=")
        variable = content.strip("{} ")
        number = next(_bookmarks)
        # A box in a loop (the grades) gets a bookmark id of its own on each pass.
        mark_id = f"{{{{ {number} + loop.index }}}}" if "{{" in choice else str(number)
        name = choice_bookmark(path, choice)
        checked = f"{{% if {variable} == '☑' %}}1{{% else %}}0{{% endif %}}"
        xml = (
            f'<w:sdt {nsdecls("w")} {W14}><w:sdtPr><w:alias w:val="{choice_tag(path, choice)}"/>'
            f'<w:tag w:val="{choice_tag(path, choice)}"/><w14:checkbox><w14:checked w14:val="{checked}"/>'
            '<w14:checkedState w14:val="2611" w14:font="SimSun"/>'
            '<w14:uncheckedState w14:val="2610" w14:font="SimSun"/></w14:checkbox></w:sdtPr>'
            f'<w:sdtContent>{_run_xml(content, strong)}</w:sdtContent></w:sdt>'
        )
        paragraph._p.append(parse_xml(
            f'<w:bookmarkStart {nsdecls("w")} w:id="{mark_id}" w:name="{name}"/>'))
        paragraph._p.append(parse_xml(xml))
        paragraph._p.append(parse_xml(f'<w:bookmarkEnd {nsdecls("w")} w:id="{mark_id}"/>'))
        return
    # A bold value is a rich-text control: LibreOffice draws a plain-text control's text
    # without the run's bold. It keeps no tag of a rich-text control, so a bookmark
    # fg_PATH marks the value too (formgen.model.tags.RICH_TEXT lists these paths).
    several = any(tag.rstrip("} ").endswith("." + name) for name in MULTILINE)
    kind = "" if strong else '<w:text w:multiLine="1"/>' if several else "<w:text/>"
    xml = (
        f'<w:sdt {nsdecls("w")}><w:sdtPr><w:alias w:val="{tag}"/><w:tag w:val="{tag}"/>'
        f'{kind}</w:sdtPr><w:sdtContent>{_run_xml(content, strong) or "<w:r/>"}'
        '</w:sdtContent></w:sdt>'
    )
    if strong:
        number = next(_bookmarks)
        name = text_bookmark(tag)
        paragraph._p.append(parse_xml(
            f'<w:bookmarkStart {nsdecls("w")} w:id="{number}" w:name="{name}"/>'))
        paragraph._p.append(parse_xml(xml))
        paragraph._p.append(parse_xml(f'<w:bookmarkEnd {nsdecls("w")} w:id="{number}"/>'))
        return
    paragraph._p.append(parse_xml(xml))


def _neutral(text: str) -> bool:
    """Only spaces and punctuation, none of it Chinese (a dash, a bracket)."""
    return all(unicodedata.category(ch)[0] in "PZ" and ord(ch) < 0x3000 for ch in text)


def fill(paragraph, text: str, *, bold: bool | None = None):
    """Add text to a paragraph: every {{ tag }} / {% tag %} is one run of its own,
    **...** is bold, [[TAG|{{ value }}]] a content control (see ``control``), a newline
    starts a new line (w:br)."""
    parts = [part for part in _TOKEN.split(text) if part]
    for index, part in enumerate(parts):
        wrapped = _CONTROL.match(part)
        if wrapped:
            control(paragraph, wrapped.group(1), wrapped.group(2), bold)
            continue
        beside_control = any(_CONTROL.match(p) for p in parts[max(0, index - 1): index + 2])
        if beside_control and _neutral(part):
            run = paragraph.add_run(part)
            run.bold = True if bold else None
            # LibreOffice draws a dash or a space beside a plain-text control in the East
            # Asian font where, without the control, it draws it in the Latin one: the
            # run names the Latin font for both, so it prints the same either way.
            run._r.get_or_add_rPr().insert(0, parse_xml(
                f'<w:rFonts {nsdecls("w")} w:eastAsia="{LATIN}"/>'))
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


def para(doc_or_cell, text: str = "", style: str = "Form Text", *, align=None, first=False,
         keep_next=False):
    """A paragraph in a document or cell; ``first`` reuses a cell's initial empty paragraph."""
    if first:
        p = doc_or_cell.paragraphs[0]
        p.style = style
    else:
        p = doc_or_cell.add_paragraph(style=style)
    if align is not None:
        p.alignment = align
    if keep_next:
        p.paragraph_format.keep_with_next = True
    return fill(p, text)


def spacer(doc, pt: float = 4, *, keep_next=False) -> None:
    p = doc.add_paragraph(style="Form Text")
    p.paragraph_format.space_after = Pt(0)
    p.paragraph_format.line_spacing = Pt(pt)
    if keep_next:
        p.paragraph_format.keep_with_next = True


def gap(doc) -> None:
    """The thinnest paragraph Word allows between two tables that should read as one
    (with no paragraph between them, Word would join them into one table)."""
    p = doc.add_paragraph(style="Form Gap")
    p.paragraph_format.line_spacing = Pt(1)
    p.paragraph_format.keep_with_next = True


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

    def __init__(self, doc, widths: list[float], *, align_centre: bool = True,
                 top_border: bool = True):
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
        if not top_border:  # continues the table above it (see gap())
            tbl_pr.append(parse_xml(
                f'<w:tblBorders {nsdecls("w")}><w:top w:val="nil"/></w:tblBorders>'))
        for col, w in zip(self.table.columns, widths, strict=True):
            col.width = Cm(w)

    def row(self, cells: list[C], *, height: float | None = None, exact=False,
            header=False, cant_split=True, keep_next=False):
        """A row; ``header`` rows repeat at the top of each page the table runs onto,
        ``keep_next`` keeps the row on the same page as the next one."""
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
                para(cell, t, spec.style, first=(i == 0), keep_next=keep_next or header)
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


def loop(grid: Grid, header: str, cells: list[C], *, height: float | None = None,
         keep_next=False):
    grid.tag_row("{%tr " + header + " %}")
    grid.row(cells, height=height, keep_next=keep_next)
    grid.tag_row("{%tr endfor %}")


def blank_rows(grid: Grid, group: str, cells: list[C], height: float, *, keep_next=False):
    """The empty rows left for the applicant, each cell made of ``spare`` controls tagged
    with the entry the row would be (``keep_next``: they stay with the row after them,
    e.g. a total, rather than leave it alone on a page)."""
    loop(grid, f"for r in blank_rows.{group}", cells, height=height, keep_next=keep_next)


def tagged(path: str, field_name: str) -> str:
    """``[[{{path.tag.field}}|{{path.field}}]]``: a value in a control tagged with its data
    path (the context gives each value's tag next to it)."""
    return f"[[{{{{{path}.tag.{field_name}}}}}|{{{{{path}.{field_name}}}}}]]"


def spare(field_name: str) -> str:
    """An empty control in a spare row, tagged as that field of the entry the row would be."""
    return f"[[{{{{r.tag.{field_name}}}}}|]]"


def info_line(doc, lang: str, *, name=True, division=False, number=False, controls=False):
    """The lines under a title: the programme; the applicant and the grade applied for (in
    the programme's terms); the SOE division on a line of its own. In a fillable form
    (``controls``) each value is a control tagged with its data path."""
    zh = lang == "zh"

    def v(tag: str, text: str) -> str:
        return f"[[{tag}|{text}]]" if controls else text

    title, ident = v("programme", "{{programme.title}}"), v("id", "{{a.id}}")
    lines = [f"项目：{title}（{{{{programme.society.abbr}}}}/{{{{programme.partner.abbr}}}}）"
             if zh else f"Programme: {title} ({{{{programme.society.abbr}}}}/"
             "{{programme.partner.abbr}})"]
    parts = []
    applicant = v("{{a.tag.name}}", "{{a.name}}")
    if name:  # a blank form: a line for the name, then the reference labelled
        parts.append(f"{'申请人：' if zh else 'Applicant: '}{applicant}{{{{a.name_line}}}}"
                     f"{{{{a.before_id}}}}{ident}{{{{a.after_id}}}}")
    grade = v("grade", "{{grade.label}}")
    parts.append(f"申请级别：{grade}" if zh else f"Grade applied for: {grade}")
    if number:
        parts.append(f"编号：{ident}" if zh else f"Application no.: {ident}")
    lines.append(("　" if zh else " · ").join(parts))
    if division:
        code = v("soe.division", "{{a.soe.division}}")
        lines.append(f"SOE专业分会：{code}{{{{a.soe.division_line}}}} {{{{a.soe.division_name}}}}"
                     if zh else
                     f"SOE division: {code}{{{{a.soe.division_line}}}} {{{{a.soe.division_name}}}}")
    return para(doc, "\n".join(lines), "Form Info")


__all__ = [
    "HEAD_FILL", "HEI", "LABEL_FILL", "NBSP", "SONG", "C", "Grid", "WD_ALIGN_PARAGRAPH", "blank_rows",
    "centre", "control", "fill", "gap", "head", "info_line", "label", "loop", "new_document",
    "para", "section", "spacer", "spare", "tagged", "value",
]
