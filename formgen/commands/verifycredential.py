"""``formgen verify FILE.json`` (a digital credential) and the published status of a
certificate PDF, as lines for the user."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from formgen.commands.common import say
from formgen.credentials.verify import StatusCheck, pdf_status, verify_credential
from formgen.messages import Message, joined, msg


def _status_line(status: StatusCheck) -> Message:
    if status.status == "revoked":
        return msg("credential.status-revoked")
    if status.status == "valid":
        return msg("credential.status-valid")
    return msg("credential.status-unchecked", reason=status.problem or "")


def verify_credential_file(path: Path, did_document: Path | None) -> None:
    """Say whether the credential in ``path`` is genuine and in force; exit 1 when it is
    not genuine, not in force, or revoked."""
    found = verify_credential(path, did_document)
    if found.problems:
        say(msg("credential.not-genuine", error=joined(found.problems, msg("list.semicolon"))))
        sys.exit(1)
    say(msg("credential.genuine", number=found.number, method=found.method), err=False)
    say(msg("credential.about", holder=found.holder, achievement=found.achievement,
            issuer=found.issuer, date=found.valid_from[:10]), err=False)
    say(_status_line(found.status), err=False)
    if found.status.status == "revoked":
        sys.exit(1)


def with_published_status(path: Path, check: Callable[[], None]) -> None:
    """Run the PDF's own ``check``, then say what the status list it names says of it
    (exit 1 when revoked). Not for a signed PDF that failed its check (what it says of
    itself is not to be trusted); an unsigned one has only its status to go by."""
    try:
        check()
    except SystemExit as e:
        if e.code and not _unsigned(path):
            raise
        check_pdf_status(path, only_known=True)
        raise
    if check_pdf_status(path):
        sys.exit(1)


def _unsigned(path: Path) -> bool:
    try:
        root = PdfReader(path).trailer["/Root"]
        return "/AcroForm" not in root  # type: ignore[operator]
    except (OSError, PyPdfError, KeyError):
        return False


def check_pdf_status(path: Path, only_known: bool = False) -> bool:
    """Say what the status list the certificate PDF names says of it (fetched now);
    whether it says revoked. ``only_known``: say nothing of a PDF that names none."""
    status = pdf_status(path)
    if only_known and status.problem is not None and status.problem.id == "credential.pdf-no-status":
        return False
    say(_status_line(status), err=False)
    return status.status == "revoked"
