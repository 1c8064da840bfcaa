"""``formgen check``"""

from __future__ import annotations

import sys

import click

from formgen.commands.common import manifest_option, user_errors
from formgen.forms.check import check_templates
from formgen.model.manifest import load_manifest


@click.command("check")
@manifest_option
@user_errors
def command(manifest_path: str | None) -> None:
    """Check every template in the manifest against the data and its other language."""
    manifest = load_manifest(manifest_path)
    problems = check_templates(manifest)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        click.echo(f"{len(problems)} problem(s) in the templates", err=True)
        sys.exit(1)
    click.echo(f"{len(manifest.documents)} document(s), all templates in order")
