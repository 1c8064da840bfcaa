"""``formgen send``: write each person's message, then preview it or send it, once.

:func:`plan_batch` validates the data, finds what each person is sent and writes every
message as it will go: a person whose message the sent log holds as sent is skipped; one
whose message an earlier run kept but did not send gets those same bytes (the same
Message-ID, the same link); the others get a new message, their links (and the download
links of certificates too large to attach, :mod:`formgen.send.downloads`) made in one
transaction each (in a preview, stand-ins: nothing is made). The command shows the summary and
asks (declining withdraws the links made). :func:`send_batch` then sends, person by
person, each message kept in the log before the server sees it.
Transient failures are tried again after a back-off (``retry_wait``, doubled each time);
refusals and the ones that kept failing are listed in ``OUT/errors.csv``, and the rest
go on. ``per_minute`` spaces the messages out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from email.headerregistry import Address
from pathlib import Path

from formgen import clock
from formgen.certificates.register import Register
from formgen.certificates.store import register_location
from formgen.exceptions import FormgenError, Problem
from formgen.language import day
from formgen.links.downloads import download_link
from formgen.links.store import Vault, key_of, lookup_of, vault_location
from formgen.links.tokens import json_safe, make_link, token_in
from formgen.load import RawRecord
from formgen.messages import Message, msg
from formgen.model.mail import MessageKind
from formgen.paths import safe_filename
from formgen.run import ERRORS_CSV, failure, write_errors_csv
from formgen.send.compose import (
    Attachment,
    as_bytes,
    build_message,
    needs_smtputf8,
    new_message_id,
    parse_address,
)
from formgen.send.downloads import download_links
from formgen.send.log import LOG_NAME, SentLog, held
from formgen.send.plan import (
    Outgoing,
    context,
    find_certificates,
    find_pack,
    held_certificates,
    languages_of,
    size_text,
)
from formgen.send.smtp import Connection, Refused, Transient
from formgen.send.templates import write
from formgen.settings import Settings
from formgen.validate import validate_files

STAND_IN_TOKEN = "PREVIEW-not-a-link-yet"
"""The link's last part in a preview: 22 characters, as a real one, that open nothing."""


@dataclass(frozen=True)
class SendOptions:
    """What ``formgen send`` was asked to do."""

    kind: MessageKind
    out: Path
    """Where the packs or certificates are, and where sent.sqlite and errors.csv go."""
    sender: Address
    reply_to: Address | None = None
    log: Path | None = None
    """The sent log (default: OUT/sent.sqlite)."""
    base_url: str | None = None
    """The web app's address, for links (and for packs or certificates too large to attach)."""
    days: float = 30
    per_minute: int | None = None
    retries: int = 3
    retry_wait: float = 10.0
    attachment_limit: int = 10_000_000
    resend: int | None = None
    """Send the message with this id in the log again, on purpose."""

    @property
    def log_path(self) -> Path:
        return self.log or self.out / LOG_NAME


@dataclass
class Prepared:
    """One person's message as planned (and, in a preview, as written)."""

    item: Outgoing
    recipient: Address
    data: bytes
    """The message as it is sent (in a preview, with stand-in links)."""
    message_id: str = ""
    """Its Message-ID (of a message written now; a kept one is in the log already)."""
    kept: int | None = None
    """The id of the message an earlier run kept unsent, which is sent as it is."""
    interrupted: bool = False
    """That run stopped before the server's answer (rather than the server refusing it)."""
    carried: list[dict[str, object]] = field(default_factory=list)
    """What the message carries (files and their SHA-256, the link's filing)."""


