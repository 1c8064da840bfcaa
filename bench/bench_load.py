"""Benchmark: the load and validate stages at scale.

``formgen validate`` runs in a child process on workbooks of 2,000, 5,000, 10,000 and
20,000 applicants (sheet ``applicants`` and the education, career, cpd and competences
sheets, written by openpyxl as ``tests/conftest.py`` writes them, from the sample
applicants with their own ids, names and free texts). For each size it reports wall and
CPU seconds, s/applicant and the child's peak memory (the fastest of two runs), against
baselines measured in the same run: the same workbook read by plain openpyxl (read-only,
values only, in a child process of its own, run in turn with formgen), and the 2,000 run
itself (the ratio of per-applicant times shows whether time grows linearly). Then YAML at 2,000 applicants: ``formgen validate``, and
loading the file with PyYAML's C parser (libyaml) against its pure-Python parser, both
with formgen's loader rules.

Usage: python bench/bench_load.py [SIZE ...]
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Run, applicants, run_child, write_yaml  # noqa: E402

from formgen.load import load_files, records_to_rows  # noqa: E402
from formgen.load import text as yaml_text  # noqa: E402

SIZES = (2000, 5000, 10000, 20000)
YAML_SIZE = 2000
REPEATS = 2
"""Runs of each measurement; the fastest counts (this machine's speed varies from minute
to minute)."""
TODAY = "2026-11-23"
LIMIT_S = 30.0
LIMIT_MB = 500.0
FORMGEN = Path(sys.executable).with_name("formgen")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FREE_TEXT = {"job_title", "expertise", "company_address", "responsibilities", "description",
             "course", "roles", "education_base", "ipd", "dap"}
"""Fields whose text differs from applicant to applicant in real data."""


def _varied(value: Any, n: int) -> Any:
    if isinstance(value, dict):
        return {k: _varied(v, n) for k, v in value.items()}
    return f"{value} ({n})" if isinstance(value, str) and value else value


def bench_applicants(count: int) -> list[dict[str, Any]]:
    """``count`` sample applicants, each with its own id, name and free texts."""
    records = applicants(count)
    for n, record in enumerate(records):
        for entry in [record, *record.get("education", []), *record.get("career", []),
                      *record.get("cpd", []), *record.get("competences", {}).values()]:
            for key in FREE_TEXT & entry.keys():
                entry[key] = _varied(entry[key], n)
    return records


def _cell(value: Any) -> Any:
    """A cell as staff type it: numbers as numbers, days as dates, the rest as text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)) or value is None:
        return value
    text = str(value)
    if _DAY.match(text):
        return dt.datetime.strptime(text, "%Y-%m-%d")
    return text


def write_workbook(path: Path, records: list[dict[str, Any]]) -> dict[str, int]:
    """The records as an XLSX workbook (sheet ``applicants``, one sheet per group);
    returns the row count of each sheet."""
    import openpyxl

    main, groups = records_to_rows(records)
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    counts = {}
    for title, rows in [("applicants", main), *groups.items()]:
        if not rows:
            continue
        columns = list(dict.fromkeys(key for row in rows for key in row))
        sheet = workbook.create_sheet(title)
        sheet.append(columns)
        for row in rows:
            sheet.append([_cell(row.get(c)) for c in columns])
        counts[title] = len(rows)
    workbook.save(path)
    return counts


def fastest(runs: Iterable[Run]) -> Run:
    return min(runs, key=lambda run: run.wall)


def validate_child(path: Path, count: int) -> Run:
    run = run_child([str(FORMGEN), "validate", str(path)], TODAY)
    summary = run.stderr.splitlines()[-1]
    if not summary.startswith(f"{count:,} record(s): {count:,} valid, 0 with errors"):
        raise SystemExit(f"formgen validate {path.name}: {summary}")
    return run


PLAIN_READ = """
import sys, openpyxl
workbook = openpyxl.load_workbook(sys.argv[1], read_only=True, data_only=True)
cells = sum(len(row) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True))
workbook.close()
"""


