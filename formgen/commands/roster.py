"""``formgen roster DATA... --out roster.xlsx``"""

from __future__ import annotations

from pathlib import Path

import click

from formgen.commands.common import manifest_option, say, settings_from, user_errors
from formgen.main import make_roster
from formgen.messages import environment_language, msg


@click.command("roster")
@click.argument("data", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The workbook to write (.xlsx).")
@manifest_option
@user_errors
def command(data: tuple[Path, ...], out: Path, manifest_path: str | None) -> None:
    """Write the intake roster: applicants, status, documents, quotas (one XLSX workbook)."""
    summary = make_roster(settings_from(manifest_path), list(data), out,
                          lang=environment_language())
    say(msg("cli.roster-summary", path=str(out), applicants=summary.applicants,
            ready=summary.ready, warnings=summary.warnings, errors=summary.errors,
            over=summary.over_quota))
