"""Hostile input, second round: malformed workbook XML, shared-string amplification, every
input bounded (the manifest, the reference data, the templates) and keys given twice.
Each is refused with a clear message naming the file, in the user's language, exit 1,
no traceback; the other files of the run are read all the same."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE_FILE, write_xlsx
from conftest import cli as run_cli
from test_hostile import bounded

from formgen.load import load_files, records_to_rows

ENGLISH, CHINESE = "C.UTF-8", "zh_CN.UTF-8"


def cli(*args: Any, lang: str = ENGLISH) -> Any:
    result = run_cli(*args, env={"LANG": lang})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def patched(good: Path, path: Path, part: str, change: Callable[[bytes], bytes]) -> Path:
    """A copy of the workbook ``good`` with ``part`` changed."""
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            out.writestr(info, change(data) if info.filename == part else data)
    return path


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def shared_workbook(path: Path, strings: list[str], rows: list[list[int]]) -> Path:
    """A workbook as Excel writes one: sheet ``applicants`` whose cells give the index of
    a text in the shared strings (``xl/sharedStrings.xml``)."""
    from xml.sax.saxutils import escape

    from openpyxl.utils import get_column_letter

    sheet_rows = "".join(
        f'<row r="{n}">' + "".join(f'<c r="{get_column_letter(i)}{n}" t="s"><v>{s}</v></c>'
                                    for i, s in enumerate(row, 1)) + "</row>"
        for n, row in enumerate(rows, 1))
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
            'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{CT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{CT}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{CT}.sharedStrings+xml"/>'
            "</Types>"),
        "_rels/.rels": (
            f'<?xml version="1.0"?><Relationships xmlns="{PKG}"><Relationship Id="rId1" '
            f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            f'<?xml version="1.0"?><workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
            '<sheet name="applicants" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0"?><Relationships xmlns="{PKG}">'
            f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0"?><worksheet xmlns="{MAIN}"><sheetData>{sheet_rows}'
            "</sheetData></worksheet>"),
        "xl/sharedStrings.xml": (
            f'<?xml version="1.0"?><sst xmlns="{MAIN}" count="{len(strings)}">'
            + "".join(f"<si><t>{escape(s)}</t></si>" for s in strings) + "</sst>"),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(name, text.encode())
    return path


# ----------------------------------------------------------------------------- malformed XML

SHEET = "xl/worksheets/sheet1.xml"


def _entity(data: bytes) -> bytes:
    assert b"LI Xiaoming" in data
    return data.replace(b"LI Xiaoming", b"LI&nbsp;Xiaoming", 1)


def _cut(data: bytes) -> bytes:
    return data[: len(data) // 2]


@pytest.mark.parametrize(
    ("change", "english", "chinese"),
    [
        (_entity, "undefined entity", "undefined entity"),
        (_cut, "unclosed token", "unclosed token"),
    ],
)
@pytest.mark.parametrize("lang", [ENGLISH, CHINESE])
def test_a_sheet_that_is_not_xml_is_refused_naming_the_part(
    tmp_path: Path, example_record: dict, change: Callable[[bytes], bytes], english: str,
    chinese: str, lang: str,
) -> None:
    """An undefined entity (``&nbsp;`` with no DOCTYPE) or a sheet cut in half ended in a
    ParseError traceback, in both locales."""
    good = write_xlsx(tmp_path / "good.xlsx", [example_record])
    path = patched(good, tmp_path / "bad.xlsx", SHEET, change)
    result = cli("validate", path, EXAMPLE_FILE, lang=lang)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    with zipfile.ZipFile(path) as z:
        text = z.read(SHEET).decode()
    assert "\n" not in text.strip()  # one line: the column is the character's place in it
    # expat points at the & of the entity, or at the start of the tag left open
    line, column = "1", str((text.index("&nbsp;") if change is _entity else text.rindex("<")) + 1)
    if lang == ENGLISH:
        assert lines[0] == (f"{path}: error: the sheet applicants ({SHEET}) is not well-formed "
                            f"XML: line {line}, column {column} ({english})")
        assert lines[-2].startswith("1 record(s): 1 valid, 0 with errors; 1 error(s)")
        assert lines[-1] == f"1 file(s) could not be read: {path}"
    else:
        assert lines[0] == (f"{path}：错误：工作表 applicants（{SHEET}）不是格式正确的 XML："
                            f"第 {line} 行第 {column} 列（{chinese}）")
        assert lines[-2].startswith("共1条记录：1条有效，0条有错误；1个错误")
        assert lines[-1] == f"1 个文件无法读取：{path}"


def test_shared_strings_that_are_not_xml_are_refused_naming_the_part(tmp_path: Path) -> None:
    good = shared_workbook(tmp_path / "good.xlsx", ["id", "name.en", "A-1", "LI Xiaoming"],
                           [[0, 1], [2, 3]])
    (raw,) = load_files([good])
    assert raw.data == {"id": "A-1", "name": {"en": "LI Xiaoming"}}
    path = patched(good, tmp_path / "bad.xlsx", "xl/sharedStrings.xml", _entity)
    result = cli("validate", path)
    assert result.exit_code == 1
    with zipfile.ZipFile(path) as z:
        column = z.read("xl/sharedStrings.xml").decode().index("&nbsp;") + 1
    assert result.stderr.splitlines()[0] == (
        f"{path}: error: xl/sharedStrings.xml is not well-formed XML: line 1, column {column} "
        "(undefined entity)")


# ----------------------------------------------------------------------------- shared strings


COLUMNS = ["id", "name.zh", "name.en", "job_title.zh", "job_title.en", "expertise.zh",
           "expertise.en", "company.zh", "company.en", "company_address.zh",
           "company_address.en", "unit", "email", "mobile", "english_level.zh",
           "english_level.en", "description.zh", "description.en"]


def amplified(path: Path, rows: int, text: str = "x" * 30_000) -> Path:
    """One long shared text in every cell but the id of ``rows`` rows of 18 columns."""
    long = len(COLUMNS)
    strings = [*COLUMNS, text, *(f"A-{i}" for i in range(rows))]
    table = [list(range(long))] + [[long + 1 + i] + [long] * (long - 1) for i in range(rows)]
    return shared_workbook(path, strings, table)


@pytest.mark.parametrize("lang", [ENGLISH, CHINESE])
def test_one_long_shared_text_in_many_cells_is_refused_at_once(tmp_path: Path, lang: str) -> None:
    """A 30,000-character shared text in about 90,000 cells (a 200 KB file within every
    other limit) took 50.8 s and printed 179,840 errors."""
    path = amplified(tmp_path / "amplified.xlsx", 5_000)
    assert path.stat().st_size < 300_000
    with bounded(10):
        result = cli("validate", path, EXAMPLE_FILE, lang=lang)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    if lang == ENGLISH:
        assert lines[0] == (f"{path}: error: its cells hold more than 500,000,000 characters "
                            "of text (a shared text counted at every cell that uses it); refused")
        assert lines[-1] == f"1 file(s) could not be read: {path}"
    else:
        assert lines[0] == (f"{path}：错误：其单元格中的文字超过 500,000,000 个字符"
                            "（共享文字按引用它的每个单元格计），已拒绝")
        assert lines[-1] == f"1 个文件无法读取：{path}"
    assert len(lines) == 4  # the refusal, the example's warning, the summary, the file


def test_the_text_limit_counts_every_sheet_and_names_itself(tmp_path: Path, example_record: dict) -> None:
    import dataclasses

    from formgen.exceptions import DataFileError
    from formgen.load import UPLOAD, load_bytes

    path = amplified(tmp_path / "a.xlsx", 10, text="x" * 100)
    total = sum(map(len, COLUMNS)) + sum(len(f"A-{i}") for i in range(10)) + 10 * 17 * 100
    records = load_bytes("a.xlsx", path.read_bytes(), dataclasses.replace(UPLOAD, text_chars=total))
    assert len(records) == 10
    with pytest.raises(DataFileError) as e:
        load_bytes("a.xlsx", path.read_bytes(), dataclasses.replace(UPLOAD, text_chars=total - 1))
    assert e.value.reason.english == (
        f"its cells hold more than {total - 1:,} characters of text (a shared text counted at "
        "every cell that uses it); refused")
    groups = write_xlsx(tmp_path / "g.xlsx", [example_record])  # the group sheets count too
    main, _ = records_to_rows([example_record])
    in_main = sum(len(str(v)) for row in main for v in row.values()) + sum(map(len, main[0]))
    with pytest.raises(DataFileError):
        load_bytes("g.xlsx", groups.read_bytes(), dataclasses.replace(UPLOAD, text_chars=in_main + 10))
