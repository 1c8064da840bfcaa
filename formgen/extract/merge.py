"""The forms of one person joined into one record.

Forms belong together, first, when they carry the same form key (one download's forms,
:mod:`formgen.forms.carry`) or the same application id. A person's forms left over then join
by name, across the name's languages (a form in Chinese gives 李伟, its English twin LI Wei;
a person whose forms carry both is found by either): with the one person of that name, or
of several, the one whose unit, email, mobile or company agrees. Two people with different
ids are never joined; a form whose name fits a person whose unit (email …) differs, or
fits several people equally, is kept apart and reported, never joined on a guess.

A field's value: what someone typed over a form's carried value (or typed into a blank
form) wins over values as rendered; values as rendered (typed back unchanged, or only
carried) win over stand-ins. Two different values of the same standing are ambiguous: the
first form's is kept and the conflict reported.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pypinyin import lazy_pinyin

from formgen.extract.fields import Parsed
from formgen.extract.read import FileReport
from formgen.extract.values import clean, is_chinese

_INDEX = re.compile(r"^(\w+)\[(\d+)\]$")
NAMES = ("name.zh", "name.en")
TELLING = ("unit", "email", "mobile", "company.zh", "company.en")
"""Fields that tell two people of the same name apart."""
TYPED, RENDERED, STAND_IN = 2, 1, 0
"""How much a value counts (see above)."""


@dataclass(eq=False)  # a person is themself: two with the same forms are still two
class Person:
    """The forms of one applicant and the record they make."""

    reports: list[FileReport] = field(default_factory=list)
    values: dict[str, Parsed] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    """Path → the file its value came from."""
    ranks: dict[str, int] = field(default_factory=dict)
    """Path → how much its value counts (TYPED, RENDERED, STAND_IN)."""
    conflicts: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)
    """(path, [(file, value)…]) where forms disagree."""
    apart: list[tuple[str, str, list[str]]] = field(default_factory=list)
    """(why, field, the first file of each other person) where this person's name fits
    other people's forms but they were kept apart: ``differs`` (in ``field``), ``several``
    (nothing tells which) or ``spelled`` (the name spelled alike in the other language, and
    nothing else agrees)."""

    def key(self, path: str) -> str:
        value = self.values.get(path)
        return _norm_text(value.value) if value is not None and value.value not in (None, "") else ""

    @property
    def files(self) -> list[str]:
        return [r.file for r in self.reports]

    @property
    def names(self) -> set[str]:
        return {"".join(self.key(p).split()) for p in NAMES} - {""}

    @property
    def spelled(self) -> set[str]:
        """The names in Latin letters: the English names, and the Chinese in pinyin
        (surname first and last)."""
        out = {_letters(self.key("name.en"))} - {""}
        chinese = self.key("name.zh")
        if chinese and is_chinese(chinese):
            out |= romanised(chinese)
        return out


def _letters(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text.casefold()) if "a" <= ch <= "z")


@lru_cache(maxsize=4096)
def romanised(name: str) -> frozenset[str]:
    """A Chinese name in pinyin letters, surname (one or two characters) first or last:
    李晓明 → lixiaoming, xiaomingli."""
    syllables = [_letters(s.replace("ü", "v")) for s in lazy_pinyin("".join(name.split()))]
    out = {"".join(syllables)}
    for cut in (1, 2):
        if len(syllables) > cut:
            out.add("".join(syllables[cut:] + syllables[:cut]))
    return frozenset(out - {""})


def _norm_text(value: Any) -> str:
    return clean(str(value)).casefold()


def _form_id(report: FileReport) -> str:
    for p in report.read:
        if p.path == "id" and not p.weak and p.value:
            return clean(str(p.value))
    return clean(str(report.carried.get("id") or ""))


def group(reports: list[FileReport]) -> list[Person]:
    """People in the order their first form came."""
    forms = [r for r in reports if r.read or r.carried]
    owner = list(range(len(forms)))

    def root(i: int) -> int:
        while owner[i] != i:
            owner[i] = owner[owner[i]]
            i = owner[i]
        return i

    first: dict[tuple[str, str], int] = {}
    for i, report in enumerate(forms):
        for kind, value in (("key", report.key), ("id", _form_id(report))):
            if value:
                j = first.setdefault((kind, value), i)
                a, b = root(i), root(j)
                if a != b:
                    owner[max(a, b)] = min(a, b)
    people: dict[int, Person] = {}
    for i, report in enumerate(forms):
        _add(people.setdefault(root(i), Person()), report)
    return _join_by_name(list(people.values()))


def _join_by_name(people: list[Person]) -> list[Person]:
    """Join each person without an id to the one person their name fits (see above), pass
    after pass until a pass joins nobody (a join can make another person's name fit)."""
    changed = True
    while changed:
        changed = False
        by_name, by_spelling = _index(people)
        order = {id(p): i for i, p in enumerate(people)}
        for person in people:
            person.apart = []
        joined: set[int] = set()
        for person in list(people):
            if id(person) in joined or person.key("id") or not person.names:
                continue
            fits = _others(by_name, person.names, person, order)
            # a name in one language only, the other's in the other: spelled alike (王强,
            # WANG Qiang) is not proof (汪强 spells the same), so unit, email … must agree
            spelled = not fits
            if spelled:
                fits = [p for p in _others(by_spelling, person.spelled, person, order)
                        if _spelled_alike(p, person)]
            if not fits:
                continue
            differing = [(p, _differs(p, person)) for p in fits]
            allowed = [p for p, d in differing if not d]
            agreeing = [p for p in allowed if _agrees(p, person)]
            chosen = agreeing if len(agreeing) == 1 else allowed if len(allowed) == 1 and not spelled else []
            if not chosen and len(allowed) > 1 and not spelled and _one_person(allowed):
                chosen = [next((p for p in allowed if p.key("id")), allowed[0])]
            if len(chosen) == 1:
                into = chosen[0]
                for report in person.reports:
                    _add(into, report)
                people.remove(person)
                joined.add(id(person))
                for index, keys in ((by_name, person.names), (by_spelling, person.spelled)):
                    for k in keys:
                        index[k].remove(person)
                for name in into.names:
                    if into not in by_name.setdefault(name, []):
                        by_name[name].append(into)
                for spelling in into.spelled:
                    if into not in by_spelling.setdefault(spelling, []):
                        by_spelling[spelling].append(into)
                changed = True
                continue
            if not allowed:
                person.apart = [("differs", d, [p.files[0]]) for p, d in differing]
            else:
                person.apart = [("spelled" if spelled else "several", "", [p.files[0] for p in allowed])]
    return people


def _others(index: dict[str, list[Person]], keys: set[str], person: Person,
            order: dict[int, int]) -> list[Person]:
    """The other people filed under any of ``keys``, in the order they came."""
    found = {id(p): p for k in keys for p in index.get(k, ()) if p is not person}
    return sorted(found.values(), key=lambda p: order[id(p)])


def _index(people: list[Person]) -> tuple[dict[str, list[Person]], dict[str, list[Person]]]:
    """The people by each of their names, and by each spelling of them in Latin letters
    (made once per pass: a person's names change only when forms join them)."""
    by_name: dict[str, list[Person]] = {}
    by_spelling: dict[str, list[Person]] = {}
    for p in people:
        for name in p.names:
            by_name.setdefault(name, []).append(p)
        for spelling in p.spelled:
            by_spelling.setdefault(spelling, []).append(p)
    return by_name, by_spelling


def _one_person(people: list[Person]) -> bool:
    """Whether forms of the same name could all be one person's: at most one id, and no
    telling field that differs (a CPD record and a cross-reference table of two blank
    downloads, and the registration forms of a third)."""
    return sum(1 for p in people if p.key("id")) <= 1 and not any(
        _differs(a, b) for i, a in enumerate(people) for b in people[i + 1:])


def _spelled_alike(a: Person, b: Person) -> bool:
    """One's Chinese name in pinyin is the other's English name (or the other way)."""
    if not (a.key("name.zh") and b.key("name.en")) and not (a.key("name.en") and b.key("name.zh")):
        return False
    return bool(a.spelled & b.spelled)


def _differs(a: Person, b: Person) -> str:
    """The first telling field both people have with different values, or ''."""
    return next((path for path in TELLING if a.key(path) and b.key(path) and a.key(path) != b.key(path)), "")


def _agrees(a: Person, b: Person) -> bool:
    return any(a.key(path) and a.key(path) == b.key(path) for path in TELLING)


def _rank(report: FileReport, value: Parsed) -> int:
    if value.weak:
        return STAND_IN
    changed = any(path == value.path for path, _, _ in report.changed)
    return RENDERED if value.path in report.carried and not changed else TYPED


def _add(person: Person, report: FileReport) -> None:
    person.reports.append(report)
    read = {v.path for v in report.read}
    values = [(v, _rank(report, v)) for v in report.read] + [
        (Parsed(path, value, ""), RENDERED) for path, value in report.carried.items() if path not in read]
    # a carried value someone deleted: deleted, whatever other forms carry
    values += [(Parsed(path, None, ""), TYPED) for path, _, typed in report.changed if not typed and path not in read]
    for value, rank in values:
        had = person.values.get(value.path)
        had_rank = person.ranks.get(value.path, -1)
        if had is None or rank > had_rank:
            if had is not None and any(c[0] == value.path for c in person.conflicts):
                # what was typed settles what the forms carried differently
                person.conflicts = [c for c in person.conflicts if c[0] != value.path]
            person.values[value.path] = value
            person.sources[value.path] = report.file
            person.ranks[value.path] = rank
        elif rank == had_rank and rank > STAND_IN and had.value != value.value and _norm(had.value) != _norm(value.value):
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
        if parsed.value is None and not parsed.text:
            continue  # deleted (see _add)
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
