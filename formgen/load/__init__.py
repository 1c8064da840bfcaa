"""The load stage: data files (YAML, JSON, CSV, XLSX) into raw records that know where
they came from.

Nothing is validated here beyond the file's own format: :mod:`formgen.validate` checks
the records.
"""

from __future__ import annotations

import io
from pathlib import Path

from formgen.exceptions import DataFileError
from formgen.load.records import (
    GROUPS,
    RawRecord,
    flatten,
    records_to_rows,
    set_dotted,
    with_id,
    without_cycle_collection,
)
from formgen.load.sheets import group_of, read_csv, read_xlsx, xlsx_records
from formgen.load.text import decode, from_documents, parse_json, parse_yaml, read_json, read_yaml
from formgen.messages import msg

__all__ = [
    "GROUPS", "RawRecord", "flatten", "load_bytes", "load_file", "load_files",
    "records_to_rows", "set_dotted", "with_id", "without_cycle_collection",
]


def load_files(paths: list[Path] | list[str]) -> list[RawRecord]:
    """Read every file; raise DataFileError for the first file that cannot be read."""
    with without_cycle_collection():
        return _load_files([Path(p) for p in paths])


def _load_files(paths: list[Path]) -> list[RawRecord]:
    csv_groups = [p for p in paths if p.suffix.lower() == ".csv" and group_of(p)]
    records: list[RawRecord] = []
    for path in paths:
        if path in csv_groups:
            continue
        records.extend(load_file(path, extra_group_files=csv_groups))
    if csv_groups and not any(p.suffix.lower() == ".csv" and p not in csv_groups for p in paths):
        raise DataFileError(str(csv_groups[0]), msg("file.group-file-alone"))
    return records


def load_file(path: Path, extra_group_files: list[Path] | None = None) -> list[RawRecord]:
    """The records of one file."""
    if not path.exists():
        raise DataFileError(str(path), msg("file.missing"))
    if path.is_dir():
        raise DataFileError(str(path), msg("file.is-a-folder"))
    suffix = path.suffix.lower()
    try:
        if suffix in (".yaml", ".yml"):
            return from_documents(path, read_yaml(path))
        if suffix == ".json":
            return from_documents(path, read_json(path))
        if suffix == ".csv":
            return read_csv(path, extra_group_files or [])
        if suffix == ".xlsx":
            return read_xlsx(path)
    except OSError as e:
        raise DataFileError(str(path), msg("file.unreadable", reason=str(e.strerror))) from e
    raise DataFileError(str(path), msg("file.unknown-type", suffix=suffix))


def load_bytes(name: str, data: bytes) -> list[RawRecord]:
    """Records from an uploaded file's bytes (the name's suffix gives the format)."""
    with without_cycle_collection():
        return _load_bytes(name, data)


def _load_bytes(name: str, data: bytes) -> list[RawRecord]:
    suffix = Path(name).suffix.lower()
    if suffix in (".yaml", ".yml"):
        return from_documents(Path(name), parse_yaml(name, decode(name, data)))
    if suffix == ".json":
        return from_documents(Path(name), parse_json(name, decode(name, data)))
    if suffix == ".xlsx":
        return xlsx_records(name, io.BytesIO(data))
    raise DataFileError(name, msg("file.unknown-upload-type", suffix=suffix))
