"""Certificates: plan → number → print in batches → write → record.

For every valid record the manifest names the certificates due (``kind: certificate``
documents the holder's programme and grade need). The register numbers them all in one
transaction, as ``pending``; a holder who already has a certificate keeps its number and
date of issue. Holders the register refuses (their certificate was withdrawn, or their
details changed since it was issued: that is a reissue) fail with the reason.

Each certificate template is one A4 page. The certificates of one template are rendered,
converted by LibreOffice and split back into pages in chunks
(:mod:`formgen.certificates.batch`); a certificate that does not fit on its page fails
only its holder. Each certificate's QR code goes into its PDF page in place of the
template's placeholder picture (:func:`formgen.certificates.qr.stamp_qr`: a 1-bit image,
sharp at any size), holding the link to its verification page. What a certificate
template sees is made by :mod:`formgen.certificates.context`; who is due which
certificate by :mod:`formgen.certificates.plan`.

The run is :func:`formgen.main.run_batch` with a :class:`CertificateJob`. The register,
the templates, the verification links and the output folder (writable) are checked
before any number is issued. Once a holder's files are in place their numbers
become ``valid``; the numbers of certificates that were never written are ``void``, never
given to anyone else.

Output, in ``out``: ``print.pdf`` (every certificate, ordered by unit, then holder, in
pinyin order (:func:`formgen.sorting.pinyin_key`), then the manifest's order of
certificates), ``<id>/<certificate>.pdf`` per holder, ``register.csv`` (every change this
run made to the register: printed, reprinted, voided, superseded) and ``errors.csv``
(every record that failed, one row per problem). Every file is written through a
temporary file and a rename. Every PDF is PDF/A-2b (:mod:`formgen.certificates.pdfa`);
signature and seal pictures go over the signature lines
(:mod:`formgen.certificates.pictures`); with a signing key, each holder's PDF is signed
(:mod:`formgen.certificates.signing`), print.pdf (a file for the printer) is not.

``CertificateOptions(reissue=(NUMBER, ...), reissue_holders=(ID, ...))`` prints these
certificates, and every valid certificate of these holders, again under new numbers, with
the holders' data as corrected in ``data``, numbered, stamped and signed as any other
certificate; each old certificate becomes ``superseded`` by its new one once that is
written (the new one records the number it replaces).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from formgen.certificates.batch import (
    BatchTemplate,
    CertificateChunk,
    Piece,
    batch_template,
    convert_chunk,
    keep_particulars,
    render_chunk,
    split_piece,
    write_print_pdf,
)
from formgen.certificates.context import signature_lines
from formgen.certificates.numbers import Issued, IssueRequest
from formgen.certificates.numbers import write_csv as write_register_csv
from formgen.certificates.pictures import check_picture
from formgen.certificates.plan import Holder, plan_holder, printed_name
from formgen.certificates.register import Register
from formgen.certificates.reissue import holders_only, plan_reissue
from formgen.certificates.signing import CertificateSigner, SigningKey
from formgen.certificates.store import register_location
from formgen.certificates.verification import checked_url, verify_base_for
from formgen.exceptions import FormgenError, ManifestError, OutputError, RegisterError
from formgen.fonts import require_families
from formgen.forms.naming import applicant_folder, output_name
from formgen.load import RawRecord
from formgen.messages import Message, msg
from formgen.model.manifest import Manifest
from formgen.paths import cannot_write, inside
from formgen.run import BatchJob, BuildResult, Progress
from formgen.settings import Settings
from formgen.validate import Report


@dataclass
class CertificateRun(BuildResult):
    """What a certificate run did."""

    issued: list[Issued] = field(default_factory=list)
    """Certificates printed, in print order."""
    print_pdf: Path | None = None
    register_csv: Path | None = None
    signature_level: str | None = None
    """PAdES level of the signatures on each holder's PDF (B-B, B-T, B-LT); None: unsigned."""

    @property
    def certificates_written(self) -> int:
        return len(self.issued)