@dataclass
class Batch:
    """Everything to send, and what the plan found."""

    options: SendOptions
    records_in: int = 0
    to_send: list[Prepared] = field(default_factory=list)
    already_sent: list[tuple[str, str]] = field(default_factory=list)
    """(record id, when) of the people whose message was sent before."""
    failed: list[tuple[RawRecord, Message]] = field(default_factory=list)
    """The people who got no message, and why."""
    invalid: list[RawRecord] = field(default_factory=list)
    """The records that failed validation (their problems are in ``problems``)."""
    problems: list[Problem] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    links_made: list[str] = field(default_factory=list)
    """The tokens of the links made for this batch (withdrawn if it is not sent)."""
    files_made: list[str] = field(default_factory=list)
    """The tokens of the download links made for this batch (withdrawn likewise)."""

    @property
    def total_size(self) -> int:
        return sum(len(p.data) for p in self.to_send)


@dataclass
class SendResult:
    sent: int = 0
    resumed: int = 0
    """Messages an interrupted run had kept, sent now with their Message-ID."""
    errors_csv: Path | None = None


def plan_batch(settings: Settings, data: list[Path], options: SendOptions,
               vault: Vault | None = None) -> Batch:
    """Validate, find each person's files, and write every message: with a ``vault`` (a
    run that sends), the links it carries are made now, all in one transaction; without
    (a preview), they are stand-ins and nothing is made."""
    manifest = settings.manifest
    records, report = validate_files(data, manifest, settings.today)
    batch = Batch(options, records_in=sum(1 for r in records if not r.whole_file),
                  problems=list(report.problems), unreadable=report.unreadable_files)
    batch.invalid = list(report.failed)
    items = [Outgoing(v.source, v.applicant, options.kind) for v in report.valid]
    if options.kind == "certificate":
        with Register(register_location(settings.paths),
                      key_file=settings.paths.register_key) as register:
            held = held_certificates(register)
            found = [(i, find_certificates(options.out, i, manifest, held, register)) for i in items]
    elif options.kind == "pack":
        found = [(i, find_pack(options.out, i)) for i in items]
    else:
        found = [(i, None) for i in items]
    fresh: list[tuple[Outgoing, Address]] = []
    with SentLog(options.log_path, create=False) as log:
        resend = log.get(options.resend) if options.resend is not None else None
        if options.resend is not None and (resend is None or resend.kind != options.kind):
            raise FormgenError(msg("send.no-such-message", id=str(options.resend),
                                   log=str(log.path)))
        for item, problem in found:
            if resend is not None and item.record_id != resend.record_id:
                continue
            if problem is not None:
                batch.failed.append((item.raw, problem))
                continue
            _plan_one(batch, item, log, resend is not None, fresh)
        if resend is not None and not any(i.record_id == resend.record_id for i in items):
            raise FormgenError(msg("send.resend-not-in-data", id=str(resend.id),
                                   record=resend.record_id))
    now = clock.now()
    needing = [item for item, _ in fresh if _needs_link(item, options)]
    if needing and not options.base_url:
        raise FormgenError(msg("send.base-url-needed"))
    links: dict[int, str] = {}
    if vault is not None and needing:
        tokens = vault.add_links([json_safe(i.raw.data) for i in needing],
                                 now + dt.timedelta(days=options.days), now)
        links = {id(i): make_link(options.base_url or "", t) for i, t in zip(needing, tokens, strict=True)}
        batch.links_made = tokens
    downloads, refused, batch.files_made = download_links(
        [item for item, _ in fresh], options.attachment_limit, options.base_url,
        options.days, vault, now, STAND_IN_TOKEN)
    batch.failed += [(item.raw, why) for item, why in refused]
    for item, recipient in fresh:
        if any(item is i for i, _ in refused):
            continue
        try:
            written, message_id, carried = compose(item, recipient, options, settings,
                                                   links.get(id(item)), now,
                                                   downloads.get(id(item)))
        except FormgenError as e:
            batch.failed.append((item.raw, e.message))
            continue
        batch.to_send.append(Prepared(item, recipient, written, message_id, carried=carried))
    return batch


