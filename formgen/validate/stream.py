"""Validation of data files a record at a time, in bounded memory, on every core.

The files' records come one at a time (:meth:`formgen.load.Source.records`); each is
examined on its own (:func:`formgen.validate.record.examine`), in worker processes once
the run is large enough to pay for them, and only what the batch checks need stays: the
ids seen (for an id used twice), each valid applicant's unit (for the quotas), the
problems, and of a failed record its place and id. The report is the one
:func:`formgen.validate.validate` gives for the same files, problem for problem: a file
refused part way has the records read from it dropped, as if it had never been read but
for the refusal; a workbook whose group rows are out of order is read again whole.
"""

from __future__ import annotations

import datetime as dt
import gc
import multiprocessing
import os
import threading
from collections import ChainMap, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from formgen.bounds import Expansion
from formgen.exceptions import DataFileError, Problem
from formgen.fonts import drawn_alike
from formgen.load import RawRecord, ReadWhole, Source, unreadable, without_cycle_collection
from formgen.load.jsonstream import JsonGroup
from formgen.load.streams import Group
from formgen.messages import Message, environment_language
from formgen.model.manifest import Manifest
from formgen.validate.record import Examined, check_id, examine
from formgen.validate.report import Report
from formgen.validate.rules import Quota, QuotaCount, quota_of

BATCH = 256
"""Records examined together (sent to a worker as one)."""
POOL_AFTER = 2 * BATCH
"""Records examined in this process before workers are started: a small run has none."""

Items = Group | JsonGroup
"""Records handed on as text, to be read where they are examined."""

Outcome = tuple[list[Problem], "Quota | None", int]
"""What the run keeps of an examined record: its problems, its quota entry when it has no
error of its own (else None), where an id error would go among the problems."""


def check_sources(
    sources: Iterable[Source], manifest: Manifest, today: dt.date, *, workers: int | None = None
) -> Report:
    """Validate the records of ``sources`` a record at a time: the report has every
    problem and counts the records, valid or not, but holds no applicant. ``workers``
    processes examine the records (default: one per core; 1: none, all in this one)."""
    run = _Run(manifest)
    with without_cycle_collection(), _Examiner(manifest, today, workers) as examiner:
        for source in sources:
            run.read(source, examiner)
    run.report.problems.extend(run.quotas.warnings())
    return run.report


@dataclass
class _Stage:
    """What one file's records gave, kept apart until the file is read to its end."""

    quotas: QuotaCount
    """The places taken, counted on from the files read before (kept if this one is read
    to its end)."""
    ids: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    failed: list[RawRecord] = field(default_factory=list)
    valid: int = 0
    records: int = 0


class _Run:
    def __init__(self, manifest: Manifest):
        self.report = Report()
        self.seen_ids: dict[str, Any] = {}
        """Each id seen, with the file and place of its first record."""
        self.quotas = QuotaCount(manifest)
        self.messages: dict[Message, Message] = {}
        """Each problem's message, one object for all that are equal."""
        self.last: tuple[object, Message | None] = (object(), None)
        """The last message shared: as it came (a worker sends one object for equal
        messages of a batch), and the one kept."""
        self.lang = environment_language()
        """The language the warnings found here are said in (the command line's)."""

    def read(self, source: Source, examiner: _Examiner) -> None:
        """Read and examine ``source``'s records; its file's refusal instead, should it
        not be read to its end."""
        out_of_order: frozenset[str] = frozenset()
        """The group sheets (or files) the first pass found not in the order of the
        applicants, for the pass that files those alone (see :meth:`Source.passes`)."""
        for stream, cut, named in source.passes():
            if named and not out_of_order:
                continue
            stage = _Stage(quotas=self.quotas.staged())
            seen = ChainMap(stage.ids, self.seen_ids)
            try:
                for raw, outcome in examiner.examine(
                        source.records(stream, cut, out_of_order if named else frozenset())):
                    self._add(stage, seen, raw, outcome)
            except ReadWhole as e:
                examiner.drop()
                if cut:
                    out_of_order = e.out_of_order
                continue
            except DataFileError as e:
                examiner.drop()
                stand_in = unreadable(e.file, e.reason)
                self.report.problems.extend(examine(stand_in, examiner.manifest, examiner.today).problems)
                self.report.failed.append(stand_in)
                return
            self._commit(stage)
            return

    def _add(self, stage: _Stage, seen: Any, raw: RawRecord, outcome: Outcome) -> None:
        problems, place, id_at = outcome
        for problem in problems:  # thousands of records have the same warning: kept once
            sent = problem.message
            if sent is self.last[0]:  # the object the record before had (not hashed again)
                object.__setattr__(problem, "message", self.last[1])
            elif _share(problem, self.messages):
                self.last = (sent, problem.message)
        found = Examined(problems, None, id_at)
        own_id = check_id(raw, found, seen)
        stage.problems.extend(found.problems)
        stage.records += 1
        if place is None or not own_id:
            stage.failed.append(_slim(raw))
        else:
            stage.valid += 1
            warning = stage.quotas.add(raw, place)
            if warning is not None:  # its line said now, alongside the workers, not at the end
                warning.say(self.lang)

    def _commit(self, stage: _Stage) -> None:
        report = self.report
        self.seen_ids.update(stage.ids)
        report.problems.extend(stage.problems)
        report.failed.extend(stage.failed)
        report.record_count += stage.records
        report.valid_count += stage.valid
        self.quotas.take(stage.quotas)


