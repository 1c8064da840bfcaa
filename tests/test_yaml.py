"""YAML files: libyaml's parser and the pure-Python one read every file alike.

formgen reads YAML with PyYAML's C parser (libyaml) where PyYAML has it, else with the
pure-Python parser; both carry the same rules (the safe tags only, numbers with a
leading zero kept as text), so each test runs with both loaders.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from conftest import EXAMPLE_FILE, SAMPLES_FILE

from formgen.cli import main
from formgen.exceptions import DataFileError
from formgen.load import text
from formgen.load.text import CSafeTextLoader, SafeTextLoader, parse_yaml

LOADERS = [
    pytest.param(SafeTextLoader, id="pure-python"),
    pytest.param(
        CSafeTextLoader, id="libyaml",
        marks=pytest.mark.skipif(CSafeTextLoader is None, reason="PyYAML without libyaml"),
    ),
]


def load(source: str, loader: type[Any]) -> Any:
    return yaml.load(source, Loader=loader)  # noqa: S506 - formgen's safe loaders


def test_pyyaml_has_libyaml_and_formgen_uses_it() -> None:
    """The setup installs a PyYAML built with libyaml; formgen then reads YAML with it."""
    assert yaml.__with_libyaml__
    assert text.YAML_LOADER is CSafeTextLoader


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("path", [SAMPLES_FILE, EXAMPLE_FILE], ids=["samples", "example"])
def test_sample_data_reads_the_same(loader: type[Any], path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    records = load(source, loader)
    assert records == load(source, SafeTextLoader)
    first = records[0] if isinstance(records, list) else records
    assert first["id"].startswith("CSEE-2026-")
    assert first["company_phone"] == "0731-8556 1234"
    assert isinstance(first["cpd"][0]["date"], dt.date)


EDGE_CASES = {
    "leading zeros stay text": (
        "mobile: 013800138000\nid: 0012\nneg: -012\nzero: 0\nplain: 120\n",
        {"mobile": "013800138000", "id": "0012", "neg": "-012", "zero": 0, "plain": 120},
    ),
    "0x numbers": ("a: 0x1F\nb: 0x_\nc: 1_000\n", {"a": 31, "b": "0x_", "c": 1000}),
    "octal and binary stay text": ("a: 0o17\nb: 0b101\n", {"a": "0o17", "b": "0b101"}),
    "dates": (
        "day: 2025-06-18\nat: 2025-06-18 09:30:00\nmonth: 2025-06\n",
        {"day": dt.date(2025, 6, 18), "at": dt.datetime(2025, 6, 18, 9, 30), "month": "2025-06"},
    ),
    "a day that does not exist stays text": (
        "a: 2025-02-30\nb: 2025-13-01\n", {"a": "2025-02-30", "b": "2025-13-01"},
    ),
    "anchors and aliases": (
        "org: &csee {zh: 中国电机工程学会, en: CSEE}\ncpd:\n- organizer: *csee\n- organizer: *csee\n",
        {"org": {"zh": "中国电机工程学会", "en": "CSEE"},
         "cpd": [{"organizer": {"zh": "中国电机工程学会", "en": "CSEE"}}] * 2},
    ),
    "merge keys": (
        "base: &b {zh: 甲, en: A}\nname:\n  <<: *b\n  en: B\n", {"base": {"zh": "甲", "en": "A"}, "name": {"zh": "甲", "en": "B"}},
    ),
    "booleans and nulls": ("a: yes\nb: off\nc: ~\nd: ''\n", {"a": True, "b": False, "c": None, "d": ""}),
    "quoted numbers": ("a: '0731'\nb: \"1.50\"\n", {"a": "0731", "b": "1.50"}),
}


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize(("source", "expected"), list(EDGE_CASES.values()), ids=list(EDGE_CASES))
def test_edge_cases(loader: type[Any], source: str, expected: Any) -> None:
    assert load(source, loader) == expected


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("tag", ["python/object/apply:os.system", "python/name:os.system", "python/tuple"])
def test_tags_that_build_objects_are_refused(loader: type[Any], tag: str) -> None:
    with pytest.raises(yaml.constructor.ConstructorError) as e:
        load(f"id: x\nrun: !!{tag} ['echo hacked']\n", loader)
    assert e.value.problem == f"could not determine a constructor for the tag 'tag:yaml.org,2002:{tag}'"
    assert e.value.problem_mark is not None and e.value.problem_mark.line + 1 == 2


BROKEN = {
    "unclosed list": ("id: x\nname: [1, 2\n", 3),
    "bad indentation": ("id: x\nname:\n  zh: 甲\n en: A\n", 4),
    "mapping in a plain value": ("id: x\nunit: a: b\n", 2),
    "unknown alias": ("id: x\n\n\norganizer: *nobody\n", 4),
}


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize(("source", "line"), list(BROKEN.values()), ids=list(BROKEN))
def test_syntax_errors_name_the_same_line(loader: type[Any], source: str, line: int) -> None:
    with pytest.raises(yaml.MarkedYAMLError) as e:
        load(source, loader)
    assert e.value.problem_mark is not None
    assert e.value.problem_mark.line + 1 == line


@pytest.mark.parametrize("loader", LOADERS)
def test_messages_are_the_same_with_either_loader(
    loader: type[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader formgen picks (libyaml, or the fallback without it) words errors alike."""
    monkeypatch.setattr(text, "YAML_LOADER", loader)
    with pytest.raises(DataFileError) as e:
        parse_yaml("a.yaml", "id: x\nname: [1, 2\n")
    assert str(e.value) == "a.yaml: is not valid YAML at line 3: expected ',' or ']', but got '<stream end>'"
    with pytest.raises(DataFileError) as e:
        parse_yaml("a.yaml", "id: x\n\norganizer: *nobody\n")
    assert str(e.value) == "a.yaml: is not valid YAML at line 3: found undefined alias 'nobody'"
    with pytest.raises(DataFileError) as e:
        parse_yaml("a.yaml", "id: !!python/object/apply:os.system ['echo hacked']\n")
    assert str(e.value) == (
        "a.yaml: uses a YAML tag that is not allowed (could not determine a constructor for the tag "
        "'tag:yaml.org,2002:python/object/apply:os.system'); write plain values"
    )
    assert parse_yaml("a.yaml", "mobile: 013800138000\n") == {"mobile": "013800138000"}


def test_a_day_that_does_not_exist_is_a_field_error(tmp_path: Path) -> None:
    """An unquoted 2025-02-30 reaches the model as text, which names the field (no traceback)."""
    source = EXAMPLE_FILE.read_text(encoding="utf-8")
    assert "  - date: 2025-06-18\n" in source
    path = tmp_path / "a.yaml"
    path.write_text(source.replace("date: 2025-06-18", "date: 2025-02-30"), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert (
        f"{path}, record 1 (CSEE-2026-0007), cpd[1].date: error: '2025-02-30' is not a date: "
        "the calendar has no such day"
    ) in result.stderr.splitlines()
