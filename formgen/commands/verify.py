"""``formgen verify CODE``"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from formgen.certificates.numbers import Issued
from formgen.certificates.qr import PAYLOAD_TAG
from formgen.certificates.register import DEFAULT_PATH, Register
from formgen.commands.common import manifest_option, say, user_errors
from formgen.exceptions import FormgenError, RegisterError, VerificationError
from formgen.messages import Message, msg
from formgen.model.manifest import load_manifest


def describe(issued: Issued, manifest_path: str | None) -> list[Message]:
    """The lines saying what a genuine certificate is, in the manifest's words."""
    title: object = issued.certificate
    grade: object = issued.grade
    try:
        manifest = load_manifest(manifest_path)
    except FormgenError:
        manifest = None
    if manifest is not None:
        doc = manifest.documents.get(issued.certificate)
        if doc is not None:
            title = doc.title
        programme = manifest.programmes.get(issued.programme)
        if programme is not None and issued.grade in programme.grades:
            grade = msg("verify.grade", name=programme.grades[issued.grade], code=issued.grade)
    return [
        msg("verify.genuine", number=issued.number, code=issued.short_code),
        msg("verify.holder", name=issued.name, id=issued.applicant_id),
        msg("verify.certificate", title=title, grade=grade, programme=issued.programme),
        msg("verify.issued-on", date=issued.issued_on),
    ]


@click.command("verify")
@click.argument("code")
@click.option("--register", "register", type=click.Path(dir_okay=False, path_type=Path),
              default=DEFAULT_PATH, show_default=True, help="Certificate register (SQLite).")
@manifest_option
@user_errors
def command(code: str, register: Path, manifest_path: str | None) -> None:
    """Check a certificate by its number, its verification code or its QR code text.

    Says whom a genuine certificate was issued to, which certificate it is and when
    (exit 0); refuses an unknown, forged or altered one (exit 1).
    """
    if not register.is_file():
        raise RegisterError(msg("register.not-found", path=str(register)))
    try:
        with Register(register) as reg:
            if code.strip().upper().startswith(PAYLOAD_TAG + "|"):
                issued = reg.verify_payload(code)
            else:
                issued = reg.lookup(code)
    except VerificationError as e:
        say(msg("verify.not-genuine", error=e.message))
        sys.exit(1)
    for line in describe(issued, manifest_path):
        say(line, err=False)
