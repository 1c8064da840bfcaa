"""The ``formgen`` command: parses arguments and calls the library, nothing more."""

from __future__ import annotations

import click

from formgen.commands import (
    certificates,
    check,
    clicktext,
    extract,
    links,
    pack,
    register,
    reissue,
    render,
    revoke,
    roster,
    send,
    serve,
    validate,
    verify,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="formgen")
def main() -> None:
    """Bilingual forms, packs and certificates for international engineer registration."""


COMMANDS: list[click.Command] = [
    validate.command,
    roster.command,
    extract.command,
    render.command,
    check.command,
    pack.command,
    certificates.command,
    verify.command,
    revoke.command,
    reissue.command,
    register.command,
    links.command,
    send.command,
    serve.command,
]
"""Every sub-command, in the order ``formgen --help`` lists them."""

for command in COMMANDS:
    main.add_command(command)
clicktext.install(main)  # click's usage errors in the user's language
