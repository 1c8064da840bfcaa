"""What every generated template shares: its fonts, languages and document defaults.

Body text is Times New Roman with 宋体 (SimSun) for Chinese; the East Asian language is
zh-CN, without which LibreOffice draws Chinese with Japanese glyph shapes.
"""

from __future__ import annotations

from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn

LATIN = "Times New Roman"
SONG = "SimSun"  # 宋体, body text
HEI = "SimHei"  # 黑体, titles and headings
LANG_XML = '<w:lang w:val="en-GB" w:eastAsia="zh-CN" w:bidi="ar-SA"/>'


def fonts_xml(east_asia: str, latin: str = LATIN) -> str:
    return (
        f'<w:rFonts w:ascii="{latin}" w:hAnsi="{latin}" w:cs="{latin}" '
        f'w:eastAsia="{east_asia}"/>'
    )


def set_fonts(style, east_asia: str, latin: str = LATIN) -> None:
    """Latin and East Asian fonts of a style, written into its rPr."""
    rpr = style.element.get_or_add_rPr()
    for old in rpr.findall(qn("w:rFonts")):
        rpr.remove(old)
    rpr.insert(0, parse_xml(f"<w:r {nsdecls('w')}>{fonts_xml(east_asia, latin)}</w:r>")[0])


def set_lang(style) -> None:
    rpr = style.element.get_or_add_rPr()
    for old in rpr.findall(qn("w:lang")):
        rpr.remove(old)
    rpr.append(parse_xml(f"<w:r {nsdecls('w')}>{LANG_XML}</w:r>")[0])


def blank_document(lang: str, title: str, *, half_points: int, kern: bool = False):
    """An empty document: its properties, and default fonts, size, languages and spacing."""
    doc = Document()
    props = doc.core_properties
    props.title = title
    props.author = props.last_modified_by = ""
    props.comments = props.subject = props.keywords = props.category = ""
    props.language = "zh-CN" if lang == "zh" else "en-GB"

    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr_default = defaults.find(qn("w:rPrDefault"))
    rpr_default.remove(rpr_default.find(qn("w:rPr")))
    kerning = '<w:kern w:val="2"/>' if kern else ""
    rpr_default.append(parse_xml(
        f'<w:rPr {nsdecls("w")}>{fonts_xml(SONG)}{kerning}'
        f'<w:sz w:val="{half_points}"/><w:szCs w:val="{half_points}"/>{LANG_XML}</w:rPr>'
    ))
    ppr_default = defaults.find(qn("w:pPrDefault"))
    ppr_default.remove(ppr_default.find(qn("w:pPr")))
    ppr_default.append(parse_xml(
        f'<w:pPr {nsdecls("w")}><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr>'
    ))
    return doc
