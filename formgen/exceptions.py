"""Every error formgen reports to a user.

`FormgenError` and its subclasses are user-facing: the CLI prints their message to
stderr and exits 1, the web app turns them into 4xx answers. Any other exception is a
bug and keeps its traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or doubtful) in the input, located as precisely as we can."""

    file: str
    """The data file the record came from."""
    record: str
    """Where in the file: 'row 3' or 'record 2', with the applicant id when known."""
    field: str
    """Dotted path of the field, e.g. ``career[1].end``; empty for the record as a whole."""
    message: str
    """A plain sentence saying what is wrong."""
    severity: str = "error"
    """``error`` stops the record; ``warning`` is reported and the record still goes on."""
    record_id: str = ""
    """The applicant id, when the record has one."""

    def __str__(self) -> str:
        where = ", ".join(p for p in (self.file, self.record, self.field) if p)
        return f"{where}: {self.severity}: {self.message}"


class FormgenError(Exception):
    """Base of every error a user is meant to read."""


class ManifestError(FormgenError):
    """The manifest is missing, unreadable or inconsistent."""


class DataError(FormgenError):
    """A data file or record cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class DataFileError(FormgenError):
    """A data file cannot be read at all (missing, empty, wrong format, unsafe)."""

    def __init__(self, file: str, message: str):
        self.file = file
        self.message = message
        super().__init__(f"{file}: {message}")


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
