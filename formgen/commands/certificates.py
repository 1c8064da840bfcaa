"""``formgen certificates DATA... --out DIR``"""

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
    user_errors,
    who,
)
from formgen.messages import msg
from formgen.model.manifest import load_manifest


@click.command("certificates")
@click.argument("data", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder.")
@register_option
@register_key_option
@click.option("--init-register", is_flag=True,
              help="Make the register (and its key) first when there is no file at --register.")
@click.option("--verify-url", "verify_url", default=None, metavar="BASE",
              help="Where the certificates are verified (formgen serve --register): the QR "
                   "code links to BASE/c/CODE (default: the manifest's, per programme).")
@click.option("--workers", type=click.IntRange(1, 32), default=None,
              help="LibreOffice processes converting at once (default: CPU cores, at most 4).")
@by_option
@manifest_option
@user_errors
def command(
    data: tuple[Path, ...],
    out: Path,
    register: Path,
    register_key: Path | None,
    init_register: bool,
    verify_url: str | None,
    workers: int | None,
    by: str | None,
    manifest_path: str | None,
) -> None:
    """Number and print the certificates due to every applicant in DATA.

    Writes OUT/print.pdf (every certificate, by unit then name), OUT/<id>/<certificate>.pdf,
    OUT/register.csv (what this run changed in the register) and OUT/errors.csv (the
    records that failed). Reprinting a holder keeps their certificate numbers; a holder
    whose details changed is reissued (formgen reissue). Exits 1 when a record failed
    (the others are still printed) or when the register, a template or the output folder
    cannot be used (nothing printed, no number issued).
    """
    from formgen.main import print_certificates

    manifest = load_manifest(manifest_path)
    with progress_callbacks("Certificates") as (on_total, progress):
        run = print_certificates(
            list(data), out, register=register, manifest=manifest, workers=workers,
            progress=progress, on_total=on_total, verify_url=verify_url, by=who(by),
            register_key=register_key, init_register=init_register,
        )
    finish(
        run.problems,
        msg("cli.certificates-summary", records=run.records_in,
            certificates=run.certificates_written, holders=len(run.written), out=str(out),
            failed=len(run.failed_ids), see=see_errors(run.errors_csv, bool(run.failed_ids))),
        failed=bool(run.failed_ids),
    )
