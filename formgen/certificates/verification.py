"""Verifying a certificate: find it in the register, check that it was issued and that its
record is genuine, and say what it is in the manifest's words.

``formgen verify`` (:mod:`formgen.commands.verify`), the public verification page and its
JSON (:mod:`formgen.web.verify`) all ask here, and only format the answer.

What a certificate is found by depends on who asks. Staff have its number, its
verification code, its verification link (what its QR code holds) or the QR text of an
older certificate (:func:`find`). The public page and API take only a code
(:func:`find_by_code`), or a number with its holder's surname (:func:`find_by_number`):
numbers follow each other, so they alone could be tried one by one.

Each raises :class:`~formgen.exceptions.VerificationError` when there is no such
certificate, its register row does not match its seal, or it was never issued (a number
``pending`` or ``void``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from formgen.certificates.numbers import NUMBER_RE, Issued, normalize_code
from formgen.certificates.printed import Printed, recorded
from formgen.certificates.qr import PAYLOAD_TAG, code_in_link
from formgen.certificates.register import Register, reason_words
from formgen.certificates.surnames import surname_matches
from formgen.exceptions import FormgenError, ManifestError, VerificationError
from formgen.messages import Message, msg
from formgen.model.manifest import Manifest, Term, verify_base

PLACEHOLDER_DOMAINS = ("example.org", "example.com", "example.net")
"""Domains reserved for examples (RFC 2606): an address under one is a placeholder."""
PLACEHOLDER_TLDS = ("example", "invalid", "test")
"""Top-level domains reserved for examples and tests (RFC 2606, RFC 6761)."""

Standing = Literal["valid", "revoked", "superseded"]
"""The status of a certificate that was issued: all a look-up shows."""


@dataclass(frozen=True)
class Verification:
    """A certificate found in the register: what it shows, and whether it stands."""

    status: Standing
    """``valid``; ``revoked`` (see changed_on, reason); ``superseded`` (see replaced_by,
    changed_on)."""
    number: str
    """The certificate number, e.g. CSEE-IET-2026-000123."""
    code: str
    """The verification code as printed: ``7KQ2-M9XD-4T``."""
    holder: str
    """The holder's name as the certificate prints it."""
    applicant_id: str
    certificate: str
    """Which certificate it is: its document id in the manifest."""
    title: Term | None
    """The certificate's title, or None when the manifest has no such document."""
    programme: str
    """The programme's id."""
    grade: str
    """The grade's code: CEng, IEng or EngTech."""
    grade_name: Term | None
    """The grade in the programme's words, or None when the manifest does not name it."""
    issued_on: dt.date
    changed_on: dt.date | None = None
    """When it was revoked or superseded."""
    replaced_by: str = ""
    """The number of the certificate reissued in its place (superseded)."""
    replaces: str = ""
    """The number of the certificate it was reissued in place of (which it superseded);
    empty for a first issue."""
    reason: str = ""
    """Why it was revoked: one of REASONS (revoked)."""
    particulars: list[Printed] | None = None
    """What the certificate prints, label and value, as the register recorded it when it
    was numbered; None for a certificate numbered before they were recorded."""

    @property
    def revoked_on(self) -> dt.date | None:
        return self.changed_on if self.status == "revoked" else None

    @property
    def superseded_on(self) -> dt.date | None:
        return self.changed_on if self.status == "superseded" else None

    @property
    def reason_words(self) -> Message | str:
        """Why it was revoked, as people read it (颁发有误 / issued in error)."""
        return reason_words(self.reason)


def find(reg: Register, text: str, manifest: Manifest | None) -> Verification:
    """The certificate a number, a verification code, a verification link or an old QR
    text names."""
    if text.strip().upper().startswith(PAYLOAD_TAG + "|"):
        issued = reg.verify_payload(text)
    else:
        issued = reg.lookup(code_in_link(text) or text)
    return describe(issued, manifest, recorded(reg, issued.number))


