"""What the check for characters no font can draw costs validation.

    python bench/bench_glyphs.py [--count 20000] [--rare 0.01]

Validates ``--count`` sample applicants (each with its own id and name; ``--rare`` of them
with a character no font has, in their Chinese name) in this process, with the check and,
as the baseline, with the check switched off, in turns, best of three each; prints both
times, the ratio, and the one-off cost of reading the fonts' coverage from fontconfig.
Fails when the check makes validation more than 15 % slower.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import applicants  # noqa: E402

import formgen.validate as validation  # noqa: E402
from formgen import fonts  # noqa: E402
from formgen.load import RawRecord  # noqa: E402
from formgen.messages import msg  # noqa: E402
from formgen.model.manifest import load_manifest  # noqa: E402

TODAY = dt.date(2026, 11, 23)
LIMIT = 1.15


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--rare", type=float, default=0.01)
    args = parser.parse_args()
    manifest = load_manifest(ROOT / "manifest.yaml")
    people = applicants(args.count)
    step = max(1, round(1 / args.rare)) if args.rare > 0 else 0
    for i in range(0, len(people), step or len(people) + 1):
        people[i]["name"]["zh"] += "𪚥"
    records = [RawRecord("bench.yaml", msg("place.record", number=str(i + 1)), p) for i, p in enumerate(people)]

    started = time.perf_counter()
    fonts.undrawable("一")  # reads the coverage once for the process
    coverage = time.perf_counter() - started

    flagged = sum(
        1 for p in validation.validate(records, manifest, TODAY).problems
        if p.message.id == "rule.no-glyph"
    )
    real = validation.glyph_warnings
    with_check, without = [], []
    for _ in range(3):  # in turns, so that a busy moment of the machine hits both alike
        with_check.append(timed(lambda: validation.validate(records, manifest, TODAY)))
        validation.glyph_warnings = lambda data, applicant, problem: []  # type: ignore[assignment]
        try:
            without.append(timed(lambda: validation.validate(records, manifest, TODAY)))
        finally:
            validation.glyph_warnings = real
    checked, baseline = min(with_check), min(without)
    ratio = checked / baseline
    print(f"fonts' coverage read from fontconfig once: {coverage * 1000:.0f} ms")
    print(f"validate {len(records)} applicants without the glyph check: {baseline:.2f} s")
    print(f"validate {len(records)} applicants with it: {checked:.2f} s "
          f"({flagged} characters reported)")
    print(f"ratio: {ratio:.3f} (limit {LIMIT})")
    return 0 if ratio <= LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
