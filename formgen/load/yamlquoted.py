"""Double-quoted YAML texts and the characters of a text, for the line reader
(:mod:`formgen.load.yamlblock`): what it reads itself, and what it leaves to the loader.

PyYAML writes every character that is not ASCII as an escape in double quotes
(``"\\u674E\\u6653\\u660E"``) unless told to keep Unicode, and breaks a long text over lines
each ending in an escaped line break (``\\``). Such a text is read here to the loader's
value, or not at all (:class:`Left`: the loader reads it).
"""

from __future__ import annotations

import re

SURE = re.compile(
    "[\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]*+")
"""Characters read here: not a tab, a control character, a line break of YAML's own (NEL,
LS, PS), a byte-order mark or one YAML does not allow, which are left to the loader."""


def unsure(text: str) -> bool:
    """Whether ``text`` has a character left to the loader (a run of the others matched is
    several times faster than a search for one)."""
    return SURE.match(text).end() != len(text)  # type: ignore[union-attr]


DOUBLE_TEXT = r'(?:[^"\\\n]++|\\.)*+'
"""The inside of a double-quoted text on one line: its characters and escapes (``\\u674E``)."""
DOUBLE = re.compile(r'"((?:[^"\\\n]++|\\.|\\\n)*+)"(?: +(?:#.*)?)?\Z')
"""A double-quoted text that is all the rest of its line, perhaps over lines (each but the
last ending in an escaped line break)."""
_BREAK = re.compile(r"\\\n *(?:\\(?= ))?")
"""An escaped line break and the next line's indentation: nothing in the text (but the
escaped space that may start the line, as PyYAML writes one there)."""
_ESCAPE = re.compile(r"\\(?:x([0-9A-Fa-f]{2})|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")
_ESCAPED = {"0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f",
            "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85",
            "_": "\xa0", "L": "\u2028", "P": "\u2029"}
"""What each escape of one character stands for (YAML's escapes)."""
_NOT_PYTHON = re.compile(r'\\(?![\\"n]|x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8})')
"""A ``\\`` that does not start an escape meaning in Python what it means in YAML
(``\\u674E``, ``\\"``); found in none, a text is read by Python's own decoder. (It may be
the second of an escaped ``\\``: then the text is only read the slower way.)"""


class Left(Exception):
    """The text is left to the loader."""


def unescaped(inside: str) -> str:
    """The text of a double-quoted text (``inside`` it, its escapes as written), as the
    loader reads it; Left when an escape is not YAML's, or stands for a character left to
    the loader."""
    if "\\" not in inside:
        return inside
    if "\n" in inside:
        inside = _BREAK.sub("", inside)
    if inside.isascii() and (inside.count("\\") == inside.count("\\u")
                             or _NOT_PYTHON.search(inside) is None):
        try:
            text = inside.encode("ascii").decode("unicode_escape")
        except UnicodeDecodeError:  # past U+10FFFF
            raise Left() from None
    else:
        text = _ESCAPE.sub(_escape, inside)
    if unsure(text):
        raise Left()
    return text


def _escape(match: re.Match[str]) -> str:
    code = match.group(1) or match.group(2) or match.group(3)
    if code is not None:
        if int(code, 16) > 0x10FFFF:
            raise Left()
        return chr(int(code, 16))
    text = _ESCAPED.get(match.group(4))
    if text is None:
        raise Left()
    return text
