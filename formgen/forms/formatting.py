"""Dates, numbers, money and ballot boxes in documents, per language, through Babel."""

from __future__ import annotations

import datetime as dt

from babel.numbers import format_currency

from formgen.language import LOCALES, Language, day, number
from formgen.language import month as _month

__all__ = ["CHECKED", "LOCALES", "TO_DATE", "UNCHECKED", "box", "day", "money", "month", "number"]

_MONEY_PATTERN: dict[Language, str] = {"zh": "#,##0元", "en": "¤¤ #,##0"}
TO_DATE: dict[Language, str] = {"zh": "至今", "en": "to date"}
CHECKED, UNCHECKED = "☑", "☐"


def box(checked: bool) -> str:
    """A ballot box: ☑ when checked, ☐ when not."""
    return CHECKED if checked else UNCHECKED


def month(value: dt.date | None, lang: Language) -> str:
    """A month, e.g. 2009年9月 / September 2009; an empty month reads 'to date'."""
    if value is None:
        return TO_DATE[lang]
    return _month(value, lang)


def money(amount: int, lang: Language) -> str:
    """Yuan, e.g. 8,000元 / CNY 8,000."""
    return format_currency(
        amount, "CNY", format=_MONEY_PATTERN[lang], locale=LOCALES[lang], currency_digits=False
    )
