"""A full disk: every batch run (render, pack, certificates) fails the records it could not
write, saying the disk is full, exits 1 without a traceback, and leaves no half-written
record behind. The output folder is a small tmpfs (mounting needs root: the tests are
skipped, saying so, where it is not permitted)."""

from __future__ import annotations

import csv
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES_FILE, cli

IDS = ["CSEE-2026-0007", "CSEE-2026-0012", "CSEE-2026-0023",
       "CMES-2026-0101", "CMES-2026-0102", "CMES-2026-0103"]


def mount_tmpfs(folder: Path, size: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                              capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError) as e:
        pytest.skip(f"needs to mount a small tmpfs as the full disk: {e}")
    if done.returncode != 0:
        pytest.skip(f"needs to mount a small tmpfs as the full disk (root): {done.stderr.strip()}")
    return folder


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 300 KB file system, as in the report: too small for the sample applicants."""
    folder = mount_tmpfs(tmp_path / "full", "300k")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False, timeout=20)


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def errors_rows(out: Path) -> list[list[str]]:
    with (out / "errors.csv").open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))[1:]


def failed_lines(stderr: str) -> dict[str, str]:
    """The error line of each record that failed, by id."""
    lines = {}
    for line in stderr.splitlines():
        for record_id in IDS:
            if f"({record_id}): error: " in line:
                lines[record_id] = line.split(": error: ", 1)[1]
    return lines


@pytest.mark.slow
def test_render_on_a_full_disk_writes_each_record_whole_or_not_at_all(
        tmp_path: Path, full_disk: Path) -> None:
    roomy = tmp_path / "roomy"
    assert cli("render", SAMPLES_FILE, "--out", roomy).exit_code == 0
    result = cli("render", SAMPLES_FILE, "--out", full_disk)
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit), result.exception  # no traceback
    failed = failed_lines(result.stderr)
    assert failed, "300 KB holds the documents of some records only"
    for record_id, said in failed.items():
        assert said.startswith(f"cannot write {full_disk / record_id}/")
        assert said.endswith(".docx: the disk is full")
        assert not (full_disk / record_id).exists(), f"{record_id} failed but left files"
    written = [i for i in IDS if i not in failed]
    for record_id in written:
        whole = {f for f in files_under(roomy) if f.startswith(record_id + "/")}
        assert {f for f in files_under(full_disk) if f.startswith(record_id + "/")} == whole
    files = sum(1 for f in files_under(full_disk) if f != "errors.csv")
    assert result.stderr.splitlines()[-1] == (
        f"6 record(s): {len(written)} rendered ({files} file(s)) into {full_disk}, "
        f"{len(failed)} failed (see {full_disk / 'errors.csv'})")
    assert [row[0] for row in errors_rows(full_disk)] == list(failed)
    assert not [p for p in full_disk.iterdir() if p.name.startswith((".tmp-", ".work-"))]


def test_the_full_disk_is_said_in_chinese_under_a_chinese_locale(full_disk: Path) -> None:
    result = cli("render", SAMPLES_FILE, "--out", full_disk, env={"LANG": "zh_CN.UTF-8"})
    assert result.exit_code == 1
    said = [line for line in result.stderr.splitlines() if "：磁盘已满" in line]
    assert said and all(f"无法写入 {full_disk}/" in line for line in said)
    assert "No space left" not in result.stderr


def test_errors_csv_that_cannot_be_written_is_said_after_the_summary(
        tmp_path: Path, full_disk: Path) -> None:
    """With not a byte left, nothing is written, errors.csv included: the run says so."""
    filler = full_disk / "filler"
    with filler.open("wb") as fh, pytest.raises(OSError):
        while True:
            fh.write(b"\0" * 65536)
            fh.flush()
    out = full_disk / "out"
    result = cli("render", SAMPLES_FILE, "--out", out)
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.splitlines()
    assert lines[-2] == f"6 record(s): 0 rendered (0 file(s)) into {out}, 6 failed"
    assert lines[-1] == f"Error: cannot write {out / 'errors.csv'}: the disk is full"
    assert files_under(out) == set()


@pytest.mark.needs_office
def test_pack_on_a_full_disk_fails_the_records_it_cannot_write(full_disk: Path) -> None:
    """It was a traceback (OSError: [Errno 28] from office/merge.py via packs/build.py)."""
    result = cli("pack", SAMPLES_FILE, "--out", full_disk)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output and "Errno" not in result.output
    failed = failed_lines(result.stderr)
    assert failed
    for record_id, said in failed.items():
        assert said == f"cannot write {full_disk}: the disk is full" or (
            said.startswith(f"cannot write {full_disk / record_id}-")
            and said.endswith(".zip: the disk is full")), said
    made = [i for i in IDS if i not in failed]
    assert result.stderr.splitlines()[-1] == (
        f"6 record(s) in: {len(made)} pack(s) written, 0 already up to date, "
        f"{len(failed)} failed (see {full_disk / 'errors.csv'})")
    zips = [f for f in files_under(full_disk) if f.endswith(".zip")]
    assert sorted(i for i in IDS if any(z.startswith(i + "-") for z in zips)) == sorted(made)
    assert sorted(row[0] for row in errors_rows(full_disk)) == sorted(failed)
    assert not [p for p in full_disk.iterdir() if p.name.startswith((".tmp-", ".work-"))]


@pytest.mark.needs_office
@pytest.mark.slow
def test_certificates_on_a_full_disk_fail_their_holders_and_void_the_numbers(
        tmp_path: Path, full_disk: Path) -> None:
    register = tmp_path / "register.sqlite"
    result = cli("certificates", "--verify-url", "https://verify.example.org", SAMPLES_FILE, "--out", full_disk, "--register", register,
                 "--init-register")
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output and "Errno" not in result.output
    failed = failed_lines(result.stderr)
    assert failed
    assert set(failed.values()) == {f"cannot write {full_disk}: the disk is full"}
    for record_id in failed:
        assert not (full_disk / record_id).exists()
    summary = [line for line in result.stderr.splitlines() if " record(s) in: " in line]
    assert summary and summary[0].endswith(
        f"{len(failed)} record(s) failed (see {full_disk / 'errors.csv'})")
    export = tmp_path / "register.csv"
    assert cli("register", "export", "--out", export, "--register", register).exit_code == 0
    with export.open(encoding="utf-8-sig", newline="") as fh:
        status = {(row["id"], row["number"]): row["status"] for row in csv.DictReader(fh)
                  if row["number"]}
    assert status and all(s == ("void" if i in failed else "valid")
                          for (i, _), s in status.items()), status


def test_a_sorted_workbook_is_read_whole_when_its_rows_fill_the_disk(
    full_disk: Path, tmp_path: Path, example_record: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The temporary folder where a workbook's group rows in another order are filed by id
    fills up: the workbook is read whole instead, the report is the whole read's, and the
    half-written file of rows is gone."""
    import datetime as dt
    import tempfile

    import openpyxl
    from conftest import with_id, write_xlsx

    from formgen.model.manifest import load_manifest
    from formgen.validate import check_files, validate_files

    # the cpd sheet alone is filed: rows enough to fill the disk on their own
    more_cpd = dict(example_record, cpd=example_record["cpd"] * 3)
    batch = [with_id(more_cpd, f"A-{i:03d}", email=f"a{i}@example.com") for i in range(400)]
    path = write_xlsx(tmp_path / "a.xlsx", batch)
    workbook = openpyxl.load_workbook(path)
    rows = [list(r) for r in workbook["cpd"].iter_rows(values_only=True)]
    workbook.remove(workbook["cpd"])
    sheet = workbook.create_sheet("cpd")
    for row in [rows[0], *rows[:0:-1]]:  # the last applicant's rows first
        sheet.append(row)
    workbook.save(path)
    import formgen.load

    read_whole = formgen.load.xlsx_records
    wholly: list[str] = []

    def counted(*args: Any) -> Any:
        wholly.append(args[0])
        return read_whole(*args)

    monkeypatch.setattr(tempfile, "tempdir", str(full_disk))
    monkeypatch.setattr(formgen.load, "xlsx_records", counted)
    manifest, today = load_manifest(), dt.date(2026, 11, 23)
    streamed = check_files([path], manifest, today, workers=1)
    assert wholly == [str(path)]  # the rows filled the disk: read whole
    _, whole = validate_files([path], manifest, today, keep_applicants=False)
    assert [p.text("en") for p in streamed.problems] == [p.text("en") for p in whole.problems]
    assert (streamed.record_count, streamed.valid_count) == (400, 400)
    assert files_under(full_disk) == set()
