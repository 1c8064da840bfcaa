"""Raw records: one applicant as read from a file, and the CSV/XLSX layout of records.

In CSV and XLSX, columns are dotted paths (``name.zh``, ``soe.division``); the repeating
groups (education, career, cpd, competences) are extra sheets or files whose rows carry
the applicant's ``id`` (competence rows also a ``code``).
"""

from __future__ import annotations

import gc
import marshal
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from formgen.exceptions import WHOLE_FILE
from formgen.messages import Message, msg

GROUPS = ("education", "career", "cpd", "competences")


@dataclass(frozen=True)
class Note:
    """Something the load saw in one field of a record, for validation to report (a
    formula cell without its result, a phone number stored as a number)."""

    field: str
    """The field's dotted path, e.g. ``mobile`` or ``cpd[2].hours``."""
    message: Message
    severity: str = "error"


Kind = Literal["applicant", "not_a_mapping", "orphan", "refused", "whole_file"]
"""What a loaded record is: an applicant's record; an item of a file's list that is not a
mapping; a repeating-group row whose ``id`` names no applicant (an orphan); a record
refused for a limit it passes; or the stand-in for a file that could not be read."""


@dataclass
class RawRecord:
    """One applicant as read from a file, before validation; or what stands in its place
    (see :data:`Kind`)."""

    file: str
    where: Message
    """Where in the file: ``record 2``, ``row 3``, ``sheet applicants row 3``; WHOLE_FILE
    for a file that could not be read at all."""
    data: dict[str, Any]
    """The record's fields; empty unless it is an applicant's (a refused one keeps its id)."""
    locations: dict[str, Message] = field(default_factory=dict)
    """Where each repeating-group entry came from, e.g. ``career[2]`` → ``career.csv row 3``."""
    refused: Message | None = None
    """Why the record (or, at WHOLE_FILE, the file) cannot be used at all; its data is not
    read. Set exactly when the kind is ``refused`` or ``whole_file``."""
    notes: list[Note] = field(default_factory=list)
    """What the load saw in single fields."""
    kind: Kind = "applicant"
    """What the loader found; set by the loaders, never read from the data."""
    orphan_of: str = ""
    """An orphan: the applicant id its row gives (empty when it gives none)."""
    group: str = ""
    """An orphan: the repeating group its row belongs to."""

    def __post_init__(self) -> None:
        if (self.refused is not None) != (self.kind in ("refused", "whole_file")):
            raise ValueError(f"a {self.kind} record with refused={self.refused!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        # Sent to a worker process by the thousand: data read from JSON or a workbook (texts,
        # numbers, lists, mappings) goes as marshal's bytes, five times faster to write than
        # pickle's; anything marshal cannot hold (a date read from YAML) as itself.
        try:
            data: Any = marshal.dumps(self.data)
        except ValueError:
            data = self.data
        return _raw_record, (self.file, self.where, data, self.locations, self.refused,
                             self.notes, self.kind, self.orphan_of, self.group)

    @property
    def is_applicant(self) -> bool:
        """Whether this is an applicant's record to validate and use (not refused, not a
        stray row, not a value that is no record)."""
        return self.kind == "applicant"

    @property
    def whole_file(self) -> bool:
        """Whether this stands for a file that could not be read at all."""
        return self.kind == "whole_file"

    def refuse(self, reason: Message) -> None:
        """Refuse the record for ``reason`` (a limit it passes): validation reports it and
        nothing reads its data, of which only the id is kept."""
        value = self.data.get("id")
        self.data = {"id": value} if isinstance(value, (str, int, float)) else {}
        self.refused = reason
        self.kind = "refused"

    @property
    def record_id(self) -> str:
        """The id as text; a list or mapping where the id should be gives none (it is never
        turned into text: an alias bomb would expand)."""
        value = self.data.get("id")
        if isinstance(value, str):
            return value.strip()
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        return ""

    @property
    def place(self) -> Message:
        """Where in the file, with the applicant id: ``record 2 (CSEE-2026-0007)``."""
        return with_id(self.where, self.record_id)


def _raw_record(file: str, where: Message, data: Any, *rest: Any) -> RawRecord:
    if type(data) is bytes:
        data = marshal.loads(data)
    return RawRecord(file, where, data, *rest)


class ReadWhole(Exception):
    """A file read a record at a time turned out to need reading whole (its group rows are
    not in the order of its applicants): the records given so far are to be dropped and
    the file read again whole."""

    def __init__(self, out_of_order: Iterable[str] = ()):
        super().__init__()
        self.out_of_order = frozenset(out_of_order)
        """The group sheets (or files) found not in the order of the applicants, when that
        is why: a read that files these by id first may do (the others read alongside)."""


def unreadable(file: str, reason: Message) -> RawRecord:
    """The stand-in for a file that cannot be read: validation reports ``reason`` for it."""
    return RawRecord(file, WHOLE_FILE, {}, refused=reason, kind="whole_file")


def not_a_mapping(file: str, where: Message) -> RawRecord:
    """The stand-in for an item of a file's list of records that is not a record."""
    return RawRecord(file, where, {}, kind="not_a_mapping")


def listed(file: str, number: int, item: Any) -> RawRecord:
    """The record of the item ``number`` of a file's list of records: the item, when it is
    a mapping, else the stand-in that says it is not one."""
    where = msg("place.record", number=str(number))
    return RawRecord(file, where, item) if isinstance(item, dict) else not_a_mapping(file, where)


def orphan(file: str, where: Message, applicant_id: str, group: str) -> RawRecord:
    """The stand-in for a row of a repeating group whose ``id`` (``applicant_id``, empty
    when it has none) names no applicant of the file."""
    return RawRecord(file, where, {}, kind="orphan", orphan_of=applicant_id, group=group)


def refused_record(file: str, where: Message, reason: Message) -> RawRecord:
    """A record refused before it was read (it passes a limit), for validation to report."""
    return RawRecord(file, where, {}, refused=reason, kind="refused")


def with_id(place: Message, record_id: str) -> Message:
    """A place in a file with the applicant id, when there is one."""
    return msg("place.with-id", place=place, id=record_id) if record_id else place


@contextmanager
def without_cycle_collection() -> Iterator[None]:
    """Pause Python's cycle collector while a batch of lasting objects is made.

    Thousands of applicants become millions of dicts, lists and models that all stay alive
    and hold no reference cycles; the collector would walk them again and again as they
    grow (half the time of a large batch, growing faster than the batch). Objects without
    cycles are still freed at once, and the collector runs as before afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def set_dotted(target: dict[str, Any], dotted: str, value: Any) -> None:
    """``set_dotted(d, 'name.zh', v)`` sets ``d['name']['zh'] = v``."""
    _set_path(target, _path(dotted), value)


def _path(dotted: str) -> tuple[str, ...]:
    return tuple(k.strip() for k in dotted.split("."))


def _set_path(target: dict[str, Any], keys: tuple[str, ...], value: Any) -> None:
    node = target
    for key in keys[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = {} if child is None else {"__value__": child}
            node[key] = child
        node = child
    node[keys[-1]] = value


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """``{'name': {'zh': v}}`` → ``{'name.zh': v}``: the inverse of :func:`set_dotted`."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value}


def records_to_rows(
    records: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """Records in the CSV/XLSX layout: main rows with dotted columns, and the repeating
    groups' rows keyed by ``id`` (competence rows also by ``code``). What this writes,
    :func:`formgen.load.load_files` reads back."""
    main: list[dict[str, Any]] = []
    groups: dict[str, list[dict[str, Any]]] = {g: [] for g in GROUPS}
    for record in records:
        record = dict(record)
        for group in GROUPS:
            entries = record.pop(group, None)
            if not entries:
                continue
            if group == "competences":
                for code, entry in entries.items():
                    groups[group].append({"id": record["id"], "code": code, **flatten(entry)})
            else:
                for entry in entries:
                    groups[group].append({"id": record["id"], **flatten(entry)})
        main.append(flatten(record))
    return main, groups


Columns = list[tuple[int, tuple[str, ...]]]
"""The columns of a sheet that give a field: each column's place and its dotted path."""


def header_columns(header: Sequence[Any]) -> Columns:
    """The columns a header row names (each column's path split once, so every record
    shares the same key strings)."""
    return [
        (index, _path(column))
        for index, column in enumerate(str(h).strip() if h is not None else "" for h in header)
        if column
    ]


def row_record(columns: Columns, row: Sequence[Any], texts: dict[str, str]) -> dict[str, Any]:
    """The nested record of a row under a header of ``columns``; ``texts`` keeps each text
    once for all its cells (a unit, a month, an organizer recurs)."""
    record: dict[str, Any] = {}
    width = len(row)
    for index, keys in columns:
        if index >= width:
            break
        value = row[index]
        if isinstance(value, str):
            if not value.strip():
                continue
            value = texts.setdefault(value, value)
        elif value is None:
            continue
        if len(keys) == 1:
            record[keys[0]] = value
        elif len(keys) == 2 and type(child := record.get(keys[0])) is dict:
            child[keys[1]] = value  # as _set_path sets it, without the call
        elif len(keys) == 2 and child is None:
            record[keys[0]] = {keys[1]: value}  # (likewise)
        else:
            _set_path(record, keys, value)
    return record


def rows_to_dicts(
    name: str, rows: Iterable[Sequence[Any]]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(spreadsheet row number, nested record) for each non-empty row under the header."""
    row_iter = iter(rows)
    header = next(row_iter, None)
    if header is None:
        return
    columns = header_columns(header)
    texts: dict[str, str] = {}
    for number, row in enumerate(row_iter, start=2):
        record = row_record(columns, row, texts)
        if record:
            yield number, record


def attach(
    records: list[RawRecord], group: str, rows: Iterable[tuple[Message, dict[str, Any]]]
) -> None:
    """Add each group row to the record with its ``id``; a row for nobody becomes a record
    of its own that validation reports."""
    by_id = {r.record_id: r for r in records if r.record_id}
    for where, row in rows:
        applicant_id = str(row.pop("id", "") or "").strip()
        target = by_id.get(applicant_id)
        if target is None:
            records.append(orphan(records[0].file, where, applicant_id, group))
            continue
        if group == "competences":
            code = str(row.pop("code", row.pop("competence", "")) or "").strip().upper()
            comps = target.data.setdefault("competences", {})
            if not isinstance(comps, dict):
                continue
            comps[code or f"({where.english})"] = row
            target.locations[f"competences.{code}"] = where
        else:
            entries = target.data.setdefault(group, [])
            if not isinstance(entries, list):
                continue
            entries.append(row)
            target.locations[f"{group}[{len(entries)}]"] = where
