"""One link message sent at once, outside a batch: the web page's "Email me this link".

:func:`mailer_from` reads the same settings ``formgen send`` reads (options, then the
environment, then the manifest's ``mail`` section; the password only from
``FORMGEN_SMTP_PASSWORD``); :func:`send_link` writes the ``link`` message in one language
from the same templates and hands it to the server. Nothing is logged and nothing is
kept: the address lives only for the call.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from email.headerregistry import Address

from formgen import clock
from formgen.exceptions import FormgenError
from formgen.language import Language, day
from formgen.links.tokens import make_link
from formgen.messages import msg
from formgen.model.applicant import Applicant
from formgen.model.manifest import Manifest
from formgen.send.compose import (
    as_bytes,
    build_message,
    needs_smtputf8,
    new_message_id,
    parse_address,
)
from formgen.send.plan import applicant_context
from formgen.send.smtp import Connection, Refused, Server, Transient, parse_server
from formgen.send.templates import write

PASSWORD_ENV = "FORMGEN_SMTP_PASSWORD"
"""The only place the server's password is read from."""


class NotSent(FormgenError):
    """The message did not go: the server refused the address (``refused``), or could not
    be reached or used."""

    def __init__(self, answer: str, refused: bool):
        super().__init__(msg("send.web-not-sent", answer=answer))
        self.answer = answer
        self.refused = refused


@dataclass(frozen=True)
class Mailer:
    """Where and as whom one message is sent, and the web app's address for its link."""

    server: Server
    sender: Address
    reply_to: Address | None
    base_url: str


def mailer_from(manifest: Manifest, *, smtp_url: str | None = None, starttls: bool | None = None,
                user: str | None = None, sender: str | None = None, base_url: str | None = None,
                timeout: float = 20.0, environ: Mapping[str, str] | None = None) -> Mailer | None:
    """The mailer of these settings (each given one, else the manifest's ``mail``); None
    when no server is named anywhere. FormgenError when a server is named but the From
    address, the web app's address or the password (for a login) is missing."""
    env = os.environ if environ is None else environ
    mail = manifest.mail
    url = smtp_url or mail.smtp
    if not url:
        return None
    from_text = sender or mail.sender
    if not from_text:
        raise FormgenError(msg("send.no-sender"))
    if not base_url:
        raise FormgenError(msg("send.web-base-url-needed"))
    if not base_url.startswith(("http://", "https://")):
        raise FormgenError(msg("cli.base-url-scheme"))
    login = user or mail.user
    password = env.get(PASSWORD_ENV) if login else None
    if login and password is None:
        raise FormgenError(msg("send.web-password-needed", user=login, env=PASSWORD_ENV))
    server = parse_server(url, starttls=mail.starttls if starttls is None else starttls,
                          user=login, password=password, timeout=timeout)
    return Mailer(server, parse_address(from_text, "--from"),
                  parse_address(mail.reply_to, "mail.reply_to") if mail.reply_to else None,
                  base_url)


def recipient(text: str) -> Address:
    """The address typed, alone (no display name); FormgenError when it is not one."""
    found = parse_address(text.strip(), "email")
    if any(c in found.username for c in '"\\'):  # a quoted mailbox: not one people type
        raise FormgenError(msg("send.bad-address", what="email", value=text))
    return Address(username=found.username, domain=found.domain)


def link_message(mailer: Mailer, manifest: Manifest, applicant: Applicant, lang: Language,
                 token: str, expires: dt.date, to: Address, today: dt.date) -> bytes:
    """The ``link`` message in ``lang`` to ``to``, carrying the link of ``token``."""
    link = {"url": make_link(mailer.base_url, token), "expires": day(expires, lang)}
    written = write(manifest, "link", lang, applicant_context(applicant, manifest, lang, today,
                                                              link=link))
    message = build_message([written], sender=mailer.sender, to=to, reply_to=mailer.reply_to,
                            message_id=new_message_id(mailer.sender), date=clock.now())
    return as_bytes(message, needs_smtputf8(mailer.sender, to))


def send_link(mailer: Mailer, manifest: Manifest, applicant: Applicant, lang: Language,
              token: str, expires: dt.date, to: Address, today: dt.date) -> str:
    """Write and send the message (see :func:`link_message`); the server's answer, or
    :class:`NotSent`."""
    data = link_message(mailer, manifest, applicant, lang, token, expires, to, today)
    connection = Connection(mailer.server)
    try:
        return connection.send(mailer.sender.addr_spec, to.addr_spec, data,
                               needs_smtputf8(mailer.sender, to))
    except Refused as e:
        raise NotSent(e.answer, refused=True) from e
    except Transient as e:
        raise NotSent(e.answer, refused=False) from e
    except FormgenError as e:
        raise NotSent(str(e.message), refused=False) from e
    finally:
        connection.close()
