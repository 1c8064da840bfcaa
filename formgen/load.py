"""Read applicant data files (YAML, JSON, CSV, XLSX) into raw records that know where they came from.

Nothing is validated here beyond the file's own format: `validate` checks the records.
In CSV and XLSX, columns are dotted paths (``name.zh``, ``soe.division``); the repeating
groups (education, career, cpd, competences) are extra sheets, or extra CSV files named
``<main>.<group>.csv`` or ``<group>.csv``, whose rows carry the applicant's ``id``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .exceptions import DataFileError

GROUPS = ("education", "career", "cpd", "competences")
MAX_XLSX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_XLSX_RATIO = 200


@dataclass
class RawRecord:
    """One applicant as read from a file, before validation."""

    file: str
    where: str
    data: dict[str, Any]
    locations: dict[str, str] = field(default_factory=dict)
    """Where each repeating-group entry came from, e.g. ``career[2]`` → ``career.csv row 3``."""

    @property
    def record_id(self) -> str:
        value = self.data.get("id")
        return str(value).strip() if value not in (None, "") else ""


def load_files(paths: list[Path] | list[str]) -> list[RawRecord]:
    """Read every file; raise DataFileError for the first file that cannot be read."""
    paths = [Path(p) for p in paths]
    csv_groups = [p for p in paths if p.suffix.lower() == ".csv" and _group_of(p)]
    records: list[RawRecord] = []
    for path in paths:
        if path in csv_groups:
            continue
        records.extend(load_file(path, extra_group_files=csv_groups))
    if csv_groups and not any(p.suffix.lower() == ".csv" and p not in csv_groups for p in paths):
        raise DataFileError(
            str(csv_groups[0]), "is a repeating-group file; give the main CSV file with it"
        )
    return records


def load_file(path: Path, extra_group_files: list[Path] | None = None) -> list[RawRecord]:
    """The records of one file."""
    if not path.exists():
        raise DataFileError(str(path), "no such file")
    if path.is_dir():
        raise DataFileError(str(path), "is a folder, not a data file")
    suffix = path.suffix.lower()
    try:
        if suffix in (".yaml", ".yml"):
            return _from_documents(path, _read_yaml(path))
        if suffix == ".json":
            return _from_documents(path, _read_json(path))
        if suffix == ".csv":
            return _read_csv(path, extra_group_files or [])
        if suffix == ".xlsx":
            return _read_xlsx(path)
    except OSError as e:
        raise DataFileError(str(path), f"cannot be read: {e.strerror}") from e
    raise DataFileError(
        str(path), f"has an unknown type '{suffix}'; use .yaml, .yml, .json, .csv or .xlsx"
    )


def load_bytes(name: str, data: bytes) -> list[RawRecord]:
    """Records from an uploaded file's bytes (the name's suffix gives the format)."""
    suffix = Path(name).suffix.lower()
    if suffix in (".yaml", ".yml"):
        return _from_documents(Path(name), _parse_yaml(name, _decode(name, data)))
    if suffix == ".json":
        return _from_documents(Path(name), _parse_json(name, _decode(name, data)))
    if suffix == ".xlsx":
        return _xlsx_records(name, io.BytesIO(data))
    raise DataFileError(name, f"has an unknown type '{suffix}'; use .yaml, .json or .xlsx")


def _decode(name: str, data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DataFileError(name, "is not text in UTF-8 or GB18030")


def _read_yaml(path: Path) -> Any:
    return _parse_yaml(str(path), _decode(str(path), path.read_bytes()))


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


def _parse_yaml(name: str, text: str) -> Any:
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


def _read_json(path: Path) -> Any:
    return _parse_json(str(path), _decode(str(path), path.read_bytes()))


def _parse_json(name: str, text: str) -> Any:
    if not text.strip():
        raise DataFileError(name, "is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise DataFileError(name, f"is not valid JSON at line {e.lineno}: {e.msg}") from e


def _from_documents(path: Path, doc: Any) -> list[RawRecord]:
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


def set_dotted(target: dict[str, Any], dotted: str, value: Any) -> None:
    """``set_dotted(d, 'name.zh', v)`` sets ``d['name']['zh'] = v``."""
    keys = [k.strip() for k in dotted.split(".")]
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
    :func:`load_files` reads back."""
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


def _rows_to_dicts(
    name: str, rows: list[list[Any]]
) -> list[tuple[int, dict[str, Any]]]:
    """(spreadsheet row number, nested record) for each non-empty row under the header."""
    if not rows:
        return []
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    out = []
    for number, row in enumerate(rows[1:], start=2):
        record: dict[str, Any] = {}
        for column, value in zip(header, row, strict=False):
            if not column or value is None or (isinstance(value, str) and not value.strip()):
                continue
            set_dotted(record, column, value)
        if record:
            out.append((number, record))
    return out


