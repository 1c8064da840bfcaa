"""Fuzzing that keeps finding hostile input: property-based tests over the data contract and
the loaders (YAML, JSON, CSV, XLSX: arbitrary values, nesting and sizes) assert that formgen
either reads and renders, or reports problems, and never raises anything else; and an API
run (schemathesis against /openapi.json, in-process) asserts the API never answers 500 and
answers as its document says.

Hypothesis profiles bound the examples: ``ci`` (the default) keeps both within a minute,
``deep`` (HYPOTHESIS_PROFILE=deep) runs many more.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import string
import warnings
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import yaml
from conftest import example_dict
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from formgen.exceptions import DataFileError
from formgen.forms.documents import documents_needed, render_document
from formgen.load import UPLOAD, load_bytes, load_files, records_to_rows
from formgen.model.manifest import load_manifest
from formgen.settings import Paths
from formgen.validate import validate, validate_record
from formgen.web import create_app, web_settings

settings.register_profile(
    "ci", max_examples=25, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture],
)
settings.register_profile("deep", parent=settings.get_profile("ci"), max_examples=500, derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

MANIFEST = load_manifest()
TODAY = dt.date(2026, 11, 23)
EXAMPLE = example_dict()
FIELDS = sorted(EXAMPLE) + ["cmes", "soe", "certificate", "__not_a_mapping__"]

texts = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40,
) | st.sampled_from(["", " ", "0731", "2025-02-30", "2024-13", "李晓明", "\u202e", "\x00", "yes", "1e999"])
scalars = st.none() | st.booleans() | st.integers(-10**30, 10**30) | st.floats(allow_nan=True) | texts
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.sampled_from(FIELDS) | texts, inner, max_size=5),
    max_leaves=40,
)


def _mutated(draw: Any) -> dict[str, Any]:
    """The contract's example with some fields replaced, removed or added."""
    record = json.loads(json.dumps(EXAMPLE))
    for _ in range(draw(st.integers(0, 6))):
        action = draw(st.sampled_from(["replace", "remove", "add", "nest"]))
        key = draw(st.sampled_from(sorted(record) or ["id"]))
        if action == "replace":
            record[key] = draw(values)
        elif action == "remove":
            record.pop(key, None)
        elif action == "add":
            record[draw(st.sampled_from(FIELDS) | texts)] = draw(values)
        elif isinstance(record.get(key), list) and record[key]:
            record[key][0] = draw(values)
    return record


records = st.composite(lambda draw: _mutated(draw))()


def _renders_or_reports(record: Any) -> None:
    report = validate_record(record, MANIFEST, TODAY) if isinstance(record, dict) else None
    if report is None or not report.valid:
        assert report is None or report.failed and report.errors
        return
    applicant = report.valid[0].applicant
    doc_id = documents_needed(applicant, MANIFEST)[0]
    for lang in ("zh", "en"):
        assert render_document(applicant, doc_id, lang, MANIFEST, TODAY).docx.startswith(b"PK")


@given(records)
@example({**EXAMPLE, "description": False, "programme": "0"})  # found by the API run: a 500
def test_the_data_contract_renders_or_reports(record: dict[str, Any]) -> None:
    _renders_or_reports(record)


@given(values)
def test_any_value_as_a_record_is_reported(value: Any) -> None:
    _renders_or_reports(value)


def _loaded(name: str, data: bytes) -> None:
    """The file reads, or is refused with a DataFileError; either way, nothing else."""
    try:
        found = load_bytes(name, data, UPLOAD)
    except DataFileError as e:
        assert e.reason.english
        return
    report = validate(found, MANIFEST, TODAY)
    assert len(report.failed) + report.valid_count == len(found)


@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
@pytest.mark.parametrize("suffix", [".yaml", ".json", ".xlsx"])
def test_any_bytes_read_or_are_refused(suffix: str, data: bytes) -> None:
    _loaded("data" + suffix, data)


yaml_pieces = st.lists(st.sampled_from([
    "id: ", "- ", "  ", "\n", ": ", "&a ", "*a", "&b [", "]", "{", "}", ",", "<<: *a", "!!str ",
    "!!python/name:os.system", "'", '"', "#", "|", ">", "---\n", "...\n", "? ", "李", "0731", "~",
]) | st.text(alphabet=string.printable, max_size=5), max_size=60).map("".join)


