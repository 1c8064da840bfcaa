"""Sheets read by regular expressions (formgen/load/sheetfast.py) give what the XML parser
gives: the same records, warnings and refusals, whatever the sheet holds; a sheet they do
not read (a formula, a comment, a namespace declared again, rows after the sheet's data)
is read by the parser, from its start, the rows given already skipped."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import EXAMPLE_FILE, read_as_validation_reads, write_openpyxl, write_xlsx
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter
from test_hostile_input import shared_workbook

import formgen.load.sheetrows
from formgen.exceptions import DataFileError
from formgen.load import Source, load_file
from formgen.load.sheetfast import Dates, fast_cells
from formgen.load.sheettexts import Unsupported

SHEET = "xl/worksheets/sheet1.xml"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _replace(old: bytes, new: bytes) -> Callable[[bytes], bytes]:
    def change(data: bytes) -> bytes:
        assert old in data, old
        return data.replace(old, new, 1)
    return change


CHANGES: dict[str, Callable[[bytes], bytes]] = {
    "as written": lambda data: data,
    "entities": _replace(b"LI Xiaoming", b"LI &lt;&amp;&gt;&quot;&apos; &#x4E2D;&#65;&#13; X"),
    "an entity of HTML": _replace(b"LI Xiaoming", b"LI&nbsp;Xiaoming"),
    "a character XML refuses": _replace(b"LI Xiaoming", b"LI&#1;Xiaoming"),
    "a control character": _replace(b"LI Xiaoming", b"LI\x01Xiaoming"),
    "U+FFFE as itself": _replace(b"LI Xiaoming", "LI\ufffeXiaoming".encode()),
    "U+FFFF as itself": _replace(b"LI Xiaoming", "LI\uffffXiaoming".encode()),
    "a carriage return": _replace(b"LI Xiaoming", b"LI\r\nXiaoming"),
    "CDATA": _replace(b"<t>LI Xiaoming</t>", b"<t><![CDATA[LI <b>]]></t>"),
    "a comment": _replace(b'<row r="2"', b'<!-- <row r="9"/> --><row r="2"'),
    "a formula": _replace(b"<is><t>LI Xiaoming</t></is>", b"<f>1+1</f>"),
    "a number in the id": _replace(b"<is><t>A-001</t></is>", b"<v>1.5E3</v>"),
    "a row with its height": _replace(b'<row r="2"', b'<row r="2" ht="20" customHeight="1"'),
    "pretty-printed": lambda data: data.replace(b"<row", b"\n  <row").replace(
        b"</sheetData>", b"\n</sheetData>\n"),
    "a namespace declared again": _replace(b'<row r="2"', b'<row xmlns="urn:other" r="2"'),
    "a row after the data": _replace(b"</sheetData>", (
        b'</sheetData><x:row xmlns:x="' + MAIN.encode()
        + b'" r="9"><x:c r="A9" t="inlineStr"><x:is><x:t>A-009</x:t></x:is></x:c></x:row>')),
    "not well-formed after the data": _replace(b"</sheetData>", b"</sheetData><a>&nbsp;</a>"),
    "cut short": lambda data: data[: len(data) * 2 // 3],
    "a row out of place": _replace(b'<row r="2"', b'<row r="7"'),
    "invalid UTF-8": _replace(b"LI Xiaoming", b"LI \xff Xiaoming"),
}


def _records(path: Path) -> Any:
    """What a whole read and a streamed read give: records, or the refusal. The streamed
    read goes on to the next way of reading the file when one asks for it (ReadWhole), as
    validation does."""
    out = []
    for read in (lambda: load_file(path), lambda: read_as_validation_reads(Source(path))):
        try:
            out.append([(r.where, r.data, r.notes, r.kind, r.locations, r.refused)
                        for r in read()])
        except DataFileError as e:
            out.append([e.reason])
    return out


def _parser_only(*args: Any) -> Iterator[Any]:
    raise Unsupported()
    yield


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_sheet_reads_as_the_parser_reads_it(
    tmp_path: Path, example_record: dict, monkeypatch: pytest.MonkeyPatch, change: str,
) -> None:
    records = []
    for n in range(3):
        record = dict(example_record, id=f"A-{n:03d}")
        if n == 1:
            record["name"] = dict(record["name"], en="LI Xiaoming")
        records.append(record)
    good = write_xlsx(tmp_path / "good.xlsx", records)
    path = tmp_path / "changed.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            out.writestr(info, CHANGES[change](data) if info.filename == SHEET else data)
    fast = _records(path)
    monkeypatch.setattr(formgen.load.sheetrows, "fast_cells", _parser_only)
    assert fast == _records(path)


def test_workbooks_formgen_and_excel_write_are_read_without_the_parser(
    tmp_path: Path, example_record: dict,
) -> None:
    """Inline texts (as formgen and openpyxl write them), shared strings (as Excel does)
    and numbers are read by regular expressions, every sheet to its end."""
    paths = [write_xlsx(tmp_path / "a.xlsx", [example_record]),
             shared_workbook(tmp_path / "b.xlsx", ["id", "name.en", "A-1", "LI & X"],
                             [[0, 1], [2, 3]])]
    for path in paths:
        with zipfile.ZipFile(path) as z:
            strings = ["id", "name.en", "A-1", "LI & X"]
            for name in z.namelist():
                if name.startswith("xl/worksheets/"):
                    with z.open(name) as part:
                        assert len(list(fast_cells(part, strings, Dates(set())))) >= 2, name


X14AC = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"


def _as_excel(data: bytes) -> bytes:
    """The sheet as Excel writes it: a declaration then CRLF, the root declaring more
    namespaces, each row with its spans and height, each cell its style."""
    data = data.replace(b'<?xml version="1.0"?>', (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'))
    data = data.replace(f'<worksheet xmlns="{MAIN}">'.encode(), (
        f'<worksheet xmlns="{MAIN}" xmlns:mc="http://schemas.openxmlformats.org/'
        f'markup-compatibility/2006" mc:Ignorable="x14ac" xmlns:x14ac="{X14AC}">'
        '<dimension ref="A1:B2"/><sheetFormatPr defaultRowHeight="15" '
        'x14ac:dyDescent="0.25"/>').encode())
    for n in (1, 2):
        data = data.replace(f'<row r="{n}">'.encode(),
                            f'<row r="{n}" spans="1:2" x14ac:dyDescent="0.25">'.encode())
    return data.replace(b'" t="s">', b'" s="1" t="s">')


EXCEL: dict[str, Callable[[bytes], bytes]] = {
    "as Excel writes it": lambda data: data,
    "a prefix not declared": lambda data: data.replace(b"x14ac:dyDescent", b"x15:dyDescent"),
    "an attribute twice": _replace(b'spans="1:2"', b'spans="1:2" ht="20" ht="20"'),
    "a namespace declared on a row": _replace(b'spans="1:2"', b'xmlns="urn:other"'),
    "a shared string not there": _replace(b"<v>3</v>", b"<v>9</v>"),
}


@pytest.mark.parametrize("change", list(EXCEL))
def test_an_excel_sheet_reads_as_the_parser_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str,
) -> None:
    good = shared_workbook(tmp_path / "good.xlsx", ["id", "name.en", "A-1", "LI & X"],
                           [[0, 1], [2, 3]])
    path = tmp_path / "changed.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            out.writestr(info, EXCEL[change](_as_excel(data)) if info.filename == SHEET else data)
    if change == "as Excel writes it":
        with zipfile.ZipFile(path) as z, z.open(SHEET) as part:
            assert len(list(fast_cells(part, ["id", "name.en", "A-1", "LI & X"], Dates(set())))) == 2
    fast = _records(path)
    monkeypatch.setattr(formgen.load.sheetrows, "fast_cells", _parser_only)
    assert fast == _records(path)


def _typed_records() -> list[dict[str, Any]]:
    """Three applicants of the contract's example as YAML reads it (true/false, days)."""
    data = yaml.safe_load(EXAMPLE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data["english_interview"], bool) and isinstance(data["cpd"][0]["date"], dt.date)
    return [dict(data, id=f"A-{n:03d}", email=f"a{n}@example.com") for n in range(3)]


