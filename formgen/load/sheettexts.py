"""The texts of a worksheet's cells as XML reads them: their references and entities
(``&#26446;``, ``&amp;``) replaced, a row's texts at once, by expat, or one by one; and
written again as a sheet may write them (:func:`escape`), for :func:`unescape_row` to
replace where the records are made. What XML would not read raises :class:`Unsupported`
(the sheet is then read by the parser, which says why)."""

from __future__ import annotations

import re
import threading
from typing import Any
from xml.parsers import expat

BUFFER = 1 << 20
"""Characters of text expat gives at once (a longer text comes in parts, and is read
again one by one)."""
_ENTITY = re.compile(r"&(?:(amp|lt|gt|quot|apos)|#([0-9]{1,7})|#x([0-9A-Fa-f]{1,6}));")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_NAMED_REFS = {f"&{name};": _NAMED[name] for name in ("lt", "gt", "quot", "apos", "amp")}


class Unsupported(Exception):
    """The sheet holds what :func:`formgen.load.sheetfast.fast_cells` does not read: a
    parser is to read it."""


class RowTexts:
    """The texts of a sheet's rows with their references and entities replaced by expat, as
    XML replaces them: a row's texts (or a group of rows') at once, each an element of one
    document that goes on for the whole sheet (about a fifth of the time of a call a
    reference)."""

    def __init__(self) -> None:
        self.parser: Any = None
        self.read: list[str] = []
        self.ends: list[str] = []

    def unescape(self, texts: list[str]) -> list[str]:
        """Each of ``texts`` (none holds ``<``) unescaped; Unsupported for an ``&`` that
        starts no entity of XML's own, or a character XML does not allow."""
        read = self.read
        read.clear()
        self.ends.clear()
        try:
            if self.parser is None:
                self.parser = self._parser()
            # each text after an "x", so that an empty one is read too
            self.parser.Parse("<t>x" + "</t><t>x".join(texts) + "</t>", False)
        except expat.ExpatError:
            self.parser = None
        if self.parser is not None and len(read) == len(texts):
            return [text[1:] for text in read]
        self.parser = None  # refused, or a text longer than the buffer came in parts
        return unescape_texts(texts)

    def _parser(self) -> Any:
        parser = expat.ParserCreate()
        parser.buffer_text = True  # a text in one piece …
        parser.buffer_size = BUFFER
        parser.CharacterDataHandler = self.read.append
        parser.EndElementHandler = self.ends.append  # … given at its end
        parser.Parse("<texts>", False)
        return parser


def unescape_texts(texts: list[str]) -> list[str]:
    """Each of ``texts`` unescaped by :func:`unescape_text`."""
    return [unescape_text(text) if "&" in text else text for text in texts]


def unescape_text(text: str) -> str:
    """``text`` with its entities replaced as XML replaces them; Unsupported for an ``&``
    that starts no entity of XML's own, or a character XML does not allow."""
    if "&#" not in text and text.count("&") == sum(map(text.count, _NAMED_REFS)):
        for ref, char in _NAMED_REFS.items():  # &amp; last: "&amp;lt;" is "&lt;"
            text = text.replace(ref, char)
        return text
    if "&" in _ENTITY.sub("", text):
        raise Unsupported()
    return _ENTITY.sub(_reference, text)


def _reference(m: re.Match[str]) -> str:
    """The character of an entity or reference; Unsupported for one XML does not allow."""
    if m.group(1):
        return _NAMED[m.group(1)]
    code = int(m.group(2)) if m.group(2) else int(m.group(3), 16)
    if not (code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD
            or 0x10000 <= code <= 0x10FFFF):
        raise Unsupported()
    return chr(code)


_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}


def escape(text: str) -> str:
    """``text`` as a sheet may write it: what XML would change (``&``, ``<``, ``>``, a
    carriage return) as references, which :func:`unescape_row` replaces again."""
    if "&" in text or "<" in text or ">" in text or "\r" in text:
        return re.sub("[&<>\r]", lambda m: _ESCAPES[m.group()], text)
    return text


_ROW_TEXTS = threading.local()
"""Each thread's :class:`RowTexts` (an expat parser serves one thread)."""


def unescape_row(values: list[Any]) -> None:
    """Replace the references and entities in the texts of ``values`` (a row as
    :func:`formgen.load.sheetfast.fast_cells` gave it with ``escaped``), in place, as XML
    replaces them;
    Unsupported for an ``&`` that starts no entity of XML's own, or a character XML does
    not allow."""
    unescape_rows([values])


def unescape_rows(rows: list[list[Any]]) -> None:
    """:func:`unescape_row` for each of ``rows``, their texts given to expat at once."""
    at = [(values, i) for values in rows
          for i, value in enumerate(values) if type(value) is str and "&" in value]
    if at:
        texts = getattr(_ROW_TEXTS, "texts", None)
        if texts is None:
            texts = _ROW_TEXTS.texts = RowTexts()
        for (values, i), text in zip(at, texts.unescape([values[i] for values, i in at]), strict=True):
            values[i] = text
