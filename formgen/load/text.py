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


def decode(name: str, data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DataFileError(name, "is not text in UTF-8 or GB18030")


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
        raise DataFileError(name, "is empty")
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.constructor.ConstructorError as e:
        raise DataFileError(
            name, f"uses a YAML tag that is not allowed ({e.problem}); write plain values"
        ) from e
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise DataFileError(name, f"is not valid YAML{where}: {getattr(e, 'problem', e)}") from e


def read_json(path: Path) -> Any:
    return parse_json(str(path), decode(str(path), path.read_bytes()))


def parse_json(name: str, text: str) -> Any:
    if not text.strip():
        raise DataFileError(name, "is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise DataFileError(name, f"is not valid JSON at line {e.lineno}: {e.msg}") from e


def from_documents(path: Path, doc: Any) -> list[RawRecord]:
    if doc is None:
        raise DataFileError(str(path), "is empty")
    if isinstance(doc, dict) and isinstance(doc.get("applicants"), list):
        doc = doc["applicants"]
    if isinstance(doc, dict):
        return [RawRecord(str(path), "record 1", doc)]
    if isinstance(doc, list):
        if not doc:
            raise DataFileError(str(path), "holds no applicants")
        out = []
        for i, item in enumerate(doc, start=1):
            if not isinstance(item, dict):
                item = {"__not_a_mapping__": item}
            out.append(RawRecord(str(path), f"record {i}", item))
        return out
    raise DataFileError(str(path), "must hold one applicant (a mapping) or a list of them")
