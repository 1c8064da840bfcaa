"""The rows of a worksheet read by regular expressions over its text, for the sheets that
spreadsheet programs write (each row ``<row r="2">`` of cells ``<c r="B2" …>`` holding an
inline text, a shared string's index, a number, a date or true/false, perhaps given by a
formula), several times faster than a parser.

:func:`fast_cells` gives the rows exactly as :meth:`SheetParser.cells
<formgen.load.sheetxml.sheet_parser>` gives them. It takes on trust nothing a parser would
check: the rows it reads are matched whole, every character of them accounted for (their
texts' entities and characters checked as XML checks them), and the rest of the part (what
comes before the rows and after them) is read by expat. Anything else, a formula without
the value it gave, a date out of range, a comment, a namespace declared again, an entity it
does not know, raises :class:`Unsupported`, perhaps after some rows: the caller then reads
the sheet by the parser, from its start, the rows given already skipped, and so reports what
the parser reports.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
import threading
from collections.abc import Collection, Iterator
from typing import Any, NamedTuple
from xml.parsers import expat

from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import CALENDAR_WINDOWS_1900, from_excel

CHUNK = 1 << 20
"""Bytes of the sheet read at a time."""
LONGEST_ROW = 8 * CHUNK
"""Characters of the longest row read here."""
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

_TYPE = r"(?:s|inlineStr|n|b|str|e)"
_TEXT = r"[^<]*"
"""A text as it stands in a row (:func:`_plain` has checked its characters)."""
_FORMULA = r'(?:<f((?: [A-Za-z][A-Za-z0-9]*="[^"<&]*")*)(?:/>|>([^<]*)</f>))?'
"""A formula before a cell's value: its attributes and its text."""
_CELL = (
    r'<c r="([A-Z]{1,3})[1-9][0-9]{0,6}"'
    rf'(?: s="([0-9]+)"(?: t="({_TYPE})")?| t="({_TYPE})"(?: s="([0-9]+)")?)?'
    rf'(?:(/>|></c>)|><is>(<t(?: xml:space="preserve")?>)({_TEXT})</t></is></c>'
    rf'|>{_FORMULA}<v>({_TEXT})</v></c>)'
)
"""A cell: its column's letters, its style (either of two places), its type (either of
two), its end when it is empty, its ``<t>`` and text when it holds an inline text, or the
text of its value, after the attributes and text of the formula that gave it, if one did
(as LibreOffice writes true and false: ``<f aca="false">FALSE()</f><v>0</v>``)."""
_CELL_RE = re.compile(_CELL)
_ROW_START = re.compile(r'[ \t\n]*<row r="([0-9]+)"((?: [A-Za-z][\w:.-]*="[^"<&]*")*)>')
"""The start of a row: its number, and its other attributes (its height, its spans …)."""
_NAME = re.compile(r' ([^=]+)=')
_TEXTS = re.compile(
    r'<c r="([A-Z]{1,3})[1-9][0-9]{0,6}"(?: s="[0-9]+" t="inlineStr"| t="inlineStr"(?: s="[0-9]+")?)>'
    rf'<is><t(?: xml:space="preserve")?>({_TEXT})</t></is></c>'
)
"""A cell holding an inline text: its column's letters and its text."""
_SHARED = re.compile(
    r'<c r="([A-Z]{1,3})[1-9][0-9]{0,6}"(?: s="[0-9]+" t="s"| t="s"(?: s="[0-9]+")?)>'
    r"<v>([0-9]+)</v></c>"
)
"""A cell holding a shared string: its column's letters and the string's index."""
_HEAD = re.compile(
    r'(?:<\?xml version="1\.[0-9]"(?: encoding="(?i:utf-?8)")?(?: standalone="(?:yes|no)")?'
    r"[ \t\r\n]*\?>)?[ \t\r\n]*<worksheet(?:[ \t\r\n]+[A-Za-z_][\w:.-]*=\"[^\"<&]*\")*[ \t\r\n]*>"
)
"""The start of a sheet, up to its root's tag."""
_ROW_TAG = re.compile(r"[<:]row[ \t\n/>]")
_ENTITY = re.compile(r"&(?:(amp|lt|gt|quot|apos)|#([0-9]{1,7})|#x([0-9A-Fa-f]{1,6}));")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_NAMED_REFS = {f"&{name};": _NAMED[name] for name in ("lt", "gt", "quot", "apos", "amp")}
_NUMBER = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[Ee][-+]?[0-9]+)?")