@given(yaml_pieces)
def test_yaml_made_of_its_own_syntax_reads_or_is_refused(source: str) -> None:
    _loaded("data.yaml", source.encode())


@given(st.lists(records, min_size=1, max_size=3), st.sampled_from(["yaml", "json", "csv", "xlsx"]))
@settings(max_examples=15)
def test_records_in_every_format_read_and_validate(tmp_path_factory: Any, batch: list[dict], kind: str) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    paths = _write(folder, batch, kind)
    found = load_files(paths)
    report = validate(found, MANIFEST, TODAY)
    assert len(report.failed) + report.valid_count == len(found)
    for problem in report.problems:
        str(problem)


def _write(folder: Path, batch: list[dict[str, Any]], kind: str) -> list[Path]:
    if kind in ("yaml", "json"):
        path = folder / f"data.{kind}"
        text = yaml.safe_dump(batch, allow_unicode=True) if kind == "yaml" else json.dumps(batch, ensure_ascii=False)
        path.write_text(text, encoding="utf-8")
        return [path]
    rows: list[dict[str, Any]] = []
    for record in batch:
        rows.append({str(k): v for k, v in record.items() if not isinstance(v, (dict, list))})
    if kind == "csv":
        import csv

        path = folder / "data.csv"
        columns = list(dict.fromkeys(c for r in rows for c in r)) or ["id"]
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(columns)
            writer.writerows([["" if r.get(c) is None else str(r.get(c)) for c in columns] for r in rows])
        return [path]
    import openpyxl

    main, groups = records_to_rows([r for r in batch if isinstance(r.get("id"), str)] or [{"id": "x"}])
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "applicants"
    columns = list(dict.fromkeys(c for r in main for c in r))
    sheet.append([_cell(c) for c in columns])
    for row in main:
        sheet.append([_cell(row.get(c)) for c in columns])
    path = folder / "data.xlsx"
    workbook.save(path)
    return [path]


def _cell(value: Any) -> Any:
    if isinstance(value, (int, float, bool)) and not (isinstance(value, float) and value != value):
        return value if abs(value) < 1e15 else str(value)
    if value is None:
        return None
    text = str(value)
    return "".join(c for c in text if c.isprintable())[:200]


@given(st.integers(1, 40), st.sampled_from(["json", "yaml"]))
def test_nesting_at_any_depth_reads_or_is_refused(depth: int, kind: str) -> None:
    nested = "[" * depth + "1" + "]" * depth
    source = f'{{"id": "x", "name": {nested}}}' if kind == "json" else f"id: x\nname: {nested}\n"
    _loaded(f"data.{kind}", source.encode())


# ----------------------------------------------------------------------------- the API


API_STORE = Path(os.environ.get("TMPDIR", "/tmp")) / f"formgen-fuzz-{os.getpid()}" / "links.sqlite"
API_APP = create_app(web_settings(paths=Paths(link_store=API_STORE)),
                     secret="test-secret-for-links-0123456789")
API = schemathesis.openapi.from_asgi("/openapi.json", API_APP)


@pytest.fixture(scope="module", autouse=True)
def running_app() -> Any:
    """The app started (its converter, queue and parser), with a LibreOffice that cannot
    start, so PDFs and packs answer 503 at once."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from fastapi.testclient import TestClient

    from formgen.office.process import soffice_path

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FORMGEN_SOFFICE", "/nowhere/soffice")
        mp.setenv("FORMGEN_TODAY", "2026-11-23")
        soffice_path.cache_clear()  # looked up once: afresh, here and after
        try:
            with TestClient(API_APP) as client:
                yield client
        finally:
            soffice_path.cache_clear()
            shutil.rmtree(API_STORE.parent, ignore_errors=True)


@pytest.mark.slow  # every operation of the API, fifteen cases each: about a minute
@API.parametrize()
@settings(max_examples=15)
def test_the_api_never_answers_500(case: Any) -> None:
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        case.call_and_validate(checks=[
            not_a_server_error, status_code_conformance, content_type_conformance,
            response_schema_conformance,
        ])
