"""YAML lists read line by line (formgen/load/yamlblock.py): each text gives the values
the loader gives it, to the type and the order of the keys, or nothing (the loader reads it).

Every text here is read both ways: by :func:`read_list` and by the loader's path of
:func:`formgen.load.streams._group` (the one a text read here never takes)."""

from __future__ import annotations

import copy
import datetime as dt
import string
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import EXAMPLE_FILE, SAMPLES_FILE
from conftest import cli as run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import formgen.load.text as yaml_text
from formgen.load import BATCH, streams, yamlblock
from formgen.load.text import WRAPPING

FUZZ = settings(max_examples=300, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
DEPTH = BATCH.depth + WRAPPING


def read_list(text: str) -> Any:
    return yamlblock.read_list(text, DEPTH)


def loaders(text: str) -> Any:
    """What the loader's path of a group gives, the group read whole: its items, or None
    (the file is read whole)."""
    saved, apart = yamlblock.read_list, streams._items_apart
    yamlblock.read_list = lambda *args: None  # type: ignore[assignment]
    streams._items_apart = lambda *args: None  # type: ignore[assignment]
    try:
        read = streams._group(text, BATCH, BATCH.yaml_nodes)
    finally:
        yamlblock.read_list, streams._items_apart = saved, apart  # type: ignore[assignment]
    return None if read is None else read[0]


def typed(value: Any) -> Any:
    """``value`` with the type of every part, the order of keys, and floats by their repr
    (nan is nan)."""
    if isinstance(value, dict):
        return ("map", [(typed(k), typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("seq", [typed(v) for v in value])
    if isinstance(value, float):
        return ("float", repr(value))
    return (type(value).__name__, value)


def same_or_left(text: str) -> Any:
    """The items read here, which are the loader's; None when left to the loader. A group
    gives what it gave before either way."""
    expected = loaders(text)
    read = streams._group(text, BATCH, BATCH.yaml_nodes)
    assert typed(read and read[0]) == typed(expected)
    if streams.has_marker(text):
        return None  # (read whole: never here)
    fast = read_list(text)
    if fast is not None:
        assert expected is not None, "read here, refused by the loader"
        assert typed(fast) == typed(expected)
    return fast


def as_item(source: str) -> str:
    """A YAML mapping as the one item of a list."""
    return "- " + source.replace("\n", "\n  ").rstrip(" ") + ("" if source.endswith("\n") else "\n")


WORDS = ["yes", "Yes", "YES", "no", "No", "NO", "y", "Y", "n", "N", "true", "True", "TRUE",
         "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "null", "Null",
         "NULL", "~", "=", "<<", "yEs", "nULL"]
NUMBERS = ["0", "00", "0123", "0731", "-0", "+0", "1", "-1", "+1", "1_000", "0x1F", "0x_",
           "0o17", "0b101", "1:30", "1:30.5", "1.", ".5", "-.5", "+.5", "1.5", "1.e5", "1.0e5",
           "1.0e+5", "1e3", "1E3", "1.5e-3", ".inf", "-.inf", "+.inf", ".Inf", ".INF", ".nan",
           ".NaN", ".NAN", "NaN", "Infinity", "-Infinity", "123456789012345678901234567890",
           "1.7976931348623157e309", "00.5", "1__2", "-"]
DAYS = ["2001-09-01", "2001-9-1", "2025-02-30", "2001-12-14t21:59:43.10-05:00",
        "2001-12-14 21:59:43.10 -5", "2001-12-15T02:59:43.1Z", "2001-12-14 21:59:43.10", "2013-07",
        "21:59", "2001-12-14T21:59:43", "2025-13-01"]
TEXTS = ["", "x", "中文", "李晓明", "a b", "a: b", "a #b", "#x", "'q'", '"q"', "it's", "R&D", "a & b",
         "Hello!", "50%", "@x", "`x`", "é\u00a0x", "😀", "CSEE-2026-0007", "li.xiaoming@example.com",
         "+86 139 1000 2233", "0731-8556 1234", "a\\nb", "}", "]", "|", ">", "&", "*", "-x", ":x",
         "?x", ",x", "%x"]
PLACES = ["- a: {v}\n", "- {v}\n", "- [{v}]\n", "- {{k: {v}}}\n", "- a: '{v}'\n", '- a: "{v}"\n',
          "- {v}: x\n", "- a: |-\n    {v}\n", "- a: >-\n    {v}\n", "- a: |\n    {v}\n",
          "- a:\n  - {v}\n  - b\n", "- {{k: [{v}, x]}}\n",
          # a text in two languages, in each of the ways it is written
          "- n: 1\n  a:\n    zh: {v}\n    en: x\n", "- a:\n    zh: x\n    en: {v}\n  b: 1\n",
          "- a:\n    zh: {v}\n    en: {v}", "- a: {{zh: {v}, en: x}}\n", "- a: {{zh: x, en: {v}}} # c\n"]
SHAPES = [
    "- a: line one\n    line two\n\n    para\n   trailing\n",
    "- a: 'multi\n    line\n\n    quoted'\n", '- a: "multi\\\n    line \\\n  x"\n',
    '- a: "x\\ty\\u00e9\\x41\\N\\_\\L\\P\\e\\0\\/\\ \\a\\b\\v\\f\\r\\U0001F600"\n',
    "- a: |\n   keep\n    more\n\n  \n", "- a: |+\n   keep\n\n\n- b: 1\n",
    "- a: >\n   fold\n   this\n\n   para\n    indented\n   back\n", "- a: |2\n     x\n",
    "- a: |\n", "- a: >\n- b\n", "- a: |2\n     \n", "- a: |\n    x\n      \n    y\n",
    "- a: >-\n    x\n\n      y\n", "- a:\n    'b:\n      c': 1\n", '- "b\\\n  c": 1\n',
    "- [b\n  c: 1]\n", "- ['b\n  c': 1]\n", "- {'b\n  c': 1}\n", "- a: 'b\n    c'\n", "- a: |\n\n\n  x\n", "- a: ''\n", '- a: ""\n', "- a:\n", "-\n",
    "- \n- ~\n- ''\n", "- a: > # a comment\n    x\n", "- s: > #-\n   }\n", "- a: |\n    x\n  # c\n",
    "- {a, b: , c: d}\n", "- [a, b: c]\n", "- {a: [1, {b: 2}], c: {}}\n", "- []\n- {}\n",
    "- [a, b, ]\n", "- {a: 1,}\n", "- {a:,b}\n", "- {a: :b}\n", "- [?x]\n", "- [a, ?b]\n",
    "- a: 1\n  a: 2\n", "- a: 1\n  'a': 2\n", "- {a: 1, a: 2}\n", "- 1: a\n", "- '1': a\n",
    "- yes: a\n", "- : a\n", "- '': a\n", "- ~: a\n", "- <<: {a: 1}\n", "- a: <<\n", "- a: =\n",
    "- a: b\r\n  c: d\r\n", "- a: b\rc: d\n", "- a: b\tc\n", "- a:\tb\n", "- a: \"\u2028\"\n",
    "- a: x\x85y\n", "- a: \ufeffx\n", "- a: \x7f\n", '- a: "\\x01"\n', '- a: "\\uD800"\n',
    "- a: b\n c: d\n", "- a: 'unterminated\n", "- a: [1, 2\n", "- a: b: c\n", "- a: - b\n",
    "- a:\n  - b\n  c: d\n", "- a: {b: c\n", "- a: b\n  - c\n", "- - - a\n  - b\n", "- a\n b\n",
    "- a: x # comment\n  # c\n  b: 'y' #c\n", "# c\n- a\n# d\n", "- a: x#y\n", "- a: [x#y]\n",
    "- {k: a #b}\n", "- a: 'x' y\n", '- a: "x" y\n', "- a: %x\n", "- a: @x\n", "- a: `x`\n",
    "- a: &\n", "- a: & b\n", "- a: *b\n", "- a: !!str 1\n", "- ? a\n  : b\n", "- a: x\n- 1\n",
    "-a\n", "- a\n-b\n", "  - a\n  - b\n", "- a:\n    b:\n      c:\n        d: 1\n", "- a: 1\n   b: 2\n",
    "- " + "[" * 70 + "]" * 70 + "\n", "- " + "[" * 12 + "]" * 12 + "\n", "- a: " + "x" * 100_000 + "\n",
    "- a: b", "- a: |\n    x", "- g:\n  - [a]  b: 1\n", "- g:\n  - {a: 1}  b: 1\n",
    "- g:\n  - 'a'  b: 1\n", '- g:\n  - ".inf"  b: .nan\n', "- a: x # [a] b\n",
    '- a: "x #" [a] b\n', "- g:\n  - a  b: 1\n", "- g:\n  - [a]\n   b: []\n",
    "- g:\n  - 'a'\n   b: 1\n", "- g:\n  - {a: 1}\n    b: 1\n", '- " k": 1\n',
]
BLOCK_SHAPES = [
    "- a: b\n  c:\n  - d\n  - e: f\n    g: h\n  i: j\n", "- a:\n  - b\n- c\n", "- a:\n- b\n",
    "- a: x\n   y\n- b\n", "- a: x\n  y\n", "- a: x\n    y: z\n", "- a: x\n    - y\n",
    "- a: x\n    # c\n    y\n", "- a: x\n\n    y\n", "- a: x #c\n    y\n", "- a: x\n    [y]\n",
    "- x\n  y\n", "- x\n y\n", "- x\n- y\n  z\n", "- a: x   \n    y  \n", "- a: 'x'\n    y\n",
    "- {zh: 李晓明, en: LI Xiaoming}\n", "- a: {zh: 李, en: [x, 'y', \"z\"], n: {}}\n",
    "- a: {b: c:d}\n", "- a: {b: c: d}\n", "- a: {b: c,}\n", "- a: {b: }\n", "- a: {b:c}\n",
    "- a: [b, c] # x\n", "- a: [b, c]#x\n", "- a: [b, c] d\n", "- a: [b c, d  ]\n",
    "- a: {b: 1, b: 2}\n", "- a: {yes: 1}\n", "- a: [?b]\n", "- a: [b?c]\n", "- a: [-1, -b]\n",
    "- a: [a: b]\n", "- a: {b: [c, {d: e}]}\n", "- a:  b  \n", "- a:   # c\n    b: 1\n",
    "- a:\n  b: 1\n c: 2\n", "- a:\n    b: 1\n  c: 2\n", "- a:\n    b: 1\n   c: 2\n",
    "- a:\n  - b\n   - c\n", "- - a\n", "-  a: b\n   c: d\n", "-   a\n", "- a:    b\n",
    "- a: ---\n", "- a: -- x\n", "- a: x\n---\n", "- a: x\n...\n", "- a: b\n  c d: e\n",
    "- 中文: x\n", "- a.b-c_d: x\n", "- a: 'it''s'\n", "- a: ''''\n", "- a: '\n", "- a: \"\n",
    "- a: x\n  b: y\n  a: z\n", "- a: 1\n- a: 1\n", "- a: x:y\n", "- a: x::y\n", "- a: http://x\n",
    "- a: C#\n", "- a: x #\n", "- a: x\n  #\n", "- a: 1\n  b:\n", "- a: b\n  c: |\n    d\n",
    "\n\n- a\n\n\n- b\n\n", "  # c\n- a\n", "- a\n  # c\n- b\n", "- a: x\n    y\n   z\n  w: 1\n",
    "- a: x\n    y\n- b: x\n    -y\n", "- a: x\n    &y\n", "- a: x\n    y #z\n", "- a: x\n    y:\n",
]
TWO_TEXTS = [  # a key, and below it a mapping of two texts, and what may come before and after
    "- a:\n    zh: 李晓明\n    en: LI Xiaoming\n", "- a:\n    zh: x\n    en: y", "- a:\n    zh: x\n    en: y\n\n",
    "- n: 1\n  a:\n    zh: x\n    en: y\n  b: 2\n- c: 3\n", "- a:\n    zh: x\n    en: y\n- b\n",
    "- a:\n    zh: x\n    en: y\n      z\n", "- a:\n    zh: x\n    en: y\n    z\n",
    "- a:\n    zh: x\n    en: y\n\n      z\n", "- a:\n    zh: x\n    en: y\n  # c\n  b: 1\n",
    "- a:\n    zh: x\n    en: y\n      # c\n", "- a:\n    zh: x\n    en: y\n    fr: z\n",
    "- a:\n    zh: x\n    en: y\n   b: 1\n", "- a:\n    zh: x\n    zh: y\n", "- a:\n    yes: x\n    en: y\n",
    "- a:\n    zh: x\n    1: y\n", "- a:\n    zh: x\n     en: y\n", "- a:\n     zh: x\n    en: y\n",
    "- a:\n  zh: x\n  en: y\n", "-  a:\n     zh: x\n     en: y\n", "- a:  \n    zh: x\n    en: y  \n",
    "- a: # c\n    zh: x\n    en: y\n", "- a:\n    zh: x # c\n    en: y\n", "- a:\n    zh: x\n    en: y # c\n",
    "- a:\n    zh: x: y\n    en: z\n", "- a:\n    zh: x:\n    en: z\n", "- a:\n    zh: x:y#z\n    en: C#\n",
    "- a:\n    zh: 'x'\n    en: y\n", "- a:\n    zh: x\n    en:\n", "- a:\n    zh:\n    en: y\n",
    "- a:\n    zh: - x\n    en: y\n", "- a:\n    zh: -x\n    en: y\n", "- a:\n    zh: 中　文\n    en: y\n",
    "- a:\n    zh: 2013\n    en: yes\n", "- a:\n    zh: 2020-01-01\n    en: ~\n",
    "- a:\n    zh: x\n    en: y\n  a: 1\n", "- a: 1\n  b:\n    zh: x\n    en: y\n  a:\n    zh: x\n    en: y\n",
    "- b:\n    a:\n      zh: x\n      en: y\n    c: 1\n  d: 2\n", "- a:\n  - b:\n      zh: x\n      en: y\n",
    "- a:\n    zh: x\n    en: y\r\n  b: 1\r\n", "- a:\n    zh: x\n    en: y\n" + "  b: 1\n" * 3,
    "- a: {zh: x, en: y}\n", "- a: {zh: x,en: y}\n", "- a: { zh: x , en: y }  # c\n", "- a: {zh: x, en: y} z\n",
    "- a: {zh: 'it''s', en: \"q\"}\n", "- a: {zh: x, zh: y}\n", "- a: {yes: x, en: y}\n", "- a: {zh: x, en: y,}\n",
    "- a: {zh: [x], en: y}\n", "- a: {zh: x:y, en: z}\n", "- a: {zh: x, en: {y: z}}\n", "- {zh: x, en: y}\n",
    "- a: {zh: 1, en: off}\n", "- a: {zh: x , en: y , }\n", "- a: {zh:x, en: y}\n", "- a: {zh: x, en: y}#c\n",
]
TWO_TEXTS += [  # as deep as may be read here, and one deeper
    "- a:\n" + "".join("  " * i + "    b:\n" for i in range(levels)) + "  " * levels + "    zh: x\n"
    + "  " * levels + "    en: y\n" for levels in range(DEPTH - 8, DEPTH)]
ESCAPED = [  # double-quoted texts with escapes, on a line or over lines, where texts stand
    '- a: "\\u674E\\u6653\\u660E"\n', '- a: "\\u674e x \\x41\\\\ \\"q\\" \\/ \\  \\_ \\U0001F600"\n',
    '- a: "\\N"\n', '- a: "\\L\\P"\n', '- a: "\\e"\n', '- a: "\\0"\n', '- a: "\\a\\b\\v\\f\\r"\n',
    '- a: "x\\ny"\n', '- a: "\\q"\n', '- a: "\\u12"\n', '- a: "\\uZZZZ"\n', '- a: "\\xZ1"\n',
    '- a: "\\U00110000"\n', '- a: "\\U0010FFFF"\n', '- a: "\\uFEFF"\n', '- a: "\\uDC00x"\n',
    '- a: "\\\\u674E"\n', '- a: "\\\\\\u674E"\n', '- a: "x\\"\n', '- a: "x\\" # c\n', '- a: "x" y\n',
    '- a: "\\u674E" # c\n', '- a: "\\u674E"  \n', '- "\\u674E"\n', '- ["\\u674E", "\\"x"]\n',
    '- {k: "\\u674E\\u6653"}\n', '- a: {zh: "\\u674E", en: "LI \\"X\\""}\n', '- "\\u674E": 1\n',
    '- a: "\\u674E\\\n    \\u6653"\n', '- a: "x \\\n    \\ y"\n', '- a: "x\\\n    \\  y"\n',
    '- a: "x\\\n    y\\\n    z"\n', '- a: "x\\\n  y"\n', '- a: "x\\\n y"\n', '- a: "x\\\ny"\n',
    '- a: "x\\\n\n    y"\n', '- a: "x\\\n    \n    y"\n', '- a: "x\\\\\n    y"\n', '- a: "x\n    y"\n',
    '- a: "x\\\n    y" # c\n', '- a: "x\\\n    y" z\n', '- a: "x\\\n    y\n', '- a: "x\\\n    y\\\n',
    '- a: "x\\\n    # y"\n', '- a: "x\\\n    - y: z"\n', '- a: "x\\\n    y: z"\n  b: 1\n',
    '- a: "x\\\n    \\u674E"\n  b:\n    zh: "\\u674E"\n    en: y\n', '- a: ["x\\\n    y"]\n',
    '- a:\n    zh: "\\u674E\\u6653"\n    en: "LI \\"X\\""\n', '- a:\n    zh: "x"\n    en: "y" # c\n',
    '- a:\n    zh: "x"  \n    en: y\n', '- a:\n    zh: "\\e"\n    en: y\n', '- a:\n    zh: "x\\\n      y"\n    en: z\n',
    '- a:\n    zh: "x" y\n    en: z\n', '- a:\n    zh: "x\n    en: "y"\n', '- a:\n    zh: "\\q"\n    en: y\n',
    '- a: x\n    "y"\n', '- a: "x"\n    y\n', '- - "x\\\n    y"\n', '- a:\n  - "x\\\n    y"\n  - b\n',
    '- a:\n    zh: x\n    en: "y\\\n      z"\n  b: 1\n', '- a:\n    zh: "x\\\n    y"\n    en: z\n',
    '- a:\n    zh: "x\\\n      y\\\n       \\ z"\n    en: "w\\\n      v"\n', '- a:\n    zh: "x\\\n     y"\n    en: z\n      w\n',
    '- a:\n    zh: "x\\\n      y" # c\n    en: z\n', '- a:\n    zh: "x\\\n\n      y"\n    en: z\n',
]
TEXTS_READ = ([place.format(v=v) for v in WORDS + NUMBERS + DAYS + TEXTS for place in PLACES]
              + SHAPES + BLOCK_SHAPES + TWO_TEXTS + ESCAPED)


@pytest.mark.parametrize("text", TEXTS_READ)
def test_each_text_gives_the_loaders_values_or_is_left_to_it(text: str) -> None:
    same_or_left(text)


READ_HERE = {
    "the contract's example": as_item(EXAMPLE_FILE.read_text(encoding="utf-8")),
    "a list written by PyYAML": yaml.safe_dump(
        [yaml.safe_load(EXAMPLE_FILE.read_text(encoding="utf-8")) for _ in range(3)], allow_unicode=True,
        sort_keys=False),
    "a list written by PyYAML, its Chinese escaped": yaml.safe_dump(
        [yaml.safe_load(EXAMPLE_FILE.read_text(encoding="utf-8")) for _ in range(3)]),
    "escapes in double quotes": (
        '- a: "\\u674E\\u6653\\u660E"\n  b: "x \\\\ \\"q\\" \\/ \\x41 \\_ \\U0001F600 \\n"\n'
        '  c: "\\u4E2D\\u56FD\\\n    \\u6C34\\\n    \\ & y"\n  d:\n    zh: "\\u674E"\n    en: "LI \\"X\\""\n'
        '  e: {zh: "\\u674E", en: x}\n'),
    "the sample applicants": SAMPLES_FILE.read_text(encoding="utf-8"),
    "values of every kind": (
        "- day: 2025-06-18\n  at: 2025-06-18 09:30:00\n  month: 2025-06\n  bad: 2025-02-30\n"
        "  quoted: 'yes'\n  a: yes\n  b: Off\n  c: ~\n  d: ''\n  e:\n  f: 0731\n  g: '0731'\n"
        "  h: 1_000\n  i: 0x1F\n  j: 1.5\n  k: 1.\n  l: .inf\n  m: -.5\n  n: 1e3\n  o: -12\n"
        "  p: [1, '1', \"2\", true, 'true', null, 'null', 2025-06-18, '2025-06-18']\n"
        "  q: {zh: 李晓明, en: \"LI Xiaoming\"}\n  t: a plain\n    text on two lines\n"
        "  r:\n    zh: 2013\n    en: yes\n  s: {zh: 2025-06-18, en: 'yes'}\n"),
    "lines ending in CR LF": "- a: b\r\n  c:\r\n  - d\r\n",
    "texts in two languages": "- a:\n    zh: 李晓明\n    en: LI Xiaoming\n  b: {zh: 2013, en: 'C#'}\n",
    "items with their blocks below": "-\n  a: 1\n- # c\n  - x\n-\n- b\n-   \n",
}


@pytest.mark.parametrize("text", list(READ_HERE.values()), ids=list(READ_HERE))
def test_plain_data_is_read_here(text: str) -> None:
    assert same_or_left(text) is not None


def test_escaped_texts_read_as_the_texts_they_stand_for() -> None:
    [item] = same_or_left(READ_HERE["escapes in double quotes"])
    assert item == {"a": "李晓明", "b": 'x \\ "q" / A \xa0 😀 \n', "c": "中国水 & y",
                    "d": {"zh": "李", "en": 'LI "X"'}, "e": {"zh": "李", "en": "x"}}
    escaped = same_or_left(READ_HERE["a list written by PyYAML, its Chinese escaped"])
    assert escaped == same_or_left(READ_HERE["a list written by PyYAML"])
    assert escaped[0]["company_address"]["zh"] == "湖南省长沙市雨花区木莲东路 & 振华路口"


def test_the_values_are_built_as_the_loader_builds_them() -> None:
    [item] = same_or_left(READ_HERE["values of every kind"])
    assert item["day"] == dt.date(2025, 6, 18) and item["at"] == dt.datetime(2025, 6, 18, 9, 30)
    assert (item["month"], item["bad"], item["quoted"], item["a"], item["b"], item["c"]) == (
        "2025-06", "2025-02-30", "yes", True, False, None)
    assert (item["e"], item["f"], item["h"], item["i"], item["k"], item["m"], item["n"]) == (
        None, "0731", 1000, 31, 1.0, "-.5", "1e3")
    assert item["p"] == [1, "1", "2", True, "true", None, "null", dt.date(2025, 6, 18), "2025-06-18"]
    assert item["q"] == {"zh": "李晓明", "en": "LI Xiaoming"}
    assert item["t"] == "a plain text on two lines"
    assert item["r"] == {"zh": 2013, "en": True} and item["s"] == {"zh": dt.date(2025, 6, 18), "en": "yes"}


LEFT = {
    "an anchor": "- a: &x 1\n  b: 2\n",
    "an alias": "- a: *x\n",
    "a tag": "- a: !!str 1\n",
    "a complex key": "- ? a\n  : b\n",
    "a tab": "- a: b\tc\n",
    "a key given twice": "- a: 1\n  a: 2\n",
    "a key given twice in a flow": "- a: {b: 1, b: 2}\n",
    "a merge": "- <<: {a: 1}\n",
    "a number as a key": "- 1: a\n",
    "true as a key": "- yes: a\n",
    "an empty key": "- '': a\n",
    "an escape of a tab": '- a: "x\\ty"\n',
    "an escape of a control character": '- a: "\\u0001"\n',
    "an escape of YAML's own line break": '- a: "\\N"\n',
    "an escape YAML does not have": '- a: "\\q"\n',
    "an escaped line break before a blank line": '- a: "x\\\n\n    y"\n',
    "an escaped line break to a line no more indented": '- a: "x\\\ny"\n',
    "a double-quoted text over lines without escaped breaks": '- a: "x\n    y"\n',
    "a block text": "- a: |\n    x\n",
    "a folded text": "- a: >\n    x\n",
    "a quoted text over lines": "- a: 'b\n    c'\n",
    "a plain text after a blank line": "- a: b\n\n    c\n",
    "a plain text after a comment": "- a: b\n    # c\n    d\n",
    "a text below its key": "- a:\n    b\n",
    "a lone carriage return": "- a\r- b\n",
    "a line break of YAML's own": "- a: x\u2028y\n",
    "a byte-order mark": "- a: \ufeffx\n",
    "a mapping": "a: 1\n",
    "a list indented": "  - a\n",
    "a key indented oddly": "- a: 1\n   b: 2\n",
    "a flow over lines": "- a: [b,\n    c]\n",
    "a comma at a flow's end": "- a: [b, c,]\n",
    "too deep": "- a:\n" + "".join("  " * i + "    b:\n" for i in range(DEPTH)),
}


@pytest.mark.parametrize("text", list(LEFT.values()), ids=list(LEFT))
def test_what_is_not_sure_is_left_to_the_loader(text: str) -> None:
    assert read_list(text) is None


scalars = (st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats()
           | st.dates().map(lambda d: d) | st.sampled_from(WORDS + NUMBERS + DAYS + TEXTS)
           | st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20))
keys = st.sampled_from(["id", "name", "zh", "en", "start", "end", "hours"]) | st.text(
    alphabet=string.ascii_letters + "中文_-. ", min_size=1, max_size=8)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(keys, inner, max_size=4), max_leaves=25)
records = st.lists(st.dictionaries(keys, values, min_size=1, max_size=6), min_size=1, max_size=4)


@FUZZ
@given(records, st.sampled_from([None, True, False]), st.booleans(), st.integers(20, 200))
def test_lists_written_by_pyyaml(items: list[Any], flow: bool | None, unicode: bool, width: int) -> None:
    text = yaml.safe_dump(items, default_flow_style=flow, allow_unicode=unicode, width=width,
                          sort_keys=False)
    if text.startswith("- "):
        same_or_left(text)


PIECES = list(" \n:-#'\"[]{},|>?&*!%@`\\.0xy") + ["  ", "\n  ", "\n- ", ": ", " #", "\r\n", "\t"]


@FUZZ
@given(st.sampled_from(list(READ_HERE.values()) + SHAPES + BLOCK_SHAPES + TWO_TEXTS + ESCAPED),
       st.lists(st.tuples(st.floats(0, 1), st.sampled_from(["insert", "delete", "replace"]),
                          st.sampled_from(PIECES)), min_size=1, max_size=3))
def test_texts_changed_here_and_there(text: str, changes: list[tuple[float, str, str]]) -> None:
    for where, how, piece in changes:
        at = int(where * (len(text) - 1))
        text = (text[:at] + piece + text[at:] if how == "insert" else
                text[:at] + text[at + 1:] if how == "delete" else text[:at] + piece + text[at + 1:])
    same_or_left(text)


READ_ALONE = {  # an item the line reader leaves to the loader, which reads it on its own
    "a block text": "- id: B\n  description: |\n    line one\n    line two\n",
    "a text over lines in single quotes": "- id: B\n  note: 'Awards: first prize, second prize,\n    third prize'\n",
    "a tab": "- id: B\n  note: a\tb\n",
}
NOT_ALONE = {  # … or does not read on its own: the item, and the piece of it read alone
    "a key given twice": ("- id: B\n  id: C\n", "- id: B\n  id: C\n"),
    "a quoted text across an item's line": ("- id: B\n  note: 'x\n- y'\n", "- id: B\n  note: 'x\n"),
    "an item that is not YAML": ("- id: B\n  note: [x\n", "- id: B\n  note: [x\n"),
}
PLAIN_ITEMS = [f"- id: A{n}\n  name: {{zh: 李晓明, en: LI Xiaoming}}\n  # note\n" for n in range(6)]


@pytest.fixture
def loaded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts the loader reads for a group: a whole group, or an item of one."""
    texts: list[str] = []
    real = streams._loaded
    monkeypatch.setattr(streams, "_loaded", lambda text, *args, **kwargs: texts.append(text) or real(text, *args, **kwargs))
    return texts


@pytest.mark.parametrize("odd", list(READ_ALONE.values()), ids=list(READ_ALONE))
@pytest.mark.parametrize("where", [0, 3, 6])
def test_an_item_left_to_the_loader_is_read_alone(odd: str, where: int, loaded: list[str]) -> None:
    """A group with an item the line reader cannot read has that item alone read by the
    loader, the others line by line, to the items the loader gives the group."""
    text = "# applicants\n" + "".join(PLAIN_ITEMS[:where] + [odd] + PLAIN_ITEMS[where:])
    assert same_or_left(text) is None and loaders(text) is not None
    loaded.clear()
    assert typed(streams._group(text, BATCH, BATCH.yaml_nodes)[0]) == typed(loaders(text))  # type: ignore[index]
    assert loaded[0] == ("# applicants\n" if where == 0 else "") + odd
    assert len(loaded) == 2  # (and the group, whole, by loaders())


def test_an_item_of_a_list_under_its_key_is_read_alone_as_well(loaded: list[str]) -> None:
    """The items of the list under ``applicants:``, indented, each read as the loader reads
    the group."""
    odd = READ_ALONE["a text over lines in single quotes"]
    text = "".join("  " + line if line.strip() else line
                   for line in "".join(PLAIN_ITEMS[:2] + [odd] + PLAIN_ITEMS[2:]).splitlines(keepends=True))
    items = streams._group(text, BATCH, BATCH.yaml_nodes, 2)
    assert items is not None and len(loaded) == 1
    assert typed(items[0]) == typed(yaml.load(text, Loader=yaml_text.YAML_LOADER))
    assert items[0][2]["note"] == "Awards: first prize, second prize, third prize"


def test_items_left_to_the_loader_here_and_there_are_each_read_alone(loaded: list[str]) -> None:
    """One item in five left to the loader, more than a few in all: each is read alone."""
    odd = READ_ALONE["a text over lines in single quotes"]
    items = [odd.replace("id: B", f"id: B{n}") if n % 5 == 0 else PLAIN_ITEMS[n % 6] for n in range(60)]
    text = "".join(items)
    assert same_or_left(text) is None
    loaded.clear()
    read = streams._group(text, BATCH, BATCH.yaml_nodes)
    assert read is not None and len(read[0]) == 60
    assert loaded == [item for n, item in enumerate(items) if n % 5 == 0]


def test_more_items_left_to_the_loader_than_a_few_have_it_read_the_group(loaded: list[str]) -> None:
    """Most items left to the loader, past a few: it reads the group."""
    odd = READ_ALONE["a block text"]
    text = "".join([odd.replace("id: B", f"id: B{n}") for n in range(streams.APART_LOADED + 1)] + PLAIN_ITEMS)
    assert same_or_left(text) is None
    loaded.clear()
    assert streams._group(text, BATCH, BATCH.yaml_nodes) is not None
    assert len(loaded) == streams.APART_LOADED + 1 and loaded[-1] == text


@pytest.mark.parametrize(("odd", "piece"), list(NOT_ALONE.values()), ids=list(NOT_ALONE))
def test_an_item_that_does_not_read_alone_has_the_loader_read_the_group(
        odd: str, piece: str, loaded: list[str]) -> None:
    text = "".join(PLAIN_ITEMS[:3] + [odd] + PLAIN_ITEMS[3:])
    same_or_left(text)
    loaded.clear()
    streams._group(text, BATCH, BATCH.yaml_nodes)
    assert loaded == [piece, text]


def list_of_records(count: int, unicode: bool = True) -> str:
    """``count`` records of plain YAML as staff write them: the samples' applicants again
    and again, each with its own id and e-mail address (``unicode`` false: as PyYAML writes
    them unless told to keep Unicode, every Chinese character an escape)."""
    samples = yaml.safe_load(SAMPLES_FILE.read_text(encoding="utf-8"))
    records = []
    for n in range(count):
        record = copy.deepcopy(samples[n % len(samples)])
        record["id"] = f"CSEE-2026-{n:05d}"
        record["email"] = f"applicant{n}@example.com"
        records.append(record)
    return yaml.safe_dump(records, allow_unicode=unicode, sort_keys=False, width=60)


@pytest.mark.parametrize("unicode", [True, False], ids=["Unicode", "escaped"])
def test_validate_says_the_same_of_a_list_read_here_or_by_the_loader(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unicode: bool) -> None:
    """The command's whole output (problems, places, counts) is the same either way, for a
    list long enough to be examined by worker processes."""
    path = tmp_path / "applicants.yaml"
    text = list_of_records(1200, unicode)
    assert read_list(text) is not None
    path.write_text(text + "- id: CSEE-2026-00000\n  name: {zh: 重复}\n", encoding="utf-8")
    env = {"FORMGEN_TODAY": "2026-11-23"}
    here = run_cli("validate", path, env=env)
    monkeypatch.setattr(yamlblock, "read_list", lambda *args: None)
    loader = run_cli("validate", path, env=env)
    assert here.exit_code == loader.exit_code == 1
    assert "record 1201 (CSEE-2026-00000), id: error: 'CSEE-2026-00000' is used twice" in here.stderr
    assert here.stderr == loader.stderr and here.stdout == loader.stdout


@pytest.mark.parametrize("text", list(READ_HERE.values()) + BLOCK_SHAPES[:30], ids=list(READ_HERE) + [
    f"shape {n}" for n in range(30)])
def test_a_list_indented_under_its_key_reads_as_the_loader_reads_it(text: str) -> None:
    """The list under ``applicants:`` may be indented: read with its items' indentation,
    a text gives what the loader gives it, or is left to the loader."""
    indented = "".join(("  " + line) if line.strip() else line for line in text.splitlines(keepends=True))
    fast = yamlblock.read_list(indented, DEPTH, 2)
    if fast is not None:
        assert typed(fast) == typed(yaml.load(indented, Loader=yaml_text.YAML_LOADER))
    if text in READ_HERE.values():
        assert fast is not None
        assert yamlblock.read_list(indented, DEPTH, 0) is None  # not at the indentation given
