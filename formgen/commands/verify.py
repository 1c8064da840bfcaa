"""``formgen verify CODE``"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from formgen.certificates.numbers import Issued
from formgen.certificates.qr import PAYLOAD_TAG, code_in_link
from formgen.certificates.register import Register, reason_words
from formgen.commands.common import (
    manifest_option,
    register_key_option,
    register_option,
    say,
    user_errors,
)
from formgen.exceptions import FormgenError, VerificationError
from formgen.messages import Message, msg
from formgen.model.manifest import load_manifest


def describe(issued: Issued, manifest_path: str | None) -> list[Message]:
    """The lines saying what a certificate is and whether it stands, in the manifest's words."""
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
        status_line(issued),
        msg("verify.holder", name=issued.name, id=issued.applicant_id),
        msg("verify.certificate", title=title, grade=grade, programme=issued.programme),
        msg("verify.issued-on", date=issued.issued_on),
    ]


def status_line(issued: Issued) -> Message:
    """The first line: genuine and valid, revoked, or superseded."""
    if issued.status == "revoked":
        return msg("verify.revoked", number=issued.number, code=issued.short_code,
                   date=issued.changed_on, reason=reason_words(issued.reason))
    if issued.status == "superseded":
        return msg("verify.superseded", number=issued.number, code=issued.short_code,
                   new=issued.replaced_by, date=issued.changed_on)
    return msg("verify.genuine", number=issued.number, code=issued.short_code)


def look_up(reg: Register, text: str) -> Issued:
    """The certificate a number, a code, a verification link or an old QR text names;
    VerificationError when there is none, or it was never issued."""
    if text.strip().upper().startswith(PAYLOAD_TAG + "|"):
        issued = reg.verify_payload(text)
    else:
        issued = reg.lookup(code_in_link(text) or text)
    if issued.status in ("pending", "void"):
        raise VerificationError(msg("verify.never-issued", number=issued.number))
    return issued


@click.command("verify")
@click.argument("code")
@register_option
@register_key_option
@manifest_option
@user_errors
def command(code: str, register: Path, register_key: Path | None,
            manifest_path: str | None) -> None:
    """Check a certificate by its number, its verification code, its verification link
    (what its QR code holds) or the QR text of an older certificate.

    Says whom the certificate was issued to, which certificate it is, when, and whether
    it still stands: exit 0 when it is genuine and valid, 1 when it was revoked or
    superseded, or is unknown, forged or altered.
    """
    try:
        with Register(register, key_file=register_key, read_only=True) as reg:
            issued = look_up(reg, code)
    except VerificationError as e:
        say(msg("verify.not-genuine", error=e.message))
        sys.exit(1)
    for line in describe(issued, manifest_path):
        say(line, err=False)
    if issued.status != "valid":
        sys.exit(1)
