"""Every sentence formgen says to a user, as a message id with parameters, said in Chinese
or English from the Babel catalogues in ``formgen/locale`` (domain ``messages``).

Code never writes the sentence itself. It writes the id and the values::

    raise DataFileError(str(path), msg("file.empty"))
    problem("career[1].end", msg("rule.ends-before-start", end=YearMonth(c.end), start=YearMonth(c.start)))

and the text is looked up when the message is shown: in the locale's language on the
command line and in errors.csv (:func:`environment_language`), in the page's language on
the web, in English in the JSON API (which also gives the id as ``code``).

Adding a message
----------------
1. Where it arises, call :func:`msg` with a literal id: lower case, dotted, the group
   first (``file.``, ``field.``, ``rule.``, ``register.``, ``cli.`` …), e.g.
   ``msg("rule.unit-missing")``. The id is the message's name for good: rewording a text
   never changes it.
2. Give the id a text in both catalogues, ``formgen/locale/en/LC_MESSAGES/messages.po``
   and ``formgen/locale/zh_CN/LC_MESSAGES/messages.po``::

       msgid "rule.ends-before-start"
       msgstr "ends (%(end)s) before it starts (%(start)s)"

   (``make messages-update`` adds new ids to ``messages.pot`` and to both catalogues with
   empty texts, to be filled in.) The English of a problem follows the field's path, as in
   ``career[1].end: error: ends (January 2023) before it starts (May 2024)``: lower case, no
   full stop; the Chinese is a whole sentence.
3. ``tests/test_messages.py`` fails while either text is missing, when a text uses a
   placeholder the call does not give, and when a catalogue keeps a text no code uses.

Parameters
----------
Placeholders are ``%(name)s``. Values are shown in the message's language:

- ``datetime.date``: a date (2025年6月18日 / 18 June 2025); ``YearMonth(date)``: a month
  (2009年9月 / September 2009);
- ``int`` and ``float``: a quantity, with the language's grouping (1,234; 2.5); give
  ids, row numbers and years as ``str``;
- a :class:`Message` (or anything with a ``text(lang)``, such as a problem or an
  error): its text in the same language; a term of the manifest (anything with a
  ``get(lang)``): its words in that language;
- a ``list`` or ``tuple``: its items, each shown as above, joined by ", " (、 in Chinese);
  :class:`Joined` chooses another separator;
- anything else: ``str(value)``.

A text value is shown as one printable line: control characters (NUL, line breaks, escape
sequences) and bidi controls are written as escapes (``\\x00``, ``\\u202e``), and a text
longer than SHOWN_CHARS is cut with "…" (see :func:`printable`), so a value from the data
never reaches a terminal, a log or errors.csv raw.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from formgen import language
from formgen.language import Language

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
CATALOGUE: dict[Language, str] = {"zh": "zh_CN", "en": "en"}
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")
"""Where the command line finds its language, first set first, as gettext looks."""


SHOWN_CHARS = 200
"""The longest text value a message shows whole."""
INVISIBLE = ("\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
             "\U000e0001\U000e0020-\U000e007f")
"""Invisible format characters (a regular expression's character class): bidi controls that
reorder how a text shows (U+202E), zero-width spaces and joiners, the byte-order mark,
soft hyphens, tag characters."""
_UNPRINTABLE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{INVISIBLE}]")


def printable(text: str, limit: int = SHOWN_CHARS) -> str:
    """``text`` as one printable line: control characters, line and paragraph separators,
    bidi controls and the other invisible characters (a zero-width space) as escapes
    (``\\x07``, ``\\u200b``), and at most ``limit`` characters of it (then "…")."""
    if len(text) > limit:
        text = text[:limit] + "…"
    if _UNPRINTABLE.search(text) is None:
        return text
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


@cache
def translations(lang: Language) -> Translations:
    """The compiled catalogue of ``lang``.

    The build compiles the catalogues (``pybabel compile -d formgen/locale -D messages``);
    when a ``.mo`` is missing or older than its ``.po`` (a fresh clone), the ``.po`` is
    compiled in memory instead, so formgen works either way.
    """
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


def environment_language(environ: Mapping[str, str] | None = None) -> Language:
    """The command line's language: the first of LC_ALL, LC_MESSAGES and LANG that is set;
    Chinese when it starts with ``zh``, else (or when none is set) English."""
    environ = os.environ if environ is None else environ
    for name in LOCALE_VARIABLES:
        value = environ.get(name)
        if value:
            return "zh" if value.strip().lower().startswith("zh") else "en"
    return "en"


@dataclass(frozen=True, slots=True)
class Message:
    """A message id and the values of its placeholders; its text comes from a catalogue."""

    id: str
    params: tuple[tuple[str, Any], ...] = ()

    def text(self, lang: Language) -> str:
        """The message in ``lang``, its placeholders filled in."""
        return self._said(lang)

    def _said(self, lang: Language) -> str:
        template = translations(lang).gettext(self.id)
        return template % {name: shown(value, lang) for name, value in self.params}

    @property
    def english(self) -> str:
        return self.text("en")

    def __reduce__(self) -> tuple[Any, ...]:
        # pickled as its fields: a worker process sends thousands back
        return Message, (self.id, self.params)

    def __str__(self) -> str:
        """The message in the command line's language."""
        return self.text(environment_language())


@dataclass(frozen=True)
class YearMonth:
    """A month as a parameter: shown as 2009年9月 / September 2009."""

    value: dt.date


@dataclass(frozen=True)
class Joined:
    """Items as one parameter, joined by ``separator`` (a message, or a text for every
    language such as a line break)."""

    items: tuple[Any, ...]
    separator: Message | str

    def __reduce__(self) -> tuple[Any, ...]:
        return Joined, (self.items, self.separator)


def msg(id: str, /, **params: Any) -> Message:  # noqa: A002 - the gettext word
    """The message ``id`` with its parameters (the id must be a literal: it is extracted)."""
    return Message(id, tuple([
        (name, _frozen(value) if isinstance(value, (list, tuple)) else value)
        for name, value in params.items()
    ]))


ITEMS = msg("list.items")
"""The separator of enumerations: ", " / "、"."""


def joined(items: Any, separator: Message | str) -> Message:
    """Several messages (or values) as one, e.g. an error made of every problem found."""
    return msg("list.joined", items=Joined(tuple(items), separator))


def shown(value: Any, lang: Language) -> str:
    """A parameter as it reads in ``lang``."""
    kind = type(value)
    if kind is str:
        return printable(value)
    if kind is Message:
        return value._said(lang)
    if kind is int:
        return language.number(value, lang)
    if isinstance(value, str):
        return printable(value)
    said = getattr(value, "text", None)
    if callable(said):  # a Message, a Problem, an error
        return str(said(lang))
    local = getattr(value, "get", None)
    if callable(local) and not isinstance(value, Mapping):  # a term in both languages
        return str(local(lang))
    if isinstance(value, YearMonth):
        return language.month(value.value, lang)
    if isinstance(value, dt.date):
        return language.day(value, lang)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        return language.number(value, lang)
    if isinstance(value, Joined):
        separator = value.separator
        glue = separator.text(lang) if isinstance(separator, Message) else separator
        return glue.join(shown(item, lang) for item in value.items)
    if isinstance(value, tuple):
        return shown(Joined(value, ITEMS), lang)
    return str(value)


def _frozen(value: Any) -> Any:
    """Lists as tuples, so that a message can be hashed (problems are compared)."""
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    return value
