"""``formgen links DATA... --base-url URL [--days 30]`` and ``formgen links --revoke LINK``"""

from __future__ import annotations

import datetime as dt
import math
import sys
from pathlib import Path

import click

from formgen import clock
from formgen.commands.common import (
    database_option,
    manifest_option,
    say,
    settings_from,
    show_problems,
    user_errors,
)
from formgen.database import Location
from formgen.exceptions import FormgenError
from formgen.main import check_data
from formgen.messages import msg, printable

SHORT_LINK = 200
MIN_DAYS, MAX_DAYS = 1, 365
"""How long a link may stay valid, in days."""


class Days(click.ParamType):
    """A number of days from MIN_DAYS to MAX_DAYS; nan, inf and 1e12 are refused."""

    name = "days"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> float:
        try:
            days = float(str(value).strip())
        except ValueError:
            days = math.nan
        if not (math.isfinite(days) and MIN_DAYS <= days <= MAX_DAYS):
            self.fail(str(msg("cli.days-out-of-range", value=str(value), low=MIN_DAYS,
                              high=MAX_DAYS)), param, ctx)
        return days


@click.command("links")
@click.argument("data", nargs=-1, type=click.Path(path_type=Path))
@click.option("--base-url", help="Address of the site, e.g. https://forms.example.org")
@click.option("--days", type=Days(), default=30, show_default=True,
              help=f"Days each link stays valid ({MIN_DAYS} to {MAX_DAYS}).")
@click.option("--link-store", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The encrypted link store `formgen serve` reads "
                   "(default: --database, else $FORMGEN_LINK_STORE, else build/links.sqlite).")
@database_option
@click.option("--revoke", "revoke", multiple=True, metavar="LINK",
              help="Withdraw a link made earlier (the whole link or its last part); repeatable.")
@manifest_option
@user_errors
def command(
    data: tuple[Path, ...], base_url: str | None, days: float, link_store: Path | None,
    database: Location | None, revoke: tuple[str, ...], manifest_path: str | None,
) -> None:
    """Print, for each applicant, a short link that opens their forms prefilled.

    Each line is: id, name, link (separated by tabs). The applicant's record is kept in
    the link store encrypted with a key that exists only in the link; the link expires
    after --days. `formgen serve` must use the same link store (--database
    postgresql://… for one that several servers share; a path there names the link
    store's file). With --revoke, the
    links named are withdrawn instead: their data is wiped and they open no more.
    """
    from formgen.links.store import Vault, key_of, vault_location
    from formgen.links.tokens import make_short_link, token_in

    vault = Vault(vault_location(link_store, database))
    if revoke:
        if data:
            raise click.UsageError("give either DATA files or --revoke, not both")
        for link in revoke:
            key = key_of(token_in(link))
            if key is None or not vault.revoke(key):
                raise FormgenError(msg("cli.link-unknown", link=link, store=vault.shown))
            say(msg("cli.link-revoked", link=link))
        return
    if not data:
        raise click.UsageError("give the DATA files to make links for (or --revoke LINK)")
    if not base_url:
        raise click.BadParameter(str(msg("cli.base-url-scheme")), param_hint="--base-url")
    if not base_url.startswith(("http://", "https://")):
        raise click.BadParameter(str(msg("cli.base-url-scheme")), param_hint="--base-url")
    records, report = check_data(settings_from(manifest_path), list(data), keep_applicants=False)
    show_problems(report.errors)
    now = clock.now()
    long_links = made = 0
    for raw in records:
        if not raw.is_applicant:
            continue
        link = make_short_link(vault, base_url, raw.data, days=days, now=now)
        long_links += len(link) > SHORT_LINK
        made += 1
        name = raw.data.get("name")
        if isinstance(name, dict):
            name = name.get("zh") or name.get("en")
        click.echo(f"{printable(raw.record_id) or raw.where}\t{printable(str(name or ''))}\t{link}")
    say(msg("cli.links-made", count=made, date=(now + dt.timedelta(days=days)).date()))
    say(msg("cli.links-stored", store=vault.shown))
    if report.failed_records:
        say(msg("cli.links-with-errors", count=report.failed_records))
    if long_links:
        say(msg("cli.links-long", count=long_links, limit=SHORT_LINK))
    if report.unreadable_files:
        files = report.unreadable_files
        say(msg("cli.files-unreadable", count=len(files), files=tuple(files)))
        sys.exit(1)
