"""One applicant record from the web (the form, an upload, a link, an API body), checked.

Pages and API validate through :func:`check_record`, so both see the same problems.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from formgen.model.applicant import Applicant
from formgen.validate import Report, validate_record
from formgen.web import formdata
from formgen.web.state import WebState


@dataclass
class Outcome:
    """A record checked: the applicant when valid, and the problems to show."""

    record: dict[str, Any]
    report: Report
    applicant: Applicant | None


def check_record(
    record: dict[str, Any], state: WebState, today: dt.date, *, assign_reference: bool = False
) -> Outcome:
    """Validate ``record``; with ``assign_reference`` a record without an id gets one."""
    data = dict(record)
    if assign_reference and not str(data.get("id") or "").strip():
        programme = state.manifest.programmes.get(str(data.get("programme") or ""))
        prefix = programme.reference_prefix if programme else "WEB"
        data["id"] = formdata.reference_for(data, today, prefix)
    report = validate_record(data, state.manifest, today)
    applicant = report.valid[0].applicant if report.valid else None
    return Outcome(record, report, applicant)
