"""How a paragraph's typed values are read when LibreOffice wrote them several times over
(``formgen/extract/runs.py``), on paragraphs as LibreOffice 7.4 writes them."""

from __future__ import annotations

from lxml import etree

from formgen.extract.runs import DOUBT_BREAK, DOUBT_COPIES, control_doubt, inputs, paragraph_text

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _p(body: str) -> etree._Element:
    return etree.fromstring(f'<w:p xmlns:w="{W}">{body}</w:p>')


def _field(text: str, kind: str = "FORMTEXT") -> str:
    return ('<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
            f'<w:r><w:instrText xml:space="preserve"> {kind} </w:instrText></w:r>'
            '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
            f'<w:r><w:t>{text}</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>')


def _run(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>'


def _sdt(alias: str, *texts: str) -> str:
    runs = "".join(f"<w:t>{t}</w:t>" for t in texts)
    return (f'<w:sdt><w:sdtPr><w:alias w:val="{alias}"/><w:text/></w:sdtPr>'
            f'<w:sdtContent><w:r>{runs}</w:r></w:sdtContent></w:sdt>')


def test_a_doc_s_copies_of_a_date_are_read_once() -> None:
    value = "2009年9月"
    p = _p(_field(value) + _run("年") + _field(value) + _run("9") + _field(value) + _run("月")
           + _field(value) + _field(value) + _run(" –"))
    assert paragraph_text(p) == ("2009年9月 –", None)


def test_an_rtf_s_stray_zero_between_copies_is_dropped() -> None:
    p = _p(_field("李晓明") + _run("李晓明") + _field("李晓明") + _run("0") + _field("李晓明"))
    assert paragraph_text(p) == ("李晓明", None)


def test_an_odt_s_fillin_fields_are_read_once_with_their_label() -> None:
    p = _p(_run("Applicant: ") + _field("孙伟", "FILLIN") + _run("孙伟") + _field("孙伟", "FILLIN")
           + _run(" (") + _field("CMES-2026-0103", "FILLIN") + _run(")"))
    assert paragraph_text(p) == ("Applicant: 孙伟 (CMES-2026-0103)", None)
    assert [(label, text) for label, text, _ in inputs(p)] == [
        ("Applicant: ", "孙伟"), (" (", "CMES-2026-0103")]


def test_two_fields_with_other_text_between_are_two_values() -> None:
    p = _p(_field("2020") + _run(" - ") + _field("2020"))
    assert paragraph_text(p) == ("2020 - 2020", None)


def test_a_break_moved_out_of_the_value_makes_it_uncertain() -> None:
    text = "授权发明专利5项发表SCI论文8篇"
    p = _p('<w:r><w:br/></w:r>' + _field(text) + _run("授权发明专利") + _field(text))
    assert paragraph_text(p) == ("\n" + text, DOUBT_BREAK)


def test_a_line_that_ends_after_a_value_is_no_doubt() -> None:
    p = _p(_run("Grade: ") + _sdt("grade", "IEng") + '<w:r><w:br/></w:r>' + _run("Division: "))
    assert paragraph_text(p) == ("Grade: IEng\nDivision: ", None)


def test_a_re_saved_docx_s_copies_of_a_control_are_read_once() -> None:
    p = _p(_sdt("name.zh", "李晓明") + _sdt("name.zh", "李晓明", "李晓明") + _sdt("name.zh", "李晓明"))
    assert paragraph_text(p) == ("李晓明", None)
    first = p.find(f"{{{W}}}sdt")
    assert control_doubt(first) is None


def test_copies_of_a_control_that_disagree_are_uncertain() -> None:
    p = _p(_sdt("name.zh", "李晓明") + _sdt("name.zh", "王", "王五"))
    assert paragraph_text(p) == ("李晓明", DOUBT_COPIES)
    assert control_doubt(p.find(f"{{{W}}}sdt")) == DOUBT_COPIES
