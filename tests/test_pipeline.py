"""The batch pipeline (formgen.main.run_batch) that render, pack and certificates share:
validation, the output folder, chunks, rendering ahead of conversion, errors.csv."""

from __future__ import annotations

import csv
import threading
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE_FILE, MANIFEST_FILE, cli, with_id, write_yaml

from formgen.exceptions import FormgenError
from formgen.main import run_batch
from formgen.messages import msg
from formgen.run import BatchJob, BuildResult, Progress, chunk_size
from formgen.settings import Settings, load_settings
from formgen.validate import Report, Validated


class RecordingJob(BatchJob[Validated, BuildResult]):
    """Writes one text file per applicant and notes what the pipeline asked, in order."""

    needs_converter = False
    chunk_bounds = (2, 2)

    def __init__(self, out: Path, fail_id: str = "", hold_first: bool = False):
        super().__init__(BuildResult())
        self.out = out
        self.fail_id = fail_id
        self.calls: list[str] = []
        self.lock = threading.Lock()
        self.second_rendered = threading.Event()
        self.hold_first = hold_first
        self.closed = False

    def note(self, call: str) -> None:
        with self.lock:
            self.calls.append(call)

    def plan(self, report: Report, step: Progress) -> list[Validated]:
        self.note("plan")
        return list(report.valid)

    def render(self, chunk: list[Validated], number: int) -> Any:
        self.note(f"render {number}")
        if number == 1:
            self.second_rendered.set()
        return number, [item.applicant.id for item in chunk]

    def convert(self, rendered: Any, converter: Any, workdir: Path) -> Any:
        number, ids = rendered
        if self.hold_first and number == 0:
            # the first chunk's conversion only ends once the next chunk has rendered
            assert self.second_rendered.wait(timeout=60)
        self.note(f"convert {number}")
        return ids

    def write(self, chunk: list[Validated], converted: Any, step: Progress) -> None:
        for item, applicant_id in zip(chunk, converted, strict=True):
            if applicant_id == self.fail_id:
                self.result.fail(item.source, msg("output.cannot-write", path="x", reason="full"))
            else:
                target = self.out / f"{applicant_id}.txt"
                target.write_text(applicant_id, encoding="utf-8")
                self.result.written[applicant_id] = [target]
            step(1)

    def finish(self, out: Path) -> None:
        self.note("finish")

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def settings() -> Settings:
    return load_settings(MANIFEST_FILE)


def five(tmp_path: Path, example_record: dict[str, Any]) -> Path:
    records = [with_id(example_record, f"P-{i}") for i in range(1, 6)]
    broken = with_id(example_record, "BAD")
    broken["email"] = "nobody"
    return write_yaml(tmp_path / "five.yaml", [*records, broken])


def test_every_record_is_written_or_in_errors_csv(tmp_path: Path, settings: Settings,
                                                  example_record: dict[str, Any]) -> None:
    out = tmp_path / "out"
    job = RecordingJob(out, fail_id="P-3")
    steps: list[int] = []
    totals: list[int] = []
    result = run_batch(settings, [five(tmp_path, example_record)], out, job,
                       progress=steps.append, on_total=totals.append)
    assert sorted(result.written) == ["P-1", "P-2", "P-4", "P-5"]
    assert sorted(result.failed_ids) == ["BAD", "P-3"]
    assert result.records_in == 6
    with (out / "errors.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["record", "field", "message"]
    assert sorted(r[0] for r in rows[1:]) == ["BAD", "P-3"]
    assert totals == [5] and sum(steps) == 5
    # chunks of two: three chunks, each written; the job's end after the last one
    assert job.calls[0] == "plan" and job.calls[-1] == "finish"
    assert sorted(c for c in job.calls if c.startswith("render")) == [
        "render 0", "render 1", "render 2"]
    assert job.closed
    assert not list(out.glob(".work*"))


def test_the_next_chunk_renders_while_the_first_converts(tmp_path: Path, settings: Settings,
                                                         example_record: dict[str, Any]) -> None:
    out = tmp_path / "out"
    job = RecordingJob(out, hold_first=True)
    result = run_batch(settings.with_changes(workers=2), [five(tmp_path, example_record)], out,
                       job)
    assert len(result.written) == 5
    assert job.calls.index("render 1") < job.calls.index("convert 0")


def test_a_job_that_stops_the_run_is_closed_and_writes_nothing(
        tmp_path: Path, settings: Settings, example_record: dict[str, Any]) -> None:
    class Refusing(RecordingJob):
        def plan(self, report: Report, step: Progress) -> list[Validated]:
            raise FormgenError(msg("run.unknown-pack", pack="x", known=["y"]))

    out = tmp_path / "out"
    job = Refusing(out)
    with pytest.raises(FormgenError):
        run_batch(settings, [five(tmp_path, example_record)], out, job)
    assert job.closed
    assert not list(out.glob("*.txt")) and not list(out.glob(".work*"))


def test_a_bug_in_a_chunk_keeps_its_traceback(tmp_path: Path, settings: Settings,
                                              example_record: dict[str, Any]) -> None:
    class Buggy(RecordingJob):
        def convert(self, rendered: Any, converter: Any, workdir: Path) -> Any:
            raise ZeroDivisionError("a bug")

    out = tmp_path / "out"
    with pytest.raises(ZeroDivisionError):
        run_batch(settings, [five(tmp_path, example_record)], out, Buggy(out))


def test_chunk_size_spreads_the_work_within_its_bounds() -> None:
    assert chunk_size(1000, 2, (25, 250)) == 167
    assert chunk_size(10, 2, (25, 250)) == 25
    assert chunk_size(100_000, 4, (25, 250)) == 250
    assert chunk_size(0, 2, (20, 20)) == 20


def test_formgen_today_that_is_not_a_date_is_refused_by_every_command(tmp_path: Path) -> None:
    for args in (["validate", EXAMPLE_FILE], ["render", EXAMPLE_FILE, "--out", tmp_path / "o"],
                 ["links", EXAMPLE_FILE, "--base-url", "https://forms.example.org",
                  "--link-store", tmp_path / "links.sqlite"]):
        result = cli(*args, env={"FORMGEN_TODAY": "2026-13-01"})
        assert result.exit_code == 1, (args, result.output)
        assert result.stderr.splitlines()[-1] == (
            "Error: FORMGEN_TODAY='2026-13-01' is not a date (YYYY-MM-DD)")
