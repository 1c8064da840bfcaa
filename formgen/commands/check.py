"""``formgen check``"""

from __future__ import annotations

import sys

import click

from formgen.certificates.context import CONTEXT_KEYS
from formgen.certificates.printed import problems as particular_problems
from formgen.certificates.verification import placeholder_addresses
from formgen.commands.common import manifest_option, say, settings_from, user_errors
from formgen.main import check_templates
from formgen.messages import msg
from formgen.send.templates import check_message_templates


@click.command("check")
@manifest_option
@user_errors
def command(manifest_path: str | None) -> None:
    """Check every template in the manifest against the data and its other language, and
    that each font the templates name is drawn by its family (formgen/fonts.toml); warn
    of a verification address that is still a placeholder."""
    settings = settings_from(manifest_path)
    report, problems = check_templates(settings)
    problems += particular_problems(settings.manifest, CONTEXT_KEYS)
    problems += check_message_templates(settings.manifest)  # formgen send's messages
    for line in report:
        say(line, err=False)
    for programme, url in placeholder_addresses(settings.manifest).items():
        say(msg("cli.check-placeholder-verify-url", programme=programme, url=url))
    for problem in problems:
        say(problem)
    if problems:
        say(msg("cli.check-problems", count=len(problems)))
        sys.exit(1)
    say(msg("cli.check-ok", count=len(settings.manifest.documents)), err=False)
