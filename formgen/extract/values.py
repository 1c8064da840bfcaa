"""Values as people write them on a form, read into the data contract's values.

Months (2009-09, 2009.9, 2009年9月, Sept 2009), days (2025年6月18日, 18 Jun 2025), hours
(24, 1,234.5, 24小时), the open end of a post (至今, to date), and boxes: ☑/☐, ■/□ or a
√ beside the words of each choice.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from babel import Locale

_EN = Locale.parse("en_GB")
MONTH_NAMES: dict[str, int] = {}
for _width in ("abbreviated", "wide"):
    for _number, _name in _EN.months["format"][_width].items():
        MONTH_NAMES[_name.lower().rstrip(".")] = _number
MONTH_NAMES.update({"sep": 9, "sept": 9})

_NAME = "|".join(sorted(MONTH_NAMES, key=len, reverse=True))
_MONTH_PATTERNS = [
    re.compile(r"(?P<y>(?:19|20)\d\d)\s*(?:[-/.年]\s*(?P<m>\d{1,2})\s*月?)(?:\s*[-/.]?\s*(?P<d>\d{1,2})\s*日?)?(?!\d)"),
    re.compile(rf"(?:(?P<d>\d{{1,2}})\s+)?(?P<name>{_NAME})\.?,?\s+(?P<y>(?:19|20)\d\d)", re.I),
    re.compile(r"(?<!\d)(?P<m>\d{1,2})\s*/\s*(?P<y>(?:19|20)\d\d)"),
]
OPEN_END = re.compile(r"至今|今|现在|目前|present|to\s*date|till\s*now|until\s*now|now", re.I)
CHECKED = "☑☒■√✓✔"
UNCHECKED = "☐□"
MARKS = CHECKED + UNCHECKED


class Unreadable(ValueError):
    """A value that is there but cannot be read as what the field holds."""


def is_chinese(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text)


def clean(text: str) -> str:
    """Whitespace collapsed, ends trimmed."""
    return " ".join(text.replace("\u00a0", " ").split())


def clean_lines(text: str) -> str:
    """Whitespace collapsed within each line, empty lines dropped, the lines kept: a
    multi-line answer stays on its lines."""
    lines = (clean(line) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


@functools.lru_cache(maxsize=8192)
def label_key(text: str) -> tuple[str, str]:
    """A label's Chinese characters and its Latin letters (lower case), e.g.
    ``职务/职称 Job Title`` → (职务职称, jobtitle)."""
    zh = "".join(ch for ch in text if is_chinese(ch))
    en = "".join(ch for ch in unicodedata.normalize("NFKC", text).lower() if "a" <= ch <= "z")
    return zh, en


def months_in(text: str) -> list[tuple[int, tuple[int, int]]]:
    """(position, (year, month)) of each month written in ``text``, in order."""
    found: list[tuple[int, tuple[int, int]]] = []
    taken: list[range] = []
    for pattern in _MONTH_PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() in r for r in taken):
                continue
            year = int(m["y"])
            month = MONTH_NAMES[m["name"].lower()] if m.groupdict().get("name") else int(m["m"])
            found.append((m.start(), (year, month)))
            taken.append(range(m.start(), m.end()))
    return sorted(found)


def month(text: str) -> str:
    """``YYYY-MM``; Unreadable when the text holds no month or an impossible one."""
    found = months_in(text)
    if len(found) != 1:
        raise Unreadable(text)
    year, number = found[0][1]
    if not 1 <= number <= 12:
        raise Unreadable(text)
    return f"{year:04d}-{number:02d}"


def month_range(text: str, open_end: bool) -> tuple[str | None, str | None]:
    """Start and end months from one cell (``2009.09-2013.07``, ``2020年1月 – 至今``);
    None for a part not written (the end of a post held, with ``open_end``)."""
    found = months_in(text)
    if not found and not text.strip():
        return None, None
    if not found or len(found) > 2:
        raise Unreadable(text)
    for _, (_, number) in found:
        if not 1 <= number <= 12:
            raise Unreadable(text)
    parts = [f"{y:04d}-{m:02d}" for _, (y, m) in found]
    if len(parts) == 2:
        return parts[0], parts[1]
    if open_end and OPEN_END.search(text[found[0][0]:]):
        return parts[0], None
    raise Unreadable(text)


def day(text: str) -> str:
    """``YYYY-MM-DD``; Unreadable otherwise."""
    text = clean(text)
    m = re.search(r"((?:19|20)\d\d)\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})", text)
    if m:
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    else:
        m = re.search(rf"(\d{{1,2}})\s+({_NAME})\.?,?\s+((?:19|20)\d\d)", text, re.I)
        if not m:
            raise Unreadable(text)
        d, mo, y = int(m[1]), MONTH_NAMES[m[2].lower()], int(m[3])
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        raise Unreadable(text)
    return f"{y:04d}-{mo:02d}-{d:02d}"


def hours(text: str) -> float | int:
    """A number of hours: grouping commas dropped, a unit after it allowed."""
    m = re.fullmatch(r"\s*(\d[\d,]*(?:\.\d+)?)\s*(?:h|hours?|小时|学时)?\s*", text, re.I)
    if not m:
        raise Unreadable(text)
    number = float(m[1].replace(",", ""))
    return int(number) if number.is_integer() else number


def chosen(text: str, options: dict[str, tuple[str, ...]]) -> list[str]:
    """The options a text marks: a checked box (☑ ■) or a tick (√) next to an option's
    words. Without any box or tick, the option the text names. Longer words are matched
    first, so 仲会员 is not read as 会员."""
    words = sorted(((w, value) for value, ws in options.items() for w in ws), key=lambda p: -len(p[0]))
    spots: list[tuple[int, int, str]] = []
    folded = text.lower()
    for word, value in words:
        for m in re.finditer(re.escape(word.lower()), folded):
            if not any(s <= m.start() < e for s, e, _ in spots):
                spots.append((m.start(), m.end(), value))
    spots.sort()
    if not any(ch in MARKS for ch in text):
        return list(dict.fromkeys(v for _, _, v in spots)) if spots else []
    picked: list[str] = []
    for i, (start, end, value) in enumerate(spots):
        before = text[spots[i - 1][1] if i else 0:start].rstrip()
        after = text[end:spots[i + 1][0] if i + 1 < len(spots) else len(text)].lstrip()
        mark = before[-1:] if before[-1:] in MARKS else ""
        if not mark and after[:1] in "√✓✔":
            mark = after[:1]
        if mark and mark in CHECKED and value not in picked:
            picked.append(value)
    return picked
