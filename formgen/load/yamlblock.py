"""A YAML list of records read line by line, when every line is of the plainest YAML: the
values the loader (:data:`formgen.load.text.YAML_LOADER`) would build, several times
faster, or None and the loader reads the text.

What is read here, and nothing else:

- lines of a block list (``- value``, ``- key: value``, ``-`` with a block below it) and of
  block mappings (``key: value``, ``key:`` with a block below it, or a list at the key's
  own indentation), each level indented the same way throughout;
- keys of letters, digits, ``_``, ``.`` and ``-`` that the loader reads as texts, each
  given once in its mapping;
- values on the key's line: plain texts (and what the loader reads them as: numbers, days,
  true, false, null), a plain text continued on the lines below it (more indented, no blank
  or comment line between), a quoted text on one line, a double-quoted text over lines
  each but the last ending in an escaped line break (``\\``, as PyYAML writes a long one),
  and flows on one line (``{zh: 李晓明, en: LI Xiaoming}``, ``[a, b]``, ``[]``) of such
  texts and flows;
- YAML's escapes in double quotes (``"\\u674E\\u6653\\u660E"``, as PyYAML writes every
  character not ASCII unless told to keep them), when the character is one read here;
- comment lines, blank lines and comments after a value; lines ending in CR LF.

Anything else (anchors, aliases, tags, block scalars, quoted texts or flows over lines
otherwise, tabs, a character YAML does not allow or reads as a line break, written as it is
or as an escape, odd indentation, a key given twice, nesting near the loader's limit) is
left to the loader, which reads it or says why not as ever. A text is never read half
here: it is read whole, or not at all.

The values are built by the loader's own resolver and constructors, so a text is a number,
a day or true exactly when the loader says so.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

import formgen.load.text as yaml_text
from formgen.load.yamlquoted import DOUBLE, DOUBLE_TEXT, Left, unescaped, unsure

_PAIR_TEXT = (r"[^ \n\-?:,\[\]{}#&*!|>'\"%@`][^\n:#]*+(?:(?::(?=[^ \n])|(?<! )#)[^\n:#]*+)*+"
              r"(?<! )")
"""A plain text that is a value on its line as it stands: no indicator first, no ``: ``,
no `` #``, no ``:`` last, its spaces after it left out."""
_PAIR_VALUE = _PAIR_TEXT + '|"' + DOUBLE_TEXT + r'(?:\\\n\1\4 ++' + DOUBLE_TEXT + ')*+"'
"""A plain text as above, or a double-quoted text and nothing after it (over lines more
indented than its key, each but the last ending in an escaped line break)."""
_LINES = re.compile(
    r"^( *+)(-(?: ++|$))?(?:(\w[\w.\-]*+):(?: ++|$))?"
    r"(?:(?(2)(?!)|(?(3)\n\1( ++)(\w[\w.\-]*+): ++(" + _PAIR_VALUE + r")"
    r"\n\1\4(\w[\w.\-]*+): ++(" + _PAIR_VALUE + r")$(?=\n(?!\1\4)(?! *+(?:#|$))|\n?\Z)"
    r"|(?!)))|(" + r'(?="[^\n]*\\\n)"' + DOUBLE_TEXT + r'(?:\\\n\1 ++' + DOUBLE_TEXT + r')++"[^\n]*|.*))$', re.M)
"""Each line's indentation, its ``-`` and the spaces after it, its key (each perhaps
empty), and the rest; or, for a key with nothing after it (no ``-`` before it) whose value
is a mapping of two texts (plain, or double-quoted) on the two lines below it (``name:``
then ``zh: 李晓明`` and ``en: LI Xiaoming``, as a text in two languages is written) and
nothing more (the line after them less indented and neither blank nor a comment: no text
goes on below them), its indentation and key, the mapping's indentation beyond the key's,
and its two keys and texts, the three lines in one; or, for a double-quoted text whose
lines but the last end in an escaped line break (``\\``, as PyYAML writes a long one), the
rest of its first line with the lines it goes on to (each more indented than the first),
the lines in one."""
_SINGLE = re.compile(r"'((?:[^'\n]|'')*)'(?: +(?:#.*)?)?$")
_FLOW_TEXT = (r"'(?:[^'\n]|'')*'|\"(?:[^\"\\\n]|\\.)*+\""
              r"|[^\s,\[\]{}#:'\"!&*|>%@`?\-](?:[^,\[\]{}#:'\"?\n]++|:(?=[^\s,\[\]{}]))*+")
