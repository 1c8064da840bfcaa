"""The options and lines the commands share for digital credentials (``--credentials``,
``--issuer-keys``, ``--did-document``)."""

from __future__ import annotations

from pathlib import Path

import click

from formgen.commands.common import say
from formgen.credentials.job import CredentialRun
from formgen.credentials.keys import ISSUER_KEYS_ENV
from formgen.messages import msg

issuer_keys_option = click.option(
    "--issuer-keys", "issuer_keys", type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"The issuer's key file, which signs credentials and status lists (default: "
         f"${ISSUER_KEYS_ENV}, else the .issuer-keys.json file beside the register).",
)
credentials_option = click.option(
    "--credentials", is_flag=True,
    help="Also write each certificate's signed Open Badges 3.0 credential beside its PDF "
         "(<name>.credential.json), and OUT/did.json, the issuer's DID document.",
)


def say_credentials(run: CredentialRun) -> None:
    """The line saying how many credentials a run wrote (none when it wrote none)."""
    if run.credentials:
        say(msg("cli.credentials-written", count=len(run.credentials),
                did=str(run.did_document or "")))
