"""The load stage: data files (YAML, JSON, CSV, XLSX) into raw records that know where
they came from.

Nothing is validated here beyond the file's own format and the limits of what a file may
hold (:mod:`formgen.load.limits`): :mod:`formgen.validate` checks the records. A file
that cannot be read is not the end of the run: it becomes one record that stands for the
whole file (:func:`unreadable`), which validation reports, so every problem of every file
is told at once.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from formgen.exceptions import DataFileError
from formgen.load.jsonstream import JsonGroup, json_records
from formgen.load.limits import BATCH, UPLOAD, Limits, check_size, read_within, too_large
from formgen.load.records import (
    GROUPS,
    Note,
    RawRecord,
    ReadWhole,
    flatten,
    records_to_rows,
    refused_record,
    set_dotted,
    unreadable,
    with_id,
    without_cycle_collection,
)
from formgen.load.sheets import csv_stream, group_of, read_csv
from formgen.load.sheetstream import xlsx_stream
from formgen.load.streams import Group, yaml_records
from formgen.load.text import decode, from_documents, parse_json, parse_yaml
from formgen.load.workbook import xlsx_records
from formgen.messages import msg

__all__ = [
    "BATCH", "GROUPS", "UPLOAD", "Limits", "Note", "RawRecord", "ReadWhole", "Source", "flatten",
    "load_bytes", "load_file", "load_files", "records_to_rows", "refused_record", "set_dotted",
    "sources", "unreadable", "with_id", "without_cycle_collection",
]


@dataclass(frozen=True)
class Source:
    """A data file to read, with the CSV group files given beside it."""

    path: Path
    group_files: tuple[Path, ...] = ()
    limits: Limits = BATCH
    alone: bool = False
    """A CSV group file given without a main CSV file: it is refused."""

    @property
    def file(self) -> str:
        return str(self.path)

    def passes(self) -> list[tuple[bool, bool, bool]]:
        """The ways to read the file (``stream``, ``cut`` for :meth:`records`, and
        ``named``), each to be tried when the one before asks for it (ReadWhole): a JSON
        list is cut at the lines that start its items, else scanned; a workbook's group
        sheets (a CSV file's group files) read alongside its applicants, else those the
        first read found out of order (:attr:`ReadWhole.out_of_order`) filed by id first,
        the others read alongside (``named``: passed over when it named none), else all of
        them filed; anything else streamed; else read whole."""
        suffix = self.path.suffix.lower()
        if suffix in (".xlsx", ".csv"):
            return [(True, True, False), (True, False, True), (True, False, False), (False, False, False)]
        if suffix == ".json":
            return [(True, True, False), (True, False, False), (False, False, False)]
        return [(True, True, False), (False, False, False)]

    def records(self, stream: bool = False, cut: bool = True,
                file_only: frozenset[str] = frozenset()) -> Iterator[RawRecord | Group | JsonGroup]:
        """The file's records; DataFileError, perhaps after some records, when it cannot be
        read. With ``stream``, YAML, JSON, XLSX and CSV files are read a record at a time
        (:mod:`formgen.load.streams`, :mod:`formgen.load.sheetstream`,
        :func:`formgen.load.sheets.csv_stream`; a YAML list comes as groups of items, each to
        be read on its own), and ReadWhole may ask for the file to be read again another way.
        ``file_only``: the group sheets (or files) to file by id, when not ``cut`` (all when
        it names none)."""
        suffix = self.path.suffix.lower()
        if (stream and self.path.is_file()
                and (suffix in (".yaml", ".yml", ".json", ".xlsx") or (suffix == ".csv" and not self.alone))):
            yield from _stream(self.path, self.limits, cut, list(self.group_files), file_only)
        else:
            yield from self.whole()

    def whole(self) -> list[RawRecord]:
        """The file's records read whole; DataFileError when it cannot be read."""
        if self.alone:
            raise DataFileError(self.file, msg("file.group-file-alone"))
        return load_file(self.path, list(self.group_files), self.limits)


def sources(paths: list[Path] | list[str], limits: Limits = BATCH) -> list[Source]:
    """The files to read, in the order their records come: each data file (a CSV file with
    the group files given beside it), then any CSV group file given without a main one."""
    found = [Path(p) for p in paths]
    groups = tuple(p for p in found if p.suffix.lower() == ".csv" and group_of(p))
    out = [Source(p, groups, limits) for p in found if p not in groups]
    if groups and not any(p.suffix.lower() == ".csv" and p not in groups for p in found):
        out.extend(Source(p, (), limits, alone=True) for p in groups)
    return out


def _stream(path: Path, limits: Limits, cut: bool = True, group_files: list[Path] | None = None,
            file_only: frozenset[str] = frozenset()) -> Iterator[RawRecord | Group | JsonGroup]:
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            yield from csv_stream(path, group_files or [], limits, filed=not cut, file_only=file_only)
        elif suffix == ".json":
            yield from json_records(path, limits, cut)
        elif suffix == ".xlsx":
            check_size(path, limits)
            with path.open("rb") as f:
                yield from xlsx_stream(str(path), f, limits, filed=not cut, file_only=file_only)
        else:
            yield from yaml_records(path, limits)
    except OSError as e:
        raise DataFileError(str(path), msg("file.unreadable", reason=str(e.strerror))) from e


def load_files(paths: list[Path] | list[str], limits: Limits = BATCH) -> list[RawRecord]:
    """The records of every file; a file that cannot be read gives one :func:`unreadable`
    record naming it and why, and the other files are read all the same."""
    with without_cycle_collection():
        return _load_files([Path(p) for p in paths], limits)


def _load_files(paths: list[Path], limits: Limits) -> list[RawRecord]:
    records: list[RawRecord] = []
    for source in sources(paths, limits):
        try:
            records.extend(source.whole())
        except DataFileError as e:
            records.append(unreadable(e.file, e.reason))
    return records


def load_file(
    path: Path, extra_group_files: list[Path] | None = None, limits: Limits = BATCH
) -> list[RawRecord]:
    """The records of one file; DataFileError when it cannot be read."""
    if not path.exists():
        raise DataFileError(str(path), msg("file.missing"))
    if path.is_dir():
        raise DataFileError(str(path), msg("file.is-a-folder"))
    suffix = path.suffix.lower()
    try:
        if suffix in (".yaml", ".yml", ".json"):
            return _text_records(str(path), read_within(path, limits), limits)
        if suffix == ".csv":
            return read_csv(path, extra_group_files or [], limits)
        if suffix == ".xlsx":
            check_size(path, limits)
            with path.open("rb") as f:
                return xlsx_records(str(path), f, limits)
    except OSError as e:
        raise DataFileError(str(path), msg("file.unreadable", reason=str(e.strerror))) from e
    raise DataFileError(str(path), msg("file.unknown-type", suffix=suffix))


def _text_records(name: str, data: bytes, limits: Limits) -> list[RawRecord]:
    text = decode(name, data)
    if name.lower().endswith(".json"):
        return from_documents(Path(name), parse_json(name, text), limits)
    return from_documents(Path(name), parse_yaml(name, text, limits), limits)


def load_bytes(name: str, data: bytes, limits: Limits = UPLOAD) -> list[RawRecord]:
    """Records from an uploaded file's bytes (the name's suffix gives the format), under
    the web's limits unless others are given; DataFileError when it cannot be read."""
    with without_cycle_collection():
        return _load_bytes(name, data, limits)


def _load_bytes(name: str, data: bytes, limits: Limits) -> list[RawRecord]:
    suffix = Path(name).suffix.lower()
    if len(data) > limits.file_bytes:
        raise DataFileError(name, too_large(len(data), limits))
    if suffix in (".yaml", ".yml", ".json"):
        return _text_records(name, data, limits)
    if suffix == ".xlsx":
        return xlsx_records(name, io.BytesIO(data), limits)
    raise DataFileError(name, msg("file.unknown-upload-type", suffix=suffix))
