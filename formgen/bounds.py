"""Bounds on what formgen reads, shared by every reader: a read of a regular file that stops
at its limit, and YAML whose nesting, aliases and keys are checked before anything is built.

The data files add their own limits (:mod:`formgen.load.limits`); the manifest and the
reference data it names are read here (:func:`load_settings_file`), the templates through
:func:`formgen.docxzip.read_template`. Every refusal is a :class:`Refused` whose message
says what passed which limit.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

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


class Refused(Exception):
    """An input passes one of its bounds; ``message`` says which."""

    def __init__(self, message: Message):
        super().__init__(message)
        self.message = message


class TooDeep(yaml.YAMLError):
    """The document nests deeper than the loader's ``max_depth``."""


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


def check_graph(root: yaml.Node, depth_limit: int, alias_values: int) -> None:
    """Refused or TooDeep when the document, its aliases expanded, nests deeper than
    ``depth_limit`` levels, lets its aliases add more than ``alias_values`` values, or has
    an alias inside what it names. Each node is visited once, so the work is that of the
    text however far its aliases would expand."""
    expanded: dict[int, int] = {}  # id(node) → nodes below it, itself included, expanded
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
    added = expanded[id(root)] - len(expanded)
    if added > alias_values:
        raise Refused(msg("file.too-many-alias-values", limit=alias_values))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


class SettingsLoader(DepthLimited, yaml.SafeLoader):
    """Safe YAML, bounded: what the manifest and its reference data are read with."""


def load_yaml(text: str, depth: int, alias_values: int) -> Any:
    """The document in ``text`` by the safe loader's rules; Refused when it nests deeper
    than ``depth`` levels (the document is level 1, a plain value one more), lets its
    aliases add more than ``alias_values`` values or has an alias in what it names;
    yaml.YAMLError when it is not YAML."""
    loader = SettingsLoader(text)
    loader.max_depth = depth
    try:
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            check_graph(node, depth, alias_values)
        except TooDeep as e:
            raise Refused(msg("file.too-deep", limit=depth)) from e
        return loader.construct_document(node)
    finally:
        loader.dispose()


def load_settings_file(path: Path) -> Any:
    """:func:`load_yaml` on the regular file at ``path`` (the manifest, the reference data)
    within SETTINGS_BYTES, SETTINGS_DEPTH and SETTINGS_ALIAS_VALUES, in UTF-8. Refused past
    a bound; OSError, UnicodeDecodeError or yaml.YAMLError when it cannot be read."""
    text = read_regular(path, SETTINGS_BYTES).decode("utf-8")
    return load_yaml(text, SETTINGS_DEPTH, SETTINGS_ALIAS_VALUES)
