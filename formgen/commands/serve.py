"""``formgen serve [--host 127.0.0.1] [--port 8000] [--register PATH] [--database URL]
[--trusted-proxy ADDRESSES] [--smtp URL --base-url URL]``"""

from __future__ import annotations

from pathlib import Path

import click

from formgen.commands.common import (
    database_option,
    manifest_option,
    register_key_option,
    say,
    user_errors,
)
from formgen.commands.credentialopts import issuer_keys_option
from formgen.database import Location
from formgen.fonts import require_families
from formgen.links.store import check_store, vault_path
from formgen.messages import msg
from formgen.settings import Paths
from formgen.web.ratelimit import PER_ADDRESS, PER_CLIENT

VERIFY_RATE = 20
"""Certificate look-ups a minute per client address, unless --verify-rate says otherwise."""


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--secret-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File holding the secret of the long signed links of earlier versions (default: $FORMGEN_SECRET, else build/secret.key).")
@click.option("--link-store", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The encrypted store of links and pages, shared with `formgen links` "
                   "(default: --database, else $FORMGEN_LINK_STORE, else build/links.sqlite).")
@database_option
@click.option("--trusted-proxy", "trusted_proxy", metavar="ADDRESSES", default=None,
              envvar="FORMGEN_TRUSTED_PROXY",
              help="The load balancer's addresses or networks (comma-separated, e.g. "
                   "10.0.0.5,10.0.1.0/24): their X-Forwarded-For names the client, whose "
                   "look-ups are counted (default: $FORMGEN_TRUSTED_PROXY, else none).")
@click.option("--converters", type=click.IntRange(min=1), default=None,
              help="LibreOffice processes making PDFs (default: one per core).")
@click.option("--max-queue", type=click.IntRange(min=1), default=32, show_default=True,
              help="Conversions running or waiting before new requests get 429.")
@click.option("--timeout", type=click.FloatRange(min=1), default=60.0, show_default=True,
              help="Seconds one conversion may take.")
@click.option("--access-log", is_flag=True,
              help="Log each request (paths only: query strings, link tokens and "
                   "verification codes are cut out).")
@click.option("--register", "register", type=click.Path(dir_okay=False, path_type=Path),
              default=None,
              help="Certificate register: serve the verification page /c/CODE, /verify and "
                   "/api/certificates/CODE (read-only).")
@register_key_option
@issuer_keys_option
@click.option("--verify-rate", type=click.IntRange(1, 10_000), default=VERIFY_RATE,
              show_default=True, help="Certificate look-ups a minute per client address.")
@click.option("--smtp", "smtp_url", default=None, envvar="FORMGEN_SMTP_URL",
              help="Mail server for emailing applicants their own saved link: smtp://HOST:PORT "
                   "or smtps://HOST:PORT (default: $FORMGEN_SMTP_URL, else the manifest's "
                   "mail.smtp; none: the page offers no email).")
@click.option("--starttls", is_flag=True, default=None,
              help="Start TLS on an smtp:// server before logging in.")
@click.option("--smtp-user", default=None, envvar="FORMGEN_SMTP_USER",
              help="Login name on the mail server; the password comes from $FORMGEN_SMTP_PASSWORD.")
@click.option("--from", "sender", default=None, envvar="FORMGEN_MAIL_FROM",
              help="The From address of those messages (default: $FORMGEN_MAIL_FROM, else the "
                   "manifest's mail.from).")
@click.option("--base-url", default=None, envvar="FORMGEN_BASE_URL",
              help="This site's public address, for the link in those messages.")
@click.option("--mail-rate", type=click.IntRange(1, 1000), default=PER_ADDRESS, show_default=True,
              help="Messages an hour to one address; one client may ask for "
                   f"{PER_CLIENT // PER_ADDRESS}× as many.")
@manifest_option
@user_errors
def command(
    host: str,
    port: int,
    secret_file: Path | None,
    link_store: Path | None,
    database: Location | None,
    trusted_proxy: str | None,
    converters: int | None,
    max_queue: int,
    timeout: float,
    access_log: bool,
    register: Path | None,
    register_key: Path | None,
    issuer_keys: Path | None,
    verify_rate: int,
    smtp_url: str | None,
    starttls: bool | None,
    smtp_user: str | None,
    sender: str | None,
    base_url: str | None,
    mail_rate: int,
    manifest_path: str | None,
) -> None:
    """Serve the web app: forms for applicants, prefilled links from staff, the JSON API,
    and with --register the public certificate verification page, and (with the
    issuer's keys) the DID document /.well-known/did.json, the status lists /status/N
    and each certificate's digital credential /c/CODE/credential.json.

    With --database postgresql://… several servers on several hosts share one database:
    the link store, the register (when the database holds one and --register names no
    file) and the look-up limits live there; give every host the same --secret-file
    (or $FORMGEN_SECRET) and register key."""
    from formgen.send.single import mailer_from
    from formgen.web import create_app, web_settings
    from formgen.web.server import server

    require_families()  # before the server starts, as its converter would refuse to
    check_store(vault_path(link_store))  # and an empty or other file given as the store
    settings = web_settings(
        manifest_path, workers=converters, timeout=timeout,
        paths=Paths(register=register, register_key=register_key, link_store=link_store,
                    secret_file=secret_file, database=database),
    )
    mailer = mailer_from(settings.manifest, smtp_url=smtp_url, starttls=starttls, user=smtp_user,
                         sender=sender, base_url=base_url)
    app = create_app(settings, max_queue=max_queue, verify_rate=verify_rate,
                     issuer_keys=issuer_keys, mailer=mailer, mail_per_address=mail_rate,
                     mail_per_client=mail_rate * (PER_CLIENT // PER_ADDRESS))
    verifier = getattr(app.state, "verifier", None)
    if verifier is not None and not hasattr(app.state, "credentials"):
        say(msg("cli.no-credentials-served", register=str(verifier.place)))
    say(msg("cli.serving", url=f"http://{host}:{port}/"))
    server(app, host, port, access_log=access_log, trusted_proxies=trusted_proxy).run()
