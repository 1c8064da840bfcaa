"""Generate the certificate templates (templates/en/cert_*.docx, templates/zh/cert_*.docx).

Run from anywhere:  python scripts/make_certificate_templates.py

Every certificate is one A4 page: a page border, the issuing body, a centred title, the
holder's name large, the grade or membership class, the details (number, date of issue,
division), signature lines for the issuing bodies' officers, and a footer with the QR code
and the verification address. The variables are those of
``formgen.certificate_context.certificate_context``.

The holder's name is a ``{{r ...}}`` run whose size formgen computes from the name's
length, so a long name shrinks to stay on one line. The QR code is a placeholder picture
whose alt text (description) is ``certificate QR code``; formgen puts each certificate's
own code in its place. Staff may edit the generated files in Word (keep the placeholder
picture and the one-page layout); running this script again overwrites them.
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import qrcode
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_ALIGN_VERTICAL, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt, RGBColor
from docx_base import HEI, SONG, blank_document, set_fonts  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"

KAI = "KaiTi"  # 楷体, the holder's name on Chinese certificates
QR_DESCR = "certificate QR code"  # must match formgen.qr.QR_DESCR
SIGN_DESCR = "signature line {n}"  # these three must match formgen.certificates.pictures
SIGN_MARKER_WIDTH, SIGN_MARKER_HEIGHT = 61, 21
SIGN_W_CM = 4.6  # the box a signature picture is fitted into
QR_CM = 3.3  # the QR code, quiet zone included: 0.9 mm modules, 2.4 px at a 70 dpi scan
GREY = "595959"
GOLD = "A67C2E"

PAGE_W, MARGIN = 21.0, 2.3
TEXT_W = PAGE_W - 2 * MARGIN  # 16.4 cm: the name line (formgen.certificate_context.NAME_LINE_PT)


# ------------------------------------------------------------------ document and styles

def _style(doc, name, *, size, east_asia=SONG, bold=False, italic=False, color=None,
           before=0.0, after=0.0, spacing=None, caps=False, align=WD_ALIGN_PARAGRAPH.CENTER):
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles["Normal"]
    style.quick_style = True
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.italic = italic
    style.font.small_caps = caps
    if color:
        style.font.color.rgb = RGBColor.from_string(color)
    set_fonts(style, east_asia)
    if spacing:
        style.element.get_or_add_rPr().append(
            parse_xml(f'<w:spacing {nsdecls("w")} w:val="{int(spacing * 20)}"/>'))
    pf = style.paragraph_format
    pf.space_before, pf.space_after = Pt(before), Pt(after)
    pf.alignment = align
    pf.keep_together = True
    pf.widow_control = False
    return style


def new_certificate(lang: str, title: str, accent: str):
    """An empty one-page certificate: A4, a double border in the accent colour, the styles."""
    doc = blank_document(lang, title, half_points=22)

    sec = doc.sections[0]
    sec.page_width, sec.page_height = Cm(PAGE_W), Cm(29.7)
    sec.left_margin = sec.right_margin = Cm(MARGIN)
    sec.top_margin, sec.bottom_margin = Cm(2.2), Cm(1.6)
    sec.header_distance = sec.footer_distance = Cm(0.8)
    border = (f'w:val="thinThickSmallGap" w:sz="24" w:space="22" w:color="{accent}"')
    sec._sectPr.append(parse_xml(
        f'<w:pgBorders {nsdecls("w")} w:offsetFrom="page">'
        f'<w:top {border}/><w:left {border}/><w:bottom {border}/><w:right {border}/>'
        "</w:pgBorders>"
    ))

    normal = doc.styles["Normal"]
    normal.font.size = Pt(11)
    set_fonts(normal, SONG)
    normal.paragraph_format.space_after = Pt(0)

    zh = lang == "zh"
    _style(doc, "Cert Body Name", size=15 if zh else 14, bold=True, color=accent,
           east_asia=HEI, spacing=3 if zh else 1.5, caps=not zh, after=2)
    _style(doc, "Cert Body Sub", size=10.5, color=GREY, italic=not zh, after=0)
    _style(doc, "Cert Title", size=34 if zh else 32, bold=True, color=accent,
           east_asia=SONG, spacing=8 if zh else 0.5, before=14, after=4)
    _style(doc, "Cert Subtitle", size=14, color=accent, italic=not zh, after=0)
    _style(doc, "Cert Lead", size=14 if zh else 13, italic=not zh, before=18, after=8)
    _style(doc, "Cert Name", size=30, bold=True, east_asia=KAI, after=2)
    # A Chinese name in Kai at its regular weight: no Kai face installed has a bold, and
    # the bold LibreOffice draws in its place (the outline stroked 1/30 em wide) fills
    # the gaps of a dense character such as 龘.
    _style(doc, "Cert Name Kai", size=30, east_asia=KAI, after=2)
    _style(doc, "Cert Text", size=13 if zh else 12.5, before=4, after=4)
    _style(doc, "Cert Grade", size=22, bold=True, color=accent, east_asia=HEI,
           before=4, after=2)
    _style(doc, "Cert Small", size=9.5, color=GREY, align=WD_ALIGN_PARAGRAPH.LEFT)
    _style(doc, "Cert Label", size=9, color=GREY, caps=not zh, spacing=0.5)
    _style(doc, "Cert Value", size=12.5, bold=True, before=2)
    _style(doc, "Cert Sign", size=11, bold=True)
    _style(doc, "Cert Sign Sub", size=9.5, color=GREY)
    return doc


# ------------------------------------------------------------------ pieces

_TOKEN = re.compile(r"(\{\{.*?\}\}|\{%.*?%\})")


def para(container, text: str = "", style: str = "Cert Text", *, first: bool = False):
    """A paragraph; every {{ tag }} is one run of its own, so Word edits keep it whole."""
    p = container.paragraphs[0] if first else container.add_paragraph()
    p.style = style
    for part in _TOKEN.split(text):
        if part:
            p.add_run(part)
    return p


def space(doc, cm: float) -> None:
    """Fixed vertical space: an empty paragraph exactly ``cm`` high."""
    p = doc.add_paragraph(style="Normal")
    p.paragraph_format.line_spacing = Cm(cm)
    p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY


def rule(paragraph, accent: str, indent_cm: float, sz: int = 8) -> None:
    """A short centred line under a paragraph (a bottom border between indents)."""
    paragraph.paragraph_format.left_indent = Cm(indent_cm)
    paragraph.paragraph_format.right_indent = Cm(indent_cm)
    ppr = paragraph._p.get_or_add_pPr()
    ppr.append(parse_xml(
        f'<w:pBdr {nsdecls("w")}><w:bottom w:val="single" w:sz="{sz}" w:space="6" '
        f'w:color="{accent}"/></w:pBdr>'
    ))


def _table(doc, widths: list[float]):
    table = doc.add_table(rows=1, cols=len(widths))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    tbl_pr.append(parse_xml(f'<w:tblLayout {nsdecls("w")} w:type="fixed"/>'))
    tbl_w = tbl_pr.find(qn("w:tblW"))
    if tbl_w is not None:
        tbl_w.set(qn("w:type"), "dxa")
        tbl_w.set(qn("w:w"), str(round(sum(widths) / 2.54 * 1440)))
    tbl_pr.append(parse_xml(
        f'<w:tblCellMar {nsdecls("w")}><w:left w:w="60" w:type="dxa"/>'
        '<w:right w:w="60" w:type="dxa"/></w:tblCellMar>'))
    for col, w in zip(table.columns, widths, strict=True):
        col.width = Cm(w)
    for cell, w in zip(table.rows[0].cells, widths, strict=True):
        cell.width = Cm(w)
    table.rows[0]._tr.get_or_add_trPr().append(parse_xml(f'<w:cantSplit {nsdecls("w")}/>'))
    return table


def _cell_border(cell, side: str, color: str, sz: int = 6) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    tc_pr.append(parse_xml(
        f'<w:tcBorders {nsdecls("w")}><w:{side} w:val="single" w:sz="{sz}" w:space="0" '
        f'w:color="{color}"/></w:tcBorders>'))


def details(doc, accent: str, fields: list[tuple[str, str]]) -> None:
    """The details row: label over value, one column per field, a thin rule above."""
    widths = [TEXT_W / len(fields)] * len(fields)
    table = _table(doc, widths)
    for cell, (label, value) in zip(table.rows[0].cells, fields, strict=True):
        _cell_border(cell, "top", accent, 6)
        para(cell, label, "Cert Label", first=True).paragraph_format.space_before = Pt(6)
        para(cell, value, "Cert Value")


def _line_placeholder(index: int) -> bytes:
    """A blank picture marking the place of signature line ``index``'s signature and seal.

    Its pixel size tells formgen which line it is (formgen.certificates.pictures: SIGN_MARKER_WIDTH plus the line index, SIGN_MARKER_HEIGHT).
    """
    from PIL import Image

    image = Image.new("L", (SIGN_MARKER_WIDTH + index, SIGN_MARKER_HEIGHT), 255)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def signatures(doc, accent: str, lang: str, count: int, sign_cm: float = 1.8) -> None:
    """Signature lines side by side: room for the signature (a placeholder picture where
    formgen draws a signature or seal picture), a line, the officer's name and title and
    the signing body, from the manifest's signatories (``sign`` in the context).

    ``lang`` is zh, en or both (a bilingual certificate)."""
    gap = 1.6
    col = (TEXT_W - gap * (count - 1)) / count
    widths: list[float] = []
    for i in range(count):
        widths.append(col)
        if i < count - 1:
            widths.append(gap)
    table = _table(doc, widths)
    row = table.rows[0]
    for i in range(count):
        cell = row.cells[2 * i]
        cell.vertical_alignment = WD_ALIGN_VERTICAL.TOP
        room = cell.paragraphs[0]
        room.style = "Normal"
        room.alignment = WD_ALIGN_PARAGRAPH.CENTER
        room.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        room.paragraph_format.line_spacing = Cm(sign_cm)
        run = room.add_run()
        run.add_picture(io.BytesIO(_line_placeholder(i)), width=Cm(SIGN_W_CM),
                        height=Cm(sign_cm - 0.2))
        doc_pr = run._r.find(".//" + qn("wp:docPr"))
        doc_pr.set("name", f"Signature {i + 1}")
        doc_pr.set("descr", SIGN_DESCR.format(n=i + 1))
        # The line is the room's bottom border: the room has a fixed height, so the lines
        # of all columns stay level whatever the names below them are written in.
        room._p.get_or_add_pPr().append(parse_xml(
            f'<w:pBdr {nsdecls("w")}><w:bottom w:val="single" w:sz="6" w:space="1" '
            f'w:color="404040"/></w:pBdr>'))
        key = "both" if lang == "both" else lang
        p = para(cell, "{{ sign[" + str(i) + "].name." + key + " }}", "Cert Sign")
        p.paragraph_format.space_before = Pt(4)
        para(cell, "{{ sign[" + str(i) + "].title." + key + " }}", "Cert Sign Sub")
        for body_lang in (("zh", "en") if lang == "both" else (lang,)):
            para(cell, "{{ sign[" + str(i) + "].body.name." + body_lang + " }}", "Cert Sign Sub")


def _placeholder_qr() -> bytes:
    code = qrcode.QRCode(box_size=8, border=4)
    code.add_data("https://verify.example.org/c/0000000000")
    image = code.make_image(fill_color="#9a9a9a", back_color="white").get_image()
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


FOOTER_LINES = {
    "zh": [
        "证书编号：{{ cert.number }}",
        "验证码：{{ cert.code }}",
        "核验网址：{{ cert.verify }}",
        "扫描二维码或访问上述网址，可核验本证书是否真实有效。",
    ],
    "zh+en": [
        "证书编号 Certificate No.：{{ cert.number }}",
        "验证码 Verification code：{{ cert.code }}",
        "核验网址 Verify at：{{ cert.verify }}",
        "扫描二维码或访问上述网址，可核验本证书是否真实有效。",
        "Scan the QR code or visit the address above\nto check that this certificate "
        "is genuine and still valid.",
    ],
    "en": [
        "Certificate No. {{ cert.number }}",
        "Verification code {{ cert.code }}",
        "Verify at {{ cert.verify }}",
        "Scan the QR code or visit the address above\nto check that this certificate "
        "is genuine and still valid.",
    ],
}


def footer(doc, languages: str) -> None:
    """QR code on the left; the number, the code and the verification address on the
    right, in the certificate's languages (``zh``, ``en`` or ``zh+en``)."""
    table = _table(doc, [QR_CM + 0.3, TEXT_W - QR_CM - 0.3])
    qr_cell, text_cell = table.rows[0].cells
    qr_cell.vertical_alignment = text_cell.vertical_alignment = WD_ALIGN_VERTICAL.CENTER
    p = qr_cell.paragraphs[0]
    p.style = "Cert Small"
    run = p.add_run()
    run.add_picture(io.BytesIO(_placeholder_qr()), width=Cm(QR_CM), height=Cm(QR_CM))
    doc_pr = run._r.find(".//" + qn("wp:docPr"))
    doc_pr.set("name", "QR code")
    doc_pr.set("descr", QR_DESCR)
    for i, line in enumerate(FOOTER_LINES[languages]):
        first, _, rest = line.partition("\n")  # a line break where the sentence reads best
        q = para(text_cell, first, "Cert Small", first=(i == 0))
        if rest:
            q.add_run().add_break()
            q.add_run(rest)
        q.paragraph_format.space_after = Pt(2)
        for r in q.runs:
            if "cert.verify" in r.text:  # the address in a typewriter face, easy to type
                r.font.name = "Courier New"
                r.bold = True


