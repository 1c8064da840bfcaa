"""Time the audit of a whole register, and a verification look-up with the audit reused.

    python bench/bench_audit.py [--count 20000]

Makes a register of ``--count`` certificates (numbered and printed: two events each) and
prints, all measured in this run:

- the time to read every event and row (the baseline: what any check of the whole
  register must do), the time of a full audit, and their ratio (target: at most 15, the
  audit being one HMAC per event and row over that read);
- the time of a look-up as the page makes it with its audit reused (the file and head
  unchanged) and of a plain look-up, and their ratio (target: at most 4: the reused audit costs
  a stat, a read of the file's header and head and one query, whatever the register's size).

Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from formgen.certificates.audit import AuditCache, audit  # noqa: E402
from formgen.certificates.keys import KEY_ENV  # noqa: E402
from formgen.certificates.numbers import IssueRequest  # noqa: E402
from formgen.certificates.register import Register  # noqa: E402

AUDIT_TARGET = 15.0
LOOKUP_TARGET = 4.0


def build(path: Path, count: int) -> list[str]:
    numbers: list[str] = []
    day = dt.date(2026, 3, 14)
    with Register.create(path, by="bench") as reg:
        for start in range(0, count, 1000):
            batch = [IssueRequest(f"A{n}", f"NAME {n}", "ecuk_registration", "csee-iet", "IEng",
                                  "CSEE-IET", day) for n in range(start, min(count, start + 1000))]
            issued = [i.number for i in reg.issue(batch, by="bench", on=day)]
            reg.confirm(issued, by="bench", on=day)
            numbers.extend(issued)
    return numbers


def best(run: object, times: int = 3) -> float:
    found = []
    for _ in range(times):
        start = time.perf_counter()
        run()  # type: ignore[operator]
        found.append(time.perf_counter() - start)
    return min(found)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=20000)
    args = parser.parse_args()
    os.environ.pop(KEY_ENV, None)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "register.sqlite"
        numbers = build(path, args.count)
        with Register(path, read_only=True) as reg:
            def read_all() -> None:
                reg.query("SELECT * FROM events ORDER BY id")
                reg.query("SELECT * FROM certificates ORDER BY rowid")

            baseline = best(read_all)
            full = best(lambda: audit(reg))
            cache = AuditCache()
            cache.check(reg)
            sample = numbers[:: max(1, len(numbers) // 200)]

            def cached() -> None:
                for number in sample:
                    cache.check(reg)
                    reg.lookup(number)

            def plain() -> None:
                for number in sample:
                    reg.lookup(number)

            with_cache, without = best(cached), best(plain)
            events = reg.last_head()
    audit_ratio, lookup_ratio = full / baseline, with_cache / without
    print(f"register of {args.count} certificates, {events.event if events else 0} events")
    print(f"read every event and row: {baseline:.3f} s; full audit: {full:.3f} s "
          f"(×{audit_ratio:.1f}, target ≤ {AUDIT_TARGET})")
    print(f"{len(sample)} look-ups with the audit reused: {with_cache:.3f} s; plain: "
          f"{without:.3f} s (×{lookup_ratio:.2f}, target ≤ {LOOKUP_TARGET})")
    return 0 if audit_ratio <= AUDIT_TARGET and lookup_ratio <= LOOKUP_TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
