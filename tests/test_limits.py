"""Bounded reading: alias bombs, deep nesting, padded XLSX bombs, and files past their
limits are refused, each naming its file and its limit, before their data is used; the
other files of the run are read all the same, and every problem is told at once."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import EXAMPLE_FILE, with_id, write_csv_rows, write_json, write_xlsx, write_yaml
from conftest import cli as run_cli
from test_hostile import bounded

from formgen.exceptions import DataFileError
from formgen.load import BATCH, UPLOAD, load_bytes, load_files, sources
from formgen.load.limits import check_record
from formgen.model.manifest import load_manifest
from formgen.validate import stream

OK = "1 record(s): 1 valid, 0 with errors"


def cli(*args: Any) -> Any:
    result = run_cli(*args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def laughs(levels: int, key: str = "id") -> str:
    """A billion-laughs chain: each anchor a list of ten aliases of the one before."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]")
    lines.append(f"{key}: *l{levels}")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- YAML aliases


def test_billion_laughs_in_the_id_is_refused_at_once(tmp_path: Path) -> None:
    """The id of a 1 KB file expanded to 10^9 values when turned into text (107 s, 5.6 GB)."""
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(laughs(9))
    assert bomb.stat().st_size < 1024
    with bounded(20):
        result = cli("validate", bomb, EXAMPLE_FILE)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{bomb}: error: its aliases (*name) add more than 5,000,000 values; refused")
    assert result.stderr.splitlines()[-2].startswith("1 record(s): 1 valid, 0 with errors; 1 error(s)")
    assert result.stderr.splitlines()[-1] == f"1 file(s) could not be read: {bomb}"


def test_an_alias_chain_within_the_file_limit_is_refused_per_record(tmp_path: Path) -> None:
    """Aliases that stay under the file's limit still cannot make one record huge; the
    record's id (a list here) is never turned into text."""
    path = tmp_path / "a.yaml"
    path.write_text(laughs(5))
    with bounded(20):
        result = cli("validate", path)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{path}, record 1: error: holds more than 10,000 values (aliases counted in full); refused")


def test_merge_keys_count_in_full(tmp_path: Path) -> None:
    """``<<: [*m, *m, …]`` copies the merged pairs while the file is read: a chain of them
    is refused before it is built."""
    lines = ["m0: &m0 {" + ", ".join(f"k{i}: {i}" for i in range(10)) + "}"]
    lines += [f"m{i}: &m{i} {{<<: [{', '.join([f'*m{i - 1}'] * 10)}]}}" for i in range(1, 8)]
    path = tmp_path / "merge.yaml"
    path.write_text("\n".join(lines) + "\nid: x\n")
    with bounded(20):
        result = cli("validate", path)
    assert result.stderr.splitlines()[0] == (
        f"{path}: error: its aliases (*name) add more than 5,000,000 values; refused")


def test_an_alias_inside_what_it_names_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("id: x\nname: &n {zh: 甲, en: [*n]}\n")
    result = cli("validate", path)
    assert result.stderr.splitlines()[0] == (
        f"{path}: error: has an alias (*name) inside the value it names; refused")


def long_text_aliased(records: int, aliases: int, length: int) -> str:
    """A YAML list of ``records`` applicants, the first of which names a text of ``length``
    characters (``&t``) that each record's description gives ``aliases`` times."""
    items = [f'- id: T-0\n  note: &t "{"x" * length}"\n  description: [{", ".join(["*t"] * aliases)}]\n']
    items += [f"- id: T-{i}\n  description: [{', '.join(['*t'] * aliases)}]\n" for i in range(1, records)]
    return "".join(items)


