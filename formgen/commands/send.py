"""``formgen send DATA... --what links|packs|certificates --out DIR``"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from formgen.commands.common import (
    database_option,
    manifest_option,
    progress_callbacks,
    register_key_option,
    register_option,
    report_force_option,
    say,
    see_errors,
    settings_from,
    show_problems,
    user_errors,
)
from formgen.database import Location
from formgen.exceptions import FormgenError
from formgen.messages import environment_language, msg
from formgen.run import check_errors_csv
from formgen.send.compose import parse_address
from formgen.send.plan import WHAT, size_text
from formgen.send.run import (
    Batch,
    SendOptions,
    holding_log,
    link_vault,
    plan_batch,
    send_batch,
    withdraw_links,
    write_errors,
    write_previews,
)
from formgen.send.single import PASSWORD_ENV
from formgen.send.smtp import Connection, Server, parse_server
from formgen.settings import Settings


@click.command("send")
@click.argument("data", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--what", "what", required=True, type=click.Choice(sorted(WHAT)),
              help="What each person is sent: their link, their pack or their certificates.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The packs' or certificates' output folder (the run's --out); the sent log "
                   "and errors.csv are kept there.")
@click.option("--base-url", default=None, envvar="FORMGEN_BASE_URL",
              help="Address of the web app, for links (and packs or certificates too large to attach).")
@click.option("--days", type=click.FloatRange(1, 365), default=30, show_default=True,
              help="Days each link (and download link) stays valid.")
@click.option("--link-store", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The link store `formgen serve` reads (default: --database, else "
                   "$FORMGEN_LINK_STORE, else build/links.sqlite).")
@database_option
@register_option
@register_key_option
@click.option("--preview", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write every message as an .eml file in this folder and send nothing.")
@click.option("--yes", is_flag=True, help="Send without asking first.")
@click.option("--smtp", "smtp_url", default=None, envvar="FORMGEN_SMTP_URL",
              help="The mail server: smtp://HOST:PORT or smtps://HOST:PORT "
                   "(default: $FORMGEN_SMTP_URL, else the manifest's mail.smtp).")
@click.option("--starttls", is_flag=True, default=None,
              help="Start TLS on an smtp:// server before logging in.")
@click.option("--user", default=None, envvar="FORMGEN_SMTP_USER",
              help=f"Login name on the server; the password comes from ${PASSWORD_ENV} or a prompt.")
@click.option("--from", "sender", default=None, envvar="FORMGEN_MAIL_FROM",
              help="The From address, e.g. 'CSEE <office@example.org>' (default: "
                   "$FORMGEN_MAIL_FROM, else the manifest's mail.from).")
@click.option("--per-minute", type=click.IntRange(min=1), default=None,
              help="At most this many messages a minute (default: the manifest's).")
@click.option("--retries", type=click.IntRange(0, 10), default=3, show_default=True,
              help="Tries again after a transient failure (4xx, a dropped connection).")
@click.option("--retry-wait", type=click.FloatRange(0, 3600), default=10.0, show_default=True,
              help="Seconds before the first retry; doubled for each next one.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=60.0, show_default=True,
              help="Seconds to wait for the server's answer.")
@click.option("--log", "log", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The sent log (default: OUT/sent.sqlite).")
@click.option("--resend", type=click.IntRange(min=1), default=None, metavar="ID",
              help="Send the message with this id in the sent log again, on purpose.")
@report_force_option
@manifest_option
@user_errors
def command(data: tuple[Path, ...], what: str, out: Path, base_url: str | None, days: float,
            link_store: Path | None, database: Location | None, register: Path, register_key: Path | None,
            preview: Path | None, yes: bool, smtp_url: str | None, starttls: bool | None,
            user: str | None, sender: str | None, per_minute: int | None, retries: int,
            retry_wait: float, timeout: float, log: Path | None, resend: int | None,
            force: bool, manifest_path: str | None) -> None:
    """Send each person one message in their language: their link, their pack or their
    certificates, once. Running it again sends nothing twice and finishes an interrupted
    batch; --resend ID sends one again on purpose."""
    settings = settings_from(manifest_path, register=register, register_key=register_key,
                             link_store=link_store, database=database)
    mail = settings.manifest.mail
    from_text = sender or mail.sender
    if not from_text:
        raise FormgenError(msg("send.no-sender"))
    if base_url is not None and not base_url.startswith(("http://", "https://")):
        raise click.BadParameter(str(msg("cli.base-url-scheme")), param_hint="--base-url")
    check_errors_csv(preview if preview is not None else out, data, force=force)
    options = SendOptions(
        kind=WHAT[what], out=out, sender=parse_address(from_text, "--from"),
        reply_to=parse_address(mail.reply_to, "mail.reply_to") if mail.reply_to else None,
        log=log, base_url=base_url, days=days, per_minute=per_minute or mail.per_minute,
        retries=retries, retry_wait=retry_wait,
        attachment_limit=int(mail.attachment_limit_mb * 1_000_000), resend=resend)
    if preview is not None:
        _preview(settings, list(data), options, preview)
        return
    # the server: from the options, the environment or the manifest
    url = smtp_url or mail.smtp
    if not url:
        raise FormgenError(msg("send.no-server"))
    login = user or mail.user
    password = os.environ.get(PASSWORD_ENV) if login else None
    if login and password is None:
        password = click.prompt(str(msg("cli.send-password", user=login)), hide_input=True,
                                err=True)
    server = parse_server(url, starttls=mail.starttls if starttls is None else starttls,
                          user=login, password=password, timeout=timeout)
    with holding_log(options):
        _send(settings, list(data), options, server, yes)


def _preview(settings: Settings, data: list[Path], options: SendOptions, preview: Path) -> None:
    batch = plan_batch(settings, data, options)
    _report_plan(batch)
    written = write_previews(batch, preview)
    errors_csv = write_errors(batch, preview)
    if options.kind == "link" and written:
        say(msg("cli.send-preview-links"))
    say(msg("cli.send-previewed", count=len(written), folder=str(preview),
            see=see_errors(errors_csv, bool(batch.failed or batch.invalid))))
    _end(batch)


def _report_plan(batch: Batch) -> None:
    show_problems(batch.problems)
    for raw, why in batch.failed:
        say(msg("cli.send-not-sent", record=raw.record_id or str(raw.where), reason=why))
    if batch.already_sent:
        say(msg("cli.send-already-sent", count=len(batch.already_sent),
                log=str(batch.options.log_path)))


def _send(settings: Settings, data: list[Path], options: SendOptions, server: Server,
          yes: bool) -> None:
    vault = link_vault(settings)
    batch = plan_batch(settings, data, options, vault)
    _report_plan(batch)
    connection = Connection(server)
    if batch.to_send:
        try:
            connection.check()  # a refused login or an untrusted server stops the run now
        except FormgenError:
            withdraw_links(batch, vault)
            raise
        first = batch.to_send[0].recipient
        say(msg("cli.send-summary", count=len(batch.to_send),
                size=size_text(batch.total_size, environment_language()), first=str(first.addr_spec),
                server=f"{server.host}:{server.port}"))
        if not yes and not click.confirm(str(msg("cli.send-confirm")), err=True):
            withdraw_links(batch, vault)
            say(msg("cli.send-cancelled"))
            sys.exit(1)
    with progress_callbacks("Messages") as (on_total, progress):
        on_total(len(batch.to_send))
        result = send_batch(batch, connection, progress)
    if result.resumed:
        say(msg("cli.send-resumed", count=result.resumed))
    say(msg("cli.send-done", sent=result.sent, failed=len(batch.failed),
            already=len(batch.already_sent),
            see=see_errors(result.errors_csv, bool(batch.failed or batch.invalid))))
    _end(batch)


def _end(batch: Batch) -> None:
    """Name the files that could not be read; exit 1 when someone got no message."""
    if batch.unreadable:
        say(msg("cli.files-unreadable", count=len(batch.unreadable), files=tuple(batch.unreadable)))
    if batch.failed or batch.invalid or batch.unreadable:
        sys.exit(1)
