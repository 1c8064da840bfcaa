"""The page's words in Chinese and English, from the Babel catalogues in ``formgen/locale``
(:func:`formgen.messages.translations`).

The page's own words are English msgids marked with ``N_`` or ``tr``; problems and errors
are :class:`~formgen.messages.Message` values, shown with ``message.text(tr.lang)``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from babel.support import Translations

from formgen import language
from formgen.language import LANGUAGES, Language
from formgen.messages import translations

DEFAULT_LANGUAGE: Language = "zh"


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


def pick_language(value: str | None) -> Language:
    """``zh`` or ``en`` from a ``lang`` parameter; Chinese unless English is asked for."""
    if value and value.strip().lower().replace("_", "-").split("-")[0] == "en":
        return "en"
    return DEFAULT_LANGUAGE


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
        return language.day(value, self.lang)

    def number(self, value: float) -> str:
        return language.number(value, self.lang)

    def megabytes(self, size: int) -> str:
        return self(N_("%(size)s MB"), size=self.number(round(size / (1024 * 1024), 1)))


TRANSLATORS: dict[Language, Translator] = {lang: Translator(lang) for lang in LANGUAGES}


def translator(lang: str | None) -> Translator:
    return TRANSLATORS[pick_language(lang)]

