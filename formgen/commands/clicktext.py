"""click's own words (usage errors and an error's usage line) in the command line's language.

click marks what it says for gettext: its modules call ``_("Invalid value for
{param_hint}: {message}")``, ``ngettext(...)``. :func:`install` gives those modules
formgen's look-up instead: the texts listed in :func:`_listed` come from formgen's
catalogues (the msgid is click's English, the ``en`` text the same English, the
``zh_CN`` text its Chinese), in the language formgen speaks
(:func:`formgen.messages.environment_language`), so a zh user reads
``错误：'--out' 的值无效：'afile' 是文件，不是文件夹。`` instead of English or half and half.
Texts not listed (the help's "Options", "Show this message and exit.") stay as click
writes them, and so does "Usage:" in ``--help``: the help stays English. A click that
marks its words differently is left as it is (its English).
"""

from __future__ import annotations

import contextvars
import gettext as stdlib_gettext
import importlib

import click

from formgen.messages import environment_language, translations

_CLICK_MODULES = ("click.core", "click.decorators", "click.exceptions", "click.formatting",
                  "click.parser", "click.termui", "click.types")
_IN_AN_ERROR = contextvars.ContextVar("formgen_click_error", default=False)
_ERRORS_ONLY = frozenset({"Usage:"})
"""Texts click also writes in --help, translated only in an error's usage line."""


def gettext(text: str) -> str:
    """click's ``_``: ``text`` in the command line's language, when formgen lists it."""
    if text in _ERRORS_ONLY and not _IN_AN_ERROR.get():
        return text
    return translations(environment_language()).gettext(text)


def ngettext(singular: str, plural: str, n: int) -> str:
    """click's ``ngettext``: the form for ``n`` in the command line's language."""
    return translations(environment_language()).ngettext(singular, plural, n)


class Context(click.Context):
    """A click context whose usage line, shown above a usage error, speaks the user's
    language ("用法：")."""

    def get_usage(self) -> str:
        token = _IN_AN_ERROR.set(True)
        try:
            return super().get_usage()
        finally:
            _IN_AN_ERROR.reset(token)


def install(group: click.Group) -> None:
    """Make click's modules look their words up through formgen, and ``group`` and every
    command under it use :class:`Context`."""
    for name in _CLICK_MODULES:
        module = importlib.import_module(name)
        if getattr(module, "_", None) is stdlib_gettext.gettext:
            module._ = gettext  # type: ignore[attr-defined]
        if getattr(module, "ngettext", None) is stdlib_gettext.ngettext:
            module.ngettext = ngettext  # type: ignore[attr-defined]
    use_context(group)


def use_context(command: click.Command) -> None:
    """``command`` and every command under it use :class:`Context`."""
    command.context_class = Context
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            use_context(sub)


def N_(text: str) -> str:  # noqa: N802 - the gettext marker
    return text


def _listed() -> None:
    """click's texts that formgen gives in Chinese (extracted by ``make messages-update``,
    never called): what a user meets on the command line."""
    N_("Usage:")
    N_("Try '{command} {option}' for help.")
    N_("Error: {message}")
    N_("Aborted!")
    N_("Invalid value: {message}")
    N_("Invalid value for {param_hint}: {message}")
    N_("Missing argument")
    N_("Missing option")
    N_("Missing parameter")
    N_("Missing command.")
    N_("No such option {name!r}.")
    N_("No such command {name!r}.")
    ngettext("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)", 1)
    ngettext("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})", 1)
    N_("Option {name!r} does not take a value.")
    ngettext("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments.", 1)
    N_("Argument {name!r} takes {nargs} values.")
    ngettext("{value!r} is not {choice}.", "{value!r} is not one of {choices}.", 1)
    N_("Choose from:\n\t{choices}")
    N_("{value!r} is not a valid {number_type}.")
    N_("{value} is not in the range {range}.")
    N_("{name} {filename!r} does not exist.")
    N_("{name} {filename!r} is a file.")
    N_("{name} {filename!r} is a directory.")
    N_("{name} {filename!r} is not readable.")
    N_("{name} {filename!r} is not writable.")
    N_("{name} {filename!r} is not executable.")
