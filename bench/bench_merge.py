"""Joining blank forms into people by name, as ``formgen extract`` does for forms that carry
no id or form key: 3 forms a person (registration form in Chinese, its English twin, a
CPD record), people of common Chinese names whose English names are their pinyin.

The target: four times the people take at most sixteen times as long (the join grows no
faster than the square of the count; it grew with the cube before), measured in this run.

    python bench/bench_merge.py [PEOPLE]
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pypinyin import lazy_pinyin  # noqa: E402

from formgen.extract.fields import Parsed  # noqa: E402
from formgen.extract.merge import group  # noqa: E402
from formgen.extract.read import FileReport  # noqa: E402

SURNAMES = "李王张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
TARGET_GROWTH = 16.0


def forms(people: int) -> list[FileReport]:
    rng = random.Random(1)
    reports = []
    for i in range(people):
        zh = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        syllables = lazy_pinyin(zh)
        en = syllables[0].upper() + " " + "".join(syllables[1:]).capitalize()
        email = f"applicant{i}@example.com"
        reports += [
            FileReport(file=f"{i}-zh.docx", read=[Parsed("name.zh", zh, zh), Parsed("email", email, email)]),
            FileReport(file=f"{i}-en.docx", read=[Parsed("name.en", en, en), Parsed("email", email, email)]),
            FileReport(file=f"{i}-cpd.docx", read=[Parsed("name.zh", zh, zh), Parsed("unit", f"u{i % 7}", "")]),
        ]
    return reports


def timed(people: int) -> tuple[float, int]:
    reports = forms(people)
    started = time.perf_counter()
    joined = group(reports)
    return time.perf_counter() - started, len(joined)


def main(people: int) -> int:
    small_s, small_n = timed(people // 4)
    large_s, large_n = timed(people)
    growth = large_s / small_s
    print(f"{people // 4} people ({3 * (people // 4)} forms): {small_s:.2f} s, {small_n} records")
    print(f"{people} people ({3 * people} forms): {large_s:.2f} s, {large_n} records")
    print(f"growth for 4x the people: {growth:.1f}x (target: at most {TARGET_GROWTH:.0f}x)")
    return 0 if growth <= TARGET_GROWTH else 1


if __name__ == "__main__":
    raise SystemExit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 800))
