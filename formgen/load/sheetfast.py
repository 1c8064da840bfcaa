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
from collections.abc import Collection, Iterator
from typing import Any, NamedTuple
from xml.parsers import expat

from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import CALENDAR_WINDOWS_1900, from_excel
from openpyxl.worksheet._reader import _cast_number

from formgen.load.sheettexts import RowTexts, Unsupported, escape, unescape_text, unescape_texts

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
    r'<c r="([A-Z]{1,3})[1-9][0-9]{0,6}"(?: t="inlineStr"(?: s="[0-9]+")?| s="[0-9]+" t="inlineStr")>'
    rf'<is><t(?: xml:space="preserve")?>({_TEXT})</t></is></c>'
)
"""A cell holding an inline text: its column's letters and its text (a type before a style
first: as openpyxl and formgen write them, a tenth faster)."""
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
_NUMBER = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[Ee][-+]?[0-9]+)?")
_ONE_CELL = re.compile(r'<c r="([A-Z]{1,3})[1-9][0-9]{0,6}"([^<>]*(?:/>|>(?:<v>[^<]*</v>)?</c>))')
"""A cell alone, holding no formula and no inline text: its column's letters, and the rest
of it (which gives its value wherever it stands)."""
KNOWN_CELLS = 4096
"""Cells kept by what they hold (:func:`_other_cells`), in a sheet, at most."""

Cell = tuple[int, Any, str, Any, Any]


class TextRow(tuple[str, ...]):
    """The texts of a row whose cells are all inline texts, in columns A, B, C … in turn."""

    __slots__ = ()


class MixedRow:
    """The values of a row whose cells stand in columns A, B, C … in turn, most of them
    inline texts: ``values`` in order, ``texts`` the inline texts among them, ``others``
    where each other cell stands in ``values``, with its type and style (as a
    :data:`Cell` gives them)."""

    __slots__ = ("values", "texts", "others")

    def __init__(self, values: list[Any], texts: list[str], others: list[tuple[int, str, Any]]):
        self.values, self.texts, self.others = values, texts, others


class Dates(NamedTuple):
    """What makes a number cell a date, as the parser reads it: the workbook's styles of
    dates, those of them that are spans of time, and the day its numbers count from."""

    styles: Collection[int]
    durations: Collection[int] = frozenset()
    epoch: dt.datetime = CALENDAR_WINDOWS_1900


def fast_cells(source: Any, strings: list[str], dates: Dates,
               escaped: bool = False) -> Iterator[tuple[int, list[Cell] | TextRow | MixedRow]]:
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

    texts = RowTexts()
    known: dict[tuple[str, bool], tuple[Any, str, Any]] = {}
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
        if ("]" in buf and "]]>" in buf) or "\r" in buf:  # texts XML would change (a "]" is
            # looked for first: a byte is found many times faster than three)
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
                yield number, _cells(piece[head_of.end():], number, strings, dates, None, known)
            else:
                yield number, _cells(piece[head_of.end():], number, strings, dates, texts, known)
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
           texts: RowTexts | None, known: dict[tuple[str, bool], tuple[Any, str, Any]],
           ) -> list[Cell] | TextRow | MixedRow:
    """The cells of a row whose cells are ``body``; Unsupported unless every cell is one
    this reads, and nothing else is there. Without ``texts``, its texts as they stand;
    ``known``: the values of cells read before in the sheet (:func:`_other_cells`)."""
    if not body:
        return []
    parts = _TEXTS.split(body)  # the inline texts, and what is between them
    letters, values = parts[1::3], parts[2::3]
    if "&" in body and values and texts is not None:
        # references to characters, as openpyxl writes every one not ASCII, by expat
        values = texts.unescape(values) if "&#" in body else unescape_texts(values)
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
    # the other cells among the texts, each where it stands
    row_letters: list[str] = []
    row_values: list[Any] = []
    others: list[tuple[int, str, Any]] = []
    other_cells: list[Cell] = []
    start = 0
    for at, between in enumerate(parts[::3]):
        if not between:
            continue
        row_letters += letters[start:at]
        row_values += values[start:at]
        start = at
        for cell in _between(between, number, strings, dates, texts is not None, known):
            column, value, data_type, style, _ = cell
            others.append((len(row_values), data_type, style))
            other_cells.append(cell)
            row_letters.append(_LETTERS[column - 1] if column <= len(_LETTERS) else "")
            row_values.append(value)
    row_letters += letters[start:]
    row_values += values[start:]
    if row_letters == _LETTERS[:len(row_letters)]:
        return MixedRow(row_values, values, others)
    cells: list[Cell] = []  # a column left out, or out of order: each cell as it stands
    taken = 0
    for index, (c, v) in enumerate(zip(row_letters, row_values, strict=True)):
        if taken < len(others) and others[taken][0] == index:
            cells.append(other_cells[taken])
            taken += 1
        else:
            cells.append((_COLUMNS[c], v, "s", None, number))
    return cells


def _between(cells_text: str, number: int, strings: list[str], dates: Dates, unescape: bool,
             known: dict[tuple[str, bool], tuple[Any, str, Any]]) -> list[Cell]:
    """The cells of ``cells_text`` (between a row's inline texts) by :func:`_other_cells`;
    a cell alone takes the value of one read before that held the same (``known``)."""
    one = _ONE_CELL.fullmatch(cells_text)
    if one is None:
        return _other_cells(cells_text, number, strings, dates, unescape)
    letters, rest = one.groups()
    if (value := known.get((rest, unescape))) is None:
        if len(known) >= KNOWN_CELLS:
            known.clear()
        value = known[rest, unescape] = _other_cells(
            cells_text, number, strings, dates, unescape)[0][1:4]
    return [(_COLUMNS[letters], *value, number)]


def _other_cells(cells_text: str, number: int, strings: list[str], dates: Dates,
                 unescape: bool = True) -> list[Cell]:
    """The cells of ``cells_text`` (other than inline texts, mostly): Unsupported unless
    each is one this reads, and nothing else is there (``unescape``: their texts with their
    references replaced, else as they stand)."""
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
            cells.append((column, unescape_text(text) if unescape and "&" in text else text, "s", None,
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
            cells.append((column, unescape_text(value) if unescape and "&" in value else value,
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
        unescape_text(text)


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