OPENPYXL: dict[str, Callable[[bytes], bytes]] = {
    "as openpyxl writes it": lambda data: data,
    "true written as 2": _replace(b't="b"><v>0</v>', b't="b"><v>2</v>'),
    "a day out of range": _replace(b'<v>45826</v>', b'<v>99999999</v>'),
    "references and entities": _replace(b"&#26446;&#26195;&#26126;", b"&#26446;&amp;&#x6653;&#26126;"),
    "a reference of too many digits": _replace(b"&#26446;", b"&#00000026446;"),
    "a reference to a character XML refuses": _replace(b"&#26446;", b"&#65535;"),
    "true and false as LibreOffice writes them": _replace(
        b't="b"><v>0</v>', b't="b"><f aca="false">FALSE()</f><v>0</v>'),
    "a shared formula": _replace(b't="b"><v>0</v>', b't="b"><f t="shared" ref="U2:U4" si="0"/><v>0</v>'),
    "a formula with entities": _replace(b"<v>24</v>", b"<f>&quot;2&quot;&amp;&quot;4&quot;</f><v>24</v>"),
    "a formula with an entity of HTML": _replace(b"<v>24</v>", b"<f>A1&nbsp;</f><v>24</v>"),
    "a formula's attribute twice": _replace(b't="b"><v>0</v>', b't="b"><f ca="1" ca="1">FALSE()</f><v>0</v>'),
    "a formula's attribute of a prefix not declared": _replace(
        b't="b"><v>0</v>', b't="b"><f x:ca="1">FALSE()</f><v>0</v>'),
    "a formula without its value": _replace(b't="b"><v>0</v>', b't="b"><f>FALSE()</f>'),
    "a formula of an empty value": _replace(b"<v>24</v>", b"<f>A1</f><v></v>"),
    "a text a formula gave": _replace(
        b't="b"><v>0</v>', b't="str"><f>IF(A2&lt;&gt;"","x","y")</f><v>x &amp; y</v>'),
    "an error a formula gave": _replace(b't="n"><v>24</v>', b't="e"><f>1/0</f><v>#DIV/0!</v>'),
    "an empty text a formula gave": _replace(b't="b"><v>0</v>', b't="str"><f>""</f><v></v>'),
}


