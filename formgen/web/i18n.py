"""The page's words in Chinese and English, from the Babel catalogues in ``formgen/locale``.

The build compiles the catalogues (``pybabel compile -d formgen/locale -D messages``);
when a compiled ``.mo`` is missing or older than its ``.po`` (a fresh clone), the ``.po``
is compiled in memory instead, so the app works either way.

Messages from the validator are written in English; :meth:`Translator.problem` turns the
common ones into the page's language and wraps any other in a translated sentence.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from formgen.forms import formatting
from formgen.model.applicant import LANGUAGES, Language

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"
CATALOGUE: dict[Language, str] = {"zh": "zh_CN", "en": "en"}
DEFAULT_LANGUAGE: Language = "zh"


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


def pick_language(value: str | None) -> Language:
    """``zh`` or ``en`` from a ``lang`` parameter; Chinese unless English is asked for."""
    if value and value.strip().lower().replace("_", "-").split("-")[0] == "en":
        return "en"
    return DEFAULT_LANGUAGE


@cache
def translations(lang: Language) -> Translations:
    """The compiled catalogue of ``lang`` (compiled in memory from the .po if needed)."""
    folder = LOCALE_DIR / CATALOGUE[lang] / "LC_MESSAGES"
    mo, po = folder / f"{DOMAIN}.mo", folder / f"{DOMAIN}.po"
    if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fh:
            return Translations(fh, domain=DOMAIN)
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=CATALOGUE[lang], domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def _as_date(text: str) -> dt.date | None:
    try:
        if re.fullmatch(r"\d{4}-\d{2}", text):
            return dt.date.fromisoformat(text + "-01")
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


# Validator messages (English, see formgen.validate and formgen.models) and their
# translatable forms. Named groups fill the placeholders; groups named month_* and date_*
# are shown as dates in the page's language.
_PROBLEMS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p, re.S), m)
    for p, m in [
        (r"is missing|is empty", N_("This is required.")),
        (r"needs at least one entry", N_("Add at least one entry.")),
        (r"'(?P<value>.*)' is not an email address", N_("“%(value)s” is not an email address.")),
        (r"'(?P<value>.*)' is not a month; .*", N_("“%(value)s” is not a month; write it as YYYY-MM, e.g. 2020-09.")),
        (r"'(?P<value>.*)' has no month \d+", N_("“%(value)s” is not a month; write it as YYYY-MM, e.g. 2020-09.")),
        (r"must be a month written as YYYY-MM", N_("Write the month as YYYY-MM, e.g. 2020-09.")),
        (r"'(?P<value>.*)' is not a date[;:] .*", N_("“%(value)s” is not a date; write it as YYYY-MM-DD, e.g. 2025-06-18.")),
        (r"ends \((?P<month_end>[\d-]+)\) before it starts \((?P<month_start>[\d-]+)\)", N_("Ends (%(month_end)s) before it starts (%(month_start)s).")),
        (r"is in the future \((?P<date_when>[\d-]+)\)", N_("Is in the future (%(date_when)s).")),
        (r"ended in (?P<month_end>[\d-]+), more than (?P<years>\d+) years ago; .*", N_("Ended in %(month_end)s, more than %(years)s years ago; only the latest %(years)s years of career go on the form.")),
        (r"is (?P<date_when>[\d-]+), more than (?P<years>\d+) years ago; .*", N_("Is %(date_when)s, more than %(years)s years ago; the CPD record covers the past %(years)s years.")),
        (r"has (?P<count>\d+) characters; at most (?P<limit>\d+) are allowed", N_("Has %(count)s characters; at most %(limit)s are allowed.")),
        (r"'(?P<value>.*)' is not one of: (?P<allowed>.*)", N_("“%(value)s” is not one of: %(allowed)s.")),
        (r"must not be negative \(got .*\)", N_("Must not be negative.")),
        (r"'(?P<value>.*)' is not a number( of hours)?", N_("“%(value)s” is not a number.")),
        (r"'(?P<value>.*)' is not (yes or no; write true or false|true or false)", N_("“%(value)s” is not yes or no.")),
        (r"must be text, not true/false|must be text", N_("Must be text.")),
        (r"contains the control character (?P<char>U\+[0-9A-F]+), .*", N_("Contains the control character %(char)s, which a document cannot hold.")),
        (r"is missing; cmes-soe applicants must be CMES members.*", N_("CMES–SOE applicants must give their CMES membership number and member grade.")),
        (r"is missing; give the SOE membership applied for.*", N_("Choose the SOE membership and division applied for.")),
        (r"is missing; csee-iet applicants are nominated by a unit.*", N_("CSEE–IET applicants must name their nominating unit.")),
        (r"'(?P<unit>.*)' is not in the quota table", N_("“%(unit)s” is not one of the units in the quota table.")),
        (r".* is over its quota of (?P<places>\d+) places.*", N_("This unit is over its quota of %(places)s places.")),
        (r"registration for csee-iet closed on (?P<date_when>[\d-]+)", N_("Registration for CSEE–IET closed on %(date_when)s.")),
        (r"under the (?P<hours>\d+) hours a year that re-registration needs: (?P<years_short>.*)", N_("Re-registration needs %(hours)s hours of CPD a year: %(years_short)s.")),
        (r"has no Chinese text; .*", N_("No Chinese text; the English is used in Chinese documents.")),
        (r"has no English text; .*", N_("No English text; the Chinese is used in English documents.")),
        (r"is not a known field; did you mean '(?P<close>.*)'\?", N_("Unknown field; did you mean “%(close)s”?")),
        (r"is not a known field", N_("Unknown field.")),
        (r"must be a group of fields \(a mapping\)", N_("Must be a group of fields.")),
        (r"must be a list of entries", N_("Must be a list of entries.")),
        (r"unknown competence (?P<codes>.*); the codes are A1 … E4", N_("Unknown competence %(codes)s; the codes are A1 to E4.")),
        (r"'(?P<value>.*)' cannot be used as a folder name", N_("“%(value)s” cannot be used as a reference.")),
        (r"lists more than the highest engineering degree\(s\)", N_("List only your highest engineering degree.")),
    ]
]
_SHORT_YEAR = re.compile(r"(?P<hours>[\d.]+) h in the year to (?P<date>[\d-]+)")


@dataclass(frozen=True)
class Translator:
    """Words, dates and numbers in one language."""

    lang: Language

    @property
    def translations(self) -> Translations:
        return translations(self.lang)

    @property
    def html_lang(self) -> str:
        return "zh-CN" if self.lang == "zh" else "en"

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def __call__(self, message: str, **values: Any) -> str:
        """The message translated, with ``%(name)s`` placeholders filled in."""
        text = self.gettext(message)
        return text % values if values else text

    # ---- Babel formatting ----

    def date(self, value: dt.date) -> str:
        return formatting.day(value, self.lang, "long")

    def month(self, value: dt.date | None) -> str:
        return formatting.month(value, self.lang)

    def number(self, value: float) -> str:
        return formatting.number(value, self.lang)

    def megabytes(self, size: int) -> str:
        return self(N_("%(size)s MB"), size=self.number(round(size / (1024 * 1024), 1)))

    # ---- validator messages ----

    def problem(self, message: str) -> str:
        """A validator message in this language."""
        for pattern, msgid in _PROBLEMS:
            m = pattern.fullmatch(message.strip())
            if m:
                return self(msgid, **{k: self._value(k, v) for k, v in m.groupdict().items()})
        return self(N_("Please check this entry (%(detail)s)."), detail=message)

    def _value(self, key: str, value: str | None) -> str:
        value = value or ""
        if key.startswith(("month_", "date_")):
            day = _as_date(value)
            if day is not None:
                return self.month(day) if key.startswith("month_") else self.date(day)
        if key == "years_short":
            parts = [
                self(N_("%(hours)s h in the year to %(date)s"), hours=self.number(float(m["hours"])),
                     date=self._value("date_", m["date"]))
                for m in _SHORT_YEAR.finditer(value)
            ]
            return self.gettext("; ").join(parts) if parts else value
        return value


TRANSLATORS: dict[Language, Translator] = {lang: Translator(lang) for lang in LANGUAGES}


def translator(lang: str | None) -> Translator:
    return TRANSLATORS[pick_language(lang)]

