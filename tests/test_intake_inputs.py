"""``formgen extract`` and ``formgen roster`` never write over their inputs or over a file
they did not write, refuse a missing or unreadable input, and refuse data files that give
a key twice (YAML and JSON), naming the key and its lines."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from conftest import EXAMPLE_FILE, cli
from notice_form import notice_form


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_roster_of_a_missing_file_is_refused(tmp_path: Path) -> None:
    result = cli("roster", tmp_path / "missing.xlsx", "--out", tmp_path / "r.xlsx")
    assert result.exit_code == 1
    assert f"no such file: {tmp_path / 'missing.xlsx'}" in result.output
    assert not (tmp_path / "r.xlsx").exists()


def test_roster_never_writes_over_its_own_data_file(tmp_path: Path) -> None:
    data = tmp_path / "a.yaml"
    data.write_bytes(EXAMPLE_FILE.read_bytes())
    before = _digest(data)
    for force in ((), ("--force",)):
        result = cli("roster", data, "--out", data, *force)
        assert result.exit_code == 1
        assert f"{data} is one of the files this command reads" in result.output
        assert _digest(data) == before


def test_roster_does_not_replace_an_existing_file_without_force(tmp_path: Path) -> None:
    data = tmp_path / "a.yaml"
    data.write_bytes(EXAMPLE_FILE.read_bytes())
    out = tmp_path / "r.xlsx"
    out.write_bytes(b"the staff's own workbook")
    result = cli("roster", data, "--out", out)
    assert result.exit_code == 1
    assert f"{out} already exists; give --force to replace it" in result.output
    assert out.read_bytes() == b"the staff's own workbook"
    assert cli("roster", data, "--out", out, "--force").exit_code == 0
    assert out.read_bytes().startswith(b"PK")


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("bad.xlsx", b"not a workbook", "is not an XLSX workbook"),
    ("bad.yaml", b"a: [\n", "is not valid YAML at line 2"),
    ("folder", None, "is a folder, not a data file"),
])
def test_roster_over_an_input_that_cannot_be_read_is_refused(
        tmp_path: Path, name: str, content: bytes | None, reason: str) -> None:
    good = tmp_path / "a.yaml"
    good.write_bytes(EXAMPLE_FILE.read_bytes())
    bad = tmp_path / name
    if content is None:
        bad.mkdir()
    else:
        bad.write_bytes(content)
    out = tmp_path / "r.xlsx"
    result = cli("roster", good, bad, "--out", out)
    assert result.exit_code == 1
    assert f"no roster written: {bad} could not be read ({reason}" in result.output
    assert not out.exists()


@pytest.mark.parametrize(("name", "text", "said"), [
    ("dup.yaml", "- id: CSEE-2026-0001\n  programme: csee-iet\n  id: CSEE-2026-0002\n",
     "the key 'id' is given twice (lines 1 and 3)"),
    ("dup.json", '[{"id": "CSEE-2026-0001",\n "programme": "csee-iet",\n "id": "CSEE-2026-0002"}]',
     "the key 'id' is given twice (lines 1 and 3)"),
    ("nested.yaml", "- id: CSEE-2026-0001\n  name:\n    zh: 李\n    zh: 王\n",
     "the key 'zh' is given twice (lines 3 and 4)"),
])
def test_a_key_given_twice_is_refused_by_validate_and_roster(
        tmp_path: Path, name: str, text: str, said: str) -> None:
    data = tmp_path / name
    data.write_text(text, encoding="utf-8")
    validated = cli("validate", data)
    assert validated.exit_code == 1
    assert said in validated.output
    out = tmp_path / "r.xlsx"
    rostered = cli("roster", data, "--out", out)
    assert rostered.exit_code == 1
    assert said in rostered.output
    assert not out.exists()


def test_extract_of_a_missing_form_is_refused(tmp_path: Path) -> None:
    result = cli("extract", tmp_path / "missing.docx", "--out", tmp_path / "d.yaml")
    assert result.exit_code == 1
    assert f"no such file: {tmp_path / 'missing.docx'}" in result.output
    assert not (tmp_path / "d.yaml").exists()


def test_extract_never_replaces_an_existing_data_file_without_force(tmp_path: Path) -> None:
    form = notice_form(tmp_path / "form.docx")
    data = tmp_path / "data.yaml"
    data.write_bytes(EXAMPLE_FILE.read_bytes())
    before = _digest(data)
    result = cli("extract", form, "--out", data)
    assert result.exit_code == 1
    assert f"{data} already exists; give --force to replace it" in result.output
    assert _digest(data) == before
    assert not (tmp_path / "data.report.csv").exists()


def test_extract_never_writes_over_a_form_it_reads(tmp_path: Path) -> None:
    form = notice_form(tmp_path / "form.docx")
    before = _digest(form)
    result = cli("extract", form, "--out", tmp_path / "out.yaml", "--report", form, "--force")
    assert result.exit_code == 1
    assert f"{form} is one of the files this command reads" in result.output
    assert _digest(form) == before


def test_extract_never_writes_into_a_folder_of_forms_over_a_form(tmp_path: Path) -> None:
    folder = tmp_path / "forms"
    folder.mkdir()
    notice_form(folder / "form.docx")
    existing = folder / "old.yaml"
    existing.write_text("kept\n", encoding="utf-8")
    result = cli("extract", folder, "--out", existing, "--force")
    assert result.exit_code == 1
    assert f"{existing} is one of the files this command reads" in result.output
    assert existing.read_text(encoding="utf-8") == "kept\n"


def test_links_never_writes_its_store_over_a_data_file(tmp_path: Path) -> None:
    data = tmp_path / "a.yaml"
    data.write_bytes(EXAMPLE_FILE.read_bytes())
    before = _digest(data)
    result = cli("links", data, "--base-url", "https://forms.example.org", "--link-store", data)
    assert result.exit_code == 1
    assert (f"{data} is not a link store (it is another kind of file); it is left as it is: "
            "give another --link-store") in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert _digest(data) == before
