"""``formgen pack DATA... --out DIR``"""

from __future__ import annotations

from pathlib import Path

import click

from formgen.commands.common import (
    finish,
    manifest_option,
    progress_callbacks,
    report_force_option,
    see_errors,
    settings_from,
    user_errors,
)
from formgen.main import build_packs
from formgen.messages import msg


@click.command("pack")
@click.argument("data", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Output folder.")
@click.option("--pack", "pack", default=None, help="Pack name from the manifest (default: its default pack).")
@click.option("--lang", "langs", multiple=True, type=click.Choice(["zh", "en"]), help="Language (default: both).")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="LibreOffice processes (default: one per core).")
@click.option("--timeout", type=click.FloatRange(min=1), default=60.0, show_default=True, help="Seconds one conversion may take.")
@report_force_option
@manifest_option
@user_errors
def command(
    data: tuple[Path, ...],
    out: Path,
    pack: str | None,
    langs: tuple[str, ...],
    workers: int | None,
    timeout: float,
    force: bool,
    manifest_path: str | None,
) -> None:
    """Write one ZIP per applicant (DOCX and PDF of every document, both languages)."""
    settings = settings_from(manifest_path, langs=langs, workers=workers, timeout=timeout)
    with progress_callbacks("Packs") as (on_total, progress):
        result = build_packs(settings, list(data), out, pack=pack, on_total=on_total,
                             progress=progress, force=force)
    made = len(result.written) - len(result.up_to_date)
    finish(
        result.problems,
        msg("cli.pack-summary", records=result.records_in, made=made,
            up_to_date=len(result.up_to_date), failed=len(result.failed_ids),
            see=see_errors(result.errors_csv, not result.ok)),
        failed=bool(result.failed_ids),
        unreadable=result.unreadable_files,
        unwritten=result.unwritten,
    )
