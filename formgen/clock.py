"""Today and now, for every door alike: the machine's clock, or the date in FORMGEN_TODAY.

FORMGEN_TODAY (YYYY-MM-DD) makes runs reproducible: validation, the documents' dates,
certificates' dates of issue, the register's events and the links' expiry all take their
day from it. With it set, :func:`now` is that day at the clock's time of day, so links
made and checked under it keep their length of validity.
"""

from __future__ import annotations

import datetime as dt
import os

from formgen.exceptions import FormgenError
from formgen.messages import msg

TODAY_ENV = "FORMGEN_TODAY"


def today() -> dt.date:
    """Today, or the date in FORMGEN_TODAY; FormgenError when that is not a date."""
    override = os.environ.get(TODAY_ENV)
    if override:
        try:
            return dt.date.fromisoformat(override)
        except ValueError as e:
            raise FormgenError(msg("run.today-not-a-date", value=override)) from e
    return dt.date.today()


def now() -> dt.datetime:
    """Now in UTC; on the day FORMGEN_TODAY names, when it is set."""
    current = dt.datetime.now(dt.UTC)
    if not os.environ.get(TODAY_ENV):
        return current
    return dt.datetime.combine(today(), current.timetz())


def utc_stamp(when: dt.datetime) -> str:
    """``when`` in UTC to the second, as written in credentials: ``2026-11-23T09:30:00Z``."""
    return when.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
