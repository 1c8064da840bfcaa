"""``formgen check``"""

from __future__ import annotations

import sys

import click

from formgen.commands.common import manifest_option, say, user_errors
from formgen.forms.check import check_templates, context_texts, template_paths
from formgen.forms.typefaces import check_fonts
from formgen.messages import msg
from formgen.model.manifest import load_manifest


@click.command("check")
@manifest_option
@user_errors
def command(manifest_path: str | None) -> None:
    """Check every template in the manifest against the data and its other language, and
    that each font the templates name is drawn by its family (formgen/fonts.toml)."""
    manifest = load_manifest(manifest_path)
    problems = check_templates(manifest)
    report, font_problems = check_fonts(template_paths(manifest), context_texts(manifest))
    for line in report:
        say(line, err=False)
    problems += font_problems
    for problem in problems:
        say(problem)
    if problems:
        say(msg("cli.check-problems", count=len(problems)))
        sys.exit(1)
    say(msg("cli.check-ok", count=len(manifest.documents)), err=False)
