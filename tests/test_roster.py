"""``formgen roster``: the intake workbook staff read, edit and give back to ``formgen validate``."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from conftest import MANIFEST_FILE, SAMPLES_FILE, TODAY, cli, with_id, write_yaml

from formgen.main import check_data
from formgen.settings import load_settings
from formgen.sorting import pinyin_key

STATE_GRID = "国家电网有限公司"  # 10 places in the csee-iet quota table



@pytest.fixture
def intake(tmp_path: Path) -> Path:
    """The six samples, twelve applicants of one unit (10 places), one record with an error."""
    samples = yaml.safe_load(SAMPLES_FILE.read_text(encoding="utf-8"))
    base = next(r for r in samples if r["programme"] == "csee-iet")
    crowd = [
        with_id(base, f"CSEE-2026-{900 + i}", unit=STATE_GRID,
                name={"zh": f"{surname}明", "en": f"{surname} Ming"})
        for i, surname in enumerate("赵钱孙李周吴郑王冯陈褚卫")
    ]
    broken = with_id(base, "CSEE-2026-0999", email="nobody", name={"zh": "阿强", "en": "A Qiang"})
    return write_yaml(tmp_path / "intake.yaml", samples + crowd + [broken])


def rows(sheet: Any) -> list[list[Any]]:
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def test_roster_lists_applicants_by_unit_then_name_in_pinyin(intake: Path, tmp_path: Path) -> None:
    out = tmp_path / "roster.xlsx"
    result = cli("roster", intake, "--out", out)
    assert result.exit_code == 0, result.output
    # one sample is of the same unit: 13 applicants for 10 places
    assert "19 applicant(s): 4 ready, 14 with warnings, 1 with errors; 3 place(s) over quota" in result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[:6] == ["roster", "applicants", "education", "career", "cpd", "competences"]
    assert {"csee-iet", "cmes-soe"} <= set(book.sheetnames)
    sheet = book["roster"]
    table = rows(sheet)
    assert table[0] == ["Id", "Name (Chinese)", "Name (English)", "Programme", "Grade", "Unit",
                        "Status", "Problems", "Documents needed", "Read from"]
    body = table[1:]
    keys = [(pinyin_key(r[5] or ""), pinyin_key(r[1] or r[2])) for r in body]
    assert keys == sorted(keys)
    grid_names = [r[1] for r in body if r[5] == STATE_GRID]
    assert grid_names[:3] == ["陈明", "褚明", "冯明"]  # chen, chu, feng
    broken = next(r for r in body if r[0] == "CSEE-2026-0999")
    assert broken[6] == "errors"
    assert "email: error: 'nobody' is not an email address" in broken[7]
    example = next(r for r in body if r[0] == "CSEE-2026-0007")
    assert example[8].split("\n") == [
        "Registration Form for Professional Registration",
        "Continuous Professional Development Record", "Cross-Reference Table", "Fee Notice"]
    for name in ("roster", "applicants", "csee-iet"):
        assert book[name].freeze_panes == "A2"
        assert book[name].auto_filter.ref and book[name].auto_filter.ref.startswith("A1:")
    assert sheet.column_dimensions["I"].width > sheet.column_dimensions["E"].width


def test_quota_sheet_matches_the_quota_warnings_of_validate(intake: Path, tmp_path: Path) -> None:
    out = tmp_path / "roster.xlsx"
    assert cli("roster", intake, "--out", out).exit_code == 0
    _, report = check_data(load_settings(MANIFEST_FILE, today=dt.date.fromisoformat(TODAY)),
                           [intake])
    warned = Counter(p.message.params[0][1] for p in report.problems if p.code == "rule.over-quota")
    assert warned == {STATE_GRID: 3}
    table = rows(openpyxl.load_workbook(out)["csee-iet"])
    assert table[0] == ["Unit", "Quota", "Applicants", "Valid applicants", "Over quota"]
    over = {r[0]: r[4] for r in table[1:] if r and r[0] not in (None, "Total", "Deadline")}
    assert {unit: n for unit, n in over.items() if n} == dict(warned)
    grid = next(r for r in table if r[0] == STATE_GRID)
    assert grid[1:] == [10, 13, 13, 3]
    assert next(r for r in table if r[0] == "Deadline")[:3] == ["Deadline", "2026-11-25", "2 day(s) left"]


def test_roster_read_back_by_validate_gives_the_same_records(intake: Path, tmp_path: Path) -> None:
    out = tmp_path / "roster.xlsx"
    assert cli("roster", intake, "--out", out).exit_code == 0
    settings = load_settings(MANIFEST_FILE, today=dt.date.fromisoformat(TODAY))
    _, before = check_data(settings, [intake])
    _, after = check_data(settings, [out])
    assert {v.applicant.id: v.applicant for v in after.valid} == {
        v.applicant.id: v.applicant for v in before.valid}
    # which applicants are the ones over the quota follows the order of the rows (the
    # roster's is by pinyin), so those warnings are compared by unit
    def problems(report: Any) -> tuple[list[Any], Counter[str]]:
        over = Counter(p.message.params[0][1] for p in report.problems if p.code == "rule.over-quota")
        rest = sorted((p.record_id, p.field, p.code, p.message.english) for p in report.problems
                      if p.code != "rule.over-quota")
        return rest, over

    assert problems(after) == problems(before)


def test_enumerated_columns_have_drop_down_lists(intake: Path, tmp_path: Path) -> None:
    out = tmp_path / "roster.xlsx"
    assert cli("roster", intake, "--out", out).exit_code == 0
    book = openpyxl.load_workbook(out)
    sheet = book["applicants"]
    header = [c.value for c in sheet[1]]
    lists = book["lists"]
    assert lists.sheet_state == "hidden"
    choices = {}
    for check in sheet.data_validations.dataValidation:
        column = header[openpyxl.utils.column_index_from_string(str(check.sqref).split(":")[0].rstrip("0123456789")) - 1]
        letter_range = check.formula1.split("!")[1].replace("$", "")
        choices[column] = [c.value for row in lists[letter_range] for c in row]
    assert choices["grade"] == ["CEng", "IEng", "EngTech"]
    assert choices["programme"] == ["csee-iet", "cmes-soe"]
    assert choices["gender"] == ["male", "female"]
    assert STATE_GRID in choices["unit"]
    assert choices["soe.division"] == ["IRTE", "IPlantE", "BES"]


def test_roster_headers_in_chinese(intake: Path, tmp_path: Path) -> None:
    out = tmp_path / "roster.xlsx"
    result = cli("roster", intake, "--out", out, env={"LANG": "zh_CN.UTF-8"})
    assert result.exit_code == 0
    assert "共19名申请人" in result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[0] == "报名名册"
    assert rows(book["报名名册"])[0][:3] == ["编号", "姓名（中文）", "姓名（英文）"]


@pytest.mark.needs_office
def test_roster_opens_in_libreoffice_without_repair(intake: Path, tmp_path: Path) -> None:
    from formgen.office import soffice_path

    out = tmp_path / "roster.xlsx"
    assert cli("roster", intake, "--out", out).exit_code == 0
    profile = tmp_path / "profile"
    done = subprocess.run(
        [soffice_path(), "--headless", "--norestore", f"-env:UserInstallation=file://{profile}",
         "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
         "--outdir", str(tmp_path / "csv"), str(out)],
        capture_output=True, text=True, timeout=120, env={**os.environ, "HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    said = (done.stdout + done.stderr).lower()
    assert "repair" not in said and "error" not in said, said
    sheets = sorted((tmp_path / "csv").glob("*.csv"))
    text = "\n".join(p.read_text(encoding="utf-8") for p in sheets)
    assert "CSEE-2026-0999" in text and STATE_GRID in text