def heading(doc, accent: str, body: str, sub: str | None, title: str,
            subtitle: str | None, top: float = 0.6):
    space(doc, top)
    para(doc, body, "Cert Body Name")
    if sub:
        para(doc, sub, "Cert Body Sub")
    para(doc, title, "Cert Title")
    if subtitle:
        para(doc, subtitle, "Cert Subtitle")
    p = para(doc, "", "Cert Text")
    rule(p, GOLD, 6.2, sz=12)
    p.paragraph_format.space_before = Pt(0)


def name_line(doc, var: str, accent: str, *, ruled: bool = True):
    style = "Cert Name Kai" if var.endswith(".zh") else "Cert Name"
    p = para(doc, "{{r " + var + " }}", style)
    if ruled:
        rule(p, GOLD, 1.0, sz=6)
    return p


# ------------------------------------------------------------------ the certificates

def ecuk_registration():
    """ECUK registration certificate (English): both programmes, licensed institution named."""
    accent = "1F3864"
    doc = new_certificate("en", "Engineering Council Registration Certificate", accent)
    heading(doc, accent, "{{ bodies.registration_body.name.en }}", None,
            "Certificate of Registration", None, top=1.0)
    para(doc, "This is to certify that", "Cert Lead").paragraph_format.space_before = Pt(30)
    name_line(doc, "holder.name_run.en", accent)
    para(doc, "has been entered on the Register of the {{ bodies.registration_body.name.en }} as",
         "Cert Text").paragraph_format.space_before = Pt(16)
    para(doc, "{{ grade.article.en }} {{ grade.name.en }}", "Cert Grade")
    para(doc, "and is entitled to use the title and the designatory letters "
              "{{ grade.code }}", "Cert Text")
    para(doc, "on the recommendation of the licensed institution",
         "Cert Text").paragraph_format.space_before = Pt(16)
    para(doc, "{{ bodies.partner.name.en }} ({{ bodies.partner.abbr }})", "Cert Value")
    para(doc, "{%p if holder.division.code %}", "Cert Text")
    para(doc, "Professional sector: {{ holder.division.name.en }} ({{ holder.division.code }})",
         "Cert Text")
    para(doc, "{%p endif %}", "Cert Text")
    space(doc, 1.4)
    details(doc, accent, [
        ("Registration number", "{{ holder.ecuk_number }}"),
        ("Grade", "{{ grade.code }}"),
        ("Date of registration", "{{ cert.issued_on.en }}"),
    ])
    space(doc, 0.6)
    signatures(doc, accent, "en", 2)
    space(doc, 1.6)
    footer(doc, "en")
    return doc


