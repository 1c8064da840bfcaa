"""formgen reads an XLSX's texts itself, shared (formgen.load.workbook.read_string_table)
and inline (its sheet parser): each must come out as openpyxl's own readers give it."""

from __future__ import annotations

import io
import os
import subprocess
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
import pytest
from conftest import write_xlsx
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.reader.strings import read_string_table as openpyxl_read_string_table
from openpyxl.worksheet._reader import WorkSheetParser

from formgen.load import load_files
from formgen.load.workbook import read_string_table, sheet_parser

SAMPLE_XLSX = Path(__file__).resolve().parents[1] / "data" / "applicants.xlsx"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def string(tag: str, parts: list[tuple[str, str]]) -> str:
    """A string element (``si`` shared, ``is`` inline) of (kind, text) parts, kind ``t``
    (plain text), ``r`` (a formatted run) or ``rPh`` (a phonetic run, not part of the text)."""
    out = [f"<{tag}>"]
    for kind, text in parts:
        t = f'<t xml:space="preserve">{escape(text)}</t>' if text else "<t/>"
        if kind == "t":
            out.append(t)
        elif kind == "r":
            out.append(f'<r><rPr><b/><sz val="11"/></rPr>{t}</r>')
        else:
            out.append(f'<rPh sb="0" eb="1">{t}</rPh>')
    out.append(f"</{tag}>")
    return "".join(out)


def table(strings: list[list[tuple[str, str]]]) -> bytes:
    """A sharedStrings part."""
    body = "".join(string("si", parts) for parts in strings)
    return f'<?xml version="1.0"?><sst xmlns="{MAIN}" count="{len(strings)}">{body}</sst>'.encode()


def sheet(strings: list[list[tuple[str, str]]]) -> bytes:
    """A worksheet part with each string inline in a cell of its own row, styled."""
    rows = "".join(f'<row r="{n}"><c r="B{n}" s="1" t="inlineStr">{string("is", parts)}</c></row>'
                   for n, parts in enumerate(strings, 1))
    return f'<?xml version="1.0"?><worksheet xmlns="{MAIN}"><sheetData>{rows}</sheetData></worksheet>'.encode()


def both(strings: list[list[tuple[str, str]]]) -> tuple[list[str], list[str]]:
    """The shared strings as formgen and as openpyxl read them; the same for inline ones
    (asserted here: cells, places and styles alike)."""
    inline = [list(parser(io.BytesIO(sheet(strings)), [], data_only=True).parse())
              for parser in (sheet_parser(), WorkSheetParser)]
    assert inline[0] == inline[1]
    data = table(strings)
    return read_string_table(io.BytesIO(data)), openpyxl_read_string_table(io.BytesIO(data))


def test_each_kind_of_string_reads_as_openpyxl_reads_it() -> None:
    cases = [
        [("t", "李晓明")],
        [("t", "")],
        [],
        [("t", "  leading and trailing  ")],
        [("t", "line one\nline two")],
        [("t", "<tag> & \"quotes\"")],
        [("t", "_x005F_x000D_ kept as Excel escapes it")],
        [("r", "国网"), ("r", "新疆"), ("r", "")],
        [("t", "王"), ("rPh", "おう")],
        [("r", "Bold"), ("rPh", "phonetic"), ("r", " and not")],
        [("t", "0991-1234567")],
    ]
    ours, theirs = both(cases)
    assert ours == theirs
    assert ours[0] == "李晓明" and ours[7] == "国网新疆" and ours[8] == "王"


texts = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n\t _x005F"), max_size=20)


@given(st.lists(st.lists(st.tuples(st.sampled_from(["t", "r", "rPh"]), texts), max_size=4), max_size=12))
def test_any_table_reads_as_openpyxl_reads_it(strings: list[list[tuple[str, str]]]) -> None:
    ours, theirs = both(strings)
    assert ours == theirs


def test_a_workbook_with_formatted_text_reads_as_openpyxl_reads_it(tmp_path: Path, example_record: dict) -> None:
    """Formatted runs within a cell (a bold surname), as Excel saves them, read whole."""
    path = write_xlsx(tmp_path / "applicants.xlsx", [example_record])
    workbook = openpyxl.load_workbook(path, rich_text=True)
    sheet = workbook["applicants"]
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(2, header.index("name.zh") + 1)
    cell.value = CellRichText([TextBlock(InlineFont(b=True), "李"), "晓明"])
    company = sheet.cell(2, header.index("company.en") + 1)
    company.value = CellRichText(["State Grid ", TextBlock(InlineFont(i=True), "Xinjiang"), " Co."])
    workbook.save(path)

    expected = openpyxl.load_workbook(path, read_only=True, data_only=True)["applicants"]
    row = [c.value for c in next(expected.iter_rows(min_row=2, max_row=2))]
    (record,) = load_files([path])
    assert record.data["name"]["zh"] == row[header.index("name.zh")] == "李晓明"
    assert record.data["company"]["en"] == row[header.index("company.en")] == "State Grid Xinjiang Co."


@pytest.mark.needs_office
def test_the_sample_workbook_saved_by_libreoffice_reads_the_same(tmp_path: Path) -> None:
    """LibreOffice, like Excel and WPS, keeps a workbook's texts in the shared-strings table."""
    from formgen.office import soffice_path

    done = subprocess.run(
        [soffice_path(), "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path / 'profile'}",
         "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(tmp_path / "saved"), str(SAMPLE_XLSX)],
        capture_output=True, text=True, timeout=120, env={**os.environ, "HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    saved = tmp_path / "saved" / SAMPLE_XLSX.name
    with zipfile.ZipFile(saved) as z:
        assert "xl/sharedStrings.xml" in z.namelist()
    original, again = load_files([SAMPLE_XLSX]), load_files([saved])
    assert [r.data for r in again] == [r.data for r in original]
    assert len(again) == 6 and again[0].data["name"]["zh"] == original[0].data["name"]["zh"]