def _plan_one(batch: Batch, item: Outgoing, log: SentLog, resend: bool,
              fresh: list[tuple[Outgoing, Address]]) -> None:
    try:
        recipient = parse_address(f"{item.applicant.name.get('zh')} <{item.applicant.email}>",
                                  "email")
    except FormgenError as e:
        batch.failed.append((item.raw, e.message))
        return
    last = None if resend else log.latest(item.kind, item.record_id)
    if last is not None and last.state == "sent":
        batch.already_sent.append((item.record_id, last.sent_at or ""))
        return
    if last is not None and last.body is not None and last.recipient == recipient.addr_spec:
        batch.to_send.append(Prepared(item, recipient, last.body, kept=last.id,
                                      interrupted=last.state == "prepared"))
        return
    if last is not None and last.body is not None:
        log.forget_body(last.id)
    fresh.append((item, recipient))


def _needs_link(item: Outgoing, options: SendOptions) -> bool:
    """A link message, or a pack too large to attach (it goes as the applicant's link)."""
    if item.kind == "link":
        return True
    return item.kind == "pack" and sum(p.stat().st_size for p in item.files) > options.attachment_limit


def compose(item: Outgoing, recipient: Address, options: SendOptions, settings: Settings,
            link: str | None, now: dt.datetime, downloads: list[str] | None = None,
            ) -> tuple[bytes, str, list[dict[str, object]]]:
    """The message's bytes, its Message-ID and what it carries; without a ``link`` (a
    preview), the link a message carries is a stand-in. ``downloads``: the link of each
    file (certificates too large to attach), in order."""
    manifest, today = settings.manifest, settings.today
    expires = (now + dt.timedelta(days=options.days)).date()
    carried: list[dict[str, object]] = []
    link_url = link or f"{(options.base_url or '').rstrip('/')}/f/{STAND_IN_TOKEN}"
    if link is not None:
        key = key_of(token_in(link))
        carried.append({"link": lookup_of(key, "link") if key else "", "expires": expires.isoformat()})
    files = [(p.name, p.read_bytes()) for p in item.files]
    total = sum(len(b) for _, b in files)
    oversize = total > options.attachment_limit
    if oversize and item.kind == "certificate" and downloads is None:
        downloads = [download_link(options.base_url or "", STAND_IN_TOKEN) for _ in files]
    urls = downloads if oversize and downloads is not None else [link_url] * len(files)
    attachments = [] if oversize else [Attachment(name, data) for name, data in files]
    for (name, data), url in zip(files, urls, strict=True):
        carried.append({"file": name, "sha256": hashlib.sha256(data).hexdigest(),
                        "bytes": len(data), "attached": not oversize})
        key = key_of(token_in(url)) if oversize and item.kind == "certificate" else None
        if key is not None:
            carried[-1].update(download=lookup_of(key, "file"), expires=expires.isoformat())
    parts = []
    for lang in languages_of(manifest, item.applicant):
        listed = [{"name": n, "size": size_text(len(b), lang)} for n, b in files]
        values = context(
            item, manifest, lang, today,
            link={"url": link_url, "expires": day(expires, lang)} if item.kind == "link" else None,
            attachments=[] if oversize else listed,
            downloads=[dict(f, url=url, expires=day(expires, lang))
                       for f, url in zip(listed, urls, strict=True)] if oversize else [])
        parts.append(write(manifest, item.kind, lang, values))
    message_id = new_message_id(options.sender)
    message = build_message(parts, sender=options.sender, to=recipient,
                            reply_to=options.reply_to, message_id=message_id,
                            date=now, attachments=attachments)
    return as_bytes(message, needs_smtputf8(options.sender, recipient)), message_id, carried


def link_vault(settings: Settings) -> Vault:
    """The link store the run's links go to (the one ``formgen serve`` reads)."""
    return Vault(vault_location(settings.paths.link_store, settings.paths.database))