def csee_iet_joint():
    """CSEE–IET joint certificate (bilingual)."""
    accent = "7A1F2B"
    doc = new_certificate("zh", "国际工程师资质认证证书", accent)
    heading(doc, accent, "{{ bodies.society.name.zh }}　{{ bodies.partner.name.zh }}",
            "{{ bodies.society.name.en }} · {{ bodies.partner.name.en }}",
            "国际工程师资质认证证书", "International Professional Engineer Certificate",
            top=0.4)
    para(doc, "兹证明 This is to certify that", "Cert Lead").paragraph_format.space_before = Pt(20)
    name_line(doc, "holder.name_run.zh", accent, ruled=False)
    name_line(doc, "holder.name_run.en", accent)
    p = para(doc, "通过{{ bodies.society.name.zh }}与{{ bodies.partner.name.zh }}"
                  "联合组织的国际工程师资质认证", "Cert Text")
    p.paragraph_format.space_before = Pt(14)
    para(doc, "has been jointly assessed by {{ bodies.society.abbr }} and "
              "{{ bodies.partner.abbr }} and is recognised as", "Cert Body Sub")
    grade = para(doc, "{{ grade.name.zh }}（{{ grade.code }}）", "Cert Grade")
    grade.paragraph_format.space_before = Pt(10)
    para(doc, "{{ grade.article.en }} {{ grade.name.en }}", "Cert Subtitle")
    para(doc, "特发此证。", "Cert Text").paragraph_format.space_before = Pt(10)
    space(doc, 0.6)
    details(doc, accent, [
        ("证书编号 Certificate No.", "{{ cert.number }}"),
        ("级别 Grade", "{{ grade.name.zh }} {{ grade.code }}"),
        ("颁发日期 Date of issue", "{{ cert.issued_on.zh }}"),
    ])
    date_en = para(doc, "{{ cert.issued_on.en }}", "Cert Sign Sub")
    date_en.paragraph_format.left_indent = Cm(2 * TEXT_W / 3)
    space(doc, 0.3)
    signatures(doc, accent, "both", 2, sign_cm=1.6)
    space(doc, 0.5)
    footer(doc, "zh+en")
    return doc