def find_by_code(reg: Register, code: str, manifest: Manifest | None) -> Verification:
    """The certificate with this verification code (as printed, with or without dashes);
    anything else, a number too, is not a code."""
    short = normalize_code(code)
    if short is None:
        raise VerificationError(msg("verify.not-a-code", code=code.strip()[:60]))
    issued = reg.lookup(short)
    return describe(issued, manifest, recorded(reg, issued.number))


def find_by_number(reg: Register, number: str, surname: str,
                   manifest: Manifest | None) -> Verification:
    """The certificate with this number, when its holder has this surname (see
    :func:`~formgen.certificates.surnames.surname_matches`: the whole surname)."""
    text = number.strip().upper()
    if not NUMBER_RE.fullmatch(text):
        raise VerificationError(msg("verify.not-a-code", code=number.strip()[:60]))
    not_found = VerificationError(msg("verify.unknown-number-surname", number=text,
                                      surname=surname.strip()[:60]))
    try:
        issued = reg.lookup(text)
    except VerificationError as e:
        if e.code != "verify.unknown-code":
            raise
        raise not_found from e
    if not surname_matches(issued.name, surname):
        raise not_found  # the same answer: whether the number exists is not told
    return describe(issued, manifest, recorded(reg, issued.number))


def describe(issued: Issued, manifest: Manifest | None,
             particulars: list[Printed] | None = None) -> Verification:
    """A certificate of the register in the words of ``manifest`` (ids and codes only when
    there is none), with what it prints; VerificationError when it was never issued."""
    status = issued.status
    if status != "valid" and status != "revoked" and status != "superseded":
        raise VerificationError(msg("verify.never-issued", number=issued.number))
    title = grade_name = None
    if manifest is not None:
        doc = manifest.documents.get(issued.certificate)
        title = doc.title if doc is not None else None
        programme = manifest.programmes.get(issued.programme)
        if programme is not None:
            grade_name = next((t for code, t in programme.grades.items() if code == issued.grade),
                              None)
    return Verification(
        status=status,
        number=issued.number,
        code=issued.short_code,
        holder=issued.name,
        applicant_id=issued.applicant_id,
        certificate=issued.certificate,
        title=title,
        programme=issued.programme,
        grade=issued.grade,
        grade_name=grade_name,
        issued_on=issued.issued_on,
        changed_on=issued.changed_on if status != "valid" else None,
        replaced_by=issued.replaced_by if status == "superseded" else "",
        replaces=issued.replaces,
        reason=issued.reason if status == "revoked" else "",
        particulars=particulars,
    )


# ----------------------------------------------------------------------------- addresses


def is_placeholder(url: str) -> bool:
    """Whether a verification address is an example's (``https://verify.example.org``):
    its host is a domain reserved for examples, where no verification page can run."""
    host = (urlsplit(url.strip()).hostname or "").rstrip(".").lower()
    return (host.rsplit(".", 1)[-1] in PLACEHOLDER_TLDS
            or any(host == d or host.endswith("." + d) for d in PLACEHOLDER_DOMAINS))


def checked_url(url: str | None) -> str | None:
    """A verification address given for a run (``--verify-url``), without its trailing
    slash; FormgenError when it is not an http(s) address."""
    if url is None:
        return None
    try:
        return verify_base(url)
    except ValueError:
        raise FormgenError(msg("certificate.bad-verify-url", url=url)) from None


def verify_base_for(manifest: Manifest, programme: str, override: str | None) -> str:
    """Where ``programme``'s certificates are verified: ``override`` (given for the run),
    else the manifest's; ManifestError when there is none, or the manifest's is a
    placeholder (an example's address is never printed unless asked for)."""
    base = override or manifest.verify_url(programme)
    if not base:
        raise ManifestError(msg("manifest.no-verify-url", programme=programme))
    if override is None and is_placeholder(base):
        raise ManifestError(msg("manifest.placeholder-verify-url", programme=programme, url=base))
    return base


def placeholder_addresses(manifest: Manifest) -> dict[str, str]:
    """The programmes whose verification address in the manifest is a placeholder, with
    that address."""
    return {programme: series.verify_url for programme, series in manifest.certificates.items()
            if series.verify_url and is_placeholder(series.verify_url)}
