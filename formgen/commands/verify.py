"""``formgen verify CODE`` and ``formgen verify FILE.pdf``"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from formgen.certificates.audit import audited
from formgen.certificates.register import Register
from formgen.certificates.signature import check_signed_pdf
from formgen.certificates.verification import Verification, find
from formgen.commands.common import (
    database_option,
    manifest_option,
    register_key_option,
    register_option,
    register_place,
    say,
    user_errors,
)
from formgen.commands.verifycredential import verify_credential_file, with_published_status
from formgen.database import Location
from formgen.exceptions import FormgenError, VerificationError
from formgen.messages import Message, joined, msg
from formgen.model.manifest import Manifest, load_manifest


def describe(found: Verification) -> list[Message]:
    """The lines saying what a certificate is and whether it stands."""
    grade: object = found.grade
    if found.grade_name is not None:
        grade = msg("verify.grade", name=found.grade_name, code=found.grade)
    return [
        status_line(found),
        msg("verify.holder", name=found.holder, id=found.applicant_id),
        msg("verify.certificate", title=found.title or found.certificate, grade=grade,
            programme=found.programme),
        msg("verify.issued-on", date=found.issued_on),
    ]


def status_line(found: Verification) -> Message:
    """The first line: genuine and valid, revoked, or superseded."""
    if found.status == "revoked":
        return msg("verify.revoked", number=found.number, code=found.code,
                   date=found.changed_on, reason=found.reason_words)
    if found.status == "superseded":
        return msg("verify.superseded", number=found.number, code=found.code,
                   new=found.replaced_by, date=found.changed_on)
    return msg("verify.genuine", number=found.number, code=found.code)


def reissue_of(found: Verification) -> list[Message]:
    """The line naming the certificate ``found`` was reissued in place of, if it was."""
    return [msg("verify.reissue-of", old=found.replaces)] if found.replaces else []


def particulars(found: Verification) -> list[Message]:
    """What the certificate prints, as the verification page shows it: each label on a
    line, its value under it line by line, to compare with the paper; a note instead for
    a certificate numbered before the register kept them."""
    if found.particulars is None:
        return [msg("verify.printed-unknown")]
    lines = [msg("verify.printed")]
    for printed in found.particulars:
        lines.append(msg("verify.printed-label", label=printed.label))
        lines.extend(msg("verify.printed-value", value=line) for line in printed.lines)
    return lines


def manifest_or_none(manifest_path: str | None) -> Manifest | None:
    """The manifest, to describe certificates in its words; None when it cannot be read
    (the register's ids and codes are shown instead)."""
    try:
        return load_manifest(manifest_path)
    except FormgenError:
        return None


def verify_pdf(path: Path, register: Location, register_given: bool, register_key: Path | None,
               trust: tuple[Path, ...], manifest_path: str | None) -> None:
    """Check a signed certificate PDF: its signature, then its number and code against the
    register (when there is one, or one was named); exit 1 when it is not genuine, or no
    longer stands."""
    check = check_signed_pdf(path, trust)
    found = None
    links: list[Message] = []
    problems = list(check.problems)
    if not problems and (register_given or (register.path is not None and register.path.is_file())):
        try:
            with Register(register, key_file=register_key, read_only=True) as reg:
                audited(reg)
                found = find(reg, check.certificate["code"], manifest_or_none(manifest_path))
                links = reissue_of(found)
        except VerificationError as e:
            problems.append(e.message)
        if found is not None and found.number != check.certificate["number"]:
            problems.append(msg("verify.pdf-register-mismatch", pdf=check.certificate["number"],
                                code=check.certificate["code"], register=found.number))
    if problems:
        say(msg("verify.not-genuine", error=joined(problems, msg("list.semicolon"))))
        sys.exit(1)
    assert check.signed_at is not None
    signed = msg("verify.signed-by", signer=check.signer, date=check.signed_at.date(),
                 level=check.level, coverage=check.coverage)
    if found is not None:
        lines = describe(found)
        for line in [lines[0], signed, *lines[1:], *links, *particulars(found)]:
            say(line, err=False)
        if found.status != "valid":
            sys.exit(1)
        return
    say(msg("verify.genuine", number=check.certificate["number"], code=check.certificate["code"]),
        err=False)
    say(signed, err=False)
    say(msg("verify.pdf-holder", name=check.certificate.get("holder", "")), err=False)
    say(msg("verify.register-not-checked", path=register.shown), err=False)


@click.command("verify")
@click.argument("code")
@register_option
@database_option
@register_key_option
@click.option("--trust", "trust", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="For a PDF: a certificate (PEM or DER) of the authority whose signatures "
                   "to trust; repeatable. Default: the system's trusted authorities.")
@click.option("--did-document", "did_document", type=click.Path(dir_okay=False, path_type=Path),
              default=None,
              help="For a credential: the issuer's DID document as a file (did.json), "
                   "instead of fetching it from the issuer's did:web address.")
@manifest_option
@user_errors
def command(code: str, register: Path, database: Location | None, register_key: Path | None,
            trust: tuple[Path, ...], did_document: Path | None, manifest_path: str | None) -> None:
    """Check a certificate by its number, its verification code, its verification link
    (what its QR code holds) or the QR text of an older certificate; or a signed
    certificate PDF.

    Says whom the certificate was issued to, which certificate it is, when, whether it
    still stands, the certificate it was reissued in place of, and what it prints (as the
    verification page shows it, to compare with the paper line by line): exit 0 when it is genuine and valid, 1 when it was revoked or
    superseded, or is unknown, forged or altered. A PDF is genuine when its signature is
    valid, made by a trusted signer, covers the whole file, and the number and code it
    carries are the ones printed on it and in the register (when there is one at
    --register).

    A digital credential (FILE.json, written by formgen certificates --credentials) is
    checked for its proof, its issuer's key, its dates and, online, its status in the
    published status list. For a PDF the status list it names is asked too: a
    certificate revoked there fails; offline, that the status could not be checked is
    said.
    """
    if code.lower().endswith(".json"):
        verify_credential_file(Path(code), did_document)
        return
    where = register_place(register, database)
    if code.lower().endswith(".pdf"):
        source = click.get_current_context().get_parameter_source("register")
        given = (source is not None and source.name != "DEFAULT") or where.is_postgres
        with_published_status(Path(code), lambda: verify_pdf(
            Path(code), where, given, register_key, trust, manifest_path))
        return
    try:
        with Register(where, key_file=register_key, read_only=True) as reg:
            audited(reg)
            found = find(reg, code, manifest_or_none(manifest_path))
            links = reissue_of(found)
    except VerificationError as e:
        say(msg("verify.not-genuine", error=e.message))
        sys.exit(1)
    for line in [*describe(found), *links, *particulars(found)]:
        say(line, err=False)
    if found.status != "valid":
        sys.exit(1)
