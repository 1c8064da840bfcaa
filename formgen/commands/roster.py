"""``formgen roster DATA... --out roster.xlsx``"""

from __future__ import annotations

from pathlib import Path

import click

from formgen.commands.common import (
    force_option,
    manifest_option,
    require_inputs,
    say,
    settings_from,
    user_errors,
)
from formgen.exceptions import FormgenError
from formgen.main import make_roster
from formgen.messages import environment_language, msg
from formgen.paths import check_target


@click.command("roster")
@click.argument("data", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The workbook to write (.xlsx).")
@force_option("the workbook --out")
@manifest_option
@user_errors
def command(data: tuple[Path, ...], out: Path, force: bool, manifest_path: str | None) -> None:
    """Write the intake roster: applicants, status, documents, quotas (one XLSX workbook).

    Refuses (exit 1, nothing written) a DATA file that does not exist, an --out that is one
    of the DATA files or does not end in .xlsx, and an existing --out without --force.
    """
    require_inputs(data)
    check_target(out, data, force=force)
    if out.suffix.lower() != ".xlsx":
        raise FormgenError(msg("roster.output-type", path=str(out)))
    summary = make_roster(settings_from(manifest_path), list(data), out,
                          lang=environment_language())
    say(msg("cli.roster-summary", path=str(out), applicants=summary.applicants,
            ready=summary.ready, warnings=summary.warnings, errors=summary.errors,
            over=summary.over_quota))
