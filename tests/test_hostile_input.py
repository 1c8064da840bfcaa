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


@pytest.mark.slow
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


# ----------------------------------------------------------------------------- manifest, reference data, templates


def manifest_copy(folder: Path, change: Callable[[dict[str, Any]], None] | None = None) -> Path:
    """manifest.yaml with its paths made absolute (and ``change`` made to it)."""
    import yaml
    from conftest import MANIFEST_FILE, ROOT

    manifest: dict[str, Any] = yaml.safe_load(MANIFEST_FILE.read_text(encoding="utf-8"))
    for doc in manifest["documents"].values():
        doc["templates"] = {lang: str(ROOT / path) for lang, path in doc["templates"].items()}
    manifest["competences"] = str(ROOT / manifest["competences"])
    if change is not None:
        change(manifest)
    path = folder / "manifest.yaml"
    path.write_text(yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def _manifest_error(manifest: Path | str, lang: str = ENGLISH) -> str:
    with bounded(20):
        result = cli("validate", "--manifest", manifest, EXAMPLE_FILE, lang=lang)
    assert result.exit_code == 1
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    return line


@pytest.mark.parametrize("lang", [ENGLISH, CHINESE])
def test_a_deeply_nested_manifest_is_refused(tmp_path: Path, lang: str) -> None:
    """``id: `` then 100,000 ``[`` and ``]`` gave a RecursionError traceback."""
    path = tmp_path / "deep.yaml"
    path.write_text("id: " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert _manifest_error(path, lang) == {
        ENGLISH: f"Error: {path}: cannot read the manifest: nests values more than 16 levels deep; refused",
        CHINESE: f"错误：{path}：无法读取清单：数据嵌套超过 16 层，已拒绝",
    }[lang]


@pytest.mark.parametrize("lang", [ENGLISH, CHINESE])
def test_a_manifest_that_is_no_regular_file_is_refused(tmp_path: Path, lang: str) -> None:
    """``--manifest /dev/zero`` grew to 22 GiB; a pipe with no writer would wait for ever."""
    import os

    pipe = tmp_path / "pipe.yaml"
    os.mkfifo(pipe)
    for path in ("/dev/zero", pipe):
        assert _manifest_error(path, lang) == {
            ENGLISH: f"Error: {path}: cannot read the manifest: it is not a regular file (a device, "
                     "a pipe or a socket); refused",
            CHINESE: f"错误：{path}：无法读取清单：不是普通文件（而是设备、管道或套接字），已拒绝",
        }[lang]


def test_a_manifest_past_its_size_or_its_aliases_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * (5 * 1024 * 1024) + "\n")
    assert _manifest_error(big) == (
        f"Error: {big}: cannot read the manifest: it is 5 MB; at most 4 MB are read")
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 9)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\n")
    assert _manifest_error(bomb) == (
        f"Error: {bomb}: cannot read the manifest: its aliases (*name) add more than 100,000 "
        "values; refused")
    long = tmp_path / "long.yaml"  # 100 KB named 50 times: 5 MB of text from a 100 KB file
    long.write_text(f'text: &t "{"x" * 100_000}"\nagain: [{", ".join(["*t"] * 50)}]\n')
    assert _manifest_error(long) == (
        f"Error: {long}: cannot read the manifest: its aliases (*name) add more than 4,194,304 "
        "characters of text (a text counted at every alias that names it); refused")


def test_the_shipped_manifest_still_reads(tmp_path: Path) -> None:
    assert cli("validate", "--manifest", manifest_copy(tmp_path), EXAMPLE_FILE).exit_code == 0


def test_the_reference_data_is_bounded(tmp_path: Path) -> None:
    from formgen.exceptions import ManifestError
    from formgen.model.manifest import load_manifest
    from formgen.model.reference import competence_statements

    deep = tmp_path / "competences.yaml"
    deep.write_text("CEng: " + "[" * 50 + "]" * 50 + "\n")
    manifest = load_manifest(manifest_copy(tmp_path, lambda m: m.update(competences=str(deep))))
    with pytest.raises(ManifestError) as e:
        competence_statements(manifest)
    assert e.value.message.english == (
        f"{deep}: cannot read the competence statements: nests values more than 16 levels deep; refused")
    deep.unlink()
    deep.symlink_to("/dev/zero")
    with pytest.raises(ManifestError) as e:
        competence_statements(manifest)
    assert e.value.message.english == (
        f"{deep.resolve()}: cannot read the competence statements: it is not a regular file (a "
        "device, a pipe or a socket); refused")


