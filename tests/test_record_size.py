"""A record of a YAML or JSON list is held to a size before it is parsed (parsing takes many
times a text's size in memory), and the records read together are held to a size too."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import cli as run_cli
from conftest import with_id

from formgen.load import BATCH, jsonstream, sources, streams
from formgen.model.manifest import load_manifest
from formgen.validate import check_files, stream, validate_files

MANIFEST = load_manifest()
TODAY = dt.date(2026, 11, 23)
LIMITS = dataclasses.replace(BATCH, record_chars=5_000)


def batch(example: dict[str, Any], long_at: int | None = None) -> list[dict[str, Any]]:
    """Six applicants of about 2,500 characters each; the one at ``long_at`` with a
    description of 6,000 more."""
    out = [with_id(example, f"A-{i:03d}", email=f"a{i}@example.com") for i in range(6)]
    if long_at is not None:
        out[long_at]["description"] = {"zh": "李" * 3_000, "en": "x" * 3_000}
    return out


def write(path: Path, records: list[dict[str, Any]]) -> Path:
    if path.suffix == ".yaml":
        path.write_text(yaml.safe_dump(records, allow_unicode=True), encoding="utf-8")
    elif path.name.startswith("indented"):  # cut at the items' lines
        path.write_text(json.dumps(records, ensure_ascii=False, indent=2), encoding="utf-8")
    else:  # scanned item by item
        path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return path


FILES = ["list.yaml", "list.json", "indented.json"]


@pytest.mark.parametrize("name", FILES)
def test_a_record_past_the_size_refuses_the_file_naming_it(
        tmp_path: Path, example_record: dict, name: str) -> None:
    path = write(tmp_path / name, batch(example_record, long_at=3))
    assert len(json.dumps(batch(example_record)[0], ensure_ascii=False, indent=2)) < 5_000
    report = stream.check_sources(sources([path], LIMITS), MANIFEST, TODAY, workers=1)
    assert [p.text("en") for p in report.problems] == [
        f"{path}: error: record 4 is longer than 5,000 characters, the most one record may be; "
        "refused before it was read"]
    assert [p.text("zh") for p in report.problems] == [
        f"{path}：错误：第 4 条记录超过 5,000 个字符（单条记录的上限），未读取即已拒绝"]
    assert (report.record_count, report.valid_count, report.unreadable_files) == (0, 0, [str(path)])


@pytest.mark.parametrize("name", FILES)
def test_records_under_the_size_are_read(tmp_path: Path, example_record: dict, name: str) -> None:
    path = write(tmp_path / name, batch(example_record))
    report = stream.check_sources(sources([path], LIMITS), MANIFEST, TODAY, workers=1)
    assert (report.record_count, report.valid_count, report.unreadable_files) == (6, 6, [])


@pytest.mark.parametrize("name", FILES)
def test_records_are_read_together_up_to_a_size(
        tmp_path: Path, example_record: dict, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Groups of items end once their text passes GROUP_CHARS, so that a list of large
    records is not parsed 200 at a time; the report is the whole read's."""
    monkeypatch.setattr(streams, "GROUP_CHARS", 3_000)
    monkeypatch.setattr(jsonstream, "GROUP_CHARS", 3_000)
    records = batch(example_record) + batch(example_record)
    for i, record in enumerate(records):
        record["id"], record["email"] = f"B-{i:03d}", f"b{i}@example.com"
    records[5]["email"] = "nobody"
    path = write(tmp_path / name, records)
    [source] = sources([path], BATCH)
    groups = [g for g in source.records(stream=True)
              if isinstance(g, (streams.Group, jsonstream.JsonGroup))]
    assert sum(g.count for g in groups) == 12 and all(1 <= g.count <= 3 for g in groups), [
        g.count for g in groups]
    _, whole = validate_files([path], MANIFEST, TODAY, keep_applicants=False)
    streamed = check_files([path], MANIFEST, TODAY, workers=2)
    assert [p.text("en") for p in streamed.problems] == [p.text("en") for p in whole.problems]
    assert (streamed.record_count, streamed.valid_count) == (whole.record_count, whole.valid_count) == (12, 11)


@pytest.mark.parametrize("lang", ["C.UTF-8", "zh_CN.UTF-8"])
def test_the_command_line_refuses_a_record_of_five_million_characters(
        tmp_path: Path, example_record: dict, lang: str) -> None:
    path = tmp_path / "applicants.yaml"
    records = batch(example_record)
    records[1]["description"] = {"en": "x" * 5_000_000}
    path.write_text(yaml.safe_dump(records, allow_unicode=True, width=10**9), encoding="utf-8")
    result = run_cli("validate", path, env={"LANG": lang})
    assert result.exit_code == 1
    first = result.stderr.splitlines()[0]
    if lang == "C.UTF-8":
        assert first == (f"{path}: error: record 2 is longer than 4,194,304 characters, the most "
                         "one record may be; refused before it was read")
    else:
        assert first == f"{path}：错误：第 2 条记录超过 4,194,304 个字符（单条记录的上限），未读取即已拒绝"
