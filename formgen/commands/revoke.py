"""``formgen revoke NUMBER --reason CATEGORY``"""

from __future__ import annotations

from pathlib import Path

import click

from formgen.certificates.numbers import REASONS
from formgen.certificates.register import Register, reason_words
from formgen.clock import today as today_from_clock
from formgen.commands.common import (
    by_option,
    database_option,
    register_key_option,
    register_option,
    register_place,
    say,
    user_errors,
    who,
)
from formgen.database import Location
from formgen.messages import msg


@click.command("revoke")
@click.argument("number")
@register_option
@database_option
@register_key_option
@click.option("--reason", "reason", required=True, type=click.Choice(REASONS),
              help="issued-in-error: it should never have been issued; withdrawn: taken "
                   "back from its holder.")
@by_option
@user_errors
def command(number: str, register: Path, database: Location | None, register_key: Path | None,
            reason: str, by: str | None) -> None:
    """Revoke certificate NUMBER: from today it verifies as revoked, with the date and the
    reason. The register keeps its row and records who revoked it and when. A withdrawn
    holder is not printed again; one issued in error may be issued anew."""
    today = today_from_clock()
    with Register(register_place(register, database), key_file=register_key) as reg:
        revoked = reg.revoke(number, reason, who(by), today)
    say(msg("cli.revoked", number=revoked.number, reason=reason_words(reason), date=today))