def bomb_template(path: Path, part: str, size: int) -> Path:
    """The registration form with ``part`` (zeros, packed) added or replaced."""
    from conftest import ROOT

    source = ROOT / "templates" / "en" / "registration_form.docx"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            if info.filename != part:
                out.writestr(info, src.read(info))
        with out.open(part, "w") as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(size // len(chunk)):
                member.write(chunk)
    return path


@pytest.mark.parametrize("lang", [ENGLISH, CHINESE])
def test_a_template_past_its_bounds_is_refused_before_it_is_opened(tmp_path: Path, lang: str) -> None:
    bomb = bomb_template(tmp_path / "bomb.docx", "word/media/padding.bin", 65 * 1024 * 1024)
    assert bomb.stat().st_size < 200_000
    manifest = manifest_copy(tmp_path, lambda m: m["documents"]["registration_form"][
        "templates"].update(en=str(bomb)))
    out = tmp_path / "out"
    with bounded(30):
        result = cli("render", EXAMPLE_FILE, "--manifest", manifest, "--out", out, "--doc",
                     "registration_form", "--lang", "en", lang=lang)
    assert result.exit_code == 1
    assert {
        ENGLISH: f"{EXAMPLE_FILE}, record 1 (CSEE-2026-0007): error: {bomb}: the template is "
                 "refused: its part word/media/padding.bin unpacks to 65 MB; at most 64 MB are read",
        CHINESE: f"{EXAMPLE_FILE}，第1条记录（CSEE-2026-0007）：错误：{bomb}：模板已拒绝：其中 "
                 "word/media/padding.bin 解压后为 65 MB，最多读取 64 MB",
    }[lang] in result.stderr.splitlines()
    assert not any(out.rglob("*.docx"))


def test_every_template_reader_is_bounded(tmp_path: Path) -> None:
    from formgen.certificates.batch import BatchTemplate
    from formgen.exceptions import TemplateError
    from formgen.forms.engine import CompiledTemplate
    from formgen.forms.typefaces import template_fonts

    big = tmp_path / "big.docx"
    big.write_bytes(b"PK" + b"\0" * (17 * 1024 * 1024))
    doctype = patched(bomb_template(tmp_path / "t.docx", "x.bin", 0), tmp_path / "d.docx",
                      "word/document.xml",
                      lambda d: d.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY e "e">]>', 1))
    expected = {
        big: f"{big}: the template is refused: it is 17 MB; at most 16 MB are read",
        doctype: f"{doctype}: the template is refused: its part word/document.xml contains an "
                 "XML DOCTYPE or ENTITY; refused",
        Path("/dev/zero"): "/dev/zero: the template is refused: it is not a regular file (a "
                           "device, a pipe or a socket); refused",
    }
    for path, message in expected.items():
        for read in (CompiledTemplate, BatchTemplate, template_fonts):
            with pytest.raises(TemplateError) as e:
                read(path)
            assert e.value.message.english == message, read


# ----------------------------------------------------------------------------- keys given twice


DUPLICATE_YAML = "id: A-1\nname: {zh: 甲, en: A}\nunit: x\n\nid: A-2\n"
DUPLICATE_JSON = '[\n {"id": "A-1"},\n {"id": "A-2",\n  "name": {"zh": "甲"},\n  "id": "A-3"}\n]\n'


@pytest.mark.parametrize("lang", [ENGLISH, CHINESE])
def test_a_key_given_twice_is_refused_naming_it_and_its_lines(tmp_path: Path, lang: str) -> None:
    """``id:`` given twice in one mapping was read last-wins without a word."""
    yaml_file, json_file = tmp_path / "twice.yaml", tmp_path / "twice.json"
    yaml_file.write_text(DUPLICATE_YAML, encoding="utf-8")
    json_file.write_text(DUPLICATE_JSON, encoding="utf-8")
    result = cli("validate", yaml_file, json_file, EXAMPLE_FILE, lang=lang)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    if lang == ENGLISH:
        assert lines[:2] == [f"{yaml_file}: error: the key 'id' is given twice (lines 1 and 5)",
                             f"{json_file}: error: the key 'id' is given twice (lines 3 and 5)"]
        assert lines[-1] == f"2 file(s) could not be read: {yaml_file}, {json_file}"
    else:
        assert lines[:2] == [f"{yaml_file}：错误：键 'id' 出现了两次（第 1 行和第 5 行）",
                             f"{json_file}：错误：键 'id' 出现了两次（第 3 行和第 5 行）"]
        assert lines[-1] == f"2 个文件无法读取：{yaml_file}、{json_file}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- id: A-1\n  name:\n    en: A\n    zh: 甲\n    en: B\n", "the key 'en' is given twice (lines 3 and 5)"),
        ("id: A-1\n'id': A-2\n", "the key 'id' is given twice (lines 1 and 2)"),
        ('{"id": "A-1", "id": "A-1"}', "the key 'id' is given twice (lines 1 and 1)"),
        ("base: &b {unit: x}\nid: A-1\nname: {<<: *b, zh: 甲, zh: 乙}\n", "the key 'zh' is given twice (lines 3 and 3)"),
    ],
)
def test_keys_given_twice_anywhere(text: str, message: str) -> None:
    from formgen.exceptions import DataFileError
    from formgen.load import UPLOAD, load_bytes
    from formgen.load import text as loader

    suffix = ".json" if text.startswith("{") else ".yaml"
    for yaml_loader in (loader.CSafeTextLoader, loader.SafeTextLoader):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(loader, "YAML_LOADER", yaml_loader)
            with pytest.raises(DataFileError) as e:
                load_bytes("data" + suffix, text.encode(), UPLOAD)
        assert e.value.reason.english == message


