"""``formgen verify CODE`` and ``formgen verify FILE.pdf``"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from formgen.certificates.numbers import ISSUED, Issued
from formgen.certificates.qr import PAYLOAD_TAG, code_in_link
from formgen.certificates.register import Register, reason_words
from formgen.certificates.signature import check_signed_pdf
from formgen.commands.common import (
    manifest_option,
    register_key_option,
    register_option,
    say,
    user_errors,
)
from formgen.exceptions import FormgenError, VerificationError
from formgen.messages import Message, joined, msg
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
    if issued.status not in ISSUED:
        raise VerificationError(msg("verify.never-issued", number=issued.number))
    return issued


def verify_pdf(path: Path, register: Path, register_given: bool, register_key: Path | None,
               trust: tuple[Path, ...], manifest_path: str | None) -> None:
    """Check a signed certificate PDF: its signature, then its number and code against the
    register (when there is one, or one was named); exit 1 when it is not genuine, or no
    longer stands."""
    check = check_signed_pdf(path, trust)
    issued = None
    problems = list(check.problems)
    if not problems and (register_given or register.is_file()):
        try:
            with Register(register, key_file=register_key, read_only=True) as reg:
                issued = look_up(reg, check.certificate["code"])
        except VerificationError as e:
            problems.append(e.message)
        if issued is not None and issued.number != check.certificate["number"]:
            problems.append(msg("verify.pdf-register-mismatch", pdf=check.certificate["number"],
                                code=check.certificate["code"], register=issued.number))
    if problems:
        say(msg("verify.not-genuine", error=joined(problems, msg("list.semicolon"))))
        sys.exit(1)
    assert check.signed_at is not None
    signed = msg("verify.signed-by", signer=check.signer, date=check.signed_at.date(),
                 level=check.level, coverage=check.coverage)
    if issued is not None:
        lines = describe(issued, manifest_path)
        for line in [lines[0], signed, *lines[1:]]:
            say(line, err=False)
        if issued.status != "valid":
            sys.exit(1)
        return
    say(msg("verify.genuine", number=check.certificate["number"], code=check.certificate["code"]),
        err=False)
    say(signed, err=False)
    say(msg("verify.pdf-holder", name=check.certificate.get("holder", "")), err=False)
    say(msg("verify.register-not-checked", path=str(register)), err=False)


@click.command("verify")
@click.argument("code")
@register_option
@register_key_option
@click.option("--trust", "trust", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="For a PDF: a certificate (PEM or DER) of the authority whose signatures "
                   "to trust; repeatable. Default: the system's trusted authorities.")
@manifest_option
@user_errors
def command(code: str, register: Path, register_key: Path | None, trust: tuple[Path, ...],
            manifest_path: str | None) -> None:
    """Check a certificate by its number, its verification code, its verification link
    (what its QR code holds) or the QR text of an older certificate; or a signed
    certificate PDF.

    Says whom the certificate was issued to, which certificate it is, when, and whether
    it still stands: exit 0 when it is genuine and valid, 1 when it was revoked or
    superseded, or is unknown, forged or altered. A PDF is genuine when its signature is
    valid, made by a trusted signer, covers the whole file, and the number and code it
    carries are the ones printed on it and in the register (when there is one at
    --register).
    """
    if code.lower().endswith(".pdf"):
        source = click.get_current_context().get_parameter_source("register")
        given = source is not None and source.name != "DEFAULT"
        verify_pdf(Path(code), register, given, register_key, trust, manifest_path)
        return
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
