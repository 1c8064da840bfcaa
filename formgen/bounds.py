"""Bounds on what formgen reads, shared by every reader: a read of a regular file that stops
at its limit, and YAML whose nesting, aliases and keys are checked before anything is built.

The data files add their own limits (:mod:`formgen.load.limits`); the manifest and the
reference data it names are read here (:func:`load_settings_file`), the templates through
:func:`formgen.docxzip.read_template`. Every refusal is a :class:`Refused` whose message
says what passed which limit.
"""

from __future__ import annotations

import json
import os
import re
import stat
from json.decoder import scanstring  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from formgen.messages import Message, msg

MB = 1024 * 1024

SETTINGS_BYTES = 4 * MB
"""Size of the manifest and of the reference data it names (formgen's are under 20 KB)."""
SETTINGS_DEPTH = 16
"""Levels of nesting in the manifest and the reference data (the file is level 1, a plain
value one more; formgen's nest 7 levels), as in a data file's record."""
SETTINGS_ALIAS_VALUES = 100_000
"""Values the YAML aliases of the manifest or the reference data may add."""
SETTINGS_ALIAS_CHARS = SETTINGS_BYTES
"""Characters of text the YAML aliases of the manifest or the reference data may add."""


class Refused(Exception):
    """An input passes one of its bounds; ``message`` says which."""

    def __init__(self, message: Message):
        super().__init__(message)
        self.message = message


class TooDeep(yaml.YAMLError):
    """The document nests deeper than the loader's ``max_depth``."""


class DuplicateKey(Refused):
    """A mapping gives the same key twice (lines counted from 1)."""

    def __init__(self, key: str, first: int | str, second: int | str):
        super().__init__(msg("input.duplicate-key", key=key, first=str(first),
                             second=str(second)))


