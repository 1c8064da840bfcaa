"""How much a data file may hold, checked while it is read and before its data is used.

Two sets: BATCH for the command line (staff's files of many thousands of applicants) and
UPLOAD for what the web app is sent (one person's file or an API body). Every refusal
names its limit. The README's "Limits" section lists them.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from formgen.bounds import Refused
from formgen.exceptions import DataFileError
from formgen.load.records import RawRecord
from formgen.messages import Message, msg

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What one data file may hold."""

    file_bytes: int
    """Size of the file."""
    depth: int
    """Levels of nesting in one record (a record is level 1, ``name`` 2, ``name.zh`` 3)."""
    values_per_record: int
    """Values in one record: texts, numbers, lists and mappings, aliases counted in full."""
    records: int
    """Records (applicants) in one file."""
    yaml_nodes: int
    """Values of a YAML file once its aliases (``*name``) are expanded."""
    rows_per_sheet: int
    """Rows of a CSV file or of one XLSX sheet."""
    cells: int
    """Cells of a CSV file or an XLSX workbook, empty cells within a row counted."""
    columns: int
    """Columns of one row."""
    part_bytes: int
    """XLSX: unpacked size of one part (a sheet, the shared texts …)."""
    unpacked_bytes: int
    """XLSX: unpacked size of all parts together."""
    part_ratio: int
    """XLSX: unpacked size of one part over its packed size (for parts over 1 MB)."""
    text_chars: int
    """Characters of text the cells of an XLSX workbook hold, a shared string counted at
    every cell that uses it, and characters the aliases of a YAML file add, a text counted
    at every alias that names it (one long text in thousands of places is that many)."""
    record_chars: int
    """Characters of one record of a YAML or JSON list as the file writes it: the list is
    read a record at a time, and a record past this refuses the file before it is parsed
    (parsing takes many times a text's size in memory)."""

    @property
    def megabytes(self) -> int:
        return self.file_bytes // MB


BATCH = Limits(
    file_bytes=512 * MB,
    depth=16,
    values_per_record=10_000,
    records=100_000,
    yaml_nodes=5_000_000,
    rows_per_sheet=1_048_576,
    cells=10_000_000,
    columns=1_000,
    part_bytes=512 * MB,
    unpacked_bytes=2048 * MB,
    part_ratio=100,
    text_chars=500_000_000,
    record_chars=4 * MB,
)
"""The command line's limits: about five times 20,000 applicants."""

UPLOAD = Limits(
    file_bytes=8 * MB,
    depth=16,
    values_per_record=10_000,
    records=500,
    yaml_nodes=100_000,
    rows_per_sheet=20_000,
    cells=100_000,
    columns=1_000,
    part_bytes=16 * MB,
    unpacked_bytes=32 * MB,
    part_ratio=100,
    text_chars=5_000_000,
    record_chars=4 * MB,
)
"""The web app's limits, for an uploaded file or an API body."""

RATIO_FLOOR = MB
"""Parts smaller than this unpacked are not held to ``part_ratio``."""


class LimitExceeded(Refused):
    """A record passes one of the limits; ``message`` says which."""


def check_record(data: Any, limits: Limits) -> None:
    """LimitExceeded when ``data`` nests deeper than ``limits.depth`` or holds more than
    ``limits.values_per_record`` values. Walked a level at a time, it stops as soon as it
    knows: the work is bounded by the limit, however large an alias-expanded record would be."""
    values_limit, depth_limit = limits.values_per_record, limits.depth
    level: list[Any] = [data]
    depth = count = 0
    while level:
        depth += 1
        count += len(level)
        if count > values_limit:
            raise LimitExceeded(msg("record.too-many-values", limit=values_limit))
        below: list[Any] = []
        for value in level:
            kind = type(value)
            if kind is dict:
                below.extend(value.values())
            elif kind is list:
                below.extend(value)
        if below and depth >= depth_limit:
            raise LimitExceeded(msg("record.too-deep", limit=depth_limit))
        level = below


def refuse_oversized(records: list[RawRecord], limits: Limits) -> None:
    """Mark each record that passes ``limits`` refused (keeping only its id), so that
    validation reports it and nothing reads its data."""
    for raw in records:
        if not raw.is_applicant:
            continue
        try:
            check_record(raw.data, limits)
        except LimitExceeded as e:
            raw.refuse(e.message)


def check_size(path: Path, limits: Limits) -> None:
    """DataFileError, before anything is read, when the file is no regular file (a device
    such as ``/dev/zero``, a pipe) or is larger than ``limits`` allow."""
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise DataFileError(str(path), msg("file.not-regular"))
    if info.st_size > limits.file_bytes:
        raise DataFileError(str(path), too_large(info.st_size, limits))


def read_within(path: Path, limits: Limits) -> bytes:
    """The file's bytes; DataFileError, before reading, when it is no regular file or is
    larger than ``limits`` allow (and, should it grow meanwhile, once past the limit)."""
    check_size(path, limits)
    with path.open("rb") as f:
        data = f.read(limits.file_bytes + 1)
    if len(data) > limits.file_bytes:
        raise DataFileError(str(path), too_large(len(data), limits))
    return data


def check_count(name: str, count: int, limits: Limits) -> None:
    """DataFileError when a file holds no applicants, or more than ``limits`` allow."""
    if not count:
        raise DataFileError(name, msg("file.no-applicants"))
    if count > limits.records:
        raise DataFileError(name, msg("file.too-many-records", limit=limits.records))


def too_large(size: int, limits: Limits) -> Message:
    """Why a file of ``size`` bytes is refused."""
    return msg("file.too-large", megabytes=round(size / MB, 1), limit=limits.megabytes)