@pytest.mark.parametrize(("lang", "said"), [
    ("C.UTF-8", "error: its aliases (*name) add more than 500,000,000 characters of text "
                "(a text counted at every alias that names it); refused"),
    ("zh_CN.UTF-8", "错误：其中的别名（*名称）展开后增加的文字超过 500,000,000 个字符（文字按引用它的每个别名计），已拒绝"),
])
def test_aliases_of_a_long_text_count_its_characters_at_every_alias(
        tmp_path: Path, lang: str, said: str) -> None:
    """3,000 applicants each naming one 1 MB text twice (a 1.2 MB file) took 57 s and 811 MB:
    within the count of values, each alias is a megabyte of text to examine. The other
    file of the run is read all the same."""
    path = tmp_path / "long.yaml"
    path.write_text(long_text_aliased(records=251, aliases=2, length=1_000_000))
    assert path.stat().st_size < 1_100_000
    with bounded(20):
        result = run_cli("validate", path, EXAMPLE_FILE, env={"LANG": lang})
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == f"{path}{'：' if lang.startswith('zh') else ': '}{said}"
    if lang.startswith("zh"):
        assert lines[-2].startswith("共1条记录：1条有效") and lines[-1] == f"1 个文件无法读取：{path}"
    else:
        assert lines[-2].startswith("1 record(s): 1 valid") and lines[-1] == f"1 file(s) could not be read: {path}"


def test_aliases_of_a_text_count_across_the_groups_of_a_list(tmp_path: Path) -> None:
    """A long list is read in groups of items, each on its own: the characters their
    aliases add are summed over the groups, so that no group need pass the limit for the
    file to. Each of the three groups here adds 1,990,000 characters; two groups pass."""
    limits = dataclasses.replace(BATCH, text_chars=5_000_000)
    manifest, today = load_manifest(), dt.date(2026, 11, 23)

    def group(n: int) -> str:  # 200 items, the first naming the text, 199 naming it again
        head = f'- id: G{n}-0\n  note: &t{n} "{"x" * 10_000}"\n'
        return head + "".join(f"- id: G{n}-{i}\n  note: *t{n}\n" for i in range(1, 200))

    two, three = tmp_path / "two.yaml", tmp_path / "three.yaml"
    two.write_text(group(1) + group(2))
    three.write_text(group(1) + group(2) + group(3))
    report = stream.check_sources(sources([two], limits), manifest, today, workers=1)
    assert (report.record_count, report.unreadable_files) == (400, [])
    report = stream.check_sources(sources([three], limits), manifest, today, workers=1)
    assert report.unreadable_files == [str(three)]
    assert [p.text("en") for p in report.problems] == [
        f"{three}: error: its aliases (*name) add more than 5,000,000 characters of text "
        "(a text counted at every alias that names it); refused"]


def test_ordinary_aliases_still_read(tmp_path: Path, example_record: dict) -> None:
    record = with_id(example_record, "A-1")
    for entry in record["cpd"]:
        entry["organizer"] = record["cpd"][0]["organizer"]  # one object: dumped as an alias
    path = write_yaml(tmp_path / "a.yaml", [record])
    assert "*id001" in path.read_text(encoding="utf-8")
    assert cli("validate", path).exit_code == 0


# ----------------------------------------------------------------------------- nesting


@pytest.mark.parametrize("levels", [40, 5_000, 20_000])
@pytest.mark.parametrize("kind", ["json", "yaml-flow", "yaml-block"])
def test_deep_nesting_is_refused_naming_the_limit(tmp_path: Path, kind: str, levels: int) -> None:
    """5,000 to 20,000 levels gave a RecursionError traceback."""
    if kind == "json":
        path = tmp_path / "deep.json"
        path.write_text('{"id": "x", "name": ' + "[" * levels + "]" * levels + "}")
    elif kind == "yaml-flow":
        path = tmp_path / "deep.yaml"
        path.write_text("id: x\nname: " + "[" * levels + "]" * levels + "\n")
    else:
        path = tmp_path / "deep.yaml"
        path.write_text("id: x\nname:\n" + "".join(" " * i + "- \n" for i in range(1, min(levels, 3000))))
    with bounded(20):
        result = cli("validate", path, EXAMPLE_FILE)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] in (
        f"{path}: error: nests values more than 16 levels deep; refused",
        f"{path}, record 1 (x): error: nests values more than 16 levels deep; refused",
    )
    assert result.stderr.splitlines()[-1] == f"1 file(s) could not be read: {path}" or (
        "record(s): 1 valid, 1 with errors" in result.stderr)


