"""One applicant record from the web (the form, an upload, a link, an API body), checked.

Pages and API validate through :func:`check_record`, so both see the same problems.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from formgen.model.applicant import Applicant
from formgen.validate import Report, validate_record
from formgen.web.sections import for_check
from formgen.web.state import WebState

NO_REFERENCE_YET = "PENDING"
"""Stands in for a reference the applicant left empty while the record is checked."""


@dataclass
class Outcome:
    """A record checked: the applicant when valid, and the problems to show."""

    record: dict[str, Any]
    report: Report
    applicant: Applicant | None


def check_record(
    record: dict[str, Any], state: WebState, today: dt.date, *, reference_optional: bool = False
) -> Outcome:
    """Validate ``record``, less the parts its programme does not use.

    With ``reference_optional`` (the applicant's form) a record without a reference is
    valid, and its applicant has an empty ``id``: the documents then say the programme
    office assigns it. The API asks for one.
    """
    data = for_check(record, state.manifest)
    blank = reference_optional and not str(data.get("id") or "").strip()
    if blank:
        data["id"] = NO_REFERENCE_YET
    report = validate_record(data, state.manifest, today)
    applicant = report.valid[0].applicant if report.valid else None
    if blank and applicant is not None:
        applicant = applicant.model_copy(update={"id": ""})
    return Outcome(record, report, applicant)
