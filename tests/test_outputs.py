"""No command writes over one of its own inputs, or over a file that exists without
``--force``; an input that does not exist is an error naming it, and nothing is written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import SAMPLES_FILE, cli
from notice_form import notice_form


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return Path(shutil.copy(SAMPLES_FILE, tmp_path / "a.yaml"))


def refused(result: object, line: str) -> None:
    assert result.exit_code == 1, result.output  # type: ignore[attr-defined]
    assert result.stderr == line + "\n"  # type: ignore[attr-defined]


def test_roster_never_writes_over_its_own_data_file(data: Path) -> None:
    before = data.read_bytes()
    for force in ((), ("--force",)):
        result = cli("roster", data, "--out", data, *force)
        refused(result, f"Error: {data} is one of the files this command reads; "
                        "choose another file to write")
        assert data.read_bytes() == before


def test_roster_never_writes_over_its_input_workbook(data: Path, tmp_path: Path) -> None:
    book = tmp_path / "intake.xlsx"
    assert cli("roster", data, "--out", book).exit_code == 0
    before = book.read_bytes()
    result = cli("roster", tmp_path / "." / "intake.xlsx", "--out", book, "--force")
    refused(result, f"Error: {book} is one of the files this command reads; "
                    "choose another file to write")
    assert book.read_bytes() == before


def test_roster_replaces_an_existing_workbook_only_with_force(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "roster.xlsx"
    out.write_bytes(b"staff's own workbook")
    refused(cli("roster", data, "--out", out),
            f"Error: {out} already exists; give --force to replace it")
    assert out.read_bytes() == b"staff's own workbook"
    result = cli("roster", data, "--out", out, "--force")
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:2] == b"PK"
    assert "--force" in cli("roster", "--help").output


def test_roster_writes_only_a_workbook(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "roster.yaml"
    refused(cli("roster", data, "--out", out),
            f"Error: {out}: the roster is an Excel workbook; give --out a name ending in .xlsx")
    assert not out.exists()


def test_roster_of_a_missing_file_is_an_error_naming_it(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.xlsx"
    missing = tmp_path / "missing.xlsx"
    refused(cli("roster", missing, "--out", out), f"Error: no such file: {missing}")
    refused(cli("roster", data, missing, tmp_path / "gone.yaml", "--out", out),
            f"Error: no such file: {missing}, {tmp_path / 'gone.yaml'}")
    assert not out.exists()
    result = cli("roster", missing, "--out", out, env={"LANG": "zh_CN.UTF-8"})
    refused(result, f"错误：文件不存在：{missing}")


def test_extract_replaces_an_existing_data_file_only_with_force(tmp_path: Path) -> None:
    form = notice_form(tmp_path / "forms" / "报名表-李晓明.docx")
    out = tmp_path / "data.yaml"
    out.write_text("- id: STAFF-EDITED\n", encoding="utf-8")
    refused(cli("extract", form, "--out", out),
            f"Error: {out} already exists; give --force to replace it")
    assert out.read_text(encoding="utf-8") == "- id: STAFF-EDITED\n"
    assert not (tmp_path / "data.report.csv").exists()
    result = cli("extract", form, "--out", out, "--force", "--set", "grade=IEng",
                 "--set", "unit=中国电力建设集团有限公司")
    assert result.exit_code == 0, result.output
    assert "李晓明" in out.read_text(encoding="utf-8")


def test_extract_replaces_an_existing_report_only_with_force(tmp_path: Path) -> None:
    form = notice_form(tmp_path / "forms" / "报名表-李晓明.docx")
    report = tmp_path / "data.report.csv"
    report.write_text("kept", encoding="utf-8")
    refused(cli("extract", form, "--out", tmp_path / "data.yaml"),
            f"Error: {report} already exists; give --force to replace it")
    assert report.read_text(encoding="utf-8") == "kept"
    assert not (tmp_path / "data.yaml").exists()
    other = tmp_path / "other.yaml"
    refused(cli("extract", form, "--out", other, "--report", other),
            f"Error: --report and --out name the same file {other}")


def test_extract_never_writes_over_what_it_reads(tmp_path: Path) -> None:
    form = notice_form(tmp_path / "inbox" / "报名表-李晓明.docx")
    inside = tmp_path / "inbox" / "intake.xlsx"
    inside.write_bytes(b"PK old")
    for force in ((), ("--force",)):
        refused(cli("extract", tmp_path / "inbox", "--out", inside, *force),
                f"Error: {inside} is one of the files this command reads; "
                "choose another file to write")
    assert inside.read_bytes() == b"PK old"
    zipped = tmp_path / "forms.xlsx"
    zipped.write_bytes(form.read_bytes())
    refused(cli("extract", zipped, "--out", zipped, "--force"),
            f"Error: {zipped} is one of the files this command reads; "
            "choose another file to write")


def test_extract_of_a_missing_file_is_an_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "late.doc"
    refused(cli("extract", missing, "--out", tmp_path / "x.yaml"),
            f"Error: no such file: {missing}")
    assert list(tmp_path.iterdir()) == []


def test_register_export_never_writes_over_the_register(tmp_path: Path) -> None:
    register = tmp_path / "register.sqlite"
    assert cli("register", "init", register).exit_code == 0
    before = register.read_bytes()
    key = tmp_path / "register.key"
    for target in (register, key):
        refused(cli("register", "export", "--register", register, "--out", target, "--force"),
                f"Error: {target} is one of the files this command reads; "
                "choose another file to write")
    assert register.read_bytes() == before
    out = tmp_path / "events.csv"
    assert cli("register", "export", "--register", register, "--out", out).exit_code == 0
    refused(cli("register", "export", "--register", register, "--out", out),
            f"Error: {out} already exists; give --force to replace it")
    assert cli("register", "export", "--register", register, "--out", out,
               "--force").exit_code == 0


def test_a_run_never_writes_its_report_over_its_data(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    data = Path(shutil.copy(SAMPLES_FILE, out / "errors.csv"))
    before = data.read_bytes()
    refused(cli("render", data, "--out", out),
            f"Error: {data} is one of the files this command reads; choose another file to write")
    assert data.read_bytes() == before


def test_the_refusals_in_chinese(data: Path) -> None:
    result = cli("roster", data, "--out", data, env={"LANG": "zh_CN.UTF-8"})
    refused(result, f"错误：{data} 是本命令读取的文件之一，请另选要写入的文件")
