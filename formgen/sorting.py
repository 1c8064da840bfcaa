"""The order Chinese staff expect: names and units by pinyin (then tone), Latin text by word.

One sort key for every list formgen orders for people (certificates in ``print.pdf`` and
``register.csv``, the intake roster): ``sorted(names, key=pinyin_key)``. Polyphonic
characters are read as in their word (长江 cháng, 银行 háng), by pypinyin's phrase data.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

SortKey = tuple[tuple[str, int, str], ...]

_RUNS = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)|(\w+)|\S")


@lru_cache(maxsize=65536)
def pinyin_key(text: str) -> SortKey:
    """A key that orders ``text`` by pinyin syllable, then tone, then the text itself.

    A Chinese character counts as its syllable (李 → li, tone 3); a Latin word as one
    syllable in lower case, tone 0, so LI Xiaoming sorts with 李 and 黎; spaces are
    skipped and other signs count as themselves. The empty text sorts first.
    """
    parts: list[tuple[str, int, str]] = []
    for match in _RUNS.finditer(text):
        chinese, word = match.group(1), match.group(2)
        if chinese:
            for char, syllable in zip(chinese, lazy_pinyin(chinese, style=Style.TONE3), strict=True):
                tone = int(syllable[-1]) if syllable[-1:].isdigit() else 0
                parts.append((syllable.rstrip("012345"), tone, char))
        else:
            token = word or match.group(0)
            parts.append((token.casefold(), 0, token))
    return tuple(parts)
