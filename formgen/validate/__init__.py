"""The validate stage: raw records against the model and the notices' rules, every
problem at once.

Errors stop a record (nothing is written for it); warnings are reported and the record
goes on. ``validate`` never raises for bad data: it returns the problems.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from formgen import clock
from formgen.load import (
    UPLOAD,
    RawRecord,
    load_files,
    refused_record,
    sources,
    without_cycle_collection,
)
from formgen.load.limits import LimitExceeded, check_record
from formgen.messages import msg
from formgen.model.manifest import Manifest
from formgen.validate.record import check_id, examine
from formgen.validate.report import Report, Validated
from formgen.validate.rules import QuotaCount, quota_of
from formgen.validate.stream import check_sources

__all__ = ["Report", "Validated", "check_files", "validate", "validate_files", "validate_record"]


def validate(
    records: list[RawRecord],
    manifest: Manifest,
    today: dt.date | None = None,
    *,
    keep_applicants: bool = True,
) -> Report:
    """Validate a batch: types, then each record's rules, then the batch's (ids, quotas).

    With ``keep_applicants=False`` the report has every problem and counts the valid
    records, but holds none of their applicants: a check of many thousands stays small.
    """
    today = today or clock.today()
    report = Report()
    seen_ids: dict[str, Any] = {}
    quotas = QuotaCount(manifest)
    with without_cycle_collection():
        for raw in records:
            found = examine(raw, manifest, today)
            own_id = check_id(raw, found, seen_ids)
            report.problems.extend(found.problems)
            if not raw.whole_file:
                report.record_count += 1
            if found.applicant is None or not own_id:
                report.failed.append(raw)
                continue
            report.valid_count += 1
            quotas.add(raw, quota_of(found.applicant))
            if keep_applicants:
                report.valid.append(Validated(raw, found.applicant))
    report.problems.extend(quotas.warnings())
    return report


def validate_record(
    data: dict[str, Any], manifest: Manifest, today: dt.date, source: str = "form"
) -> Report:
    """Validate one record that came from no file (a web form, an upload, a request body,
    a link), under the web's limits."""
    raw = RawRecord(source, msg("place.submitted"), data)
    try:
        check_record(data, UPLOAD)
    except LimitExceeded as e:
        raw = refused_record(source, msg("place.submitted"), e.message)
    return validate([raw], manifest, today)


def validate_files(
    paths: list[Path], manifest: Manifest, today: dt.date, *, keep_applicants: bool = True
) -> tuple[list[RawRecord], Report]:
    """Load and validate data files: every record read, and the report on all of them
    (without the valid applicants when ``keep_applicants`` is False). A file that cannot
    be read is a record standing for it, which the report lists.
    """
    records = load_files(paths)
    return records, validate(records, manifest, today, keep_applicants=keep_applicants)


def check_files(
    paths: list[Path], manifest: Manifest, today: dt.date, *, workers: int | None = None
) -> Report:
    """Load and validate data files a record at a time (:mod:`formgen.validate.stream`):
    the report has every problem and counts the records, but holds no applicant and of a
    failed record only its place and id, so memory does not grow with the records."""
    return check_sources(sources(paths), manifest, today, workers=workers)
