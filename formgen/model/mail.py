"""The manifest's ``mail`` section: the messages ``formgen send`` writes and how it sends them.

Each kind of message (``link``, ``pack``, ``certificate``) names, per language, the stem
of its three templates: ``<stem>.subject.txt``, ``<stem>.txt`` and ``<stem>.html``
(``templates/zh/messages/link`` gives ``templates/zh/messages/link.subject.txt`` …),
relative to the manifest, as the documents' templates are.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from formgen.language import Language

MessageKind = Literal["link", "pack", "certificate"]
MESSAGE_KINDS: tuple[MessageKind, ...] = ("link", "pack", "certificate")
TEMPLATE_PARTS: tuple[str, ...] = ("subject.txt", "txt", "html")
"""The three files of a message template, after its stem and a dot."""


class MailSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, frozen=True)


class MessageTemplates(MailSpec):
    """One kind of message: its templates per language."""

    templates: dict[Language, str]
    """The stem of the templates per language, relative to the manifest."""


class Mail(MailSpec):
    """How ``formgen send`` writes and sends its messages."""

    sender: str | None = Field(default=None, alias="from")
    """The From address (``Name <address>``); ``--from`` or ``$FORMGEN_MAIL_FROM`` replace it."""
    reply_to: str | None = None
    """Where applicants' answers go (the Reply-To header), if not to the From address."""
    smtp: str | None = None
    """The server, ``smtp://HOST:PORT`` or ``smtps://HOST:PORT`` (``--smtp`` replaces it)."""
    starttls: bool = False
    """Ask for STARTTLS on an ``smtp://`` server (``--starttls``)."""
    user: str | None = None
    """The login name on the server (the password never goes in the manifest)."""
    per_minute: int | None = Field(default=None, ge=1)
    """At most this many messages a minute (providers limit senders)."""
    attachment_limit_mb: float = Field(default=10.0, gt=0)
    """Attachments larger than this (in MB, all of one message together) go as a link."""
    languages: dict[str, list[Language]] = {}
    """Per programme, the languages of its messages: ``[zh]``, ``[en]`` or ``[zh, en]``
    (one message in both, Chinese first); a programme not listed gets both."""
    messages: dict[MessageKind, MessageTemplates] = {}
    """The templates of each kind of message."""

    model_config = ConfigDict(populate_by_name=True)