Cell = tuple[int, Any, str, Any, Any]


class TextRow(tuple[str, ...]):
    """The texts of a row whose cells are all inline texts, in columns A, B, C … in turn."""

    __slots__ = ()


class Unsupported(Exception):
    """The sheet holds what :func:`fast_cells` does not read: a parser is to read it."""


class Dates(NamedTuple):
    """What makes a number cell a date, as the parser reads it: the workbook's styles of
    dates, those of them that are spans of time, and the day its numbers count from."""

    styles: Collection[int]
    durations: Collection[int] = frozenset()
    epoch: dt.datetime = CALENDAR_WINDOWS_1900


def fast_cells(source: Any, strings: list[str], dates: Dates,
               escaped: bool = False) -> Iterator[tuple[int, list[Cell] | TextRow]]:
    """The rows of the sheet ``source`` (a binary file) as (number, cells); Unsupported,
    perhaps after some rows, when it is not a sheet this reads. ``escaped``: the texts of
    the rows after the first are given as the sheet writes them, references and entities in
    place (checked and replaced by :func:`unescape_row`, where the records are made), and
    shared strings as :func:`escape` writes them."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    checker = expat.ParserCreate(None, "}")
    eof, last = False, b""

    def more() -> str:
        nonlocal eof
        nonlocal last
        data = source.read(CHUNK)
        if not _plain(last + data):
            raise Unsupported()
        last = data[-2:]
        try:
            text = decoder.decode(data, final=not data)
        except UnicodeDecodeError as e:
            raise Unsupported() from e
        eof = not data
        return text

    def check(part: str, final: bool = False) -> None:
        try:
            checker.Parse(part, final)
        except expat.ExpatError as e:
            raise Unsupported() from e

    texts = _Texts()
    buf = ""
    while (start := buf.find("<sheetData>")) < 0:  # the head, read by expat
        if eof or len(buf) > CHUNK * 16:
            raise Unsupported()
        buf += more()
    pos = start + len("<sheetData>")
    head = buf[:pos]
    root = _HEAD.match(head)
    if (root is None or "<!" in head or "<?" in head[root.end():] or _ROW_TAG.search(head)
            or len(re.findall(r"xmlns[ \t\r\n]*=", head)) != 1 or head.count(_MAIN) != 1
            or f' xmlns="{_MAIN}"' not in root.group()):
        raise Unsupported()  # rows elsewhere, or names in another namespace
    check(head)
    prefixes = {"xml", *re.findall(r"xmlns:([A-Za-z_][\w.-]*)=", root.group())}
    attributes: set[str] = {""}
    """The other attributes of rows seen (Excel gives each row the same), each name once,
    each prefix declared."""
    buf = buf[pos:]
    while True:  # the rows, those of a chunk at a time
        if "]]>" in buf or "\r" in buf:  # texts XML would change
            raise Unsupported()
        pieces = buf.split("</row>")
        buf = pieces.pop()  # what follows the last whole row
        if len(buf) > LONGEST_ROW:
            raise Unsupported()  # the parser reads it without reading it again and again
        for piece in pieces:
            head_of = _ROW_START.match(piece)
            if head_of is None:
                raise Unsupported()  # a row this does not read, or rows after the sheet's data
            if (other := head_of.group(2)) not in attributes:
                if not _attributes(other, prefixes) or len(attributes) > 64:
                    raise Unsupported()
                attributes.add(other)
            number = int(head_of.group(1))
            if escaped and number > 1:
                yield number, _cells(piece[head_of.end():], number, strings, dates, None)
            else:
                yield number, _cells(piece[head_of.end():], number, strings, dates, texts)
        rest = buf.lstrip(" \t\n")
        if rest.startswith("</sheetData>"):
            break
        if eof:
            raise Unsupported()
        buf = rest + more()
    tail, carry = rest, ""  # the rest, read by expat: no more rows in it
    while True:
        if _ROW_TAG.search(carry + tail):
            raise Unsupported()
        check(tail, eof)
        if eof:
            return
        carry = (carry + tail)[-8:]
        tail = more()


def _attributes(other: str, prefixes: set[str]) -> bool:
    """Whether an element's ``other`` attributes (a row's but its ``r``, a formula's) are as
    XML allows: each name once (and not ``r``), each prefix one of ``prefixes``, which the
    sheet declares, no namespace declared."""
    names = _NAME.findall(other)
    return (len(set(names)) == len(names) and "r" not in names and "xmlns" not in names
            and all(name.count(":") == 0 or (name.count(":") == 1 and name.split(":")[0]
                                              in prefixes and name.split(":")[1])
                    for name in names))


def _cells(body: str, number: int, strings: list[str], dates: Dates,
           texts: _Texts | None) -> list[Cell] | TextRow:
    """The cells of a row whose cells are ``body``; Unsupported unless every cell is one
    this reads, and nothing else is there. Without ``texts``, its texts as they stand."""
    if not body:
        return []
    parts = _TEXTS.split(body)  # the inline texts, and what is between them
    letters, values = parts[1::3], parts[2::3]
    if "&" in body and values and texts is not None:
        # references to characters, as openpyxl writes every one not ASCII, by expat
        values = texts.unescape(values) if "&#" in body else _unescape_each(values)
    if len(parts) == 1:  # no inline text: shared strings perhaps, as Excel writes them
        parts = _SHARED.split(body)
        letters = parts[1::3]
        try:
            values = [strings[int(index)] for index in parts[2::3]]
            if texts is None:
                values = [escape(text) for text in values]
        except IndexError:
            raise Unsupported() from None
    if not any(parts[::3]):  # nothing between them: every cell a text
        if letters == _LETTERS[:len(letters)]:
            return TextRow(values)
        return [(_COLUMNS[c], v, "s", None, number) for c, v in zip(letters, values, strict=True)]
    cells: list[Cell] = []
    for at, between in enumerate(parts[::3]):
        if between:
            cells.extend(_other_cells(between, number, strings, dates, texts is not None))
        if at < len(values):
            cells.append((_COLUMNS[letters[at]], values[at], "s", None, number))
    return cells


def _other_cells(cells_text: str, number: int, strings: list[str], dates: Dates,
                 unescape: bool = True) -> list[Cell]:
    """The cells of ``cells_text`` (other than inline texts, mostly): Unsupported unless
    each is one this reads, and nothing else is there (``unescape``: their texts with their
    references replaced, else as they stand)."""
    from openpyxl.worksheet._reader import _cast_number

    parts = _CELL_RE.split(cells_text)
    if any(parts[::12]):
        raise Unsupported()
    cells: list[Cell] = []
    it = iter(parts[1:])
    for (letters, s1, t1, t2, s2, empty, inline, text, formula, formula_text, value,
         _) in zip(*[it] * 12, strict=True):
        column = _COLUMNS[letters]
        kind = t1 or t2
        if formula is not None:  # the value it gave is the cell's, as the parser reads it
            _check_formula(formula, formula_text)
        if inline:
            if kind != "inlineStr":
                raise Unsupported()
            cells.append((column, _unescape(text) if unescape and "&" in text else text, "s", None,
                          number))
        elif empty:
            cells.append((column, None, "n", 0, number))
        elif kind == "s" and value.isascii() and value.isdigit():
            index = int(value)
            if index >= len(strings):
                raise Unsupported()
            text = strings[index]
            cells.append((column, text if unescape else escape(text), "s", None, number))
        elif (kind == "str" or kind == "e") and value:  # a formula's text, or its error
            cells.append((column, _unescape(value) if unescape and "&" in value else value,
                          "s" if kind == "str" else "e", int(s1 or s2 or 0), number))
        elif kind == "b" and (value == "0" or value == "1"):
            cells.append((column, value == "1", "b", int(s1 or s2 or 0), number))
        elif (kind is None or kind == "n") and _NUMBER.fullmatch(value):
            style = int(s1 or s2 or 0)
            if style in dates.styles:
                try:
                    day = from_excel(_cast_number(value), dates.epoch,
                                     timedelta=style in dates.durations)
                except (OverflowError, ValueError):
                    raise Unsupported() from None  # the parser warns of it
                cells.append((column, day, "d", style, number))
            else:
                cells.append((column, _cast_number(value), "n", style, number))
        else:
            raise Unsupported()
    return cells


def _check_formula(attributes: str, text: str | None) -> None:
    """Unsupported unless a formula's ``attributes`` are as XML allows (:func:`_attributes`;
    :data:`_FORMULA` takes none with a prefix) and its ``text`` holds no entity XML does not
    know."""
    if not _attributes(attributes, set()):
        raise Unsupported()
    if text and "&" in text:
        _unescape(text)


class _Columns(dict[str, int]):
    """Each column's number by its letters (``AB`` → 28), as they are met."""

    def __missing__(self, letters: str) -> int:
        from openpyxl.utils import column_index_from_string

        column = self[letters] = column_index_from_string(letters)
        return column