def _group_of(path: Path) -> str | None:
    stem = path.stem.lower()
    for group in GROUPS:
        if stem == group or re.search(rf"[._-]{group}$", stem):
            return group
    return None


def _read_csv_rows(path: Path) -> list[list[Any]]:
    text = _decode(str(path), path.read_bytes())
    if not text.strip():
        raise DataFileError(str(path), "is empty")
    return [list(row) for row in csv.reader(io.StringIO(text))]


def _read_csv(path: Path, extra_group_files: list[Path]) -> list[RawRecord]:
    rows = _read_csv_rows(path)
    records = [
        RawRecord(str(path), f"row {number}", data)
        for number, data in _rows_to_dicts(str(path), rows)
    ]
    if not records:
        raise DataFileError(str(path), "holds no applicants")
    group_files: dict[Path, str] = {}
    for group in GROUPS:
        for candidate in (
            path.with_name(f"{path.stem}.{group}.csv"),
            path.with_name(f"{path.stem}-{group}.csv"),
            path.with_name(f"{path.stem}_{group}.csv"),
            path.with_name(f"{group}.csv"),
        ):
            if candidate.exists():
                group_files[candidate.resolve()] = group
                break
    for extra in extra_group_files:
        group_files[extra.resolve()] = _group_of(extra) or ""
    for group_path, group in group_files.items():
        grouped = _rows_to_dicts(str(group_path), _read_csv_rows(group_path))
        _attach(records, group, [(f"{group_path.name} row {n}", d) for n, d in grouped])
    return records


def _attach(
    records: list[RawRecord], group: str, rows: list[tuple[str, dict[str, Any]]]
) -> None:
    by_id = {r.record_id: r for r in records if r.record_id}
    for where, row in rows:
        applicant_id = str(row.pop("id", "") or "").strip()
        target = by_id.get(applicant_id)
        if target is None:
            orphan = RawRecord(records[0].file, where, {"__orphan_of__": applicant_id or None})
            orphan.data["__group__"] = group
            records.append(orphan)
            continue
        if group == "competences":
            code = str(row.pop("code", row.pop("competence", "")) or "").strip().upper()
            comps = target.data.setdefault("competences", {})
            if not isinstance(comps, dict):
                continue
            comps[code or f"(row {where})"] = row
            target.locations[f"competences.{code}"] = where
        else:
            entries = target.data.setdefault(group, [])
            if not isinstance(entries, list):
                continue
            entries.append(row)
            target.locations[f"{group}[{len(entries)}]"] = where


def _cell_value(cell: Any) -> Any:
    value = cell.value
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (int, float)):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value)
        fmt = cell.number_format or ""
        if re.fullmatch(r"0+", fmt) and isinstance(value, int):
            text = text.zfill(len(fmt))  # a "000000" format keeps leading zeros on screen
        return text
    return str(value)


def _check_zip(name: str, source: Any) -> None:
    try:
        with zipfile.ZipFile(source) as z:
            infos = z.infolist()
    except zipfile.BadZipFile as e:
        raise DataFileError(name, "is not an XLSX workbook (not a valid zip file)") from e
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > MAX_XLSX_UNCOMPRESSED or total / packed > MAX_XLSX_RATIO:
        raise DataFileError(name, "unpacks to far more data than a workbook holds; refused")
    for info in infos:
        if info.filename.endswith(".xml") or info.filename.endswith(".rels"):
            with zipfile.ZipFile(source) as z, z.open(info) as member:
                head = member.read(4096)
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise DataFileError(
                    name, f"contains an XML DOCTYPE or ENTITY ({info.filename}); refused"
                )


def _read_xlsx(path: Path) -> list[RawRecord]:
    with path.open("rb") as f:
        return _xlsx_records(str(path), f)


def _xlsx_records(name: str, source: Any) -> list[RawRecord]:
    import openpyxl

    _check_zip(name, source)
    source.seek(0)
    try:
        workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a damaged workbook
        raise DataFileError(name, f"is not a readable XLSX workbook ({e})") from e
    try:
        sheets = {ws.title.strip().lower(): ws for ws in workbook.worksheets}
        main_name = next((n for n in sheets if n not in GROUPS), None)
        if main_name is None:
            raise DataFileError(name, "has no sheet of applicants")
        main = sheets.get("applicants") or sheets[main_name]

        def rows_of(ws: Any) -> list[list[Any]]:
            return [[_cell_value(c) for c in row] for row in ws.iter_rows()]

        sheet_title = main.title
        records = [
            RawRecord(name, f"sheet {sheet_title} row {n}", d)
            for n, d in _rows_to_dicts(name, rows_of(main))
        ]
        if not records:
            raise DataFileError(name, "holds no applicants")
        for group in GROUPS:
            ws = sheets.get(group)
            if ws is not None:
                grouped = _rows_to_dicts(name, rows_of(ws))
                _attach(records, group, [(f"sheet {ws.title} row {n}", d) for n, d in grouped])
        return records
    finally:
        workbook.close()
