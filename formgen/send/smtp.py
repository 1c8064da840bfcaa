"""Talking to the mail server: smtplib from the standard library.

``smtp://HOST:PORT`` speaks plain SMTP (with ``starttls``, TLS after STARTTLS, required),
``smtps://HOST:PORT`` TLS from the start. Server certificates are checked against the
system's authorities (``SSL_CERT_FILE`` names others). A reply the server gives is kept
as it came (``250 2.0.0 Ok: queued as 4F2B``). A 4xx reply, a dropped connection or a
server that does not answer within the timeout is :class:`Transient` (worth trying again
later, RFC 5321 §4.2.1); a 5xx reply is :class:`Refused` (550 no such mailbox, 552 mailbox
full: not tried again). Failing to log in or to start TLS stops the whole run.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from formgen.exceptions import FormgenError
from formgen.messages import msg

SCHEMES = {"smtp": 25, "smtps": 465}


@dataclass(frozen=True)
class Server:
    """Where and how to send."""

    host: str
    port: int
    tls: bool
    """TLS from the start (smtps://)."""
    starttls: bool
    user: str | None = None
    password: str | None = None
    timeout: float = 60.0


class Transient(Exception):
    """Worth trying again later: a 4xx reply, a dropped connection, no answer in time."""

    def __init__(self, answer: str):
        super().__init__(answer)
        self.answer = answer


class Refused(Exception):
    """The server refused this message for good (a 5xx reply)."""

    def __init__(self, answer: str):
        super().__init__(answer)
        self.answer = answer


def parse_server(url: str, *, starttls: bool, user: str | None, password: str | None,
                 timeout: float) -> Server:
    """The server of ``smtp://HOST:PORT`` or ``smtps://HOST:PORT``; FormgenError otherwise."""
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError:
        port = None
        parts = parts._replace(scheme="")
    if parts.scheme not in SCHEMES or not parts.hostname or parts.path not in ("", "/") \
            or parts.username or parts.query:
        raise FormgenError(msg("send.bad-smtp-url", url=url))
    if parts.scheme == "smtps" and starttls:
        raise FormgenError(msg("send.starttls-with-smtps"))
    return Server(parts.hostname, port or SCHEMES[parts.scheme], parts.scheme == "smtps",
                  starttls, user, password, timeout)


def _answer(code: int, text: bytes | str) -> str:
    said = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(said.split())}".strip()


class Connection:
    """One SMTP session, opened when first needed and again after it dropped."""

    def __init__(self, server: Server):
        self.server = server
        self._smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        s = self.server
        context = ssl.create_default_context()
        try:
            if s.tls:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout,
                                                      context=context)
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            smtp.ehlo()
            if s.starttls:
                if not smtp.has_extn("starttls"):
                    smtp.close()
                    raise FormgenError(msg("send.no-starttls", host=s.host))
                smtp.starttls(context=context)
                smtp.ehlo()
            if s.user:
                smtp.login(s.user, s.password or "")
        except ssl.SSLCertVerificationError as e:
            raise FormgenError(msg("send.bad-certificate", host=s.host,
                                   reason=str(e.verify_message or e))) from e
        except smtplib.SMTPAuthenticationError as e:
            raise FormgenError(msg("send.login-refused", user=s.user or "",
                                   answer=_answer(e.smtp_code, e.smtp_error))) from e
        except smtplib.SMTPNotSupportedError as e:
            raise FormgenError(msg("send.no-login", host=s.host)) from e
        except smtplib.SMTPResponseException as e:
            if 400 <= e.smtp_code < 500:
                raise Transient(_answer(e.smtp_code, e.smtp_error)) from e
            raise FormgenError(msg("send.server-refused", host=s.host,
                                   answer=_answer(e.smtp_code, e.smtp_error))) from e
        except (smtplib.SMTPException, OSError) as e:
            raise Transient(_said(e)) from e
        return smtp

    def check(self) -> None:
        """Connect (and log in) now: FormgenError when the server cannot be used at all."""
        try:
            self._smtp = self._open()
        except Transient as e:
            s = self.server
            raise FormgenError(msg("send.cannot-connect", host=s.host, port=str(s.port),
                                   reason=e.answer)) from e

    def send(self, sender: str, recipient: str, data: bytes, utf8: bool) -> str:
        """Hand one message to the server; its answer (``250 …``), or Transient or Refused."""
        if self._smtp is None:
            self._smtp = self._open()
        smtp = self._smtp
        try:
            options = ["SMTPUTF8"] if utf8 else []
            if utf8 and not smtp.has_extn("smtputf8"):
                raise Refused(str(msg("send.no-smtputf8")))
            if utf8 and smtp.has_extn("8bitmime"):
                options.append("BODY=8BITMIME")
            for code, text in (smtp.mail(sender, options), smtp.rcpt(recipient)):
                if code not in (250, 251):
                    self._reset()
                    raise (Transient if 400 <= code < 500 else Refused)(_answer(code, text))
            code, text = smtp.data(data)
        except smtplib.SMTPResponseException as e:
            self._reset()
            raise (Transient if 400 <= e.smtp_code < 500 else Refused)(
                _answer(e.smtp_code, e.smtp_error)) from e
        except (smtplib.SMTPServerDisconnected, OSError, smtplib.SMTPException) as e:
            self.close()
            raise Transient(_said(e)) from e
        if code != 250:
            self._reset()
            raise (Transient if 400 <= code < 500 else Refused)(_answer(code, text))
        return _answer(code, text)

    def _reset(self) -> None:
        try:
            if self._smtp is not None:
                self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self.close()

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def _said(e: BaseException) -> str:
    if isinstance(e, socket.timeout | TimeoutError) or isinstance(e.__context__, TimeoutError):
        return str(msg("send.no-answer"))
    if isinstance(e, smtplib.SMTPServerDisconnected):
        return str(msg("send.dropped"))
    return str(e) or type(e).__name__