def test_nesting_within_a_record_is_counted_from_the_record() -> None:
    record: dict[str, Any] = {"id": "x"}
    node = record
    for _ in range(BATCH.depth - 1):
        node["a"] = {}
        node = node["a"]
    check_record(record, BATCH)  # 16 levels: the record, then 15 mappings
    node["a"] = {"b": 1}
    with pytest.raises(Exception, match="more than 16 levels"):
        check_record(record, BATCH)


# ----------------------------------------------------------------------------- sizes


def test_a_json_integer_of_many_digits_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_text('{"id": ' + "9" * 5000 + "}")
    result = cli("validate", path)
    assert result.stderr.splitlines()[0] == f"{path}: error: holds a number of more than 4,300 digits; refused"
    result = run_cli("validate", path, env={"LANG": "zh_CN.UTF-8"})
    assert result.stderr.splitlines()[0] == f"{path}：错误：含有超过 4,300 位的数字，已拒绝"


def test_limits_name_themselves(tmp_path: Path, example_record: dict) -> None:
    small = dataclasses.replace(BATCH, file_bytes=2**20, records=2, rows_per_sheet=3, cells=40,
                                columns=5)
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * (3 * 2**19) + "\nid: A-1\n")
    three = write_json(tmp_path / "three.json", [{"id": i} for i in range(3)])
    rows = write_csv_rows(tmp_path / "rows.csv", [{"id": str(i)} for i in range(4)])
    wide = write_csv_rows(tmp_path / "wide.csv", [{f"c{i}": "x" for i in range(6)}])
    records = load_files([big, three, rows, wide], small)
    assert [(r.file, r.refused.english if r.refused else None) for r in records] == [
        (str(big), "is 1.5 MB; at most 1 MB are read"),
        (str(three), "holds more than 2 applicants; split it into several files"),
        (str(rows), "has more than 3 rows; refused"),
        (str(wide), "row 1 has more than 5 columns; refused"),
    ]


