"""Data files read a record at a time, so that memory does not grow with the number of
applicants: a YAML list (alone, or under ``applicants:``) in groups of items cut at the
lines that start them, read where they are examined; and what JSON lists
(:mod:`formgen.load.jsonstream`) share with them: the text read in pieces, the records
counted as they come, a record's size bounded before it is parsed.

Each yields the records :func:`formgen.load.text.from_documents` gives for the whole file,
in order, with the same refusals: what the file as a whole is checked for (its encoding,
the number of records) is checked as it is read, and a file read this way in a form it
does not expect (a mapping with more than the list, YAML anchors used across records, a
document marker) is read whole instead. A file refused part way (DataFileError) has had
some records yielded: the caller drops them (:func:`formgen.validate.validate_sources`).
"""

from __future__ import annotations

import codecs
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

import formgen.load.text as yaml_text
from formgen.bounds import Expansion, check_graph
from formgen.exceptions import DataFileError
from formgen.load import yamlblock
from formgen.load.limits import Limits, check_size, refuse_oversized, too_large
from formgen.load.records import RawRecord, listed
from formgen.load.text import WRAPPING, decode, from_documents, parse_yaml
from formgen.messages import msg

CHUNK = 1 << 20
"""Characters read at a time."""
YAML_ITEMS = 200
"""Records of a YAML list parsed at a time …"""
GROUP_CHARS = 4 << 20
"""… unless their text passes this many characters first (a group is cut before the item
that passes it)."""


def read_chunks(path: Path, limits: Limits) -> Iterator[str]:
    """The text of the data file at ``path`` a piece at a time: DataFileError, before any
    piece is given, when it is no regular file, passes the size limit or is neither UTF-8
    nor GB18030 (a first pass decodes it without keeping the text)."""
    check_size(path, limits)
    encoding = None
    for candidate in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(candidate)()
        try:
            for block in _blocks(path, limits):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        encoding = candidate
        break
    if encoding is None:
        raise DataFileError(str(path), msg("file.not-text"))
    return _decoded(path, limits, encoding)


def _blocks(path: Path, limits: Limits) -> Iterator[bytes]:
    read = 0
    with path.open("rb") as f:
        while block := f.read(CHUNK):
            read += len(block)
            if read > limits.file_bytes:  # it grew since it was measured
                raise DataFileError(str(path), too_large(read, limits))
            yield block


def _decoded(path: Path, limits: Limits, encoding: str) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder(encoding)()
    for block in _blocks(path, limits):
        if text := decoder.decode(block):
            yield text
    if text := decoder.decode(b"", final=True):
        yield text


def whole_text(path: Path, limits: Limits) -> str:
    """The file's text read whole, as the classic reader reads it."""
    with path.open("rb") as f:
        data = f.read(limits.file_bytes + 1)
    if len(data) > limits.file_bytes:
        raise DataFileError(str(path), too_large(len(data), limits))
    return decode(str(path), data)


class Count:
    """Records numbered as they come; DataFileError past the file's limit, before the
    record past it is read further."""

    def __init__(self, name: str, limits: Limits):
        self.name, self.limits, self.count = name, limits, 0

    def add(self, records: int) -> None:
        self.count += records
        if self.count > self.limits.records:
            raise DataFileError(self.name, msg("file.too-many-records", limit=self.limits.records))

    def finish(self) -> None:
        if not self.count:
            raise DataFileError(self.name, msg("file.no-applicants"))


# ----------------------------------------------------------------------------- YAML

_ITEM = r"-(?:[ \t]|$)"
"""A line that starts an item of a top-level list."""
_ITEM_LINE = re.compile("( *)" + _ITEM)
"""A line that starts an item of a list, at some indentation."""
_WRAPPER = re.compile(r"applicants:[ \t]*(?:#[^\r]*)?\r?$")
"""The line of a mapping that holds the list (``applicants:``, its items below it)."""
_WAIT, _WHOLE = "wait", "whole"
_MARKER = re.compile(r"\n(?:---|\.\.\.|%)")


def has_marker(text: str) -> bool:
    """Whether a line of ``text`` has a document marker or a directive (the file is then
    read whole)."""
    return _MARKER.search(text) is not None or text.startswith(("---", "...", "%"))


class _ItemLines:
    """Finds the lines that start an item of the list (at the list's indentation)."""

    def __init__(self, indent: int):
        line = " " * indent + _ITEM
        self.at_start = re.compile(line, re.M)
        # (searched for many times faster than a pattern that starts with "^")
        self.after_break = re.compile("\n" + line, re.M)

    def starts(self, text: str, start: int = 0) -> list[int]:
        """Where the lines that start an item begin in ``text``, from ``start`` (where a
        line begins) on."""
        found = [m.start() + 1 for m in self.after_break.finditer(text, start - 1 if start else 0)]
        if not start and self.at_start.match(text):
            found.insert(0, 0)
        return found


