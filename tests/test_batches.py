"""Large batches: ``formgen validate`` checks without keeping the applicants, and says
exactly what a full validation says; the cycle collector, paused while a batch is read
and checked, runs again afterwards."""

from __future__ import annotations

import datetime as dt
import gc
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import MANIFEST_FILE, TODAY, with_id, write_xlsx

from formgen.cli import main
from formgen.load import load_files
from formgen.model.manifest import load_manifest
from formgen.validate import validate

SGCC = "国家电网有限公司"  # 10 places
CSG = "中国南方电网有限责任公司"  # 5 places


def batch(example_record: dict[str, Any], cmes_record: dict[str, Any]) -> list[dict[str, Any]]:
    """Two units over their quotas, interleaved, cmes-soe records between, one error."""
    records = []
    for i in range(1, 19):
        unit = SGCC if i % 3 else CSG
        records.append(with_id(example_record, f"CSEE-{i:02d}", unit=unit))
        if i % 4 == 0:
            records.append(with_id(cmes_record, f"CMES-{i:02d}"))
    records.insert(5, with_id(example_record, "BAD-1", unit=SGCC, email="nobody"))
    return records


def test_check_without_applicants_says_what_full_validation_says(
    tmp_path: Path, example_record: dict, cmes_record: dict
) -> None:
    path = write_xlsx(tmp_path / "batch.xlsx", batch(example_record, cmes_record))
    records = load_files([path])
    manifest = load_manifest(MANIFEST_FILE)
    today = dt.date.fromisoformat(TODAY)
    full = validate(records, manifest, today)
    slim = validate(records, manifest, today, keep_applicants=False)

    assert [str(p) for p in slim.problems] == [str(p) for p in full.problems]
    assert slim.failed == full.failed
    assert slim.valid == []
    assert slim.valid_count == full.valid_count == len(full.valid) == 22
    quota = [p for p in full.problems if p.message.id == "rule.over-quota"]
    # SGCC: 12 valid applicants (CSEE-01, 02, 04, 05, 07, 08, 10, 11, 13, 14, 16, 17);
    # CSG: 6 (CSEE-03 … 18); BAD-1 fails, so it takes no place.
    assert [(p.record_id, p.message.english) for p in quota] == [
        ("CSEE-16", f"{SGCC} is over its quota of 10 places (this is applicant 11)"),
        ("CSEE-17", f"{SGCC} is over its quota of 10 places (this is applicant 12)"),
        ("CSEE-18", f"{CSG} is over its quota of 5 places (this is applicant 6)"),
    ]

    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:-1] == [str(p) for p in full.problems]
    assert result.stderr.splitlines()[-1] == (
        f"23 record(s): 22 valid, 1 with errors; {len(full.errors)} error(s), "
        f"{len(full.warnings)} warning(s)"
    )


@pytest.mark.parametrize("collector_on", [True, False])
def test_cycle_collector_is_left_as_it_was(
    tmp_path: Path, example_record: dict, collector_on: bool
) -> None:
    path = write_xlsx(tmp_path / "a.xlsx", [example_record])
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    (gc.enable if collector_on else gc.disable)()
    try:
        records = load_files([path])
        assert gc.isenabled() is collector_on
        validate(records, load_manifest(MANIFEST_FILE))
        assert gc.isenabled() is collector_on
        assert load_files([path, empty])[-1].whole_file  # the empty file, reported
        assert gc.isenabled() is collector_on
    finally:
        gc.enable()