_FLOW_SCALAR = re.compile(_FLOW_TEXT)
"""A text in a flow (``{zh: 李晓明, en: LI Xiaoming}``, ``[a, b]``) on one line: quoted, or
plain without flow indicators, quotes, ``#`` or ``?``."""
_FLOW_KEY_TEXT = r"(\w[\w.\-]*): +"
_FLOW_KEY = re.compile(_FLOW_KEY_TEXT)
_FLOW_PAIR = re.compile(rf"\{{ *{_FLOW_KEY_TEXT}((?>{_FLOW_TEXT})) *, *{_FLOW_KEY_TEXT}((?>{_FLOW_TEXT})) *\}}"
                        r"(?: +(?:#.*)?)?$")
"""A flow mapping of two texts that is all the rest of its line (``{zh: 李晓明, en: LI
Xiaoming}``, as a text in two languages is written): its keys and texts, each text as
:data:`_FLOW_SCALAR` finds it, and nothing but spaces and a comment after it."""
_SPACES = re.compile(r" *")
_FLOW_END = re.compile(r"(?: +(?:#.*)?)?$")
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
"""Characters a plain value may not start with (``-`` may, before anything but a space)."""
_STR = "tag:yaml.org,2002:str"
_BUILT = {"tag:yaml.org,2002:" + t for t in ("int", "float", "bool", "null", "timestamp")}
_MARGIN = 2
"""Levels short of the loader's limit at which a text is left to it."""


class _Scalars:
    """Plain texts made into values by the loader's resolver and constructors (the tags of
    short texts kept, as a file repeats its keys and many of its values)."""

    def __init__(self) -> None:
        self.loader = yaml_text.YAML_LOADER("")
        self.tags: dict[str, str] = {}

    def tag(self, text: str) -> str:
        tag = self.tags.get(text)
        if tag is None:
            tag = self.loader.resolve(yaml.ScalarNode, text, (True, False))
            if len(text) <= _KEPT_CHARS:
                if len(self.tags) >= _KEPT:
                    self.tags.clear()
                self.tags[text] = tag
        return tag

    def value(self, text: str) -> Any:
        tag = self.tag(text)
        if tag == _STR:
            return text
        if tag not in _BUILT:
            raise Left()
        return self.loader.yaml_constructors[tag](self.loader, yaml.ScalarNode(tag, text))

    def key(self, text: str) -> str:
        if self.tag(text) != _STR:
            raise Left()
        return text


_KEPT_CHARS = 64
"""Plain texts up to this long have their tag kept …"""
_KEPT = 20_000
"""… this many of them at most (then the kept tags are forgotten)."""


_scalars: _Scalars | None = None


def read_list(text: str, max_depth: int, indent: int = 0) -> list[Any] | None:
    """The items of the YAML list ``text`` (its items' lines at ``indent``) as the loader
    builds them, or None when the text is not of the lines read here (the loader then reads
    it)."""
    global _scalars
    if unsure(text):
        if "\r" not in text or text.count("\r") != text.count("\r\n"):
            return None
        text = text.replace("\r\n", "\n")
        if unsure(text):
            return None
    if _scalars is None:
        _scalars = _Scalars()
    try:
        return _Reader(_scalars, max_depth - _MARGIN).read(text, root_indent=indent)
    except Left:
        return None


