"""Reading applicant data: YAML, JSON, CSV (with group files), XLSX (with group sheets)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import (
    EXAMPLE_FILE,
    MANIFEST_FILE,
    SAMPLES_FILE,
    SAMPLES_XLSX,
    TEST_DATA,
    with_id,
    write_csv,
    write_csv_rows,
    write_json,
    write_xlsx,
    write_yaml,
)

from formgen.cli import main
from formgen.load import load_files
from formgen.messages import msg
from formgen.model.applicant import Applicant
from formgen.model.manifest import load_manifest
from formgen.validate import validate

TODAY = dt.date(2026, 11, 23)
PHONE = "013800138000"
ID18 = "110101199003070012"


def applicants(paths: list[Path]) -> list[Applicant]:
    report = validate(load_files(paths), load_manifest(MANIFEST_FILE), TODAY)
    assert report.errors == [], [str(p) for p in report.errors]
    return [v.applicant for v in report.valid]


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


# ----------------------------------------------------------------------------- the contract


def test_contract_file_loads_as_is() -> None:
    records = load_files([EXAMPLE_FILE])
    assert len(records) == 1
    assert records[0].where.english == "record 1"
    (a,) = applicants([EXAMPLE_FILE])
    assert a.id == "CSEE-2026-0007"
    assert a.name.zh == "李晓明" and a.name.en == "LI Xiaoming"
    assert a.mobile == "+86 139 1000 2233"
    assert a.english_interview is False
    assert a.education[0].start == dt.date(2009, 9, 1)
    assert a.career[0].end is None
    assert a.cpd[0].hours == 24
    assert a.competences["B2"].dap.en == "Lead a design review in 2027"
    assert a.competences["A1"].dap.missing() == ["zh", "en"]


def test_contract_file_validates_on_the_command_line() -> None:
    result = run("validate", str(EXAMPLE_FILE))
    assert result.exit_code == 0, result.output
    assert "1 record(s): 1 valid, 0 with errors; 0 error(s)" in result.stderr


def test_list_of_records_in_one_yaml(tmp_path: Path, example_record: dict, cmes_record: dict) -> None:
    path = write_yaml(tmp_path / "two.yaml", [example_record, cmes_record])
    records = load_files([path])
    assert [r.where.english for r in records] == ["record 1", "record 2"]
    assert [a.id for a in applicants([path])] == ["CSEE-2026-0007", "CMES-2026-0103"]


def test_list_under_applicants_key(tmp_path: Path, example_record: dict, cmes_record: dict) -> None:
    path = write_yaml(tmp_path / "two.yml", {"applicants": [example_record, cmes_record]})
    assert [a.id for a in applicants([path])] == ["CSEE-2026-0007", "CMES-2026-0103"]


def test_list_of_records_in_one_json(tmp_path: Path, example_record: dict, cmes_record: dict) -> None:
    path = write_json(tmp_path / "two.json", [example_record, cmes_record])
    from_json = applicants([path])
    assert [a.id for a in from_json] == ["CSEE-2026-0007", "CMES-2026-0103"]
    assert from_json[0] == applicants([EXAMPLE_FILE])[0]


def test_yaml_keeps_leading_zeros(tmp_path: Path) -> None:
    text = EXAMPLE_FILE.read_text(encoding="utf-8").replace('"+86 139 1000 2233"', PHONE)
    assert f"mobile: {PHONE}\n" in text
    path = tmp_path / "a.yaml"
    path.write_text(text, encoding="utf-8")
    (a,) = applicants([path])
    assert a.mobile == PHONE


# ----------------------------------------------------------------------------- CSV and XLSX


@pytest.mark.parametrize("style", ["dotted", "plain"])
def test_csv_with_group_files_gives_the_same_applicant(
    tmp_path: Path, example_record: dict, style: str
) -> None:
    files = write_csv(tmp_path / "applicants.csv", [example_record], style=style)
    names = sorted(p.name for p in files)
    if style == "dotted":
        assert names == ["applicants.career.csv", "applicants.competences.csv",
                         "applicants.cpd.csv", "applicants.csv", "applicants.education.csv"]
    else:
        assert names == ["applicants.csv", "career.csv", "competences.csv", "cpd.csv", "education.csv"]
    assert applicants([files[0]]) == applicants([EXAMPLE_FILE])


def test_csv_group_files_given_on_the_command_line(tmp_path: Path, example_record: dict) -> None:
    main_file, *groups = write_csv(tmp_path / "main.csv", [example_record])
    moved = []
    for g in groups:  # names that are not found beside the main file
        target = tmp_path / f"x-{g.name.split('.')[1]}.csv"
        g.rename(target)
        moved.append(target)
    assert applicants([main_file, *moved]) == applicants([EXAMPLE_FILE])


def test_csv_group_file_alone_is_refused(tmp_path: Path, example_record: dict) -> None:
    _, career, *_ = write_csv(tmp_path / "main.csv", [example_record])
    assert _error(career) == f"{career}: error: is a repeating-group file; give the main CSV file with it"


def test_xlsx_with_group_sheets_gives_the_same_applicant(tmp_path: Path, example_record: dict, cmes_record: dict) -> None:
    path = write_xlsx(tmp_path / "a.xlsx", [example_record, cmes_record])
    records = load_files([path])
    assert records[0].where.english == "sheet applicants row 2"
    assert records[0].locations["career[2]"].english == "sheet career row 3"
    yaml_path = write_yaml(tmp_path / "a.yaml", [example_record, cmes_record])
    assert applicants([path]) == applicants([yaml_path])


def test_sample_xlsx_matches_sample_yaml() -> None:
    from_xlsx = applicants([SAMPLES_XLSX])
    from_yaml = applicants([SAMPLES_FILE])
    assert len(from_yaml) == 6
    assert from_xlsx == from_yaml


def _digits_record(record: dict) -> dict:
    record = with_id(record, ID18, mobile=PHONE, company_phone="0731-85561234")
    record["education"][0]["start"] = "2009-09"
    return record


def test_csv_cells_are_text(tmp_path: Path, example_record: dict) -> None:
    files = write_csv(tmp_path / "a.csv", [_digits_record(example_record)])
    assert f"{ID18},csee-iet" in files[0].read_text(encoding="utf-8")
    (a,) = applicants([files[0]])
    assert a.id == ID18
    assert a.mobile == PHONE
    assert len(a.career) == 2 and len(a.cpd) == 2  # group rows found by the 18-digit id


def test_xlsx_text_cells_keep_every_digit(tmp_path: Path, example_record: dict) -> None:
    path = write_xlsx(tmp_path / "a.xlsx", [_digits_record(example_record)])
    (a,) = applicants([path])
    assert a.id == ID18
    assert a.mobile == PHONE
    assert len(a.career) == 2


def test_xlsx_numeric_cell_with_zero_format_keeps_leading_zero(tmp_path: Path, example_record: dict) -> None:
    import openpyxl

    path = write_xlsx(tmp_path / "a.xlsx", [example_record], text_cells=False)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["applicants"]
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("mobile") + 1)
    cell.value = 13800138000
    cell.number_format = "000000000000"
    workbook.save(path)
    (a,) = applicants([path])
    assert a.mobile == PHONE


def test_gb18030_csv(tmp_path: Path, example_record: dict) -> None:
    files = write_csv(tmp_path / "gb.csv", [example_record], encoding="gb18030")
    raw = files[0].read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert applicants([files[0]]) == applicants([EXAMPLE_FILE])


def test_utf8_bom_csv(tmp_path: Path, example_record: dict) -> None:
    files = write_csv(tmp_path / "bom.csv", [example_record], encoding="utf-8-sig")
    assert applicants([files[0]]) == applicants([EXAMPLE_FILE])


def test_group_row_for_nobody_is_reported(tmp_path: Path, example_record: dict) -> None:
    main_file, *groups = write_csv(tmp_path / "a.csv", [example_record])
    career = tmp_path / "a.career.csv"
    text = career.read_text(encoding="utf-8").rstrip("\n").split("\n")
    text.append(text[-1].replace("CSEE-2026-0007", "CSEE-2026-9999", 1))
    career.write_text("\n".join(text) + "\n", encoding="utf-8")
    result = run("validate", str(main_file))
    assert result.exit_code == 1
    assert (
        f"{main_file}, a.career.csv row 4, id: error: no applicant has the id 'CSEE-2026-9999' (in the career rows)"
        in result.stderr.splitlines()
    )
    assert "2 record(s): 1 valid, 1 with errors" in result.stderr


def test_group_row_without_id_is_reported(tmp_path: Path, example_record: dict) -> None:
    main_file = write_csv(tmp_path / "a.csv", [example_record])[0]
    write_csv_rows(tmp_path / "a.cpd.csv", [{"id": "", "date": "2025-01-01", "hours": "3"}])
    result = run("validate", str(main_file))
    assert result.exit_code == 1
    assert f"{main_file}, a.cpd.csv row 2, id: error: this cpd row has no applicant id" in result.stderr


def test_xlsx_group_row_for_nobody_is_reported(tmp_path: Path, example_record: dict) -> None:
    other = with_id(example_record, "NOBODY-1")
    path = write_xlsx(tmp_path / "a.xlsx", [example_record, other])
    import openpyxl

    workbook = openpyxl.load_workbook(path)
    workbook["applicants"].delete_rows(3)
    workbook.save(path)
    result = run("validate", str(path))
    assert result.exit_code == 1
    assert (
        f"{path}, sheet education row 3, id: error: no applicant has the id 'NOBODY-1' (in the education rows)"
        in result.stderr.splitlines()
    )


# ----------------------------------------------------------------------------- unreadable files


def _error(path: Path) -> str:
    """The line that says why ``path`` cannot be read (the run reports it with the other
    problems, counts it apart from the records, and exits 1)."""
    result = run("validate", str(path))
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[1:] == [
        "0 record(s): 0 valid, 0 with errors; 1 error(s), 0 warning(s)",
        f"1 file(s) could not be read: {path}",
    ]
    return lines[0]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.yaml", b"", "is empty"),
        ("blank.yaml", b"  \n\n", "is empty"),
        ("empty.json", b"", "is empty"),
        ("empty.csv", b"", "is empty"),
        ("header.csv", b"id,name.zh\n", "holds no applicants"),
        ("nothing.json", b"[]", "holds no applicants"),
        ("scalar.yaml", b"just text\n", "must hold one applicant (a mapping) or a list of them"),
        ("bad.yaml", b"id: [1, 2\n", "is not valid YAML at line 2: expected ',' or ']', but got '<stream end>'"),
        ("bad.json", b'{"id": 1,}', "is not valid JSON at line 1: Expecting property name enclosed in double quotes"),
        ("binary.yaml", b"\xff\xfe\xff\x00\x81", "is not text in UTF-8 or GB18030"),
        ("fake.xlsx", b"id,name\n1,2\n", "is not an XLSX workbook (not a valid zip file)"),
        ("notes.txt", b"id: 1\n", "has an unknown type '.txt'; use .yaml, .yml, .json, .csv or .xlsx"),
        ("noext", b"id: 1\n", "has an unknown type ''; use .yaml, .yml, .json, .csv or .xlsx"),
    ],
)
def test_unreadable_file_exact_message(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert _error(path) == f"{path}: error: {message}"


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    assert _error(path) == f"{path}: error: no such file"


def test_folder(tmp_path: Path) -> None:
    assert _error(tmp_path) == f"{tmp_path}: error: is a folder, not a data file"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_file_without_read_permission(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "locked.yaml", {"id": "x"})
    path.chmod(0)
    try:
        assert _error(path) == f"{path}: error: cannot be read: Permission denied"
    finally:
        path.chmod(0o644)


def test_a_bad_file_does_not_stop_the_run(tmp_path: Path) -> None:
    """Every file is read: one that cannot be is a record standing for the whole file."""
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    first, second = load_files([empty, EXAMPLE_FILE])
    assert (first.file, first.whole_file, first.refused) == (str(empty), True, msg("file.empty"))
    assert second.record_id == "CSEE-2026-0007" and not second.whole_file


@pytest.mark.parametrize(
    "text",
    [
        "!!python/object:os.system {}\n",
        "id: !!python/object/apply:os.system ['echo hacked']\n",
        "- !!python/name:os.system\n",
    ],
)
def test_python_yaml_tags_are_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "evil.yaml"
    path.write_text(text)
    message = _error(path)
    assert message.startswith(f"{path}: error: uses a YAML tag that is not allowed (")
    assert message.endswith("); write plain values")
    assert "python/" in message


def test_bad_data_folder_files() -> None:
    """The files under tests/data/bad each give one clear message."""
    expected = {
        "empty.yaml": "is empty",
        "tag.yaml": "uses a YAML tag that is not allowed",
        "list-of-text.yaml": None,
        "broken.json": "is not valid JSON at line 3",
    }
    for name, message in expected.items():
        path = TEST_DATA / "bad" / name
        if message is None:
            result = run("validate", str(path))
            assert result.exit_code == 1
            assert f"{path}, record 1: error: is not an applicant record (expected a mapping of fields)" in result.stderr
            continue
        assert _error(path).startswith(f"{path}: error: {message}")