FAST_READ = {"as openpyxl writes it", "references and entities", "a reference of too many digits",
             "true and false as LibreOffice writes them", "a shared formula", "a formula with entities",
             "a text a formula gave", "an error a formula gave"}
"""The changes read without the parser: what XML allows, and openpyxl reads as it is."""


@pytest.mark.parametrize("write_only", [True, False], ids=["write-only", "workbook"])
@pytest.mark.parametrize("change", list(OPENPYXL))
def test_a_workbook_openpyxl_writes_reads_as_the_parser_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str, write_only: bool,
) -> None:
    """true/false, days and references to characters, as openpyxl writes them, are read
    without the parser, and as it reads them; what is not as XML or openpyxl has it, by it."""
    good = write_openpyxl(tmp_path / "good.xlsx", _typed_records(), write_only)
    path = tmp_path / "changed.xlsx"
    changed = False
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data_bytes = src.read(info)
            if info.filename.startswith("xl/worksheets/") and not changed:
                with contextlib.suppress(AssertionError):  # (not in this sheet)
                    data_bytes, changed = OPENPYXL[change](data_bytes), True
            out.writestr(info, data_bytes)
    assert changed
    left = _watched(monkeypatch)
    fast = _records(path)
    assert (left == []) == (change in FAST_READ), left
    if change == "as openpyxl writes it":
        first = fast[0][0]
        assert first[1]["english_interview"] is False
        assert first[1]["name"] == {"zh": "李晓明", "en": "LI Xiaoming"}
        assert first[4]["cpd[1]"] and fast[0][2][1]["cpd"][0]["date"] == "2025-06-18"
    monkeypatch.setattr(formgen.load.sheetrows, "fast_cells", _parser_only)
    assert fast == _records(path)


