"""``formgen certificates DATA... --out DIR``"""

from __future__ import annotations

from pathlib import Path

import click

from formgen.certificates.register import DEFAULT_PATH
from formgen.commands.common import (
    finish,
    manifest_option,
    progress_callbacks,
    see_errors,
    user_errors,
)
from formgen.messages import msg
from formgen.model.manifest import load_manifest


@click.command("certificates")
@click.argument("data", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder.")
@click.option("--register", "register", type=click.Path(dir_okay=False, path_type=Path),
              default=DEFAULT_PATH, show_default=True,
              help="Certificate register (SQLite); made when missing.")
@click.option("--workers", type=click.IntRange(1, 32), default=None,
              help="LibreOffice processes converting at once (default: CPU cores, at most 4).")
@manifest_option
@user_errors
def command(
    data: tuple[Path, ...],
    out: Path,
    register: Path,
    workers: int | None,
    manifest_path: str | None,
) -> None:
    """Number and print the certificates due to every applicant in DATA.

    Writes OUT/print.pdf (every certificate, by unit then name), OUT/<id>/<certificate>.pdf,
    OUT/register.csv and OUT/errors.csv (the records that failed). Reprinting a holder
    keeps their certificate numbers. Exits 1 when a record failed (the others are
    still printed) or when the register or a template cannot be used (nothing printed).
    """
    from formgen.main import print_certificates

    manifest = load_manifest(manifest_path)
    with progress_callbacks("Certificates") as (on_total, progress):
        run = print_certificates(
            list(data), out, register=register, manifest=manifest, workers=workers,
            progress=progress, on_total=on_total,
        )
    finish(
        run.problems,
        msg("cli.certificates-summary", records=run.records_in,
            certificates=run.certificates_written, holders=len(run.written), out=str(out),
            failed=len(run.failed_ids), see=see_errors(run.errors_csv, bool(run.failed_ids))),
        failed=bool(run.failed_ids),
    )
