"""``formgen reissue NUMBER DATA... --out DIR``"""

from __future__ import annotations

from pathlib import Path

import click

from formgen.commands.common import (
    by_option,
    finish,
    manifest_option,
    progress_callbacks,
    register_key_option,
    register_option,
    see_errors,
    settings_from,
    user_errors,
    who,
)
from formgen.messages import msg


@click.command("reissue")
@click.argument("number")
@click.argument("data", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder.")
@register_option
@register_key_option
@click.option("--verify-url", "verify_url", default=None, metavar="BASE",
              help="Verification address for the QR code (default: the manifest's).")
@by_option
@manifest_option
@user_errors
def command(number: str, data: tuple[Path, ...], out: Path, register: Path,
            register_key: Path | None, verify_url: str | None, by: str | None,
            manifest_path: str | None) -> None:
    """Print certificate NUMBER again under a new number, with the holder's details as
    corrected in DATA (the record with the holder's id).

    The new certificate is written like `formgen certificates` writes one; once it is,
    NUMBER verifies as superseded by the new number. Exits 1, issuing nothing, when
    NUMBER is not a valid certificate or the corrected record fails.
    """
    from formgen.main import CertificateOptions, print_certificates

    settings = settings_from(manifest_path, register=register, register_key=register_key)
    options = CertificateOptions(verify_url=verify_url, by=who(by), reissue=number)
    with progress_callbacks("Certificates") as (on_total, progress):
        run = print_certificates(settings, list(data), out, options, progress=progress,
                                 on_total=on_total)
    new = [i.number for i in run.issued]
    finish(
        run.problems,
        msg("cli.reissued", old=number.strip().upper(), new=new, out=str(out))
        if new else msg("cli.not-reissued", number=number.strip().upper(),
                        see=see_errors(run.errors_csv, True)),
        failed=not new,
        unwritten=run.unwritten,
    )