def csee_competence():
    """CSEE 工程能力评价证书 (Chinese)."""
    accent = "9C2A00"
    doc = new_certificate("zh", "工程能力评价证书", accent)
    heading(doc, accent, "{{ bodies.society.name.zh }}", None, "工程能力评价证书", None, top=1.0)
    para(doc, "兹证明", "Cert Lead").paragraph_format.space_before = Pt(30)
    name_line(doc, "holder.name_run.zh", accent)
    p = para(doc, "经{{ bodies.society.name.zh }}工程能力评价，在知识获取和理解、知识运用、"
                  "领导和管理、交流沟通、职业素质和社会责任五个方面的能力达到", "Cert Text")
    p.paragraph_format.space_before = Pt(18)
    p.paragraph_format.left_indent = p.paragraph_format.right_indent = Cm(1.2)
    p.paragraph_format.line_spacing = 1.3
    grade = para(doc, "{{ grade.name.zh }}（{{ grade.code }}）", "Cert Grade")
    grade.paragraph_format.space_before = Pt(10)
    para(doc, "水平，特发此证。", "Cert Text").paragraph_format.space_before = Pt(8)
    space(doc, 1.4)
    details(doc, accent, [
        ("证书编号", "{{ cert.number }}"),
        ("评价级别", "{{ grade.name.zh }}（{{ grade.code }}）"),
        ("发证日期", "{{ cert.issued_on.zh }}"),
    ])
    space(doc, 0.8)
    signatures(doc, accent, "zh", 2, sign_cm=1.6)
    space(doc, 1.2)
    footer(doc, "zh")
    return doc