def withdraw_links(batch: Batch, vault: Vault) -> None:
    """Withdraw the links and download links a batch made, when it is not sent after all."""
    for token in batch.links_made:
        key = key_of(token)
        if key is not None:
            vault.revoke(key)
    for token in batch.files_made:
        key = key_of(token)
        if key is not None:
            vault.revoke_file(key)
    batch.links_made = []
    batch.files_made = []


def write_previews(batch: Batch, folder: Path) -> list[Path]:
    """Every message of the batch as ``<id>.eml`` in ``folder``; nothing is sent."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for p in batch.to_send:
        target = folder / safe_filename(f"{p.item.record_id}-{p.item.kind}.eml", "message.eml")
        target.write_bytes(p.data)
        written.append(target)
    return written


class Pace:
    """At most ``per_minute`` messages a minute, evenly spaced."""

    def __init__(self, per_minute: int | None, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic):
        self.interval = 60.0 / per_minute if per_minute else 0.0
        self.next = 0.0
        self.sleep = sleep
        self.clock = clock

    def wait(self) -> None:
        """Return when the next message may go."""
        if not self.interval:
            return
        now = self.clock()
        if now < self.next:
            self.sleep(self.next - now)
        self.next = max(now, self.next) + self.interval


def holding_log(options: SendOptions) -> AbstractContextManager[None]:
    """Hold the run's sent log from its plan to its last message (see :func:`held`)."""
    return held(options.log_path)


def send_batch(batch: Batch, connection: Connection,
               progress: Callable[[int], None] = lambda n: None) -> SendResult:
    """Send every message of ``batch`` not sent before through ``connection`` (checked
    with :meth:`Connection.check` first, to stop at once on a refused login); errors.csv
    lists those that failed."""
    options = batch.options
    result = SendResult()
    pace = Pace(options.per_minute)
    try:
        with SentLog(options.log_path) as log:
            for prepared in batch.to_send:
                problem = _send_one(prepared, log, connection, pace, options, result)
                if problem is not None:
                    batch.failed.append((prepared.item.raw, problem))
                progress(1)
    finally:
        connection.close()
    result.errors_csv = write_errors(batch, options.out)
    return result


def write_errors(batch: Batch, folder: Path) -> Path | None:
    """``folder/errors.csv``: every record that failed validation, and every person who
    got no message, with why; None when it cannot be written."""
    errors = [p for p in batch.problems if p.severity == "error"]
    errors += [failure(raw, "email" if why.id == "send.refused" else "", why)
               for raw, why in batch.failed]
    try:
        return write_errors_csv(folder / ERRORS_CSV, errors,
                                batch.invalid + [raw for raw, _ in batch.failed])
    except OSError:
        return None


def _send_one(prepared: Prepared, log: SentLog, connection: Connection, pace: Pace,
              options: SendOptions, result: SendResult) -> Message | None:
    item, recipient, data = prepared.item, prepared.recipient, prepared.data
    if prepared.kept is not None:
        message_id = prepared.kept
        result.resumed += prepared.interrupted
    else:
        message_id = log.prepare(item.kind, item.record_id, recipient.addr_spec,
                                 prepared.message_id, prepared.carried, data,
                                 options.resend)
    utf8 = needs_smtputf8(options.sender, recipient)
    wait = options.retry_wait
    for attempt in range(options.retries + 1):
        pace.wait()
        try:
            answer = connection.send(options.sender.addr_spec, recipient.addr_spec, data, utf8)
        except Refused as e:
            log.failed(message_id, e.answer)
            return msg("send.refused", answer=e.answer)
        except Transient as e:
            log.attempt(message_id, e.answer)
            if attempt == options.retries:
                log.failed(message_id, e.answer)
                return msg("send.gave-up", tries=options.retries + 1, answer=e.answer)
            time.sleep(wait)
            wait *= 2
            continue
        log.sent(message_id, answer)
        result.sent += 1
        return None
    return None  # pragma: no cover - the loop returns
