"""YAML and JSON data files: one applicant (a mapping) or a list of them.

YAML is read with the safe loader (on libyaml's parser where PyYAML has it): no tag may
build an object, numbers with a leading zero (phones, ids) stay text, and so does a value
that looks like a date or number but is none (``2025-02-30``).

Nothing is built before it is known to be bounded: a YAML file with anchors (``&name``)
has its node graph measured first, aliases and merge keys counted in full, so an alias
chain ("billion laughs") or an alias that contains itself is refused before it is
expanded; nesting deeper than the limit is refused by the parser; and each record is
measured (:func:`formgen.load.limits.check_record`) before anything turns it into text.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any, ClassVar

import yaml

from formgen.bounds import DepthLimited, Refused, TooDeep, UniqueKeys, check_graph, json_loads
from formgen.exceptions import DataFileError
from formgen.load.limits import BATCH, Limits, check_count, refuse_oversized
from formgen.load.records import RawRecord, listed
from formgen.messages import msg

WRAPPING = 2
"""Levels a file may have around its records: the list, and ``applicants:`` around it."""


def decode(name: str, data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DataFileError(name, msg("file.not-text"))


_INT = re.compile(r"^(?:[-+]?(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+)$")
"""Integers as formgen reads them: no leading zero (``0731…`` is a phone number, text)."""


def _keep_text_when_invalid(construct: Any) -> Any:
    """A constructor that gives the scalar's text when its value does not exist
    (``2025-02-30``, ``0x_``): the model then says which field is wrong."""

    def construct_or_text(loader: Any, node: yaml.ScalarNode) -> Any:
        try:
            return construct(loader, node)
        except ValueError:
            return loader.construct_scalar(node)

    return construct_or_text


def _text_rules(loader: type[Any]) -> type[Any]:
    """The safe loader's tags, with numbers that start with 0 kept as text."""
    loader.yaml_implicit_resolvers = {
        key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:int"]
        for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    loader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))
    for tag in ("int", "float", "timestamp"):
        full = f"tag:yaml.org,2002:{tag}"
        loader.add_constructor(full, _keep_text_when_invalid(yaml.SafeLoader.yaml_constructors[full]))
    return loader


@_text_rules
class SafeTextLoader(DepthLimited, UniqueKeys, yaml.SafeLoader):
    """Safe YAML that keeps numbers with a leading zero (phones, ids) as text (pure Python).

    Its composer is recursive: it stops at ``max_depth`` levels instead of running out of
    stack."""

    max_depth = BATCH.depth + WRAPPING


_TAGGED_CHARS = 64
"""Plain texts up to this long have their tag kept (:class:`_CSafeTextLoader`) …"""
_TAGGED = 20_000
"""… this many of them at most (then the kept tags are forgotten)."""

CSafeTextLoader: type[Any] | None = None
"""The same rules on libyaml's parser, several times faster; None without libyaml."""
if yaml.__with_libyaml__:

    @_text_rules
    class _CSafeTextLoader(UniqueKeys, yaml.CSafeLoader):
        """Safe YAML that keeps numbers with a leading zero as text (libyaml's parser).

        libyaml's composer asks Python for each node's tag and tells it of each level it
        enters and leaves (for path resolvers, which the safe loader has none of): the tag
        of a plain text is kept, as a file repeats its keys and many of its values, and
        the levels are not followed; together a quarter of the time of reading a list."""

        _tags: ClassVar[dict[str, str]] = {}

        def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
            if kind is yaml.ScalarNode and implicit[0] and len(value) <= _TAGGED_CHARS:
                tag = self._tags.get(value)
                if tag is None:
                    tag = super().resolve(kind, value, implicit)
                    if len(self._tags) >= _TAGGED:
                        self._tags.clear()
                    self._tags[value] = tag
                return tag
            return super().resolve(kind, value, implicit)

        def descend_resolver(self, current_node: Any, current_index: Any) -> None:
            return None

        def ascend_resolver(self) -> None:
            return None

    if _CSafeTextLoader.yaml_path_resolvers:  # pragma: no cover - PyYAML's safe loader has none
        raise RuntimeError("the YAML loader has path resolvers, which it does not follow")

    CSafeTextLoader = _CSafeTextLoader

YAML_LOADER: type[Any] = CSafeTextLoader or SafeTextLoader
"""The loader formgen reads YAML with: libyaml's when PyYAML has it."""