def test_an_upload_with_a_key_given_twice_is_refused() -> None:
    from formgen.exceptions import DataFileError
    from formgen.model.manifest import load_manifest
    from formgen.web.uploads import upload_records

    with pytest.raises(DataFileError) as e:
        upload_records("a.json", DUPLICATE_JSON.encode(), load_manifest())
    assert str(e.value) == "a.json: the key 'id' is given twice (lines 3 and 5)"


def test_a_merge_may_be_overridden(tmp_path: Path, example_record: dict) -> None:
    """Keys a merge (``<<: *base``) brings in may be given again: that is what it is for."""
    import yaml

    from formgen.load import UPLOAD, load_bytes

    text = ("base: &base {zh: 甲, en: A}\napplicants:\n- " + yaml.safe_dump(
        {**example_record, "name": "NAME"}, allow_unicode=True).replace("\n", "\n  ")
        ).replace("name: NAME", "name: {<<: *base, en: LI Xiaoming}")
    (raw,) = load_bytes("a.yaml", text.encode(), UPLOAD)
    assert raw.data["name"] == {"zh": "甲", "en": "LI Xiaoming"}


@pytest.mark.parametrize("lang", [ENGLISH, CHINESE])
def test_a_manifest_with_a_key_given_twice_is_refused(tmp_path: Path, lang: str) -> None:
    from conftest import MANIFEST_FILE

    text = MANIFEST_FILE.read_text(encoding="utf-8")
    path = tmp_path / "manifest.yaml"
    path.write_text(text + "default_pack: application\n", encoding="utf-8")
    first = 1 + text.splitlines().index(next(line for line in text.splitlines()
                                              if line.startswith("default_pack:")))
    last = len(text.splitlines()) + 1
    assert _manifest_error(path, lang) == {
        ENGLISH: f"Error: {path}: cannot read the manifest: the key 'default_pack' is given "
                 f"twice (lines {first} and {last})",
        CHINESE: f"错误：{path}：无法读取清单：键 'default_pack' 出现了两次（第 {first} 行和第 {last} 行）",
    }[lang]


def test_a_doctype_after_a_long_comment_is_refused(tmp_path: Path, example_record: dict) -> None:
    """The sheets are read by libxml2 with entities unresolved, after every part's prolog
    has been read to its root element: a comment of any length cannot hide a DOCTYPE."""
    good = write_xlsx(tmp_path / "good.xlsx", [example_record])

    def padded(data: bytes) -> bytes:
        root = data.index(b"<worksheet")
        return (data[:root] + b"<!-- " + b"x" * 100_000 + b' --><!DOCTYPE w [<!ENTITY e "lol">]>'
                + data[root:])

    path = patched(good, tmp_path / "padded.xlsx", SHEET, padded)
    result = cli("validate", path)
    assert result.stderr.splitlines()[0] == (
        f"{path}: error: contains an XML DOCTYPE or ENTITY ({SHEET}); refused")
