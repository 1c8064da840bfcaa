"""One email, built with Python's email package so that common mail clients show Chinese.

Headers with Chinese (the subject, display names) are written as RFC 2047 encoded words
(``=?utf-8?b?…?=``), bodies as UTF-8 (quoted-printable or base64, as the email package
chooses), attachment names as RFC 2231 parameters (``filename*=utf-8''…``). Only an
address whose mailbox itself is not ASCII (RFC 6532) needs the server's SMTPUTF8; such a
message is written with the SMTPUTF8 policy and sent only to a server that offers it.

A message in both languages has the Chinese first: the subject ``中文 / English``, the
plain text and the HTML each with both parts, one under the other.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
from dataclasses import dataclass
from email import policy
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, getaddresses, make_msgid
from html import escape

from formgen.exceptions import FormgenError
from formgen.messages import msg
from formgen.send.templates import Written


@dataclass(frozen=True)
class Attachment:
    """A file a message carries."""

    name: str
    data: bytes


def parse_address(text: str, what: str) -> Address:
    """``Name <box@host>`` or ``box@host`` as an Address; FormgenError naming ``what``
    (the option or field it came from) when it is not one address."""
    found = getaddresses([text])
    if len(found) != 1 or "@" not in found[0][1] or not text.strip():
        raise FormgenError(msg("send.bad-address", what=what, value=text))
    name, addr = found[0]
    box, _, host = addr.rpartition("@")
    if not box or "." not in host or any(c.isspace() for c in addr):
        raise FormgenError(msg("send.bad-address", what=what, value=text))
    return Address(display_name=name, username=box, domain=host)


def needs_smtputf8(*addresses: Address) -> bool:
    """True when an address's mailbox or domain is not ASCII (RFC 6532)."""
    return any(not a.addr_spec.isascii() for a in addresses)


def _html_document(parts: list[Written]) -> str:
    body = "\n<hr>\n".join(f'<div lang="{"zh-CN" if w.lang == "zh" else "en"}">\n{w.html}\n</div>'
                           for w in parts)
    title = escape(" / ".join(w.subject for w in parts))
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
            f"<title>{title}</title></head>\n<body>\n{body}\n</body></html>\n")


def build_message(
    parts: list[Written], *, sender: Address, to: Address, reply_to: Address | None,
    message_id: str, date: dt.datetime, attachments: list[Attachment] = (),  # type: ignore[assignment]
) -> EmailMessage:
    """The message: text and HTML alternatives (both languages of ``parts`` in each), then
    the attachments."""
    message = EmailMessage(policy=policy.SMTP)
    message["Subject"] = " / ".join(w.subject for w in parts)
    message["From"] = sender
    message["To"] = to
    if reply_to is not None:
        message["Reply-To"] = reply_to
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    message.set_content("\n\n————————————\n\n".join(w.text for w in parts), charset="utf-8",
                        cte="base64")
    message.add_alternative(_html_document(parts), subtype="html", charset="utf-8", cte="base64")
    for attachment in attachments:
        kind = mimetypes.guess_type(attachment.name)[0] or "application/octet-stream"
        maintype, subtype = kind.split("/", 1)
        message.add_attachment(attachment.data, maintype=maintype, subtype=subtype,
                               filename=attachment.name)
    message["Content-Language"] = ", ".join("zh-CN" if w.lang == "zh" else "en" for w in parts)
    return message


def new_message_id(sender: Address) -> str:
    """A fresh Message-ID in the sender's domain."""
    return make_msgid(domain=sender.domain.encode("idna").decode("ascii")
                      if not sender.domain.isascii() else sender.domain)


class _SevenBit(policy.EmailPolicy):
    """policy.SMTP, with the usual headers written the quick way: a Chinese subject encoded
    by :class:`email.header.Header` (the same RFC 2047 encoded words, folded at 76
    characters, in a fraction of the time the header registry takes: its folding is
    quadratic in the subject's length), a Chinese display name by
    :func:`email.utils.formataddr`, and a header that fits on one line as it is."""

    def fold_binary(self, name: str, value: str) -> bytes:
        text = str(value)
        if name.lower() == "subject" and not text.isascii():
            encoded = Header(text, "utf-8", header_name=name).encode(linesep=self.linesep)
            return f"{name}: {encoded}{self.linesep}".encode("ascii")
        addresses = getattr(value, "addresses", None)
        if addresses and all(a.addr_spec.isascii() for a in addresses):
            text = ", ".join(formataddr((a.display_name, a.addr_spec), charset="utf-8")
                             for a in addresses)
        if text.isascii() and not any(c in text for c in "\r\n") and len(name) + len(text) < 77:
            return f"{name}: {text}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


SEVEN_BIT = _SevenBit(linesep="\r\n")
"""policy.SMTP's settings (CRLF, 7-bit headers), with the subject encoded quickly."""


def as_bytes(message: EmailMessage, utf8: bool) -> bytes:
    """The message as sent: 7-bit headers (RFC 2047), or UTF-8 ones for an SMTPUTF8 address."""
    return message.as_bytes(policy=policy.SMTPUTF8 if utf8 else SEVEN_BIT)
