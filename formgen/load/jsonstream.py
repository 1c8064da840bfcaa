"""A JSON list of records read an item at a time, its items parsed where they are examined.

The process that reads the file only finds where each item begins and ends and hands on
the items' text in groups (:class:`JsonGroup`); a group's records are built, checked for a
key given twice and for the record limits by :meth:`JsonGroup.records`, in a worker process
when there are some (:mod:`formgen.validate.stream`). Where the file starts each item on a
new line, the same way each time (an indented ``json.dump``, one item a line), the items
are cut at those lines, and each piece is checked where it is read to be one item and its
comma; otherwise the standard library's C scanner finds each item's end (and any syntax
error, with its line). A list alone or as the only value of ``{"applicants": …}`` is read
so; anything else is read whole (:func:`formgen.load.text.parse_json`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from formgen.bounds import Expansion, KeyTwice, duplicate_json_key, unique_pairs
from formgen.exceptions import DataFileError
from formgen.load.limits import Limits, refuse_oversized
from formgen.load.records import RawRecord, ReadWhole, listed
from formgen.load.streams import CHUNK, GROUP_CHARS, Count, read_chunks, too_long, whole_text
from formgen.load.text import from_documents, json_refused, parse_json
from formgen.messages import Message, msg

JSON_ITEMS = 64
"""Items of a JSON list handed on together (fewer when their text passes GROUP_CHARS)."""
MOST_CUT = 4 << 20
"""Characters looked through for the next item's line (beyond, the scanner finds its end)."""

_WS = " \t\n\r"
_SCANNER = json.JSONDecoder()
"""Finds where an item ends (and any syntax error): a key given twice is the group's to find."""
_DECODER = json.JSONDecoder(object_pairs_hook=unique_pairs)
_WRAPPER = re.compile(r'\{[ \t\n\r]{0,16}"applicants"[ \t\n\r]{0,16}:[ \t\n\r]{0,16}\[')
"""The start of ``{"applicants": [``."""


@dataclass(frozen=True)
class JsonGroup:
    """Some items of a JSON list, each as its text, to be read by :meth:`records` (in a
    worker process perhaps)."""

    file: str
    texts: tuple[str, ...]
    """Each item's JSON text."""
    lines: tuple[int, ...]
    """The line of the file each item starts on."""
    first: int
    """The number of its first record in the file."""
    limits: Limits
    cut: bool = False
    """Whether each text was cut at a line that looks like the start of an item (a piece:
    the item and the comma after it, :meth:`_JsonText.piece`) rather than found by the
    scanner; such a text is checked to be that and nothing else."""
    refusal: Message | None = None
    """Why the file is refused, found after items were cut: said by :meth:`records` (a
    group of no items), once the groups before it have read."""

    @property
    def count(self) -> int:
        return len(self.texts)

    def value_texts(self) -> tuple[str, ...] | None:
        """Texts whose characters, with printable ASCII, make every text of the records;
        None when a text may hold others (an escape such as ``\\u4e00``)."""
        if any("\\" in text for text in self.texts):
            return None
        return self.texts

    def records(self) -> tuple[list[RawRecord], Expansion] | None:
        """The records (none added by aliases: JSON has none); DataFileError, naming its
        line, when an object gives a key twice; None when a piece is not one item and its
        comma (the file is then read again, the scanner finding each item)."""
        if self.refusal is not None:
            raise DataFileError(self.file, self.refusal)
        out = []
        for number, (text, line) in enumerate(zip(self.texts, self.lines, strict=True), self.first):
            try:
                if self.cut:
                    value, end = _DECODER.raw_decode(text)
                    if text[end:].strip(_WS) != ",":
                        return None
                else:
                    value = _DECODER.decode(text)
            except json.JSONDecodeError:
                return None  # (a text the scanner found has no syntax error)
            except RecursionError:
                return None
            except KeyTwice as e:
                found = duplicate_json_key(text, e.key, line)
                raise DataFileError(self.file, found.message) from None
            out.append(listed(self.file, number, value))
        refuse_oversized(out, self.limits)
        return out, Expansion()


