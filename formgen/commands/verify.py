"""``formgen verify CODE``"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from formgen.certificates.numbers import Issued
from formgen.certificates.qr import PAYLOAD_TAG
from formgen.certificates.register import DEFAULT_PATH, Register
from formgen.commands.common import manifest_option, user_errors
from formgen.exceptions import FormgenError, RegisterError, VerificationError
from formgen.model.manifest import load_manifest


def describe(issued: Issued, manifest_path: str | None) -> list[str]:
    """The lines saying what a genuine certificate is, in the manifest's words."""
    title, grade = issued.certificate, issued.grade
    try:
        manifest = load_manifest(manifest_path)
    except FormgenError:
        manifest = None
    if manifest is not None:
        doc = manifest.documents.get(issued.certificate)
        if doc is not None:
            title = doc.title.en
        programme = manifest.programmes.get(issued.programme)
        if programme is not None and issued.grade in programme.grades:
            grade = f"{programme.grades[issued.grade].en} ({issued.grade})"
    return [
        f"Genuine: certificate {issued.number}, verification code {issued.short_code}",
        f"Holder: {issued.name} ({issued.applicant_id})",
        f"Certificate: {title}; {grade}; programme {issued.programme}",
        f"Issued on: {issued.issued_on.isoformat()}",
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
        raise RegisterError(
            f"there is no certificate register at {register}; give the one the "
            "certificates were printed with (--register)"
        )
    try:
        with Register(register) as reg:
            if code.strip().upper().startswith(PAYLOAD_TAG + "|"):
                issued = reg.verify_payload(code)
            else:
                issued = reg.lookup(code)
    except VerificationError as e:
        click.echo(f"Not genuine: {e}", err=True)
        sys.exit(1)
    for line in describe(issued, manifest_path):
        click.echo(line)
