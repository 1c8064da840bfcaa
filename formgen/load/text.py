"""YAML and JSON data files: one applicant (a mapping) or a list of them.

YAML is read with the safe loader: no tag may build an object, and numbers with a leading
zero (phones, ids) stay text.
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


class _Loader(yaml.SafeLoader):
    """Safe YAML that keeps numbers with a leading zero (phones, ids) as text."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:int"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)


def parse_yaml(name: str, text: str) -> Any:
    if not text.strip():
        raise DataFileError(name, msg("file.empty"))
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
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
