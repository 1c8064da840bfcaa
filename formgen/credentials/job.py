"""The certificate run with status entries and, when asked, digital credentials.

Every certificate numbered gets its place in the status lists
(:func:`formgen.credentials.status.allocate`) before its PDF is made, and its PDF records
where its status is published (``Holder.status``, written to the XMP metadata by
:mod:`formgen.certificates.pdfa`). With
``CredentialOptions(credentials=True)``, once the PDFs are in place each one gets its
signed Open Badges credential beside it (``<name>.credential.json``), and ``OUT/did.json``
holds the issuer's DID document. The issuer's keys are read before any number is
issued, so a missing key stops the run with nothing printed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from formgen.certificates.batch import Piece
from formgen.certificates.plan import Holder
from formgen.certificates.run import CertificateJob, CertificateOptions, CertificateRun
from formgen.certificates.store import register_location
from formgen.clock import now
from formgen.credentials.badge import credential_path, signed_badge, write_did_document, write_json
from formgen.credentials.keys import IssuerKeys, load_issuer_keys
from formgen.credentials.status import StatusEntry, allocate
from formgen.exceptions import OutputError
from formgen.run import Progress
from formgen.settings import Settings
from formgen.validate import Report


@dataclass(frozen=True)
class CredentialOptions:
    """Whether a certificate run also writes digital credentials, and with which keys."""

    credentials: bool = False
    """Write each certificate's Open Badges credential beside its PDF."""
    issuer_keys: Path | None = None
    """The issuer's key file (default: ``$FORMGEN_ISSUER_KEYS``, else beside the register)."""


@dataclass
class CredentialRun(CertificateRun):
    """A certificate run and the credentials it wrote."""

    credentials: list[Path] = field(default_factory=list)
    """Credential files written, in print order."""
    did_document: Path | None = None


class CredentialJob(CertificateJob):
    """:class:`CertificateJob`, with status entries and credentials."""

    def __init__(self, settings: Settings, options: CertificateOptions,
                 credentials: CredentialOptions):
        super().__init__(settings, options)
        self.result: CredentialRun = CredentialRun()
        self.credential_options = credentials
        self.keys: IssuerKeys | None = None
        self.entries: dict[str, StatusEntry] = {}
        self.badges: dict[tuple[str, str], dict[str, Any]] = {}
        """Each certificate's signed credential, by (holder id, certificate)."""
        self.when = now()
        if credentials.credentials:
            self.keys = load_issuer_keys(register_location(settings.paths),
                                         credentials.issuer_keys)

    def plan(self, report: Report, step: Progress) -> list[tuple[Holder, str]]:
        """Number every certificate due, then give each its status entry."""
        items = super().plan(report, step)
        self.entries = allocate(self.register, [i.number for i in self.numbered],
                                self.options.by)
        for h in self.holders:
            h.status = {doc_id: self.entries[issued.number].address(h.verify_base)
                        for doc_id, issued in h.issued.items()}
        return items

    def write(self, chunk: list[tuple[Holder, str]], converted: list[Piece],
              step: Progress) -> None:
        """Each certificate's PDF (the certificate run), then its credential signed, while
        LibreOffice converts the next chunks; written beside the PDF once it is placed."""
        super().write(chunk, converted, step)
        if self.keys is None:
            return
        for h, doc_id in chunk:
            issued = h.issued[doc_id]
            self.badges[(h.applicant.id, doc_id)] = signed_badge(
                issued, self.manifest, h.verify_base, self.entries[issued.number], self.keys,
                self.when)

    def finish(self, out: Path) -> None:
        """Place the PDFs (the certificate run), then write each one's credential."""
        super().finish(out)
        if self.keys is None or not self.holders:
            return
        bases: list[str] = []
        try:
            for h in self.holders:
                for doc_id, pdf in zip(h.doc_ids, self.result.written.get(h.applicant.id, []),
                                       strict=False):
                    issued = h.issued[doc_id]
                    badge = self.badges.get((h.applicant.id, doc_id)) or signed_badge(
                        issued, self.manifest, h.verify_base, self.entries[issued.number],
                        self.keys, self.when)
                    self.result.credentials.append(write_json(credential_path(pdf), badge))
                    if h.verify_base not in bases:
                        bases.append(h.verify_base)
            if bases:
                self.result.did_document = write_did_document(out, bases[0], self.keys)
        except OutputError as e:
            self.result.unwritten.append(e.message)

