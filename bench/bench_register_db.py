"""Certificates numbered and sealed per second: the register in a SQLite file against the
register in PostgreSQL, in the same run.

    python bench/bench_register_db.py [--count 400] [--batch 10] [--processes 4]

Starts its own PostgreSQL server (tests/postgres_server.py: Debian's package, in a
temporary folder) and makes a register in each engine. A certificate counts when it is
numbered (``Register.issue``) and then recorded as printed (``Register.confirm``), a
batch of ``--batch`` in each pair of transactions, as a certificate run takes them:
every number, row and event sealed, the head written after each transaction. Measured
with one process, then with ``--processes`` processes at once on one register (each
transaction excluding the other writers), the two engines in turn, three times over, each
time on a new register; the best rate of each counts. Prints certificates per second on
each engine and the ratio PostgreSQL / SQLite.

Target: PostgreSQL at least 0.3 times as fast as SQLite, with one process and with
several: the price of a register several hosts share is a round trip to the server for
each statement (about ten a certificate), where SQLite's are calls within the process;
both engines let one writer in at a time, so several processes share one rate rather
than adding theirs. Exits 1 when a target is missed, 2 when PostgreSQL cannot be run
here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from postgres_server import PostgresServer, postgres_missing  # noqa: E402

from formgen.certificates.audit import audit  # noqa: E402
from formgen.certificates.head import HEAD_ENV  # noqa: E402
from formgen.certificates.keys import KEY_ENV  # noqa: E402
from formgen.certificates.numbers import IssueRequest  # noqa: E402
from formgen.certificates.register import Register  # noqa: E402
from formgen.database import Location, locate  # noqa: E402

ONE_TARGET = 0.3
MANY_TARGET = 0.3
ROUNDS = 3
"""Measurements of each engine, taken in turn with the other's; the best of each counts
(the machine's speed drifts: one measurement of each, minutes apart, gave 0.29 and 0.35)."""
DAY = dt.date(2026, 3, 14)
SPAWN = multiprocessing.get_context("spawn")


def issue(where: Location, key: Path, worker: int, count: int, batch: int,
          start: object | None = None) -> int:
    """Number and confirm ``count`` certificates, ``batch`` at a time; how many."""
    if start is not None:
        start.wait()  # type: ignore[attr-defined]
    done = 0
    with Register(where, timeout=120, key_file=key) as reg:
        for first in range(0, count, batch):
            requests = [IssueRequest(f"W{worker}-{n}", f"NAME {n}", "ecuk_registration",
                                     "csee-iet", "IEng", "CSEE-IET", DAY)
                        for n in range(first, min(count, first + batch))]
            numbers = [i.number for i in reg.issue(requests, by="bench", on=DAY)]
            reg.confirm(numbers, by="bench", on=DAY)
            done += len(numbers)
    return done


def rate(where: Location, key: Path, count: int, batch: int, processes: int) -> float:
    """Certificates a second, with ``processes`` processes issuing ``count`` in all."""
    if processes == 1:
        started = time.perf_counter()
        done = issue(where, key, 0, count, batch)
        return done / (time.perf_counter() - started)
    share = count // processes
    with SPAWN.Manager() as manager:
        start = manager.Event()
        with SPAWN.Pool(processes) as pool:
            jobs = [pool.apply_async(issue, (where, key, w, share, batch, start))
                    for w in range(1, processes + 1)]
            time.sleep(1.0)  # every process started and waiting
            started = time.perf_counter()
            start.set()
            done = sum(j.get(timeout=600) for j in jobs)
            elapsed = time.perf_counter() - started
    return done / elapsed


def check(where: Location, key: Path, expected: int) -> None:
    with Register(where, key_file=key, read_only=True) as reg:
        found = audit(reg)
    if not found.holds or found.certificates != expected:
        raise SystemExit(f"the register at {where} fails after the benchmark: {found.problems[:3]}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=400, help="certificates a measurement")
    parser.add_argument("--batch", type=int, default=10, help="certificates a transaction")
    parser.add_argument("--processes", type=int, default=4, help="processes at once")
    args = parser.parse_args()
    missing = postgres_missing()
    if missing:
        print(f"PostgreSQL cannot run here: {missing}", file=sys.stderr)
        return 2
    for name in (KEY_ENV, HEAD_ENV):
        os.environ.pop(name, None)
    server = PostgresServer()
    try:
        server.start()
        with tempfile.TemporaryDirectory() as folder:
            figures: dict[str, dict[int, float]] = {"sqlite": {}, "postgresql": {}}
            for turn in range(ROUNDS):  # the engines in turn, each on a new register
                for processes in (1, args.processes):
                    for engine in ("sqlite", "postgresql"):
                        tag = f"{engine}-{processes}-{turn}"
                        key = Path(folder) / f"{tag}.key"
                        where = (locate(server.new_database()) if engine == "postgresql"
                                 else Location(path=Path(folder) / f"{tag}.sqlite"))
                        Register.create(where, key_file=key, by="bench").close()
                        found = rate(where, key, args.count, args.batch, processes)
                        figures[engine][processes] = max(found, figures[engine].get(processes, 0.0))
                        count = args.count if processes == 1 else args.count // processes * processes
                        check(where, key, count)
    finally:
        server.remove()
    ok = True
    for processes, target in ((1, ONE_TARGET), (args.processes, MANY_TARGET)):
        sqlite, postgres = figures["sqlite"][processes], figures["postgresql"][processes]
        ratio = postgres / sqlite
        ok = ok and ratio >= target
        print(f"{processes} process(es), {args.count} certificates, {args.batch} a transaction: "
              f"SQLite {sqlite:.0f}/s, PostgreSQL {postgres:.0f}/s "
              f"(×{ratio:.2f} PostgreSQL / SQLite, target ≥ {target})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