class _Reader:
    """One text's lines, read into nested lists and mappings."""

    def __init__(self, scalars: _Scalars, max_depth: int):
        self.scalars, self.max_depth = scalars, max_depth
        # the open levels, innermost last: (indentation, list or mapping); -1 stands below all
        self.levels: list[tuple[int, Any]] = [(-1, None)]

    def read(self, text: str, root_indent: int = 0) -> list[Any]:
        # One loop, its state in local names: the time of a call per line is much of the
        # time of reading one.
        root: list[Any] = []
        levels = self.levels
        levels.append((root_indent, root))
        tags = self.scalars.tags
        scalars = self.scalars
        max_depth = self.max_depth
        # a plain value that may go on below: its container, its key or index, its lines,
        # and the indentation a line needs to go on with it
        plain_in: Any = None
        plain_slot: Any = None
        plain_first = ""
        plain_more: list[str] | None = None  # its lines, once it goes on below
        plain_need = 0
        top_at: int = root_indent  # the innermost level (levels[-1])
        top: Any = root
        # a key or "-" with nothing after it: its container, key or index, and indentation
        open_in: Any = None
        open_slot: Any = None
        open_at = 0
        gap = False  # a blank or comment line since the last value
        lines = _LINES.findall(text)
        joined = 0  # line breaks within one line's match (a text in two languages, escaped ones)
        for spaces, dash, key, _pair_indent, key1, text1, key2, text2, rest in lines:
            indent = len(spaces)
            if plain_in is not None:
                if indent >= plain_need:  # below the value, more indented than its level
                    if not (dash or key or rest) or rest[:1] == "#" and not (dash or key):
                        gap = True
                        continue
                    # a "-" or a key would start the line with "- " or give it ": "
                    if gap or dash or key or rest[0] in _INDICATORS:
                        raise Left()
                    rest = rest.rstrip(" ")
                    if ": " in rest or " #" in rest or rest[-1] == ":":
                        raise Left()
                    if plain_more is None:
                        plain_more = [plain_first]
                    plain_more.append(rest)
                    continue
                if plain_more is not None:
                    plain_in[plain_slot] = scalars.value(" ".join(plain_more))
                plain_in = None
            if not dash and not key:
                if rest and rest[0] != "#":
                    raise Left()
                gap = True
                continue
            gap = False
            if open_in is not None:  # a block below it, or null
                if indent > open_at or (indent == open_at and dash and type(open_in) is dict):
                    block: list[Any] | dict[str, Any] = [] if dash else {}
                    open_in[open_slot] = block
                    levels.append((indent, block))
                    top_at, top = indent, block
                    if len(levels) > max_depth:
                        raise Left()
                else:
                    open_in[open_slot] = scalars.value("")
                open_in = None
            if top_at > indent:
                while levels[-1][0] > indent:
                    levels.pop()
                top_at, top = levels[-1]
            if top_at != indent:
                raise Left()
            container = top
            if dash:
                if type(container) is not list:
                    raise Left()
                if key:  # "- key: …" starts a mapping at the key's indentation
                    indent += len(dash)
                    mapping: dict[str, Any] = {}
                    container.append(mapping)
                    levels.append((indent, mapping))
                    top_at, top = indent, mapping
                    if len(levels) > max_depth:
                        raise Left()
                    container = mapping
                else:
                    slot: Any = len(container)
                    container.append(None)
            elif type(container) is list:  # a list at its key's indentation ends with a key
                levels.pop()
                top_at, top = levels[-1]
                if top_at != indent or type(top) is not dict:
                    raise Left()
                container = top
            if key:
                if tags.get(key) != _STR:
                    scalars.key(key)
                if key in container:
                    raise Left()
                slot = key
            if key1:  # its mapping of two texts, as the lines below it would make it
                if len(levels) >= max_depth or key1 == key2:
                    raise Left()
                if tags.get(key1) != _STR:
                    scalars.key(key1)
                if tags.get(key2) != _STR:
                    scalars.key(key2)
                # (no double-quoted text has a tag kept: it is never a plain text)
                container[slot] = {
                    key1: text1 if tags.get(text1) == _STR else
                    unescaped(text1[1:-1]) if text1[0] == '"' else scalars.value(text1),
                    key2: text2 if tags.get(text2) == _STR else
                    unescaped(text2[1:-1]) if text2[0] == '"' else scalars.value(text2)}
                joined += 2 + text1.count("\n") + text2.count("\n")
                continue
            first = rest[:1]
            if first and first not in _INDICATORS and " #" not in rest:  # a plain text
                value = rest.rstrip(" ")
                if ": " in value or value[-1] == ":":
                    raise Left()
                container[slot] = value if tags.get(value) == _STR else scalars.value(value)
                plain_in, plain_slot, plain_first, plain_more, plain_need = container, slot, value, None, indent + 1
            elif not first or first == "#":
                container[slot] = None
                open_in, open_slot, open_at = container, slot, indent
            else:
                if first == '"':
                    joined += rest.count("\n")
                container[slot], plain = self.other(rest)
                if plain is not None:
                    plain_in, plain_slot, plain_first, plain_more, plain_need = container, slot, plain, None, indent + 1
        if len(lines) + joined != text.count("\n") + 1:  # (one match a line, as ever)
            raise Left()
        if plain_in is not None and plain_more is not None:
            plain_in[plain_slot] = scalars.value(" ".join(plain_more))
        if open_in is not None:
            open_in[open_slot] = scalars.value("")
        if not root:  # no document at all
            raise Left()
        return root

    def other(self, rest: str) -> tuple[Any, str | None]:
        """The value ``rest`` other than a plain text without a comment, and its text when it
        is a plain text that may go on below."""
        first = rest[0]
        if first == "'":
            match = _SINGLE.match(rest)
            if match is None:
                raise Left()
            return match.group(1).replace("''", "'"), None
        if first == '"':
            match = DOUBLE.match(rest)
            if match is None:
                raise Left()
            return unescaped(match.group(1)), None
        if first in "[{":
            return self.flow(rest), None
        if first in _INDICATORS and not (first == "-" and rest[1:2] not in ("", " ")):
            raise Left()
        cut = rest.find(" #")
        text = (rest if cut < 0 else rest[:cut]).rstrip(" ")
        if ": " in text or text.endswith(":"):
            raise Left()
        return self.scalars.value(text), (text if cut < 0 else None)

    def flow(self, text: str) -> Any:
        """The flow mapping or list ``text``, all on its line."""
        depth = self.max_depth - len(self.levels)
        pair = _FLOW_PAIR.match(text)
        if pair is not None and depth > 0:  # as flow_node reads it, in one match
            key1, text1, key2, text2 = pair.groups()
            if key1 == key2:
                raise Left()
            return {self.scalars.key(key1): self.flow_scalar(text1),
                    self.scalars.key(key2): self.flow_scalar(text2)}
        value, at = self.flow_node(text, 0, depth)
        if _FLOW_END.match(text, at) is None:
            raise Left()
        return value

    def flow_node(self, text: str, at: int, depth: int) -> tuple[Any, int]:
        """The value that starts at ``at`` in a flow, and where it ends."""
        opening = text[at : at + 1]
        if opening not in ("{", "["):
            scalar = _FLOW_SCALAR.match(text, at)
            if scalar is None:
                raise Left()
            return self.flow_scalar(scalar.group()), scalar.end()
        if depth <= 0:
            raise Left()
        closing = "}" if opening == "{" else "]"
        mapping: dict[str, Any] = {}
        items: list[Any] = []
        at = _SPACES.match(text, at + 1).end()  # type: ignore[union-attr]
        if text[at : at + 1] == closing:
            return (mapping if opening == "{" else items), at + 1
        while True:
            if opening == "{":
                key_match = _FLOW_KEY.match(text, at)
                if key_match is None:
                    raise Left()
                key = self.scalars.key(key_match.group(1))
                if key in mapping:
                    raise Left()
                mapping[key], at = self.flow_node(text, key_match.end(), depth - 1)
            else:
                item, at = self.flow_node(text, at, depth - 1)
                items.append(item)
            at = _SPACES.match(text, at).end()  # type: ignore[union-attr]
            mark = text[at : at + 1]
            if mark == closing:
                return (mapping if opening == "{" else items), at + 1
            if mark != ",":
                raise Left()
            at = _SPACES.match(text, at + 1).end()  # type: ignore[union-attr]

    def flow_scalar(self, text: str) -> Any:
        if text[0] == "'":
            return text[1:-1].replace("''", "'")
        if text[0] == '"':
            return unescaped(text[1:-1])
        return self.scalars.value(text.rstrip(" "))
