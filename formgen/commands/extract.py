"""``formgen extract FILES... --out PATH``"""

from __future__ import annotations

from pathlib import Path

import click

from formgen.commands.common import (
    finish,
    force_option,
    manifest_option,
    progress_callbacks,
    require_inputs,
    say,
    settings_from,
    user_errors,
)
from formgen.exceptions import FormgenError
from formgen.extract.output import check_output
from formgen.main import extract_forms
from formgen.messages import environment_language, msg
from formgen.paths import check_target


def _defaults(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for item in values:
        path, sep, value = item.partition("=")
        if not sep or not path.strip():
            raise FormgenError(msg("cli.set-not-field-value", given=item))
        out[path.strip()] = value.strip()
    return out


@click.command("extract")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Records to write: .yaml, .json or .xlsx.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Report of every file (CSV; default: beside --out, <name>.report.csv).")
@click.option("--set", "values", multiple=True, metavar="FIELD=VALUE",
              help="A value for a field the forms do not carry, e.g. unit=… or grade=IEng (repeatable).")
@force_option("--out and the report")
@manifest_option
@user_errors
def command(files: tuple[Path, ...], out: Path, report_path: Path | None,
            values: tuple[str, ...], force: bool, manifest_path: str | None) -> None:
    """Read filled Word forms (files, folders, ZIPs) back into applicant records.

    Refuses (exit 1, nothing written) a FILES path that does not exist, an --out or
    report that is one of FILES (or in a folder of FILES), and one that exists without
    --force.
    """
    require_inputs(files)
    settings = settings_from(manifest_path)
    lang = environment_language()
    report_path = report_path or out.with_name(f"{out.stem}.report.csv")
    check_output(out)
    if report_path.resolve() == out.resolve():
        raise FormgenError(msg("cli.report-is-out", path=str(out)))
    for target in (out, report_path):
        check_target(target, files, force=force)
    with progress_callbacks("Reading forms") as (_, progress):
        result = extract_forms(settings, list(files), out, report_path,
                               defaults=_defaults(values), lang=lang, progress=progress)
    for r in result.reports:
        if r.refused is None and not r.skipped:
            say(msg("cli.extract-file", file=r.file, document=r.document or "?", lang=r.lang,
                    how=r.how, count=len(r.read)))
    finish(
        result.problems,
        msg("cli.extract-summary", files=len(result.reports),
            refused=sum(1 for r in result.reports if r.refused is not None),
            records=len(result.records), valid=len(result.report.valid), out=str(out),
            report=str(report_path)),
        failed=any(p.severity == "error" for p in result.problems),
    )