def _slim(raw: RawRecord) -> RawRecord:
    """``raw`` without its data but its id (a failed record is reported by place and id)."""
    value = raw.data.get("id")
    if (raw.data.keys() <= {"id"} and (value is None or isinstance(value, (str, int, float)))
            and not raw.locations and not raw.notes):
        return raw  # (slim already: a worker sent it so)
    data = {"id": value} if isinstance(value, (str, int, float)) else {}
    return RawRecord(raw.file, raw.where, data, refused=raw.refused, kind=raw.kind,
                     orphan_of=raw.orphan_of, group=raw.group)


# ----------------------------------------------------------------------------- examining


def _outcome(raw: RawRecord, manifest: Manifest, today: dt.date, drawable: bool = False) -> Outcome:
    found = examine(raw, manifest, today, drawable=drawable)
    place = quota_of(found.applicant) if found.applicant is not None else None
    return found.problems, place, found.id_at


_WORKER: dict[str, Any] = {}


def _start_worker(manifest: Manifest, today: dt.date) -> None:
    _WORKER.update(manifest=manifest, today=today)
    gc.disable()  # a worker makes and drops models; none holds a cycle


def _examine_batch(batch: list[RawRecord], drawable: bool = False) -> list[Outcome]:
    """The outcomes of ``batch`` (in a worker), each problem's line said in the command
    line's language here, alongside the other workers, rather than by the one process that
    prints them. Equal messages are one object (as the process that reads them keeps them),
    so a batch's answer carries each once: thousands of records have the same warning."""
    lang = environment_language()
    messages: dict[Message, Message] = _WORKER.setdefault("messages", {})
    said: dict[int, str] = _WORKER.setdefault("said", {}).setdefault(lang, {})
    """The text in ``lang`` of each message kept in ``messages``, by the message's id (said
    once)."""
    out = []
    for problems, place, id_at in _outcomes(batch, _WORKER["manifest"], _WORKER["today"], drawable):
        for problem in problems:
            if _share(problem, messages):
                message = problem.message
                text = said.get(id(message))
                if text is None:
                    text = said[id(message)] = message.text(lang)
                problem.say(lang, text)
            else:
                problem.say(lang)
        out.append((problems, place, id_at))
    if len(messages) > SHARED:  # messages of values the records' own: not kept for ever
        messages.clear()
        _WORKER.pop("said", None)
    return out


SHARED = 10_000
"""Most distinct messages a worker keeps to share (then it starts again)."""


def _share(problem: Problem, messages: dict[Message, Message]) -> bool:
    """Make ``problem``'s message the one equal message kept in ``messages`` (whether it
    can be: a value that cannot be hashed, such as a mapping as read, cannot)."""
    try:
        message = messages.setdefault(problem.message, problem.message)
    except TypeError:
        return False
    if message is not problem.message:
        object.__setattr__(problem, "message", message)
    return True


