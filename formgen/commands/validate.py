"""``formgen validate DATA...``"""

from __future__ import annotations

import gc
from pathlib import Path

import click

from formgen.commands.common import finish, manifest_option, settings_from, user_errors
from formgen.main import check_streamed
from formgen.messages import msg


@click.command("validate")
@click.argument("data", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@manifest_option
@user_errors
def command(data: tuple[Path, ...], strict: bool, manifest_path: str | None) -> None:
    """Check applicant data files and report every problem at once."""
    # The report lives until the command ends: no collection walks its problems, neither
    # while they come nor at once when the check is done (a second at 100,000 applicants).
    gc.disable()
    report = check_streamed(settings_from(manifest_path), list(data))
    gc.freeze()
    gc.enable()
    errors, warnings = len(report.errors), len(report.warnings)
    unreadable = report.unreadable_files
    finish(
        report.problems,
        msg("cli.validate-summary", records=report.record_count,
            valid=report.valid_count, failed=report.failed_records, errors=errors,
            warnings=warnings),
        failed=bool(errors or (strict and warnings)),
        unreadable=unreadable,
    )