@dataclass(frozen=True)
class CertificateOptions:
    """How a certificate run numbers, addresses and signs (the register's path and key
    come from the settings)."""

    verify_url: str | None = None
    """Replaces the manifest's verification address: the QR code links to BASE/c/CODE."""
    by: str = ""
    """Who prints, in the register's events."""
    init_register: bool = False
    """Make the register (with its key) when there is no file."""
    register_timeout: float = 10.0
    """Seconds to wait for a register locked by another batch."""
    reissue: tuple[str, ...] = ()
    """Print these certificates again under new numbers, with their holders' records."""
    reissue_holders: tuple[str, ...] = ()
    """Print every valid certificate of these holders (applicant ids) again under new
    numbers."""
    signing: SigningKey | None = None
    """Sign each holder's PDF with this key."""


def open_register(settings: Settings, options: CertificateOptions) -> Register:
    """The settings' register (made first with ``options.init_register`` when missing);
    use it as a context manager."""
    where = register_location(settings.paths)
    key_file = settings.paths.register_key
    if options.init_register and where.path is not None and not where.path.exists() \
            and not where.path.is_symlink():
        return Register.create(where, key_file=key_file, by=options.by,
                               timeout=options.register_timeout)
    try:
        return Register(where, options.register_timeout, key_file=key_file)
    except RegisterError as e:
        if not (options.init_register and e.code == "register.database-none"):
            raise
    return Register.create(where, key_file=key_file, by=options.by,
                           timeout=options.register_timeout)


