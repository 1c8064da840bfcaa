"""``formgen check``"""

from __future__ import annotations

import sys

import click

from formgen.commands.common import manifest_option, say, user_errors
from formgen.forms.check import check_templates
from formgen.messages import msg
from formgen.model.manifest import load_manifest


@click.command("check")
@manifest_option
@user_errors
def command(manifest_path: str | None) -> None:
    """Check every template in the manifest against the data and its other language."""
    manifest = load_manifest(manifest_path)
    problems = check_templates(manifest)
    for problem in problems:
        say(problem)
    if problems:
        say(msg("cli.check-problems", count=len(problems)))
        sys.exit(1)
    say(msg("cli.check-ok", count=len(manifest.documents)), err=False)