class _JsonText:
    """The text of a JSON file from ``chunks``, kept from the item being read on."""

    def __init__(self, chunks: Iterator[str]):
        self.chunks = chunks
        self.buf = ""
        self.pos = 0
        self.line = 1  # the line buf starts on
        self.eof = False
        self.mark = (0, 1)
        """A place in buf and its line (lines are counted on from there)."""

    def more(self, at_least: int | None = None) -> bool:
        """Read on (at least ``at_least`` characters, CHUNK by default, unless the file
        ends); False at its end."""
        at_least = at_least or CHUNK
        if self.eof:
            return False
        if self.pos:
            self.line += self.buf.count("\n", 0, self.pos)
            self.buf, self.pos = self.buf[self.pos:], 0
        self.mark = (0, self.line)
        parts, got = [self.buf], 0
        for piece in self.chunks:
            parts.append(piece)
            got += len(piece)
            if got >= at_least:
                break
        else:
            self.eof = True
        self.buf = "".join(parts)
        return got > 0

    def line_at(self, at: int) -> int:
        """The line of the place ``at`` in buf, at or after the last place asked about."""
        marked, line = self.mark
        line += self.buf.count("\n", marked, at)
        self.mark = (at, line)
        return line

    def skip_ws(self) -> str:
        """The next character after whitespace ('' at the end of the file)."""
        while True:
            buf, pos = self.buf, self.pos
            while pos < len(buf) and buf[pos] in _WS:
                pos += 1
            self.pos = pos
            if pos < len(buf):
                return buf[pos]
            if not self.more():
                return ""

    def error(self, name: str, message: str, at: int) -> DataFileError:
        line = self.line + self.buf.count("\n", 0, at)
        return DataFileError(name, msg("file.not-json", line=str(line), detail=message))

    def piece(self, start_of_item: str, longest: int) -> tuple[str, int] | None:
        """From an item's first character, the text up to the next line that reads
        ``start_of_item`` (a line break, the indentation or comma the file puts before its
        items, and ``{``), and the line it starts on: the item and the comma after it, if
        that line starts the next item, which :meth:`JsonGroup.records` checks. A line
        break is never inside a JSON text, so the cut is between two of the file's tokens.
        None when no such line comes within ``longest`` characters, nor soon enough (the
        scanner reads the item instead)."""
        while True:
            cut = self.buf.find(start_of_item, self.pos + 1)
            if cut - self.pos > longest:
                return None
            if cut >= 0:
                start, self.pos = self.pos, cut + len(start_of_item) - 1
                return self.buf[start:self.pos], self.line_at(start)
            if len(self.buf) - self.pos > MOST_CUT or not self.more():
                return None

    def item(self, name: str, limits: Limits, number: int) -> tuple[str, int]:
        """The text of the JSON value at the position (record ``number`` of the list), read
        on as far as it reaches, and the line it starts on; DataFileError when it is longer
        than a record may be."""
        want = CHUNK
        while True:
            try:
                _, end = _SCANNER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as e:
                cut = e.pos >= len(self.buf) - 16 or e.msg.startswith("Unterminated string")
                if cut and not self.eof:
                    if len(self.buf) - self.pos > limits.record_chars:
                        raise too_long(name, number, limits) from None
                    self.more(want)  # (which moves the text read: read the item again)
                    want *= 2  # an item longer than what was read: read twice as much
                    continue
                raise self.error(name, e.msg, e.pos) from e
            except (RecursionError, ValueError) as e:
                raise json_refused(name, e, limits) from e
            if not self.eof and end >= len(self.buf) - 16:
                self.more(want)  # a number or a literal may go on past what was read
                continue
            if end - self.pos > limits.record_chars:
                raise too_long(name, number, limits)
            start, self.pos = self.pos, end
            return self.buf[start:end], self.line_at(start)


def json_records(path: Path, limits: Limits, cut: bool = True) -> Iterator[RawRecord | JsonGroup]:
    """The records of a JSON data file: a list, alone or as ``{"applicants": …}``, as
    groups of items (:class:`JsonGroup`), anything else read whole
    (:func:`formgen.load.text.parse_json`). With ``cut``, once
    the file shows how it lays out its items (each on a new line), the items are cut at
    such lines rather than scanned here: a group that then does not read (None) asks for
    the file to be read again without ``cut``. A refusal found after a cut comes as a group
    of its own (:attr:`JsonGroup.refusal`), read after the groups before it: it holds only
    if they read (a wrong cut, a line like an item's start inside an item, would be found
    there first)."""
    name = str(path)
    text = _JsonText(read_chunks(path, limits))
    wrapped = False
    if text.skip_ws() == "{":  # {"applicants": [...]}: the list streams, if nothing else is there
        if len(text.buf) - text.pos < 64:
            text.more(64)
        opening = _WRAPPER.match(text.buf, text.pos)
        if opening is not None:
            text.pos, wrapped = opening.end() - 1, True
    if text.skip_ws() != "[":
        yield from from_documents(path, parse_json(name, whole_text(path, limits), limits), limits)
        return
    text.pos += 1
    items = _Items(name, limits)
    try:
        yield from items.read(text, cut, wrapped)
    except DataFileError as e:
        if not items.cut_yet:
            raise
        if items.texts:
            yield items.group()
        yield JsonGroup(name, (), (), items.count.count + 1, limits, refusal=e.reason)
        return
    items.count.finish()


