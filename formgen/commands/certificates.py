"""``formgen certificates DATA... --out DIR``"""

from __future__ import annotations

from pathlib import Path

import click

from formgen.commands.common import (
    by_option,
    database_option,
    finish,
    manifest_option,
    progress_callbacks,
    register_key_option,
    register_option,
    report_force_option,
    say,
    see_errors,
    settings_from,
    user_errors,
    who,
)
from formgen.commands.credentialopts import (
    credentials_option,
    issuer_keys_option,
    say_credentials,
)
from formgen.commands.printing import print_options, signing_from
from formgen.database import Location
from formgen.messages import msg


@click.command("certificates")
@click.argument("data", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder.")
@register_option
@database_option
@register_key_option
@click.option("--init-register", is_flag=True,
              help="Make the register (and its key) first when there is no file at --register.")
@print_options
@by_option
@credentials_option
@issuer_keys_option
@report_force_option
@manifest_option
@user_errors
def command(
    data: tuple[Path, ...],
    out: Path,
    register: Path,
    database: Location | None,
    register_key: Path | None,
    init_register: bool,
    verify_url: str | None,
    workers: int | None,
    sign_key: Path | None,
    sign_cert: Path | None,
    sign_p12: Path | None,
    sign_chain: tuple[Path, ...],
    timestamp_url: str | None,
    ltv: bool,
    by: str | None,
    credentials: bool,
    issuer_keys: Path | None,
    force: bool,
    manifest_path: str | None,
) -> None:
    """Number and print the certificates due to every applicant in DATA.

    Writes OUT/print.pdf (every certificate, by unit then holder in pinyin order),
    OUT/<id>/<certificate>.pdf, OUT/register.csv (what this run changed in the register)
    and OUT/errors.csv (the records that failed). Reprinting a holder keeps their
    certificate numbers; a holder whose details changed is reissued (formgen reissue).
    Exits 1 when a record failed (the others are still printed) or when the register, a
    template, the output folder or the signing key cannot be used (nothing printed, no
    number issued).

    With --sign-key and --sign-cert (or --sign-p12), each holder's PDF is signed (PAdES
    B-B; B-T with --timestamp-url; B-LT with --ltv too). print.pdf is for the printer and
    is not signed.

    With --credentials, each certificate also gets its signed Open Badges 3.0 credential
    beside its PDF (<name>.credential.json), and OUT/did.json is the issuer's DID
    document; the issuer's keys (formgen register issuer-key) are needed.
    """
    from formgen.main import CertificateOptions, CredentialOptions, print_certificates

    signing = signing_from(sign_key, sign_cert, sign_p12, sign_chain, timestamp_url, ltv)
    settings = settings_from(manifest_path, workers=workers, register=register,
                             register_key=register_key, database=database)
    options = CertificateOptions(verify_url=verify_url, by=who(by),
                                 init_register=init_register, signing=signing)
    with progress_callbacks("Certificates") as (on_total, progress):
        run = print_certificates(settings, list(data), out, options, progress=progress,
                                 on_total=on_total,
                                 credentials=CredentialOptions(credentials, issuer_keys),
                                 force=force)
    say_credentials(run)
    if run.signature_level and run.certificates_written:
        say(msg("cli.certificates-signed", level=run.signature_level))
    finish(
        run.problems,
        msg("cli.certificates-summary", records=run.records_in,
            certificates=run.certificates_written, holders=len(run.written), out=str(out),
            failed=len(run.failed_ids), see=see_errors(run.errors_csv, not run.ok)),
        failed=bool(run.failed_ids),
        unreadable=run.unreadable_files,
        unwritten=run.unwritten,
    )