class CertificateJob(BatchJob[tuple[Holder, str], CertificateRun]):
    """Number, render and print the certificates due to every valid record.

    Whatever can stop the whole run is checked before a number is issued: the verification
    address, the fonts and the signing key before the register is opened, the templates in
    :meth:`plan`; a problem with
    one record only fails that record. Numbers issued and never written become ``void``
    when the run ends (:meth:`close`).
    """

    chunk_bounds = (25, 250)
    most_workers = 4

    def __init__(self, settings: Settings, options: CertificateOptions):
        """FormgenError, before the register is opened, when the verification address,
        the fonts or the signing key cannot be used."""
        from formgen.office.converter import PDFA_2B

        super().__init__(CertificateRun())
        self.settings = settings
        self.manifest = settings.manifest
        self.options = options
        self.pdf_options = PDFA_2B
        self.base_override = checked_url(options.verify_url)
        require_families()  # every certificate is printed: no register is made for a run that cannot
        self.signer = CertificateSigner(options.signing) if options.signing is not None else None
        self.replaced: dict[tuple[str, str], Issued] = {}
        """The certificates reissued, by (holder, certificate)."""
        self.holders: list[Holder] = []
        self.templates: dict[str, BatchTemplate] = {}
        self.new: list[str] = []
        self.confirmed: list[str] = []
        self.numbered: list[Issued] = []
        self.since = 0
        self.bad: dict[str, list[Message]] = {}
        self._register: Register | None = None

    @contextmanager
    def opened_register(self) -> Iterator[Register]:
        """The register, open for this run (made first with ``init_register``)."""
        with open_register(self.settings, self.options) as register:
            self._register = register
            try:
                yield register
            finally:
                self._register = None

    @property
    def register(self) -> Register:
        if self._register is None:
            raise RuntimeError("the certificate run needs its register open")
        return self._register

    def narrow(self, records: list[RawRecord], report: Report) -> tuple[list[RawRecord], Report]:
        """For a reissue, the records of the holders reissued only."""
        if self.options.reissue or self.options.reissue_holders:
            old = self.register.reissue_set(self.options.reissue, self.options.reissue_holders)
            self.replaced = {(i.applicant_id, i.certificate): i for i in old}
            return holders_only(records, report, old)
        return records, report

    def plan(self, report: Report, step: Progress) -> list[tuple[Holder, str]]:
        """Check what can stop the run, then number every certificate due (one
        transaction); the items are (holder, certificate), template by template."""
        today, by = self.settings.today, self.options.by
        holders = _plan(report, self.manifest, today, self.result, self.replaced)
        self.templates = _templates(self.manifest, holders)
        for h in holders:
            h.verify_base = verify_base_for(self.manifest, h.applicant.programme, self.base_override)
        requests = {h.applicant.id: _requests(h, self.manifest, self.replaced) for h in holders}
        refused = self.register.refusals([r for rs in requests.values() for r in rs])
        for h in [h for h in holders if h.applicant.id in refused]:
            for message in refused[h.applicant.id]:
                self.result.fail(h.source, message)
            holders.remove(h)
        self.since = self.register.last_event()
        self.numbered = self.register.issue(
            [r for h in holders for r in requests[h.applicant.id]], by, today)
        self.new = [i.number for i in self.numbered if not i.reused]
        issued = iter(self.numbered)
        for h in holders:
            h.issued = {doc_id: next(issued) for doc_id in h.doc_ids}
        changed = keep_particulars(self.register, holders, self.manifest, by)
        for h in [h for h in holders if h.applicant.id in changed]:
            self.result.fail(h.source, changed[h.applicant.id])
            holders.remove(h)
        self.holders = holders
        return [(h, doc_id) for doc_id in self.templates for h in holders if doc_id in h.doc_ids]

    def chunks(self, items: list[tuple[Holder, str]], size: int) -> list[list[tuple[Holder, str]]]:
        """Chunks of one template each."""
        chunks: list[list[tuple[Holder, str]]] = []
        for doc_id in self.templates:
            mine = [item for item in items if item[1] == doc_id]
            chunks.extend(mine[k : k + size] for k in range(0, len(mine), size))
        return chunks

    def render(self, chunk: list[tuple[Holder, str]], number: int) -> tuple[
            CertificateChunk, bytes | Message]:
        certificates = CertificateChunk(chunk[0][1], [h for h, _ in chunk])
        try:
            return certificates, render_chunk(certificates, self.templates, self.manifest)
        except FormgenError as e:
            return certificates, e.message

    def convert(self, rendered: tuple[CertificateChunk, bytes | Message], converter: Any,
                workdir: Path) -> list[Piece]:
        certificates, docx = rendered
        if not isinstance(docx, bytes):
            return [Piece(certificates.holders, problem=docx)]
        return convert_chunk(certificates, docx, converter, workdir, self.templates,
                             self.manifest)

    def write(self, chunk: list[tuple[Holder, str]], converted: list[Piece],
              step: Progress) -> None:
        """Each certificate's own PDF/A file (signed when there is a signer)."""
        doc_id = chunk[0][1]
        for piece in converted:
            work = piece.pdf.parent if piece.pdf is not None else Path()
            for holder_id, problems in split_piece(piece, doc_id, self.templates, self.manifest,
                                                   work, self.signer).items():
                self.bad.setdefault(holder_id, []).extend(problems)
        step(len(chunk))

    def fail_chunk(self, chunk: list[tuple[Holder, str]], message: Message) -> None:
        """The chunk's holders fail when the run ends (their numbers become void)."""
        for holder, _ in chunk:
            said = self.bad.setdefault(holder.applicant.id, [])
            if message not in said:
                said.append(message)

    def finish(self, out: Path) -> None:
        """Move each holder's PDFs into place, record them as valid, and write print.pdf."""
        if self.signer is not None and self.holders:
            self.result.signature_level = self.signer.level
        for h in list(self.holders):
            problems = self.bad.get(h.applicant.id) or _place(h, self.manifest, out, self.result)
            if problems:
                for message in problems:
                    self.result.fail(h.source, message)
                self.holders.remove(h)
        self.confirmed = _confirm(self.register, self.holders, out, self.options.by,
                                  self.settings.today, self.result)
        self.result.issued = [h.issued[d] for h in self.holders for d in h.doc_ids]
        if self.holders:
            try:
                self.result.print_pdf = write_print_pdf(self.holders, self.manifest,
                                                        self.templates, out / "print.pdf")
            except OutputError as e:  # the holders' own files are written: they keep them
                self.result.unwritten.append(e.message)

    def close(self) -> None:
        """Void the numbers issued by this run and never written."""
        self.register.void([n for n in self.new if n not in self.confirmed], self.options.by,
                           "not written", self.settings.today)

    def write_register_csv(self, out: Path) -> None:
        """``register.csv``: every change this run made to the register (or why not)."""
        touched = {i.number for i in self.numbered}
        touched.update(i.number for i in self.replaced.values())
        events = self.register.events(touched, since=self.since)
        try:
            self.result.register_csv = write_register_csv(events, out / "register.csv")
        except OutputError as e:
            self.result.unwritten.append(e.message)