def soe_membership():
    """SOE membership certificate (English), by professional sector (IRTE, IPlantE, BES)."""
    accent = "00566B"
    doc = new_certificate("en", "Society of Operations Engineers Membership Certificate", accent)
    heading(doc, accent, "{{ bodies.partner.name.en }}",
            "{{ holder.division.name.en }} ({{ holder.division.code }})",
            "Certificate of Membership", None, top=1.0)
    para(doc, "This is to certify that", "Cert Lead").paragraph_format.space_before = Pt(30)
    name_line(doc, "holder.name_run.en", accent)
    para(doc, "has been elected", "Cert Text").paragraph_format.space_before = Pt(16)
    para(doc, "{{ holder.membership.article.en }} {{ holder.membership.name.en }}", "Cert Grade")
    para(doc, "of the {{ bodies.partner.name.en }}", "Cert Text")
    para(doc, "and is registered in its professional sector",
         "Cert Text").paragraph_format.space_before = Pt(16)
    para(doc, "{{ holder.division.name.en }} ({{ holder.division.code }})", "Cert Value")
    para(doc, "{{ holder.division.field.en }}", "Cert Body Sub")
    space(doc, 1.4)
    details(doc, accent, [
        ("Membership number", "{{ holder.soe_membership_number }}"),
        ("Class of membership", "{{ holder.membership.name.en }}"),
        ("Date of election", "{{ cert.issued_on.en }}"),
    ])
    space(doc, 0.6)
    signatures(doc, accent, "en", 2)
    p = para(doc, "Issued through the {{ bodies.partner_branch.name.en }}", "Cert Body Sub")
    p.paragraph_format.space_before = Pt(10)
    space(doc, 1.2)
    footer(doc, "en")
    return doc


