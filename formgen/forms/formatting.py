"""Dates, numbers and money per language, through Babel."""

from __future__ import annotations

import datetime as dt

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.numbers import format_currency, format_decimal

from formgen.model.applicant import Language

# Parsed once: Babel looks a locale name up again on every call given a string.
LOCALES: dict[Language, Locale] = {"zh": Locale.parse("zh_CN"), "en": Locale.parse("en_GB")}
_MONEY_PATTERN: dict[Language, str] = {"zh": "#,##0元", "en": "¤¤ #,##0"}
TO_DATE: dict[Language, str] = {"zh": "至今", "en": "to date"}
CHECKED, UNCHECKED = "☑", "☐"


def box(checked: bool) -> str:
    """A ballot box: ☑ when checked, ☐ when not."""
    return CHECKED if checked else UNCHECKED


def month(value: dt.date | None, lang: Language) -> str:
    """A month, e.g. 2009年9月 / Sept 2009; an empty month reads 'to date'."""
    if value is None:
        return TO_DATE[lang]
    return format_skeleton("yMMM", value, locale=LOCALES[lang])


def day(value: dt.date, lang: Language, length: str = "medium") -> str:
    """A date, e.g. 2025年6月18日 / 18 Jun 2025."""
    return format_date(value, length, locale=LOCALES[lang])


def number(value: float, lang: Language) -> str:
    """A number with the language's grouping and decimal signs."""
    return format_decimal(value, locale=LOCALES[lang])


def money(amount: int, lang: Language) -> str:
    """Yuan, e.g. 8,000元 / CNY 8,000."""
    return format_currency(
        amount, "CNY", format=_MONEY_PATTERN[lang], locale=LOCALES[lang], currency_digits=False
    )
