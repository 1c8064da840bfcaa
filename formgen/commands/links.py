"""``formgen links DATA... --base-url URL [--days 30]``"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from formgen.commands.common import manifest_option, say, show_problems, user_errors
from formgen.main import check_data
from formgen.messages import msg
from formgen.model.manifest import load_manifest

LONG_LINK = 8000


@click.command("links")
@click.argument("data", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--base-url", required=True, help="Address of the site, e.g. https://forms.example.org")
@click.option("--days", type=click.FloatRange(min=0, min_open=True), default=30, show_default=True,
              help="Days each link stays valid.")
@click.option("--secret-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File holding the signing secret (default: $FORMGEN_SECRET, else build/secret.key, made on first use).")
@manifest_option
@user_errors
def command(data: tuple[Path, ...], base_url: str, days: float, secret_file: Path | None, manifest_path: str | None) -> None:
    """Print, for each applicant, a signed link that opens their forms prefilled.

    Each line is: id, name, link (separated by tabs). The link carries the applicant's
    data itself, signed and compressed; it expires after --days. The site must use the
    same secret (FORMGEN_SECRET or the same secret file).
    """
    from formgen.web.links import json_safe, load_secret, make_link, make_token

    if not base_url.startswith(("http://", "https://")):
        raise click.BadParameter(str(msg("cli.base-url-scheme")), param_hint="--base-url")
    manifest = load_manifest(manifest_path)
    secret = load_secret(secret_file)
    records, report = check_data(list(data), manifest)
    show_problems(report.errors)
    now = dt.datetime.now(dt.UTC)
    long_links = made = 0
    for raw in records:
        if "__not_a_mapping__" in raw.data or "__orphan_of__" in raw.data:
            continue
        token = make_token(json_safe(raw.data), secret, days=days, now=now)
        link = make_link(base_url, token)
        long_links += len(link) > LONG_LINK
        made += 1
        name = raw.data.get("name")
        if isinstance(name, dict):
            name = name.get("zh") or name.get("en")
        click.echo(f"{raw.record_id or raw.where}\t{name or ''}\t{link}")
    say(msg("cli.links-made", count=made, date=(now + dt.timedelta(days=days)).date()))
    if report.failed:
        say(msg("cli.links-with-errors", count=len(report.failed)))
    if long_links:
        say(msg("cli.links-long", count=long_links, limit=LONG_LINK))
