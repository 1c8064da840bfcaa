"""What the check for characters no font can draw costs validation.

    python bench/bench_glyphs.py [--count 20000] [--rare 0.01]

Validates ``--count`` sample applicants (each with its own id and name; ``--rare`` of them
with a character no font has, in their Chinese name) in this process, then runs the glyph
check alone on the same records, and prints both times and the ratio of validation with
the check to validation without it (its time taken off), with the one-off cost of reading
the fonts' coverage from fontconfig. Timing the check itself in the same run keeps the
ratio steady on a busy machine, where two whole validations differ by more than the check
costs. Fails when the check makes validation more than 10 % slower.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import applicants  # noqa: E402

from formgen import fonts  # noqa: E402
from formgen.exceptions import Problem  # noqa: E402
from formgen.load import RawRecord  # noqa: E402
from formgen.messages import msg  # noqa: E402
from formgen.model.manifest import load_manifest  # noqa: E402
from formgen.validate import validate  # noqa: E402
from formgen.validate.glyphs import glyph_warnings  # noqa: E402

TODAY = dt.date(2026, 11, 23)
LIMIT = 1.10


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--rare", type=float, default=0.01)
    args = parser.parse_args()
    manifest = load_manifest(ROOT / "manifest.yaml")
    people = applicants(args.count)
    if args.rare > 0:
        for i in range(0, len(people), max(1, round(1 / args.rare))):
            people[i]["name"]["zh"] += "𪚥"
    records = [RawRecord("bench.yaml", msg("place.record", number=str(i + 1)), p)
               for i, p in enumerate(people)]

    started = time.perf_counter()
    fonts.read_coverage()
    coverage = time.perf_counter() - started

    started = time.perf_counter()
    report = validate(records, manifest, TODAY)
    validation = time.perf_counter() - started
    flagged = sum(1 for p in report.problems if p.message.id == "rule.no-glyph")

    def problem(field: str, message: object, severity: str = "error") -> Problem:
        return Problem("bench.yaml", msg("place.submitted"), field, message, severity)  # type: ignore[arg-type]

    started = time.perf_counter()
    for item in report.valid:
        glyph_warnings(item.source.data, item.applicant, problem)
    check = time.perf_counter() - started
    ratio = validation / (validation - check)
    print(f"fonts' coverage read from fontconfig once: {coverage * 1000:.0f} ms")
    print(f"validate {len(records)} applicants: {validation:.2f} s "
          f"({flagged} characters no font has reported)")
    print(f"the glyph check alone on the same {len(report.valid)} applicants: {check:.2f} s "
          f"({check / len(report.valid) * 1e6:.0f} µs each)")
    print(f"ratio, validation with the check to without: {ratio:.3f} (limit {LIMIT})")
    return 0 if ratio <= LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
