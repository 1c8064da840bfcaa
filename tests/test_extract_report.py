"""The intake report: every finding the command line shows, ZIP member names decoded as
their maker wrote them, a final newline; the workbook has every column of the contract."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import openpyxl
from conftest import cli
from notice_form import FILLED, notice_form

from formgen.extract.output import contract_columns


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(path.open(encoding="utf-8-sig")))


def test_every_finding_on_stderr_is_in_the_report(tmp_path: Path) -> None:
    notice_form(tmp_path / "forms" / "a.docx")
    notice_form(tmp_path / "forms" / "b.docx", {**FILLED, "expertise": "水轮发电机组调试"})
    out = tmp_path / "intake.yaml"
    result = cli("extract", tmp_path / "forms", "--out", out)
    report = tmp_path / "intake.report.csv"
    assert "expertise.zh: error: the forms disagree: 水轮发电机组调试" in result.output
    rows = _rows(report)
    said = [line for line in result.output.splitlines() if ": error: " in line or ": warning: " in line]
    assert said
    texts = {r[3] for r in rows}
    for line in said:
        message = line.split(": error: ", 1)[-1].split(": warning: ", 1)[-1]
        assert message in texts or any(message.endswith(t) for t in texts if t), line
    conflict = [r for r in rows if r[1] == "expertise.zh" and r[2] == "error"]
    assert conflict and "水轮发电机组调试" in conflict[0][3] and "水电站机电设备安装" in conflict[0][3]
    assert [r for r in rows if r[1] == "unit" and r[2] == "error"]
    assert report.read_bytes().endswith(b"\r\n")


def _zip_with_gbk_names(target: Path, forms: dict[str, bytes]) -> Path:
    """A ZIP as Chinese Windows writes it: names in GBK, no UTF-8 flag."""
    buffer = io.BytesIO()
    placeholders = {}
    with zipfile.ZipFile(buffer, "w") as archive:
        for number, (name, data) in enumerate(forms.items()):
            raw = name.encode("gbk")
            placeholder = f"{number:0{len(raw)}d}".encode("ascii")
            placeholders[placeholder] = raw
            archive.writestr(placeholder.decode("ascii"), data)
    data = buffer.getvalue()
    for placeholder, raw in placeholders.items():
        data = data.replace(placeholder, raw)
    target.write_bytes(data)
    with zipfile.ZipFile(target) as check:
        assert all(not info.flag_bits & 0x800 for info in check.infolist())
    return target


def test_zip_member_names_in_gbk_are_decoded(tmp_path: Path) -> None:
    form = notice_form(tmp_path / "form.docx").read_bytes()
    archive = _zip_with_gbk_names(tmp_path / "报名材料.zip", {"报名表-李晓明.docx": form})
    out = tmp_path / "intake.yaml"
    cli("extract", archive, "--out", out, "--set", "grade=IEng")
    files = {r[0] for r in _rows(tmp_path / "intake.report.csv")[1:]}
    assert f"{archive}/报名表-李晓明.docx" in files


def test_zip_member_names_with_the_utf8_flag_are_kept(tmp_path: Path) -> None:
    form = notice_form(tmp_path / "form.docx").read_bytes()
    archive = tmp_path / "forms.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("报名表-李晓明.docx", form)
    out = tmp_path / "intake.yaml"
    cli("extract", archive, "--out", out, "--set", "grade=IEng")
    files = {r[0] for r in _rows(tmp_path / "intake.report.csv")[1:]}
    assert f"{archive}/报名表-李晓明.docx" in files


def test_the_workbook_has_every_column_of_the_contract(tmp_path: Path) -> None:
    form = notice_form(tmp_path / "form.docx")
    out = tmp_path / "intake.xlsx"
    cli("extract", form, "--out", out)
    book = openpyxl.load_workbook(out)
    main, groups = contract_columns()
    header = [c.value for c in book["applicants"][1]]
    assert header[:len(main)] == main
    assert {"unit", "grade", "cmes.membership_no", "soe.division", "name.en"} <= set(header)
    row = dict(zip(header, [c.value for c in book["applicants"][2]], strict=True))
    assert row["unit"] is None and row["name.zh"] == "李晓明"
    for group, columns in groups.items():
        assert [c.value for c in book[group][1]][:len(columns)] == columns
    assert cli("validate", out).exit_code == 1  # unit is missing: said, not a missing column
    assert "unit" in cli("validate", out).output