def test_a_csv_field_longer_than_the_reader_takes(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("id,name.zh\nA-1,\"" + "李" * 200_000 + "\"\n", encoding="utf-8")
    result = cli("validate", path)
    assert result.stderr.splitlines()[0] == (
        f"{path}: error: is not a readable CSV file (field larger than field limit (131072))")


# ----------------------------------------------------------------------------- XLSX bombs


def padded_bomb(tmp_path: Path, example_record: dict, bomb_mb: int, padding_mb: float) -> Path:
    """A real workbook plus a sheet of ``bomb_mb`` MB of repeated rows and a part of random
    padding that keeps the ratio of the whole file low."""
    good = write_xlsx(tmp_path / "good.xlsx", [example_record])
    path = tmp_path / "bomb.xlsx"
    row = '<row><c t="inlineStr"><is><t>junk</t></is></c></row>'  # numbered by their order
    body = row * (bomb_mb * 1024 * 1024 // len(row))
    bomb = ('<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            'spreadsheetml/2006/main"><sheetData>' + body + "</sheetData></worksheet>")
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = bomb.encode()
            out.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
        out.writestr("docProps/padding.bin", os.urandom(int(padding_mb * 1024 * 1024)),
                     compress_type=zipfile.ZIP_STORED)
    return path


def test_padding_does_not_hide_an_xlsx_bomb(tmp_path: Path, example_record: dict) -> None:
    """A sheet that unpacks hundreds of times its size, with random padding beside it so
    the file as a whole looks ordinary: each part is measured on its own."""
    path = padded_bomb(tmp_path, example_record, bomb_mb=40, padding_mb=1.4)
    with zipfile.ZipFile(path) as z:
        total = sum(i.file_size for i in z.infolist())
        packed = sum(i.compress_size for i in z.infolist())
    assert total / packed < 40  # the whole file's ratio passed the old check
    with bounded(20):
        result = cli("validate", path, EXAMPLE_FILE)
    assert result.exit_code == 1
    first = result.stderr.splitlines()[0]
    assert re.fullmatch(
        rf"{re.escape(str(path))}: error: xl/worksheets/sheet1\.xml unpacks to [\d,]+ times its "
        r"packed size, more than the 100 a workbook needs; refused", first), first
    assert OK in result.stderr


def test_an_upload_part_past_its_size_is_refused(tmp_path: Path, example_record: dict) -> None:
    path = padded_bomb(tmp_path, example_record, bomb_mb=20, padding_mb=0.1)
    with pytest.raises(DataFileError) as e:
        load_bytes("bomb.xlsx", path.read_bytes(), dataclasses.replace(UPLOAD, part_ratio=10**6))
    assert e.value.reason.english == "xl/worksheets/sheet1.xml unpacks to 20 MB; at most 16 MB are read"


def test_cells_are_counted_across_sheets(tmp_path: Path, example_record: dict) -> None:
    path = write_xlsx(tmp_path / "a.xlsx", [with_id(example_record, f"A-{i}") for i in range(5)])
    with pytest.raises(DataFileError) as e:
        load_bytes("a.xlsx", path.read_bytes(), dataclasses.replace(UPLOAD, cells=300))
    assert e.value.reason.english == "has more than 300 cells; refused"


def test_a_row_number_past_the_sheet_limit_is_refused(tmp_path: Path, example_record: dict) -> None:
    good = write_xlsx(tmp_path / "good.xlsx", [example_record])
    path = tmp_path / "far.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", b'<row r="999999999"><c r="A999999999" '
                                    b't="inlineStr"><is><t>x</t></is></c></row></sheetData>')
            out.writestr(info, data)
    with bounded(20):
        result = cli("validate", path)
    assert result.stderr.splitlines()[0] == (
        f"{path}: error: sheet applicants has more than 1,048,576 rows; refused")


# ----------------------------------------------------------------------------- XLSX cells


def _patch_cell(path: Path, header: str, cell_xml: str) -> str:
    """Replace the cell under ``header`` in row 2 of the first sheet by ``cell_xml``
    (``{ref}`` in it becomes the cell's name); returns the cell's name."""
    wb = openpyxl.load_workbook(path)
    ws = wb["applicants"]
    column = next(c.column_letter for c in ws[1] if c.value == header)
    ref = f"{column}2"
    ws[ref] = "PLACEHOLDER-CELL"
    wb.save(path)
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    sheet, n = re.subn(rf'<c r="{ref}"[^>]*><is><t>PLACEHOLDER-CELL</t></is></c>',
                       cell_xml.format(ref=ref), sheet)
    assert n == 1, sheet[:500]
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return ref


def test_a_formula_without_its_result_is_an_error_naming_the_cell(tmp_path: Path, example_record: dict) -> None:
    """name.en as a formula Excel never calculated was read as empty with only a warning."""
    path = write_xlsx(tmp_path / "a.xlsx", [example_record])
    ref = _patch_cell(path, "name.en", '<c r="{ref}"><f>UPPER("li")&amp;" Xiaoming"</f></c>')
    result = cli("validate", path)
    assert result.exit_code == 1
    assert (f"{path}, sheet applicants row 2 (CSEE-2026-0007), name.en: error: cell {ref} holds a "
            "formula whose result the workbook did not save; open the workbook in Excel or "
            "LibreOffice and save it again, or type the value") in result.stderr.splitlines()


def test_a_formula_is_read_by_its_saved_result(tmp_path: Path, example_record: dict) -> None:
    path = write_xlsx(tmp_path / "a.xlsx", [example_record])
    _patch_cell(path, "name.en", '<c r="{ref}" t="str"><f>UPPER("li")&amp;" Xiaoming"</f><v>LI Xiaoming</v></c>')
    (raw,) = load_files([path])
    assert raw.data["name"]["en"] == "LI Xiaoming" and raw.notes == []
    assert cli("validate", path).exit_code == 0


@pytest.mark.parametrize(
    ("header", "number", "flagged"),
    [("company_phone", "2586660000", True), ("mobile", "13912345678", False),
     ("mobile", "3912345678", True), ("id", "7", True)],
)
def test_a_number_in_a_text_column_is_flagged(
    tmp_path: Path, example_record: dict, header: str, number: str, flagged: bool
) -> None:
    """A phone stored as a number lost its leading zero without a word."""
    path = write_xlsx(tmp_path / "a.xlsx", [example_record])
    ref = _patch_cell(path, header, f'<c r="{{ref}}"><v>{number}</v></c>')
    raw = load_files([path])[0]  # (with a new id, the group rows are for nobody)
    assert raw.data[header] == number
    notes = [(n.field, n.severity, n.message.english) for n in raw.notes]
    expected = [(header, "warning", f"cell {ref} holds a number ({number}), so a leading zero "
                 "would be lost; format the column as Text and type the value again")]
    assert notes == (expected if flagged else [])


# ----------------------------------------------------------------------------- every file


def test_every_unreadable_file_is_reported_and_the_rest_validated(tmp_path: Path, example_record: dict) -> None:
    good = write_yaml(tmp_path / "a.yaml", [with_id(example_record, "A-1")])
    broken = tmp_path / "broken.json"
    broken.write_text('{"id": 1,}')
    sheet = write_xlsx(tmp_path / "b.xlsx", [with_id(example_record, "B-1", email="nobody")])
    missing = tmp_path / "missing.yaml"
    result = cli("validate", good, broken, sheet, missing)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert f"{broken}: error: is not valid JSON at line 1: Expecting property name enclosed in double quotes" in lines
    assert f"{missing}: error: no such file" in lines
    assert any(line.startswith(f"{sheet}, sheet applicants row 2 (B-1), email: error:") for line in lines)
    assert lines[-2].startswith("2 record(s): 1 valid, 1 with errors; 3 error(s)")
    assert lines[-1] == f"2 file(s) could not be read: {broken}, {missing}"


def test_render_makes_the_readable_files_and_reports_the_rest(tmp_path: Path, example_record: dict) -> None:
    good = write_yaml(tmp_path / "a.yaml", [with_id(example_record, "A-1")])
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: [1, 2\n")
    out = tmp_path / "out"
    result = cli("render", broken, good, "--out", out, "--doc", "registration_form")
    assert result.exit_code == 1
    assert f"{broken}: error: is not valid YAML at line 2: expected ',' or ']', but got '<stream end>'" in result.stderr
    assert "1 record(s): 1 rendered" in result.stderr
    assert result.stderr.splitlines()[-1] == f"1 file(s) could not be read: {broken}"
    assert sorted(p.name for p in (out / "A-1").rglob("*.docx"))


@pytest.mark.needs_office
@pytest.mark.slow
def test_pack_lists_an_unreadable_file_in_errors_csv(tmp_path: Path, example_record: dict) -> None:
    good = write_yaml(tmp_path / "a.yaml", [with_id(example_record, "A-1")])
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    out = tmp_path / "out"
    result = cli("pack", good, empty, "--out", out)
    assert result.exit_code == 1
    assert (out / "errors.csv").read_text(encoding="utf-8-sig").splitlines() == [
        "record,field,message", f"{empty},,is empty"]
    assert [p.name for p in out.glob("*.zip")] == ["A-1-李晓明.zip"]


def test_an_upload_with_a_refused_record_is_refused_whole(example_record: dict) -> None:
    from formgen.model.manifest import load_manifest
    from formgen.web.uploads import upload_records

    data = json.dumps([example_record, {"id": "B", "x": list(range(20_000))}]).encode()
    with pytest.raises(DataFileError) as e:
        upload_records("a.json", data, load_manifest())
    assert str(e.value) == "a.json: record 2: holds more than 10,000 values (aliases counted in full); refused"
