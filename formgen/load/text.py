"""YAML and JSON data files: one applicant (a mapping) or a list of them.

YAML is read with the safe loader (on libyaml's parser where PyYAML has it): no tag may
build an object, numbers with a leading zero (phones, ids) stay text, and so does a value
that looks like a date or number but is none (``2025-02-30``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from formgen.exceptions import DataFileError
from formgen.load.records import RawRecord
from formgen.messages import msg


def decode(name: str, data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DataFileError(name, msg("file.not-text"))


def read_yaml(path: Path) -> Any:
    return parse_yaml(str(path), decode(str(path), path.read_bytes()))


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
class SafeTextLoader(yaml.SafeLoader):
    """Safe YAML that keeps numbers with a leading zero (phones, ids) as text (pure Python)."""


CSafeTextLoader: type[Any] | None = None
"""The same rules on libyaml's parser, several times faster; None without libyaml."""
if yaml.__with_libyaml__:

    @_text_rules
    class _CSafeTextLoader(yaml.CSafeLoader):
        """Safe YAML that keeps numbers with a leading zero as text (libyaml's parser)."""

    CSafeTextLoader = _CSafeTextLoader

YAML_LOADER: type[Any] = CSafeTextLoader or SafeTextLoader
"""The loader formgen reads YAML with: libyaml's when PyYAML has it."""


def parse_yaml(name: str, text: str) -> Any:
    if not text.strip():
        raise DataFileError(name, msg("file.empty"))
    try:
        try:
            return yaml.load(text, Loader=YAML_LOADER)  # noqa: S506 - safe loaders only
        except yaml.constructor.ConstructorError:
            raise
        except yaml.YAMLError:
            if YAML_LOADER is SafeTextLoader:
                raise
            # libyaml words its errors in its own way: a broken file is read again by
            # the pure-Python parser, so the message (and what is accepted) is as ever.
            return yaml.load(text, Loader=SafeTextLoader)  # noqa: S506 - a safe loader
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


def read_json(path: Path) -> Any:
    return parse_json(str(path), decode(str(path), path.read_bytes()))


def parse_json(name: str, text: str) -> Any:
    if not text.strip():
        raise DataFileError(name, msg("file.empty"))
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise DataFileError(name, msg("file.not-json", line=str(e.lineno), detail=e.msg)) from e


def from_documents(path: Path, doc: Any) -> list[RawRecord]:
    if doc is None:
        raise DataFileError(str(path), msg("file.empty"))
    if isinstance(doc, dict) and isinstance(doc.get("applicants"), list):
        doc = doc["applicants"]
    if isinstance(doc, dict):
        return [RawRecord(str(path), msg("place.record", number="1"), doc)]
    if isinstance(doc, list):
        if not doc:
            raise DataFileError(str(path), msg("file.no-applicants"))
        out = []
        for i, item in enumerate(doc, start=1):
            if not isinstance(item, dict):
                item = {"__not_a_mapping__": item}
            out.append(RawRecord(str(path), msg("place.record", number=str(i)), item))
        return out
    raise DataFileError(str(path), msg("file.not-applicants"))
