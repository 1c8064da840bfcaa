"""Multi-line answers are read back with their line breaks: from formgen's own forms (a
break inside a content control) and from the society's form (paragraphs in a cell)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import cli, example_dict, write_yaml
from notice_form import FILLED, notice_form

LINES = {"zh": "授权发明专利5项\n发表SCI论文8篇", "en": "5 invention patents\n8 SCI papers"}


@pytest.mark.slow
def test_a_rendered_form_gives_back_its_lines(tmp_path: Path) -> None:
    record = example_dict()
    record["description"] = dict(LINES)
    record["career"][0]["responsibilities"] = {"zh": "负责A\n负责B", "en": "Did A\nDid B"}
    data = write_yaml(tmp_path / "data.yaml", [record])
    assert cli("render", data, "--out", tmp_path / "out", "--doc", "registration_form").exit_code == 0
    out = tmp_path / "read.yaml"
    result = cli("extract", tmp_path / "out", "--out", out)
    assert "could not be read for certain" not in result.output
    (read,) = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert read["description"] == LINES
    assert read["career"][0]["responsibilities"] == {"zh": "负责A\n负责B", "en": "Did A\nDid B"}


def test_the_society_form_keeps_the_lines_of_a_cell(tmp_path: Path) -> None:
    form = notice_form(tmp_path / "form.docx", {**FILLED, "description": LINES["zh"]})
    out = tmp_path / "read.yaml"
    cli("extract", form, "--out", out, "--set", "grade=IEng")
    (read,) = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert read["description"] == {"zh": LINES["zh"]}


def test_a_two_language_answer_splits_by_blocks_of_lines(tmp_path: Path) -> None:
    both = f"{LINES['zh']}\n{LINES['en']}"
    form = notice_form(tmp_path / "form.docx", {**FILLED, "description": both})
    out = tmp_path / "read.yaml"
    cli("extract", form, "--out", out, "--set", "grade=IEng")
    (read,) = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert read["description"] == LINES