def cmes_engineer():
    """CMES 机械工程师资格证书 (Chinese)."""
    accent = "0B3D91"
    doc = new_certificate("zh", "机械工程师资格证书", accent)
    heading(doc, accent, "{{ bodies.society.name.zh }}", None, "机械工程师资格证书", None, top=0.6)
    para(doc, "兹证明", "Cert Lead").paragraph_format.space_before = Pt(24)
    name_line(doc, "holder.name_run.zh", accent)
    p = para(doc, "经{{ bodies.society.name.zh }}认定，具备", "Cert Text")
    p.paragraph_format.space_before = Pt(18)
    para(doc, "机械工程师", "Cert Grade")
    para(doc, "资格，特发此证。", "Cert Text")
    p = para(doc, "经{{ bodies.society.name.zh }}与{{ bodies.partner.name.zh }}技术资格互认，",
             "Cert Body Sub")
    p.paragraph_format.space_before = Pt(16)
    para(doc, "持证人同时取得{{ bodies.registration_body.name.zh }}"
              "{{ grade.name.zh }}（{{ grade.code }}）资格。", "Cert Body Sub")
    para(doc, "专业领域：{{ holder.division.field.zh }}"
              "（{{ bodies.partner.abbr }} {{ holder.division.code }}）", "Cert Body Sub")
    space(doc, 1.2)
    details(doc, accent, [
        ("证书编号", "{{ cert.number }}"),
        ("互认级别", "{{ grade.name.zh }}（{{ grade.code }}）"),
        ("发证日期", "{{ cert.issued_on.zh }}"),
    ])
    space(doc, 0.8)
    signatures(doc, accent, "zh", 2, sign_cm=1.6)
    space(doc, 1.0)
    footer(doc, "zh")
    return doc


CERTIFICATES = {
    ("en", "cert_ecuk_registration"): ecuk_registration,
    ("zh", "cert_csee_iet_joint"): csee_iet_joint,
    ("zh", "cert_csee_competence"): csee_competence,
    ("en", "cert_soe_membership"): soe_membership,
    ("zh", "cert_cmes_engineer"): cmes_engineer,
}


def main(argv: list[str]) -> int:
    for (lang, name), make in CERTIFICATES.items():
        if argv and name not in argv:
            continue
        out = TEMPLATES / lang / f"{name}.docx"
        out.parent.mkdir(parents=True, exist_ok=True)
        make().save(out)
        print(out.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