def parse_yaml(name: str, text: str, limits: Limits = BATCH) -> Any:
    """The document in ``text``; DataFileError when it is not YAML, uses a tag that builds
    an object, or passes ``limits`` (nesting, aliases)."""
    if not text.strip():
        raise DataFileError(name, msg("file.empty"))
    try:
        try:
            return _load(text, YAML_LOADER, limits)
        except yaml.constructor.ConstructorError:
            raise
        except TooDeep:
            raise
        except yaml.YAMLError:
            if YAML_LOADER is SafeTextLoader:
                raise
            # libyaml words its errors in its own way: a broken file is read again by
            # the pure-Python parser, so the message (and what is accepted) is as ever.
            return _load(text, SafeTextLoader, limits)
    except TooDeep as e:
        raise DataFileError(name, msg("file.too-deep", limit=limits.depth)) from e
    except Refused as e:
        raise DataFileError(name, e.message) from e
    except yaml.constructor.ConstructorError as e:
        raise DataFileError(name, msg("file.yaml-tag", detail=str(e.problem))) from e
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        detail = str(getattr(e, "problem", e))
        if mark:
            raise DataFileError(
                name, msg("file.not-yaml-at-line", line=str(mark.line + 1), detail=detail)
            ) from e
        raise DataFileError(name, msg("file.not-yaml", detail=detail)) from e


def _may_have_anchors(text: str) -> bool:
    """Whether ``text`` has an anchor (``&name`` after a space, a line break or ``[{,:``),
    or something that may be one: without anchors there are no aliases. An ``&`` inside a
    word (R&D) is passed over."""
    at = text.find("&")
    while at != -1:
        if (at == 0 or text[at - 1] in " \t\r\n[{,:") and text[at + 1 : at + 2] not in _NOT_A_NAME:
            return True
        at = text.find("&", at + 1)
    return False


_NOT_A_NAME = ("", " ", "\t", "\r", "\n", "[", "]", "{", "}", ",")


def _load(text: str, loader_class: type[Any], limits: Limits) -> Any:
    """``yaml.load`` in its steps, with the node graph measured before anything is built
    when the text may have anchors."""
    loader = loader_class(text)
    loader.max_depth = limits.depth + WRAPPING
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _may_have_anchors(text):
            check_graph(node, limits.depth + WRAPPING, limits.yaml_nodes, limits.text_chars)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def parse_json(name: str, text: str, limits: Limits = BATCH) -> Any:
    """The value in ``text``; DataFileError when it is not JSON, nests too deep to read or
    gives a key twice in an object."""
    if not text.strip():
        raise DataFileError(name, msg("file.empty"))
    try:
        return json_loads(text)
    except json.JSONDecodeError as e:
        raise DataFileError(name, msg("file.not-json", line=str(e.lineno), detail=e.msg)) from e
    except (RecursionError, ValueError) as e:
        raise json_refused(name, e, limits) from e
    except Refused as e:  # a key given twice
        raise DataFileError(name, e.message) from e


def json_refused(name: str, error: RecursionError | ValueError, limits: Limits) -> DataFileError:
    """The refusal of a JSON text that is JSON but that Python cannot build: one nested
    too deep for it, or with an integer of more digits than it converts (a ValueError)."""
    if isinstance(error, RecursionError):
        return DataFileError(name, msg("file.too-deep", limit=limits.depth))
    return DataFileError(name, msg("file.json-number-too-long", limit=sys.get_int_max_str_digits()))


def from_documents(path: Path, doc: Any, limits: Limits = BATCH) -> list[RawRecord]:
    """The records of a document: one mapping, a list of them, or ``applicants:`` with the
    list. A record that passes ``limits`` is refused on its own (the others are read)."""
    if doc is None:
        raise DataFileError(str(path), msg("file.empty"))
    if isinstance(doc, dict) and isinstance(doc.get("applicants"), list):
        doc = doc["applicants"]
    if isinstance(doc, dict):
        doc = [doc]
    elif not isinstance(doc, list):
        raise DataFileError(str(path), msg("file.not-applicants"))
    check_count(str(path), len(doc), limits)
    out = [listed(str(path), number, item) for number, item in enumerate(doc, start=1)]
    refuse_oversized(out, limits)
    return out
