"""Shared pieces of the benchmarks: synthetic applicants and the plain-soffice floor."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def applicants(count: int) -> list[dict]:
    """``count`` records made from the sample applicants, each with its own id and name."""
    base = yaml.safe_load((ROOT / "data" / "applicants.yaml").read_text(encoding="utf-8"))
    out = []
    for i in range(count):
        record = copy.deepcopy(base[i % len(base)])
        record["id"] = f"{record['id']}-{i:04d}"
        record["name"] = {"zh": record["name"]["zh"] + str(i), "en": f"{record['name']['en']} {i}"}
        out.append(record)
    return out


def write_yaml(records: list[dict], folder: Path) -> Path:
    path = folder / "applicants.yaml"
    path.write_text(yaml.safe_dump(records, allow_unicode=True), encoding="utf-8")
    return path


# One ``soffice --convert-to`` call stops after about 250 files (exit status 0, the rest
# not converted), so the floor gives each core calls of at most this many files, in turn.
FILES_PER_CALL = 200


def soffice_floor(docx_files: list[Path], workers: int | None = None) -> float:
    """Seconds for plain ``soffice --headless --convert-to pdf``: per core, calls of many files."""
    import threading

    workers = workers or os.cpu_count() or 1
    shares = [docx_files[i::workers] for i in range(workers)]
    with tempfile.TemporaryDirectory() as tmp:

        def convert_share(n: int, share: list[Path]) -> None:
            profile = Path(tmp) / f"profile{n}"
            outdir = Path(tmp) / f"out{n}"
            for start in range(0, len(share), FILES_PER_CALL):
                subprocess.run(
                    ["soffice", f"-env:UserInstallation=file://{profile}", "--headless",
                     "--convert-to", "pdf", "--outdir", str(outdir),
                     *map(str, share[start : start + FILES_PER_CALL])],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                    env={**os.environ, "HOME": tmp}, check=False,
                )

        started = time.perf_counter()
        threads = [threading.Thread(target=convert_share, args=(n, s)) for n, s in enumerate(shares) if s]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        made = sum(1 for _ in Path(tmp).glob("out*/*.pdf"))
        if made != len(docx_files):
            raise SystemExit(f"the floor converted {made} of {len(docx_files)} files")
    return elapsed


def soffice_missing() -> bool:
    """Whether LibreOffice is not installed (said on stderr): a benchmark then returns 2."""
    if shutil.which("soffice") is None:
        print("soffice (LibreOffice) is not installed", file=sys.stderr)
        return True
    return False


def clean(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


@dataclass
class Run:
    """One child process: wall and CPU seconds, peak resident memory, what it printed."""

    wall: float
    cpu: float
    peak_mb: float
    stderr: str


# Linux keeps a process's peak memory across exec, so the child is started by a small
# Python process that reports the child's own figures: wait4 gives the child's peak, and
# getrusage(RUSAGE_CHILDREN) afterwards the largest peak among the child and the worker
# processes it waited for, and their CPU time.
RUNNER = """
import json, os, resource, subprocess, sys, time
with open(sys.argv[1], "wb") as err:
    started = time.perf_counter()
    child = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=err)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
every = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "cpu": every.ru_utime + every.ru_stime,
                  "peak_kb": max(usage.ru_maxrss, every.ru_maxrss),
                  "status": os.waitstatus_to_exitcode(status)}))
"""


def run_child(args: list[str], today: str) -> Run:
    """Run ``args`` as a child (English messages, FORMGEN_TODAY=``today``) and measure it,
    the worker processes it waits for included; SystemExit when it fails."""
    env = {**os.environ, "FORMGEN_TODAY": today, "LC_ALL": "C.UTF-8"}
    with tempfile.NamedTemporaryFile() as err:
        runner = subprocess.run([sys.executable, "-c", RUNNER, err.name, *args], env=env,
                                capture_output=True, text=True, check=True)
        figures = json.loads(runner.stdout)
        stderr = Path(err.name).read_text(encoding="utf-8", errors="replace")
    if figures["status"] != 0:
        raise SystemExit(f"{' '.join(args[:2])} exited with {figures['status']}:\n{stderr[-2000:]}")
    return Run(figures["wall"], figures["cpu"], figures["peak_kb"] / 1024, stderr)
