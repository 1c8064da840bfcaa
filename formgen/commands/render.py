"""``formgen render DATA... --out DIR``"""

from __future__ import annotations

from pathlib import Path

import click

from formgen.commands.common import (
    finish,
    manifest_option,
    report_force_option,
    say,
    see_errors,
    settings_from,
    user_errors,
)
from formgen.exceptions import FormgenError
from formgen.main import render, render_blank
from formgen.messages import msg

FORMATS = {"docx": ("docx",), "pdf": ("pdf",), "both": ("docx", "pdf")}


@click.command("render")
@click.argument("data", nargs=-1, type=click.Path(path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Output folder.")
@click.option("--lang", "langs", multiple=True, type=click.Choice(["zh", "en"]), help="Language (default: both).")
@click.option("--doc", "docs", multiple=True, help="Only this document id (repeatable).")
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="docx", show_default=True)
@click.option("--blank", is_flag=True, help="Blank fillable forms (no DATA), for --programme and --grade.")
@click.option("--programme", help="With --blank: the programme, e.g. csee-iet.")
@click.option("--grade", help="With --blank: the grade, e.g. IEng.")
@report_force_option
@manifest_option
@user_errors
def command(
    data: tuple[Path, ...],
    out: Path,
    langs: tuple[str, ...],
    docs: tuple[str, ...],
    fmt: str,
    blank: bool,
    programme: str | None,
    grade: str | None,
    force: bool,
    manifest_path: str | None,
) -> None:
    """Write every document each applicant needs to OUT/<id>/<lang>/ (with --blank, the
    empty fillable forms of a programme and grade to OUT/<lang>/)."""
    settings = settings_from(manifest_path, langs=langs)
    if blank:
        if data or not programme or not grade:
            raise FormgenError(msg("cli.blank-needs-programme-grade"))
        written = render_blank(settings, out, programme, grade, docs=list(docs) or None,
                               formats=FORMATS[fmt])
        say(msg("cli.blank-summary", files=len(written), out=str(out)), err=False)
        return
    if not data:
        raise FormgenError(msg("cli.render-needs-data"))
    result = render(settings, list(data), out, docs=list(docs) or None, formats=FORMATS[fmt],
                    force=force)
    files = sum(len(v) for v in result.written.values())
    finish(
        result.problems,
        msg("cli.render-summary", records=result.records_in, rendered=len(result.written),
            files=files, out=str(out), failed=len(result.failed_ids),
            see=see_errors(result.errors_csv, not result.ok)),
        failed=bool(result.failed_ids),
        unreadable=result.unreadable_files,
        unwritten=result.unwritten,
    )