@dataclass(frozen=True)
class Group:
    """Some items of a YAML list, cut at their top-level lines, to be read as a list of
    their own (by :meth:`records`, in a worker process perhaps)."""

    file: str
    text: str
    first: int
    """The number of its first record in the file."""
    count: int
    """Its items: the lines that start one."""
    limits: Limits
    indent: int = 0
    """The indentation of its items' lines (a list under ``applicants:`` may have one)."""

    def value_texts(self) -> tuple[str, ...] | None:
        """Texts whose characters, with printable ASCII, make every text of the records;
        None when a text may hold others (YAML's escapes and tags, such as ``!!binary``)."""
        if "\\" in self.text or "!" in self.text:
            return None
        return (self.text,)

    def records(self) -> tuple[list[RawRecord], Expansion] | None:
        """The records, and what the aliases added; None when the text does not read
        on its own as a list of ``count`` items (the file is then to be read whole)."""
        parsed = _group(self.text, self.limits, self.limits.yaml_nodes, self.indent)
        if parsed is None or len(parsed[0]) != self.count:
            return None
        items, added = parsed
        out = [listed(self.file, number, item) for number, item in enumerate(items, start=self.first)]
        refuse_oversized(out, self.limits)
        return out, added


def yaml_records(path: Path, limits: Limits) -> Iterator[RawRecord | Group]:
    """The records of a YAML data file: a top-level list, or the list under
    ``applicants:``, as groups of items (:class:`Group`, each read on its own), anything
    else read whole (:func:`formgen.load.text.parse_yaml`). A group that does not read on
    its own (an alias of another group's anchor, a quoted text across a line that starts
    with ``- ``, a key after the list under ``applicants:``) asks for the file to be read
    whole."""
    name = str(path)
    count = Count(name, limits)
    pending = ""
    started = False
    item_lines = _ItemLines(0)
    indent = 0
    known: list[int] = []  # where the items found in ``pending`` start …
    scanned = 0  # … which is searched for them up to here

    def group(text: str, items: int) -> Group:
        first = count.count + 1
        count.add(items)
        return Group(name, text, first, items, limits, indent)

    for piece in line_pieces(read_chunks(path, limits)):
        pending += piece
        if not started:
            head = _list_start(pending)
            if head is None:  # only blank lines and comments so far: not kept
                pending = ""
                continue
            if head == _WAIT:
                continue
            if head == _WHOLE:
                yield from _read_whole(path, limits)
                return
            assert isinstance(head, tuple)
            at, indent = head
            pending = pending[at:]
            if indent:
                item_lines = _ItemLines(indent)
            started = True
        starts = known + item_lines.starts(pending, scanned)
        begin = items = 0
        last = -1
        for at in starts:
            if items and at - last > limits.record_chars:  # the item before this one
                raise too_long(name, count.count + items, limits)
            if items and (items >= YAML_ITEMS or at - begin >= GROUP_CHARS):
                yield group(pending[begin:at], items)  # a group ends where another item starts
                begin, items = at, 0
            items += 1
            last = at
        if len(pending) - last > limits.record_chars:  # the last item, as far as it is read
            raise too_long(name, count.count + items, limits)
        pending = pending[begin:]
        known = [at - begin for at in starts if at >= begin]
        scanned = len(pending)
    if not started:
        yield from _read_whole(path, limits)
        return
    yield group(pending, len(known))
    count.finish()


def too_long(name: str, number: int, limits: Limits) -> DataFileError:
    """The refusal of a file whose record ``number`` is longer than a record may be."""
    return DataFileError(name, msg("file.record-too-long", number=number, limit=limits.record_chars))


def line_pieces(chunks: Iterator[str]) -> Iterator[str]:
    """The text in pieces that end at a line break (the last perhaps not)."""
    rest = ""
    for chunk in chunks:
        chunk = rest + chunk
        cut = chunk.rfind("\n") + 1
        rest = chunk[cut:]
        if cut:
            yield chunk[:cut]
    if rest:
        yield rest


def _list_start(text: str) -> tuple[int, int] | str | None:
    """Where the list starts in the text and the indentation of its items' lines, when its
    first line of content starts a top-level list (``- `` at the start of a line) or is
    ``applicants:`` with an item of the list its next line of content (at any indentation);
    _WHOLE when the file is anything else; None when it has no line of content yet (only
    blank lines and comments), _WAIT when it has only ``applicants:``."""
    at = 0
    wrapped = False
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            if not wrapped and _WRAPPER.match(line):
                wrapped = True
            else:
                item = _ITEM_LINE.match(line)
                if item is None or (item.group(1) and not wrapped):
                    return _WHOLE
                return at, len(item.group(1))
        at += len(line) + 1
    return _WAIT if wrapped else None