def _outcomes(batch: list[RawRecord], manifest: Manifest, today: dt.date,
              drawable: bool = False) -> list[Outcome]:
    return [_outcome(raw, manifest, today, drawable) for raw in batch]


def _drawable(group: Items) -> bool:
    """Whether every text of the group's records is known to have a font: the texts they
    are made of have one (looked at once, rather than each record's texts)."""
    texts = group.value_texts()
    return texts is not None and all(drawn_alike(text) for text in texts)


def _examine_group(group: Items) -> tuple[list[RawRecord], list[Outcome], Expansion] | None:
    """The records of a group (YAML or JSON items as text, a workbook's rows) read and
    examined (in a worker), and what YAML aliases add; None when it does not read
    on its own."""
    read = group.records()
    if read is None:
        return None
    records, added = read
    return [_slim(r) for r in records], _examine_batch(records, _drawable(group)), added


def _cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class _Examiner:
    """Examines records in order: here until POOL_AFTER records, then in worker processes
    (forked, so they have the manifest), a few batches ahead, the outcomes in order. A
    group of a YAML list is read where it is examined; one that does not read on its own,
    or aliases past their limit, ask for the file to be read whole (ReadWhole)."""

    def __init__(self, manifest: Manifest, today: dt.date, workers: int | None):
        self.manifest, self.today = manifest, today
        self.workers = workers if workers is not None else _cores()
        self.pool: Any = None
        self.seen = 0
        self.pending: deque[tuple[list[RawRecord] | Items, Any]] = deque()
        self.added = Expansion()

    def __enter__(self) -> _Examiner:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()

    def examine(self, items: Iterator[RawRecord | Items]) -> Iterator[tuple[RawRecord, Outcome]]:
        """Each record with its outcome, in order; the file's records are all examined
        (and their outcomes given) by the time this ends."""
        self.added = Expansion()
        batch: list[RawRecord] = []
        for item in items:
            here = self._here()
            if isinstance(item, Items):
                if batch:
                    yield from self._send(batch)
                    batch = []
                if here:
                    read = item.records()
                    yield from self._read(item, read and (
                        read[0], _outcomes(read[0], self.manifest, self.today, _drawable(item)), read[1]))
                else:
                    yield from self._send(item)
                continue
            if here:
                self.seen += 1
                yield item, _outcome(item, self.manifest, self.today)
                continue
            batch.append(item)
            if len(batch) >= BATCH:
                yield from self._send(batch)
                batch = []
        if batch:
            yield from self._send(batch)
        while self.pending:
            yield from self._receive()

    def _here(self) -> bool:
        if self.workers <= 1 or self.seen < POOL_AFTER:
            return True
        # Forked workers only from a process with no other thread (the command line): a
        # fork while another thread holds a lock leaves the worker waiting on it for ever.
        if (self.pool is None and threading.active_count() == 1
                and multiprocessing.get_all_start_methods().count("fork")):
            context = multiprocessing.get_context("fork")
            self.pool = context.Pool(self.workers, _start_worker, (self.manifest, self.today))
        return self.pool is None

    def _send(self, work: list[RawRecord] | Items) -> Iterator[tuple[RawRecord, Outcome]]:
        task = _examine_group if isinstance(work, Items) else _examine_batch
        self.pending.append((work, self.pool.apply_async(task, (work,))))
        while len(self.pending) > 2 * self.workers:
            yield from self._receive()

    def _receive(self) -> Iterator[tuple[RawRecord, Outcome]]:
        work, result = self.pending.popleft()
        if isinstance(work, Items):
            yield from self._read(work, result.get())
        else:
            yield from zip(work, result.get(), strict=True)

    def _read(self, group: Items, read: Any) -> Iterator[tuple[RawRecord, Outcome]]:
        if read is None:
            raise ReadWhole()
        records, outcomes, added = read
        self.added = self.added.plus(added)
        if self.added.values > group.limits.yaml_nodes or self.added.chars > group.limits.text_chars:
            raise ReadWhole()  # read whole, the file is refused naming the limit
        self.seen += len(records)
        yield from zip(records, outcomes, strict=True)

    def drop(self) -> None:
        """Forget the records sent and not yet received (their file was refused)."""
        for _, result in self.pending:
            result.wait()
        self.pending.clear()