def yaml_load_seconds(path: Path, loader: type[Any]) -> float:
    """Seconds for formgen's load stage to read the YAML file with ``loader``."""
    chosen = yaml_text.YAML_LOADER
    yaml_text.YAML_LOADER = loader
    try:
        started = time.perf_counter()
        load_files([path])
        return time.perf_counter() - started
    finally:
        yaml_text.YAML_LOADER = chosen


def main(sizes: list[int]) -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        small = folder / "small.xlsx"
        write_workbook(small, bench_applicants(6))
        startup = fastest(validate_child(small, 6) for _ in range(REPEATS))
        for count in sizes:
            path = folder / f"applicants-{count}.xlsx"
            sheets = write_workbook(path, bench_applicants(count))
            plains, runs = [], []
            for _ in range(REPEATS):  # in turn, so that both see the same noise
                plains.append(run_child([sys.executable, "-c", PLAIN_READ, str(path)], TODAY))
                runs.append(validate_child(path, count))
            rows.append((count, sheets, path.stat().st_size, fastest(runs), fastest(plains)))
            path.unlink()

        yaml_path = write_yaml(bench_applicants(YAML_SIZE), folder)
        yaml_run = fastest(validate_child(yaml_path, YAML_SIZE) for _ in range(REPEATS))
        c_loader = yaml_text.CSafeTextLoader
        c_s = yaml_load_seconds(yaml_path, c_loader) if c_loader else 0.0
        pure_s = yaml_load_seconds(yaml_path, yaml_text.SafeTextLoader)

    print(f"formgen validate, 6 applicants (start-up): {startup.wall:.2f} s, {startup.peak_mb:.0f} MB")
    print(f"{'applicants':>10} {'group rows':>10} {'file MB':>8} {'wall s':>7} {'CPU s':>6} "
          f"{'ms/appl.':>8} {'peak MB':>7} {'openpyxl s':>10} {'÷openpyxl':>9}")
    for count, sheets, size, run, plain in rows:
        group_rows = sum(n for name, n in sheets.items() if name != "applicants")
        print(f"{count:>10} {group_rows:>10} {size / 1e6:>8.1f} {run.wall:>7.2f} {run.cpu:>6.2f} "
              f"{1000 * run.wall / count:>8.3f} {run.peak_mb:>7.0f} {plain.wall:>10.2f} "
              f"{run.wall / plain.wall:>9.2f}")
    (first, _, _, first_run, _), (last, _, _, last_run, _) = rows[0], rows[-1]
    if last != first:
        ratio = (last_run.wall / last) / (first_run.wall / first)
        cpu_ratio = (last_run.cpu / last) / (first_run.cpu / first)
        net = ((last_run.wall - startup.wall) / last) / ((first_run.wall - startup.wall) / first)
        print(f"per-applicant time at {last} / at {first}: {ratio:.2f} (CPU: {cpu_ratio:.2f}; "
              f"start-up taken off: {net:.2f})")
    met = last_run.wall < LIMIT_S and last_run.peak_mb < LIMIT_MB
    print(f"{last} applicants from XLSX: {last_run.wall:.1f} s, {last_run.peak_mb:.0f} MB peak "
          f"(under {LIMIT_S:.0f} s and {LIMIT_MB:.0f} MB: {'yes' if met else 'NO'})")
    print(f"YAML, {YAML_SIZE} applicants: formgen validate {yaml_run.wall:.2f} s, "
          f"{yaml_run.peak_mb:.0f} MB peak")
    if c_loader:
        print(f"YAML load, {YAML_SIZE} applicants: C parser (libyaml) {c_s:.2f} s, pure-Python "
              f"{pure_s:.2f} s; C / pure-Python: {c_s / pure_s:.2f}")
    else:
        print(f"YAML load, {YAML_SIZE} applicants: pure-Python {pure_s:.2f} s "
              "(this PyYAML has no libyaml)")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or list(SIZES))