def _plan(report: Report, manifest: Manifest, today: dt.date, run: CertificateRun,
          replaced: dict[tuple[str, str], Issued]) -> list[Holder]:
    """The valid records and the certificates due to each (only those reissued, for a
    reissue), by unit then name; a record that cannot have its certificates fails."""
    holders: list[Holder] = []
    for item in report.valid:
        if not replaced:
            doc_ids, issued_on, problems = plan_holder(item.applicant, manifest, today)
        else:
            doc_ids, issued_on, problems = plan_reissue(item.applicant, manifest, today, [
                old for (holder, _), old in replaced.items() if holder == item.applicant.id])
        for field_name, message in problems:
            run.fail(item.source, message, field_name)
        if not problems:
            holders.append(Holder(item.source, item.applicant, doc_ids, issued_on))
    holders.sort(key=lambda h: h.sort_key)
    return holders


def _requests(h: Holder, manifest: Manifest,
              replaced: dict[tuple[str, str], Issued]) -> list[IssueRequest]:
    return [
        IssueRequest(
            applicant_id=h.applicant.id,
            name=printed_name(h.applicant, manifest.documents[doc_id].printed_languages()),
            certificate=doc_id,
            programme=h.applicant.programme,
            grade=h.applicant.grade,
            prefix=manifest.number_prefix(doc_id, h.applicant.programme) or "",
            issued_on=h.issued_on,
            replaces=replaced[h.applicant.id, doc_id].number
            if (h.applicant.id, doc_id) in replaced else "",
        )
        for doc_id in h.doc_ids
    ]


def _place(h: Holder, manifest: Manifest, out: Path, run: CertificateRun) -> list[Message]:
    """Move the holder's PDFs into ``out/<id>/``; the problem when one cannot be written."""
    written: list[Path] = []
    for doc_id in h.doc_ids:
        doc = manifest.documents[doc_id]
        lang = next(iter(doc.output))
        filename = output_name(doc.output[lang], h.applicant.id, h.applicant.name.get(lang))
        try:
            target = inside(out, applicant_folder(h.applicant.id), filename)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(h.pages[doc_id][2], target)
        except (OutputError, OSError) as e:
            for path in written:  # a holder's files are all written or none stay
                path.unlink(missing_ok=True)
            if isinstance(e, OutputError):
                return [e.message]
            return [cannot_write(e, out / applicant_folder(h.applicant.id))]
        written.append(target)
    run.written[h.applicant.id] = written
    return []


def _confirm(reg: Register, holders: list[Holder], out: Path, by: str, today: dt.date,
             run: CertificateRun) -> list[str]:
    """Record the certificates written as valid; a holder whose number was voided or
    revoked meanwhile (by another run) fails, and its files are removed."""
    numbers = [h.issued[d].number for h in holders for d in h.doc_ids]
    refused = set(reg.confirm(numbers, by, str(out), today))
    for h in list(holders):
        lost = [h.issued[d].number for d in h.doc_ids if h.issued[d].number in refused]
        if lost:
            run.fail(h.source, msg("certificate.number-withdrawn", numbers=lost))
            for path in run.written.pop(h.applicant.id, []):
                path.unlink(missing_ok=True)
            holders.remove(h)
    return [n for n in numbers if n not in refused]


def _templates(manifest: Manifest, holders: list[Holder]) -> dict[str, BatchTemplate]:
    """The batch template of every certificate due, checked; raise if one is unusable."""
    templates: dict[str, BatchTemplate] = {}
    for doc_id, doc in manifest.documents.items():
        due = [h for h in holders if doc_id in h.doc_ids]
        if not due:
            continue
        pictures: set[Path] = set()
        for programme in sorted({h.applicant.programme for h in due}):
            holder = next(h for h in due if h.applicant.programme == programme)
            for art in signature_lines(holder.applicant, doc_id, manifest)[1]:
                pictures.update(p for p in (art.signature, art.seal) if p is not None)
        for picture in sorted(pictures):
            check_picture(picture)
        if not doc.templates:
            raise ManifestError(msg("manifest.certificate-without-template", document=doc_id))
        lang = next(iter(doc.templates))
        templates[doc_id] = batch_template(manifest.template_path(doc_id, lang))
        for programme in sorted({h.applicant.programme for h in due}):
            if not manifest.number_prefix(doc_id, programme):
                raise ManifestError(msg(
                    "manifest.no-number-prefix", document=doc_id, programme=programme
                ))
    return templates