class _Items:
    """The items of a JSON list read so far, not yet handed on."""

    def __init__(self, name: str, limits: Limits):
        self.name, self.limits = name, limits
        self.count = Count(name, limits)
        self.texts: list[str] = []
        self.lines: list[int] = []
        self.chars = 0
        """Characters of the texts held."""
        self.cutting = False
        """Whether the items held were cut at their lines."""
        self.cut_yet = False
        """Whether any item was."""

    def group(self) -> JsonGroup:
        first = self.count.count + 1
        self.count.add(len(self.texts))
        made = JsonGroup(self.name, tuple(self.texts), tuple(self.lines), first, self.limits,
                         self.cutting)
        self.texts.clear()
        self.lines.clear()
        self.chars = 0
        return made

    def take(self, item: tuple[str, int], cutting: bool) -> Iterator[JsonGroup]:
        if cutting != self.cutting and self.texts:
            yield self.group()
        self.cutting = cutting
        self.cut_yet = self.cut_yet or cutting
        self.texts.append(item[0])
        self.lines.append(item[1])
        self.chars += len(item[0])
        if len(self.texts) >= JSON_ITEMS or self.chars >= GROUP_CHARS:
            yield self.group()

    def read(self, text: _JsonText, cut: bool, wrapped: bool = False) -> Iterator[JsonGroup]:
        """The groups of the list's items, from after its ``[``; with ``wrapped``, the
        list is the value of ``{"applicants": …}``, and anything after it but the ``}``
        asks for the file to be read whole (ReadWhole)."""
        name, limits = self.name, self.limits
        start_of_item = ""  # once two items are read: the line break, indentation, comma, "{"
        if text.skip_ws() == "]":
            text.pos += 1
        else:
            while True:
                if self.count.count + len(self.texts) >= limits.records:  # before the item past it is read
                    raise DataFileError(name, msg("file.too-many-records", limit=limits.records))
                piece = text.piece(start_of_item, limits.record_chars) if start_of_item else None
                if piece is not None:
                    yield from self.take(piece, cutting=True)
                    continue
                number = self.count.count + len(self.texts) + 1
                yield from self.take(text.item(name, limits, number), cutting=False)
                ended = text.pos
                following = text.skip_ws()
                if following == "]":
                    text.pos += 1
                    break
                if following != ",":
                    raise text.error(name, "Expecting ',' delimiter", text.pos)
                text.pos += 1
                if (text.skip_ws() == "{" and cut and not start_of_item
                        and self.count.count + len(self.texts) > 1):
                    gap = text.buf[ended:text.pos]
                    if "\n" in gap:
                        start_of_item = gap[gap.rfind("\n"):] + "{"
        if wrapped:
            if text.skip_ws() != "}":
                raise ReadWhole()  # more keys: the whole read says what they are
            text.pos += 1
        if text.skip_ws():
            if wrapped:
                raise ReadWhole()
            raise text.error(name, "Extra data", text.pos)
        if self.texts:
            yield self.group()


def read_json_list(path: Path, limits: Limits) -> list[RawRecord]:
    """The records of a JSON data file: the file read to its end first, as validation reads
    ahead of the groups being read, then each group read."""
    for cut in (True, False):
        items = list(json_records(path, limits, cut))
        records: list[RawRecord] = []
        for item in items:
            if not isinstance(item, JsonGroup):
                records.append(item)
                continue
            read = item.records()
            if read is None:
                break
            records.extend(read[0])
        else:
            return records
    raise AssertionError("a JSON list the scanner read does not read")


__all__ = ["JSON_ITEMS", "JsonGroup", "json_records", "read_json_list"]