# ----------------------------------------------------------------------------- files


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of the regular file at ``path``; Refused when it is a device, a pipe or a
    socket (``/dev/zero`` never ends) or holds more than ``limit`` bytes, without reading
    more than ``limit`` + 1 bytes. OSError when it cannot be opened."""
    # O_NONBLOCK: opening a pipe with no writer returns at once instead of waiting.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise Refused(msg("input.not-regular"))
        if info.st_size > limit:
            raise Refused(too_large(info.st_size, limit))
        data = f.read(limit + 1)
    if len(data) > limit:  # it grew while it was read
        raise Refused(too_large(len(data), limit))
    return data


def too_large(size: int, limit: int) -> Message:
    return msg("input.too-large", megabytes=round(size / MB, 1), limit=limit // MB)


# ----------------------------------------------------------------------------- YAML


class DepthLimited:
    """A pure-Python composer (PyYAML's is recursive) that stops at ``max_depth`` levels
    instead of running out of stack."""

    max_depth = 18
    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > self.max_depth:
                raise TooDeep()
            return super().compose_node(parent, index)  # type: ignore[misc]
        finally:
            self._depth -= 1


_MERGE = "tag:yaml.org,2002:merge"


class UniqueKeys:
    """A constructor that refuses a mapping giving a key twice (DuplicateKey, naming the key
    and both lines) instead of keeping the last; keys a merge (``<<: *base``) brings in may
    be given again, as YAML means them to be."""

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        pairs = node.value if isinstance(node, yaml.MappingNode) else []
        count = len(pairs)
        mapping = super().construct_mapping(node, deep=deep)  # type: ignore[misc]
        # PyYAML takes the merge keys out of this list in place (and gives the node a new
        # one with the merged pairs first): what is left are the mapping's own pairs. Fewer
        # keys than pairs, or a merge, and the keys are looked at one by one.
        if len(mapping) < count or node.value is not pairs:
            check_unique(self, [key for key, _ in pairs])
        return mapping


def check_unique(constructor: Any, keys: list[yaml.Node]) -> None:
    """DuplicateKey when two of the key nodes ``keys`` of one mapping give the same key."""
    seen: dict[Any, yaml.Node] = {}
    for node in keys:
        key = constructor.construct_object(node)  # built already: the constructor keeps it
        try:
            first = seen.setdefault(key, node)
        except TypeError:  # an unhashable key, which the constructor refuses itself
            continue
        if first is not node:
            raise DuplicateKey(shown_key(key), first.start_mark.line + 1, node.start_mark.line + 1)


def shown_key(key: Any) -> str:
    return key if isinstance(key, str) else repr(key)


class Expansion(NamedTuple):
    """What the aliases of a YAML text add once expanded: values, and characters of text
    (each text counted at every alias that names it, as a shared string of a workbook is
    counted at every cell)."""

    values: int = 0
    chars: int = 0

    def plus(self, other: Expansion) -> Expansion:
        return Expansion(self.values + other.values, self.chars + other.chars)


def check_graph(root: yaml.Node, depth_limit: int, alias_values: int, alias_chars: int) -> Expansion:
    """What the aliases of the document add; Refused or TooDeep when the document, its
    aliases expanded, nests deeper than ``depth_limit`` levels, lets its aliases add more
    than ``alias_values`` values or ``alias_chars`` characters of text, or has an alias
    inside what it names. Each node is visited once, so the work is that of the text
    however far its aliases would expand."""
    expanded: dict[int, int] = {}  # id(node) → nodes below it, itself included, expanded
    chars: dict[int, int] = {}  # id(node) → characters of the texts below it, expanded
    own_chars = 0  # characters of the texts as written, each once
    depth: dict[int, int] = {}
    entered: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        children = _children(node)
        if finished:
            entered.discard(key)
            expanded[key] = 1 + sum(expanded[id(c)] for c in children)
            if isinstance(node, yaml.ScalarNode):
                chars[key] = len(node.value)
                own_chars += chars[key]
            else:
                chars[key] = sum(chars[id(c)] for c in children)
            depth[key] = 1 + max((depth[id(c)] for c in children), default=0)
            if depth[key] > depth_limit:
                raise TooDeep()
            continue
        if key in expanded:
            continue
        if key in entered:  # an alias to a node that contains it
            raise Refused(msg("file.alias-loop"))
        entered.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in expanded)
    added = Expansion(expanded[id(root)] - len(expanded), chars[id(root)] - own_chars)
    if added.values > alias_values:
        raise Refused(msg("file.too-many-alias-values", limit=alias_values))
    if added.chars > alias_chars:
        raise Refused(msg("file.too-much-alias-text", limit=alias_chars))
    return added


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


class SettingsLoader(DepthLimited, UniqueKeys, yaml.SafeLoader):
    """Safe YAML, bounded: what the manifest and its reference data are read with."""


def load_yaml(text: str, depth: int, alias_values: int, alias_chars: int) -> Any:
    """The document in ``text`` by the safe loader's rules; Refused when it nests deeper
    than ``depth`` levels (the document is level 1, a plain value one more), lets its
    aliases add more than ``alias_values`` values or ``alias_chars`` characters, has an
    alias in what it names or gives a key twice in a mapping (DuplicateKey);
    yaml.YAMLError when it is not YAML."""
    loader = SettingsLoader(text)
    loader.max_depth = depth
    try:
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            check_graph(node, depth, alias_values, alias_chars)
        except TooDeep as e:
            raise Refused(msg("file.too-deep", limit=depth)) from e
        return loader.construct_document(node)
    finally:
        loader.dispose()


def load_settings_file(path: Path) -> Any:
    """:func:`load_yaml` on the regular file at ``path`` (the manifest, the reference data)
    within SETTINGS_BYTES, SETTINGS_DEPTH, SETTINGS_ALIAS_VALUES and SETTINGS_ALIAS_CHARS,
    in UTF-8. Refused past a bound; OSError, UnicodeDecodeError or yaml.YAMLError when it
    cannot be read."""
    text = read_regular(path, SETTINGS_BYTES).decode("utf-8")
    return load_yaml(text, SETTINGS_DEPTH, SETTINGS_ALIAS_VALUES, SETTINGS_ALIAS_CHARS)


# ----------------------------------------------------------------------------- JSON


class KeyTwice(Exception):
    """An object gives ``key`` twice (raised while JSON is read, to be placed)."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's pairs as a dict; KeyTwice when a key comes twice."""
    mapping = dict(pairs)
    if len(mapping) < len(pairs):
        seen: set[str] = set()
        raise KeyTwice(next(k for k, _ in pairs if k in seen or seen.add(k)))  # type: ignore[func-returns-value]
    return mapping


def json_loads(text: str, first_line: int = 1) -> Any:
    """``json.loads(text)``, refusing an object that gives a key twice (DuplicateKey naming
    the key and both lines, counted from ``first_line``) instead of keeping the last."""
    try:
        return json.loads(text, object_pairs_hook=unique_pairs)
    except KeyTwice as e:
        raise duplicate_json_key(text, e.key, first_line) from None


_STRUCTURE = re.compile(r'["{}\[\],:]')


def duplicate_json_key(text: str, key: str, first_line: int = 1) -> DuplicateKey:
    """Where in the JSON ``text`` an object first gives a key twice (``key`` when it cannot
    be found): one pass over its strings and brackets, made only once a key is known to be
    given twice."""
    objects: list[dict[str, int] | None] = []  # the keys of each open object; None: a list
    wants_key = False
    found = _STRUCTURE.search(text)
    while found:
        at, char = found.start(), found.group()
        if char == '"':
            value, end = scanstring(text, at + 1)
            if wants_key and objects and (keys := objects[-1]) is not None:
                first = keys.setdefault(value, at)
                if first != at:
                    line = first_line + text.count("\n", 0, first)
                    return DuplicateKey(value, line, line + text.count("\n", first, at))
                wants_key = False
            found = _STRUCTURE.search(text, end)
            continue
        if char == "{":
            objects.append({})
            wants_key = True
        elif char == "[":
            objects.append(None)
        elif char in "]}":
            if objects:
                objects.pop()
            wants_key = False
        elif char == ",":
            wants_key = bool(objects) and objects[-1] is not None
        else:
            wants_key = False
        found = _STRUCTURE.search(text, at + 1)
    return DuplicateKey(key, "?", "?")