def _group(text: str, limits: Limits, budget: int, indent: int = 0) -> tuple[list[Any], Expansion] | None:
    """The items of a part of the list (its items' lines at ``indent``) and what its
    aliases add (values, at most ``budget``, and characters of text); None when the part
    does not read on its own as a list. Plain block YAML is read line by line
    (:mod:`formgen.load.yamlblock`), the rest by the loader: without anchors, only the
    items that are not plain (:func:`_items_apart`)."""
    if has_marker(text):
        return None
    plain = yamlblock.read_list(text, limits.depth + WRAPPING, indent)
    if plain is not None:
        return plain, Expansion()
    anchors = yaml_text._may_have_anchors(text)
    if not anchors:
        apart = _items_apart(text, limits, indent)
        if apart is not None:
            return apart, Expansion()
    return _loaded(text, limits, budget, anchors)


APART_LOADED = 8
"""Items of a group read by the loader one at a time before it may read the group instead:
when more of them need it than half of those read so far."""


def _items_apart(text: str, limits: Limits, indent: int) -> list[Any] | None:
    """The items of a part of the list without anchors, each read on its own: line by line
    where it can be, else by the loader (a text over lines in single quotes, a block text,
    a tab …), so that one such item does not have the whole part read by the loader; None
    when most items need the loader (past :data:`APART_LOADED`), or one does not read on
    its own (the items are then read together). Items without anchors share nothing, so
    each reads alone as it reads among the others."""
    starts = _ItemLines(indent).starts(text)
    if len(starts) < 2:
        return None
    bounds = [0, *starts[1:], len(text)]  # (what comes before the first item goes with it)
    items: list[Any] = []
    loaded = 0
    for seen, (start, end) in enumerate(itertools.pairwise(bounds), start=1):
        piece = text[start:end]
        read = yamlblock.read_list(piece, limits.depth + WRAPPING, indent)
        if read is None:
            loaded += 1
            most = loaded > APART_LOADED and loaded * 2 > seen
            parsed = None if most else _loaded(piece, limits, 0, anchors=False)
            if parsed is None:
                return None
            read = parsed[0]
        items.extend(read)
    return items


def _loaded(text: str, limits: Limits, budget: int, anchors: bool) -> tuple[list[Any], Expansion] | None:
    """The items of a part of the list as the loader reads them (:func:`_group`; ``anchors``:
    whether the text may have anchors)."""
    loader = yaml_text.YAML_LOADER(text)
    loader.max_depth = limits.depth + WRAPPING
    added = Expansion()
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if anchors:
            added = check_graph(node, limits.depth + WRAPPING, budget, limits.text_chars)
            items = loader.construct_document(node)
        else:
            try:
                items = _plain(loader, node, 0)
            except _Unusual:
                items = loader.construct_document(node)
    except Exception:  # noqa: BLE001 - whatever it is, the whole file says it as ever
        return None
    finally:
        loader.dispose()
    return (items, added) if isinstance(items, list) else None


class _Unusual(Exception):
    """A node :func:`_plain` leaves to the loader's constructor."""


_STR, _SEQ, _MAP = ("tag:yaml.org,2002:" + t for t in ("str", "seq", "map"))
_SCALARS = {"tag:yaml.org,2002:" + t for t in ("int", "float", "bool", "null", "timestamp")}


def _plain(loader: Any, node: yaml.Node, depth: int) -> Any:
    """What the loader's constructor builds of ``node``, for plain data (texts, numbers,
    days, lists, mappings without merges, anchors or a key given twice), built directly:
    the constructor's general machinery took half the time of reading a list. _Unusual for
    anything else, which the constructor then builds (or refuses) itself."""
    tag = node.tag
    kind = type(node)
    if kind is yaml.ScalarNode:
        if tag == _STR:
            return node.value
        if tag in _SCALARS:
            return loader.yaml_constructors[tag](loader, node)
    elif depth < 64 and kind is yaml.SequenceNode and tag == _SEQ:
        return [child.value if type(child) is yaml.ScalarNode and child.tag == _STR
                else _plain(loader, child, depth + 1) for child in node.value]
    elif depth < 64 and kind is yaml.MappingNode and tag == _MAP:
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            # a text is taken here, without a call (most keys and values are texts)
            if type(key_node) is yaml.ScalarNode and key_node.tag == _STR:
                key = key_node.value
            else:
                key = _plain(loader, key_node, depth + 1)
            if type(key) not in (str, int, float, bool) or key in out:  # or given twice
                raise _Unusual()
            if type(value_node) is yaml.ScalarNode and value_node.tag == _STR:
                out[key] = value_node.value
            else:
                out[key] = _plain(loader, value_node, depth + 1)
        return out
    raise _Unusual()


def _read_whole(path: Path, limits: Limits) -> Iterator[RawRecord]:
    """The records of the file read whole."""
    yield from from_documents(path, parse_yaml(str(path), whole_text(path, limits), limits), limits)


__all__ = ["Count", "Group", "read_chunks", "too_long", "whole_text", "yaml_records"]
