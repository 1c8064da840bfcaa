"""The two languages, and how Babel writes dates, months and numbers in each.

The foundation of both the documents (:mod:`formgen.forms.formatting`) and the messages
(:mod:`formgen.messages`): nothing here knows about applicants or files.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Literal

from babel import Locale
from babel.dates import format_skeleton
from babel.numbers import format_decimal

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")

# Parsed once: Babel looks a locale name up again on every call given a string.
LOCALES: dict[Language, Locale] = {"zh": Locale.parse("zh_CN"), "en": Locale.parse("en_GB")}


# One date style everywhere (documents, certificates, messages, web pages): months by their
# full name. The abbreviated ones of en_GB mix three and four letters (Jul, Sept).
MONTH_SKELETON = "yMMMM"
DAY_SKELETON = "yMMMMd"


# Cached: Babel takes a third of a millisecond for each, and a batch repeats the same
# months thousands of times.
@lru_cache(maxsize=8192)
def month(value: dt.date, lang: Language) -> str:
    """A month, e.g. 2009年9月 / September 2009."""
    return format_skeleton(MONTH_SKELETON, value, locale=LOCALES[lang])


@lru_cache(maxsize=8192)
def day(value: dt.date, lang: Language) -> str:
    """A date, e.g. 2025年6月18日 / 18 June 2025."""
    return format_skeleton(DAY_SKELETON, value, locale=LOCALES[lang])


def number(value: float, lang: Language) -> str:
    """A number with the language's grouping and decimal signs."""
    if type(value) is int:  # both languages group digits by three with "," (as Babel does)
        return f"{value:,}"
    return _decimal(value, lang)


@lru_cache(maxsize=8192, typed=True)
def _decimal(value: float, lang: Language) -> str:
    return format_decimal(value, locale=LOCALES[lang])