def _text(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


MIXED_HEADER = ["id", "name.en", "mobile", "english_interview", "company_phone", "name.zh",
                "extra.day", "extra.count"]
MIXED_ROWS = {
    "texts among numbers, a day and false, column after column": (
        _text("A{n}", "A-000") + _text("B{n}", "LI Xiaoming") + '<c r="C{n}" t="n"><v>13912345678</v></c>'
        + '<c r="D{n}" t="b"><v>0</v></c><c r="E{n}" t="n"><v>13912345678</v></c>'
        + _text("F{n}", "&#26446;") + '<c r="G{n}" s="1" t="n"><v>45826</v></c>'
        + '<c r="H{n}" t="n"><v>16</v></c>'),
    "a column left out": (
        _text("A{n}", "A-001") + '<c r="D{n}" t="b"><v>1</v></c>' + _text("F{n}", "&#26195;")
        + '<c r="H{n}" t="n"><v>13912345678</v></c>'),
    "cells out of order": (
        _text("B{n}", "LI &amp; X") + _text("A{n}", "A-002") + '<c r="H{n}" t="n"><v>16</v></c>'
        + '<c r="C{n}" t="n"><v>1390000</v></c>'),
    "an empty text and a day as a number": (
        _text("A{n}", "A-003") + '<c r="B{n}" t="inlineStr"></c><c r="C{n}" t="n"><v>13912345678</v></c>'
        + _text("D{n}", "no") + '<c r="E{n}" t="n"><v>0139</v></c>' + _text("F{n}", "x")
        + '<c r="G{n}" t="n"><v>45826</v></c>'),
    "the same cells again": (
        _text("A{n}", "A-004") + _text("B{n}", "LI Xiaoming") + '<c r="C{n}" t="n"><v>13912345678</v></c>'
        + '<c r="D{n}" t="b"><v>0</v></c><c r="E{n}" t="n"><v>13912345678</v></c>'
        + _text("F{n}", "&#26446;") + '<c r="G{n}" s="1" t="n"><v>45826</v></c>'
        + '<c r="H{n}" t="n"><v>16</v></c>'),
}


def test_rows_of_texts_and_other_cells_read_as_the_parser_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Rows whose cells hold texts and numbers, days, true and false, in turn or with a
    column left out or out of order, read without the parser and as it reads them: a cell
    that holds what one before held gives what the parser gives for it where it stands (a
    number in a text column is that column's text; a day's style makes it a day)."""
    good = write_openpyxl(tmp_path / "good.xlsx", _typed_records(), True)
    header = "".join(_text(f"{get_column_letter(i)}1", h) for i, h in enumerate(MIXED_HEADER, 1))
    rows = "".join(f'<row r="{n}">' + row.format(n=n) + "</row>"
                   for n, row in enumerate(MIXED_ROWS.values(), 2))
    path = tmp_path / "mixed.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == SHEET:
                data = re.sub(rb"<sheetData>.*</sheetData>",
                              f'<sheetData><row r="1">{header}</row>{rows}</sheetData>'.encode(), data)
            out.writestr(info, data)
    left = _watched(monkeypatch)
    fast = _records(path)
    assert left == []
    read = {r[0].english: r[1] for r in fast[0]}
    assert read["sheet applicants row 2"]["mobile"] == "13912345678"
    assert read["sheet applicants row 2"]["extra"] == {"day": "2025-06-18", "count": "16"}
    assert read["sheet applicants row 3"]["extra"] == {"count": "13912345678"}
    assert read["sheet applicants row 5"]["extra"] == {"day": "45826"}
    own = {"id", "name", "mobile", "english_interview", "company_phone", "extra"}  # (no group rows)
    assert read["sheet applicants row 6"] == {
        key: value for key, value in read["sheet applicants row 2"].items() if key in own} | {"id": "A-004"}
    monkeypatch.setattr(formgen.load.sheetrows, "fast_cells", _parser_only)
    assert fast == _records(path)


def _watched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The sheets the regular expressions leave to the parser from now on."""
    left: list[str] = []

    def watched(source: Any, *args: Any) -> Iterator[Any]:
        try:
            yield from fast_cells(source, *args)
        except Unsupported:
            left.append(source.name)
            raise

    monkeypatch.setattr(formgen.load.sheetrows, "fast_cells", watched)
    return left


@pytest.mark.needs_office
def test_a_workbook_libreoffice_saves_reads_as_the_parser_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A workbook saved by LibreOffice Calc (shared strings, every cell and row with its
    style, true and false as formulas with their values) is read without the parser, and
    as it reads it."""
    import subprocess

    from formgen.office.process import soffice_path

    source = write_openpyxl(tmp_path / "applicants.xlsx", _typed_records(), write_only=True)
    subprocess.run(
        [soffice_path(), f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
         "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(tmp_path / "saved"),
         str(source)],
        check=True, capture_output=True, timeout=180)
    path = tmp_path / "saved" / "applicants.xlsx"
    with zipfile.ZipFile(path) as z:
        sheet = z.read(SHEET)
        assert b'FALSE()</f><v>0</v>' in sheet and b't="s"' in sheet  # as LibreOffice saves
    left = _watched(monkeypatch)
    fast = _records(path)
    assert left == []
    assert fast[0][0][1]["english_interview"] is False
    assert fast[0][0][1]["name"] == {"zh": "李晓明", "en": "LI Xiaoming"}
    monkeypatch.setattr(formgen.load.sheetrows, "fast_cells", _parser_only)
    assert fast == _records(path)


def _expat_text(text: str) -> str:
    """``text`` as expat reads it, the content of an element of its own."""
    from xml.parsers import expat

    read: list[str] = []
    parser = expat.ParserCreate()
    parser.CharacterDataHandler = read.append
    parser.Parse(f"<t>{text}</t>", True)
    return "".join(read)


def test_a_rows_texts_are_unescaped_as_expat_reads_each_alone() -> None:
    """A row's texts, given to one parser that reads the whole sheet's, come back each as
    it reads alone: an empty one, one longer than the parser's buffer, one after a text
    it refused (a character XML does not allow), which says so."""
    from formgen.load.sheettexts import BUFFER, RowTexts

    texts = RowTexts()
    rows = [
        ["&#26446;&#26195;&#26126;", "", "LI &amp; &#x4E2D;&lt;", "plain", "&#13;&#10;"],
        ["&#26446;" * (BUFFER // 2), "a &#65; b", ""],
        ["&#26446;", "&#00000026446;"],
    ]
    for row in rows:
        assert texts.unescape(row) == [_expat_text(text) for text in row]
    with pytest.raises(Unsupported):
        texts.unescape(["&#26446;", "LI&#1;X"])
    with pytest.raises(Unsupported):
        texts.unescape(["LI&nbsp;X"])
    assert texts.unescape(rows[0]) == [_expat_text(text) for text in rows[0]]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"],
                                               exclude_characters="\ufffe\uffff"), max_size=12)
                | st.sampled_from(["&", "<", ">", "]]>", "\r", "\r\n", "&amp;", "&#13;", " "]),
                max_size=6))
def test_shared_strings_escaped_read_back_as_they_were(texts: list[str]) -> None:
    """Shared strings as :func:`escape` writes them read back, by :func:`unescape_row`, as
    the texts they were, whatever characters XML allows they hold."""
    from formgen.load.sheettexts import escape, unescape_row

    allowed = [t for t in texts if not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", t)]
    values: list[Any] = [*map(escape, allowed), 3, None]
    unescape_row(values)
    assert values == [*allowed, 3, None]

