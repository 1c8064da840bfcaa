"""Every error formgen reports to a user.

`FormgenError` and its subclasses are user-facing: the CLI prints their message to
stderr and exits 1 (:func:`formgen.commands.common.user_errors`). The web app answers
each where it can arise: a file or body it cannot read (DataFileError) with 400 (413 or
429 when its reading process is stopped), a link it cannot open with 403 or 410, a
register it cannot read (RegisterError) and a converter that is down (ConversionError)
with 503, and any other FormgenError while it makes a document or a pack with 500, its
message in the API's JSON and a notice on the form page. Any other exception is a bug
and keeps its traceback (the web app logs it and answers a plain 500). Each carries a
:class:`~formgen.messages.Message`, so it reads in the user's language (see
:mod:`formgen.messages`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from formgen.language import Language
from formgen.messages import Joined, Message, environment_language, joined, msg, shown, translations

SEVERITIES = {"error": msg("problem.error"), "warning": msg("problem.warning")}
"""How each severity reads in a problem's line."""
WHOLE_FILE = msg("place.whole-file")
"""The place of a problem with a file as a whole (it cannot be read): its line names only
the file."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong (or doubtful) in the input, located as precisely as we can."""

    file: str
    """The data file the record came from."""
    record: Message
    """Where in the file: 'row 3' or 'record 2', with the applicant id when known."""
    field: str
    """Dotted path of the field, e.g. ``career[1].end``; empty for the record as a whole."""
    message: Message
    """What is wrong, as a message id and its values."""
    severity: str = "error"
    """``error`` stops the record; ``warning`` is reported and the record still goes on."""
    record_id: str = ""
    """The applicant id, when the record has one."""
    said: tuple[Language, str] | None = dataclasses.field(default=None, compare=False, repr=False)
    """The line in a language, when it was said already (:meth:`say`)."""

    @property
    def code(self) -> str:
        """The message id, e.g. ``field.missing``: what is wrong, in no language."""
        return self.message.id

    def place(self) -> Joined:
        """File, record and field, as far as known."""
        record = None if self.record == WHOLE_FILE else self.record
        return Joined(tuple(p for p in (self.file, record, self.field) if p), msg("list.place"))

    def text(self, lang: Language, message_text: str | None = None) -> str:
        """The whole line: where, how bad, what (``message_text``: the message in ``lang``,
        when it was said already)."""
        if self.said is not None and self.said[0] == lang:
            return self.said[1]
        # msg("problem.line", place=self.place(), ...) said, without making the messages
        # (a batch says thousands of lines; each is said once: kept by no cache)
        words = translations(lang)
        record = None if self.record == WHOLE_FILE else self.record
        place = words.gettext("list.place").join(
            shown(p, lang) for p in (self.file, record, self.field) if p)
        return words.gettext("problem.line") % {
            "place": place, "severity": shown(SEVERITIES[self.severity], lang),
            "message": shown(self.message, lang) if message_text is None else message_text,
        }

    def __reduce__(self) -> tuple[Any, ...]:
        # pickled as its fields: a worker process sends thousands back
        return _problem, (self.file, self.record, self.field, self.message, self.severity,
                          self.record_id, self.said)

    def say(self, lang: Language, message_text: str | None = None) -> Problem:
        """The problem with its line in ``lang`` kept, e.g. by the process that found it
        (``message_text``: the message in ``lang``, when it was said already)."""
        object.__setattr__(self, "said", (lang, self.text(lang, message_text)))
        return self

    def __str__(self) -> str:
        return self.text(environment_language())


def _problem(*fields: Any) -> Problem:
    return Problem(*fields)


class FormgenError(Exception):
    """Base of every error a user is meant to read."""

    def __init__(self, message: Message):
        super().__init__(message)
        self.message = message

    @property
    def code(self) -> str:
        """The message id."""
        return self.message.id

    def text(self, lang: Language) -> str:
        return self.message.text(lang)

    def __str__(self) -> str:
        return str(self.message)


class ManifestError(FormgenError):
    """The manifest is missing, unreadable or inconsistent."""


class DataError(FormgenError):
    """A data file or record cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(joined(problems, "\n"))


class DataFileError(FormgenError):
    """A data file cannot be read at all (missing, empty, wrong format, unsafe)."""

    def __init__(self, file: str, reason: Message):
        self.file = file
        self.reason = reason
        """What is wrong with the file, without its name."""
        super().__init__(msg("file.problem", file=file, problem=reason))

    def __reduce__(self) -> tuple[type[DataFileError], tuple[str, Message]]:
        return (type(self), (self.file, self.reason))  # raised in a worker, read in the parent


class TemplateError(FormgenError):
    """A template is missing, broken, or uses a variable the data does not have."""


class ConversionError(FormgenError):
    """LibreOffice could not turn a document into PDF."""


class OutputError(FormgenError):
    """An output file or folder cannot be written."""


class RegisterError(FormgenError):
    """The certificate register is locked, corrupt or cannot be written."""


class VerificationError(FormgenError):
    """A certificate code is malformed, forged or unknown."""


class SigningError(FormgenError):
    """A signing key or certificate that cannot be used, or a PDF whose signature cannot
    be read."""


class CredentialError(FormgenError):
    """A digital credential, the issuer's keys or a status list cannot be made or checked."""
