"""Who gets what: one message per valid applicant, with the files or the link it carries,
and the variables its templates see.

* ``links``: a link made by :mod:`formgen.links` when the message is written.
* ``packs``: the applicant's ZIP from ``formgen pack``'s output (``OUT/<id>-<name>.zip``).
* ``certificates``: the holder's PDFs from the certificate run's output
  (``OUT/<id>/<certificate>.pdf``, and its ``.credential.json`` when the run wrote one),
  each a certificate the register holds as valid and whose row is genuine; the message
  names each number and verification code. Past the attachment limit the files go as
  download links (:mod:`formgen.send.downloads`).

A person whose files are missing, or whose certificates are not all valid, gets no
message and a row in errors.csv saying why.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from formgen.certificates.numbers import Issued
from formgen.certificates.register import Register
from formgen.credentials.badge import credential_path
from formgen.exceptions import FormgenError
from formgen.forms.formatting import money
from formgen.forms.naming import applicant_folder, output_name, pack_filename
from formgen.language import LANGUAGES, Language, day, number
from formgen.load import RawRecord
from formgen.messages import Message, msg
from formgen.model.applicant import Applicant
from formgen.model.mail import MessageKind
from formgen.model.manifest import Manifest

WHAT: dict[str, MessageKind] = {"links": "link", "packs": "pack", "certificates": "certificate"}
"""``--what`` and the kind of message it sends."""


@dataclass
class Outgoing:
    """One person's message, before it is written."""

    raw: RawRecord
    applicant: Applicant
    kind: MessageKind
    files: list[Path] = field(default_factory=list)
    """The files it carries (a pack, certificates)."""
    certificates: list[Issued] = field(default_factory=list)

    @property
    def record_id(self) -> str:
        return self.applicant.id


def languages_of(manifest: Manifest, applicant: Applicant) -> list[Language]:
    """The languages of a person's message: the manifest's for their programme, else both."""
    chosen = manifest.mail.languages.get(applicant.programme)
    return [lang for lang in LANGUAGES if lang in chosen] if chosen else list(LANGUAGES)


def find_pack(out: Path, item: Outgoing) -> Message | None:
    """The pack of ``item`` in ``out``; the problem when there is none."""
    path = out / pack_filename(item.applicant)
    if not path.is_file():
        return msg("send.no-pack", path=str(path))
    item.files = [path]
    return None


def find_certificates(out: Path, item: Outgoing, manifest: Manifest,
                      held: dict[str, list[Issued]], register: Register) -> Message | None:
    """The holder's valid certificates and their PDFs in ``out``; the problem otherwise."""
    issued = [c for c in held.get(item.applicant.id, []) if c.status == "valid"]
    if not issued:
        return msg("send.no-certificates", register=register.shown)
    for cert in issued:
        row = register.row(cert.number)
        try:
            if row is None:
                raise FormgenError(msg("send.no-certificates", register=register.shown))
            register.genuine(row)
        except FormgenError as e:
            return e.message
        doc = manifest.documents.get(cert.certificate)
        if doc is None:
            return msg("send.certificate-unknown", number=cert.number, certificate=cert.certificate)
        lang = next(iter(doc.output))
        path = out / applicant_folder(item.applicant.id) / output_name(
            doc.output[lang], item.applicant.id, item.applicant.name.get(lang))
        if not path.is_file():
            return msg("send.no-certificate-file", number=cert.number, path=str(path))
        item.files.append(path)
        credential = credential_path(path)
        if credential.is_file():
            item.files.append(credential)
    item.certificates = issued
    return None


def held_certificates(register: Register) -> dict[str, list[Issued]]:
    """Every certificate in the register, by holder."""
    held: dict[str, list[Issued]] = {}
    for cert in register.rows():
        held.setdefault(cert.applicant_id, []).append(cert)
    return held


def size_text(size: int, lang: Language) -> str:
    """A file size as people read it: 1.2 MB, 350 KB."""
    if size >= 1_000_000:
        return f"{number(round(size / 1_000_000, 1), lang)} MB"
    return f"{number(max(1, round(size / 1000)), lang)} KB"


def context(item: Outgoing, manifest: Manifest, lang: Language, today: dt.date, *,
            link: dict[str, str] | None = None, attachments: list[dict[str, str]] = (),  # type: ignore[assignment]
            downloads: list[dict[str, str]] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    """The variables of ``item``'s templates in ``lang`` (see
    :func:`formgen.send.templates.sample_context`)."""
    values = applicant_context(item.applicant, manifest, lang, today, link=link,
                               attachments=attachments, downloads=downloads)
    values["certificates"] = [
        {"title": manifest.documents[c.certificate].title.get(lang), "number": c.number,
         "code": c.short_code, "issued": day(c.issued_on, lang)}
        for c in item.certificates if c.certificate in manifest.documents]
    return values


def applicant_context(a: Applicant, manifest: Manifest, lang: Language, today: dt.date, *,
                      link: dict[str, str] | None = None,
                      attachments: list[dict[str, str]] = (),  # type: ignore[assignment]
                      downloads: list[dict[str, str]] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    """The variables of a message to applicant ``a`` in ``lang`` (no certificates)."""
    prog = manifest.programmes[a.programme]
    deadline = prog.deadline_date(today.year) if prog.deadline else None
    fees = [{"item": fee.item.get(lang), "amount": money(fee.amount, lang),
             "per": fee.per.get(lang) if fee.per else ""}
            for fee in prog.fees if a.grade in fee.grades]
    return {
        "name": a.name.get(lang), "id": a.id, "programme": prog.title.get(lang),
        "grade": prog.grades[a.grade].get(lang), "society": prog.society.name.get(lang),
        "contact": [line.get(lang) for line in prog.contact],
        "deadline": day(deadline, lang) if deadline else "",
        "link": link, "attachments": list(attachments), "downloads": list(downloads),
        "fees": fees, "certificates": [],
    }
