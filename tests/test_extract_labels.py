"""The society's own form read by its labels as people word them: Chinese, English or both,
synonyms, trailing colons (full-width or not), case; a label not recognised, with a value
beside it, is reported as such with the value kept in the report."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import cli
from notice_form import FILLED, notice_form

ENGLISH = {
    "name": "Name:", "gender": "Gender", "job_title": "Job title", "expertise": "Field of expertise",
    "mobile": "Mobile", "company": "Employer", "company_address": "Employer address",
    "company_phone": "Office phone", "email": "E-mail", "english_level": "English proficiency",
    "english_interview": "Interview in English", "education.course": "Subject",
    "career.responsibilities": "Main duties",
}
CHINESE = {
    "expertise": "专业领域：", "mobile": "手机号码:", "company_address": "通讯地址：",
    "company_phone": "办公电话：", "english_level": "外语水平", "english_interview": "是否英文面试：",
    "education.course": "专业", "career.responsibilities": "主要职责",
}
SHOUTED = {key: label.upper() for key, label in ENGLISH.items()}
BOTH = {"expertise": "专业领域 Field of Expertise：", "company_phone": "办公电话 / Office Phone:",
        "english_level": "英语水平（English proficiency）"}


def _extract(tmp_path: Path, labels: dict[str, str]) -> tuple[Any, dict[str, Any], list[list[str]]]:
    form = notice_form(tmp_path / "form.docx", labels=labels)
    out = tmp_path / "out.yaml"
    result = cli("extract", form, "--out", out, "--set", "grade=IEng")
    (record,) = yaml.safe_load(out.read_text(encoding="utf-8"))
    rows = list(csv.reader((tmp_path / "out.report.csv").open(encoding="utf-8-sig")))
    return result, record, rows


@pytest.mark.parametrize("labels", [ENGLISH, CHINESE, SHOUTED, BOTH], ids=["en", "zh", "upper", "both"])
def test_every_value_is_read_whatever_the_labels_wording(tmp_path: Path, labels: dict[str, str]) -> None:
    result, record, rows = _extract(tmp_path, labels)
    assert record["expertise"] == {"zh": FILLED["expertise"]}
    assert record["mobile"] == FILLED["mobile"]
    assert record["company_address"] == {"zh": FILLED["company_address"]}
    assert record["company_phone"] == FILLED["company_phone"]
    assert record["english_level"] == {"zh": FILLED["english_level"]}
    assert record["english_interview"] is False
    assert record["education"][0]["course"] == {"zh": "电气工程及其自动化"}
    assert [c["responsibilities"]["zh"] for c in record["career"]] == [c[3] for c in FILLED["career"]]
    assert "is not filled in" not in result.output and "not on the form" not in result.output
    assert not [r for r in rows if r[2] in ("missing", "label not recognised")]


def test_a_label_not_recognised_is_reported_with_its_value(tmp_path: Path) -> None:
    result, record, rows = _extract(tmp_path, {"expertise": "Favourite colour"})
    assert "expertise" not in record
    assert ("label not recognised: “Favourite colour”, with the value “水电站机电设备安装” beside it, "
            "which was not read; place it by hand") in result.output
    assert [r[1:] for r in rows if r[2] == "label not recognised"] == [
        ["Favourite colour", "label not recognised", "水电站机电设备安装"]]