_COLUMNS = _Columns()


_CONTROLS = bytes(range(32, 256))
_NOT_FORBIDDEN = b"\t\n\r"
_NONCHARACTERS = re.compile(b"\xef\xbf[\xbe\xbf]")
"""U+FFFE and U+FFFF in UTF-8 (looked for by their first two bytes, a fifth of the time of
looking for each)."""


def _plain(data: bytes) -> bool:
    """Whether ``data`` (of a sheet in UTF-8) holds no character XML does not allow: no
    control character but tab, line feed and carriage return, no U+FFFE or U+FFFF."""
    controls = data.translate(None, _CONTROLS)
    return not (controls.translate(None, _NOT_FORBIDDEN) or _NONCHARACTERS.search(data))


_LETTERS = [get_column_letter(n) for n in range(1, 703)]
"""The letters of columns A to ZZ."""


class _Texts:
    """The texts of a sheet's rows with their references and entities replaced by expat, as
    XML replaces them: a row's texts at once, each an element of one document that goes on
    for the whole sheet (about a fifth of the time of a call a reference)."""

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
        return _unescape_each(texts)

    def _parser(self) -> Any:
        parser = expat.ParserCreate()
        parser.buffer_text = True  # a text in one piece …
        parser.buffer_size = CHUNK
        parser.CharacterDataHandler = self.read.append
        parser.EndElementHandler = self.ends.append  # … given at its end
        parser.Parse("<texts>", False)
        return parser


def _unescape_each(texts: list[str]) -> list[str]:
    """Each of ``texts`` unescaped by :func:`_unescape`."""
    return [_unescape(text) if "&" in text else text for text in texts]


def _unescape(text: str) -> str:
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
"""Each thread's :class:`_Texts` (an expat parser serves one thread)."""


def unescape_row(values: list[Any]) -> None:
    """Replace the references and entities in the texts of ``values`` (a row as
    :func:`fast_cells` gave it with ``escaped``), in place, as XML replaces them;
    Unsupported for an ``&`` that starts no entity of XML's own, or a character XML does
    not allow."""
    at = [i for i, value in enumerate(values) if type(value) is str and "&" in value]
    if at:
        texts = getattr(_ROW_TEXTS, "texts", None)
        if texts is None:
            texts = _ROW_TEXTS.texts = _Texts()
        for i, text in zip(at, texts.unescape([values[i] for i in at]), strict=True):
            values[i] = text
