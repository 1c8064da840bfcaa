"""The forms of one person joined into one record.

Forms belong to the same person when they carry the same application id; a form without
one joins the person with the same name and email, or (a CPD record names only its
applicant) the one person of that name. A field two forms give different values is
ambiguous: the first form's value is kept and the conflict reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from formgen.extract.fields import Parsed
from formgen.extract.read import FileReport
from formgen.extract.values import clean

_INDEX = re.compile(r"^(\w+)\[(\d+)\]$")


@dataclass
class Person:
    """The forms of one applicant and the record they make."""

    reports: list[FileReport] = field(default_factory=list)
    values: dict[str, Parsed] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    """Path → the file its value came from."""
    conflicts: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)
    """(path, [(file, value)…]) where forms disagree."""

    def key(self, path: str) -> str:
        value = self.values.get(path)
        return clean(str(value.value)).casefold() if value is not None and value.value else ""

    @property
    def files(self) -> list[str]:
        return [r.file for r in self.reports]


def _key(report: FileReport, path: str) -> str:
    for p in report.read:
        if p.path == path and not p.weak and p.value:
            return clean(str(p.value)).casefold()
    return ""


def _names(report: FileReport) -> set[str]:
    return {clean(str(p.value)).casefold() for p in report.read
            if p.path in ("name.zh", "name.en") and p.value}


def group(reports: list[FileReport]) -> list[Person]:
    """People in the order their first form came."""
    people: list[Person] = []
    for report in reports:
        if not report.read:
            continue
        form_id, email, names = _key(report, "id"), _key(report, "email"), _names(report)
        match = None
        if form_id:
            match = next((p for p in people if p.key("id") == form_id), None)
        if match is None and names and email:
            match = next((p for p in people if p.key("email") == email and names & _person_names(p)), None)
        if match is None and names and not email and not form_id:
            same = [p for p in people if names & _person_names(p)]
            match = same[0] if len(same) == 1 else None
        if match is None:
            match = Person()
            people.append(match)
        _add(match, report)
    return people


def _person_names(person: Person) -> set[str]:
    return {person.key("name.zh"), person.key("name.en")} - {""}


def _add(person: Person, report: FileReport) -> None:
    person.reports.append(report)
    for value in report.read:
        had = person.values.get(value.path)
        if had is None or (had.weak and not value.weak):
            person.values[value.path] = value
            person.sources[value.path] = report.file
        elif not value.weak and not had.weak and _norm(had.value) != _norm(value.value):
            entry = next((c for c in person.conflicts if c[0] == value.path), None)
            if entry is None:
                entry = (value.path, [(person.sources[value.path], str(had.value))])
                person.conflicts.append(entry)
            entry[1].append((report.file, str(value.value)))


def _norm(value: Any) -> Any:
    return clean(value).casefold() if isinstance(value, str) else value


def record(person: Person, defaults: dict[str, str]) -> dict[str, Any]:
    """The person's record in the data contract's shape; ``defaults`` fill fields no
    form gave (``unit``, ``grade`` …)."""
    data: dict[str, Any] = {}
    for path, parsed in sorted(person.values.items(), key=lambda kv: _order(kv[0])):
        _set(data, path, parsed.value)
    for path, value in defaults.items():
        if path not in person.values and not _has(data, path):
            _set(data, path, value)
    for group_name in ("education", "career", "cpd"):
        rows = data.get(group_name)
        if isinstance(rows, dict):
            data[group_name] = [rows[i] for i in sorted(rows)]
    return data


def _order(path: str) -> tuple[Any, ...]:
    parts = []
    for part in path.split("."):
        m = _INDEX.match(part)
        parts.append((m[1], int(m[2])) if m else (part, 0))
    return tuple(parts)


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    node: dict[Any, Any] = data
    parts = path.split(".")
    for part in parts[:-1]:
        m = _INDEX.match(part)
        if m:
            rows = node.setdefault(m[1], {})
            node = rows.setdefault(int(m[2]), {})
        else:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
    node[parts[-1]] = value


def _has(data: dict[str, Any], path: str) -> bool:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True
