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

The register, the templates, the verification links and the output folder (writable) are
checked before any number is issued. Once a holder's files are in place their numbers
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

``reissue=NUMBER`` prints one certificate again under a new number, with the holder's
data as corrected in ``data``; the old certificate becomes ``superseded`` once the new
one is written.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from formgen.certificates.batch import BatchPrinter, BatchTemplate, batch_template
from formgen.certificates.context import signature_lines
from formgen.certificates.numbers import Issued, IssueRequest
from formgen.certificates.numbers import write_csv as write_register_csv
from formgen.certificates.pdfa import make_archival
from formgen.certificates.pictures import ArtStamper, check_picture
from formgen.certificates.plan import Holder, plan_holder, printed_name
from formgen.certificates.qr import stamp_qr, verify_link
from formgen.certificates.register import DEFAULT_PATH, Register
from formgen.certificates.signing import CertificateSigner, SigningKey
from formgen.exceptions import FormgenError, ManifestError, OutputError, RegisterError
from formgen.fonts import require_families
from formgen.forms.naming import applicant_folder, output_name
from formgen.load import RawRecord
from formgen.messages import Message, msg
from formgen.model.manifest import Manifest, verify_base
from formgen.paths import atomic_path, inside, make_output_folder
from formgen.run import BuildResult, Progress
from formgen.validate import Report, validate_files


@dataclass
class CertificateRun(BuildResult):
    """What ``print_certificates`` did."""

    issued: list[Issued] = field(default_factory=list)
    """Certificates printed, in print order."""
    print_pdf: Path | None = None
    register_csv: Path | None = None
    signature_level: str | None = None
    """PAdES level of the signatures on each holder's PDF (B-B, B-T, B-LT); None: unsigned."""

    @property
    def certificates_written(self) -> int:
        return len(self.issued)


def print_certificates(
    data: list[Path],
    out: Path,
    *,
    manifest: Manifest,
    today: dt.date,
    register: Path = DEFAULT_PATH,
    workers: int | None = None,
    register_timeout: float = 10.0,
    progress: Progress | None = None,
    on_total: Callable[[int], None] | None = None,
    verify_url: str | None = None,
    by: str = "",
    register_key: Path | None = None,
    init_register: bool = False,
    reissue: str | None = None,
    signing: SigningKey | None = None,
) -> CertificateRun:
    """Number, render and print the certificates due to every valid record in ``data``.

    ``on_total(n)`` is called once the number of certificates is known, ``progress(k)``
    as k more are done. A register locked by another batch is waited for up to
    ``register_timeout`` seconds; ``init_register`` makes it (with its key) when there is
    no file. ``verify_url`` replaces the manifest's verification address; ``by`` names who
    prints, in the register's events. With ``signing``, each holder's PDF is signed.
    Raises FormgenError, with nothing written and no number issued, when the manifest, a
    template, the verification address, the output folder, the register or the signing
    key cannot be used; a problem with one record only fails that record.
    """
    base_override = _checked_url(verify_url)
    signer = CertificateSigner(signing) if signing is not None else None
    with _open_register(register, register_key, register_timeout, init_register, by) as reg:
        records, report = validate_files(data, manifest, today)
        replaced = reg.reissuable(reissue) if reissue else None
        if replaced is not None:
            records, report = _holder_only(records, report, replaced)
        run = CertificateRun()
        run.start(records, report.problems, report.failed)
        holders = _plan(report, manifest, today, run, replaced)

        # Whatever can stop the whole run is checked before a number is handed out.
        templates = _templates(manifest, holders)
        for h in holders:
            h.verify_base = _verify_base(manifest, h.applicant.programme, base_override)
        make_output_folder(out)
        if holders:
            require_families()
        requests = {h.applicant.id: _requests(h, manifest, replaced) for h in holders}
        refused = reg.refusals([r for rs in requests.values() for r in rs])
        for h in [h for h in holders if h.applicant.id in refused]:
            for message in refused[h.applicant.id]:
                run.fail(h.source, message)
            holders.remove(h)
        since = reg.last_event()
        numbered = reg.issue([r for h in holders for r in requests[h.applicant.id]], by, today)
        new = [i.number for i in numbered if not i.reused]
        confirmed: list[str] = []
        work: Path | None = None
        try:
            issued = iter(numbered)
            for h in holders:
                h.issued = {doc_id: next(issued) for doc_id in h.doc_ids}
            if on_total:
                on_total(sum(len(h.doc_ids) for h in holders))
            work = Path(tempfile.mkdtemp(prefix=".certificates-", dir=out))
            _print(holders, manifest, templates, out, work, workers, progress, run, signer)
            confirmed = _confirm(reg, holders, out, by, today, run)
            _write_print_pdf(holders, manifest, templates, out, run)
        finally:
            if work is not None:
                shutil.rmtree(work, ignore_errors=True)
            reg.void([n for n in new if n not in confirmed], by, "not written", today)
        touched = {i.number for i in numbered} | ({replaced.number} if replaced else set())
        events = reg.events(touched, since=since)
    run.register_csv = write_register_csv(events, out / "register.csv")
    run.write_errors_csv(out / "errors.csv")
    return run


def _checked_url(url: str | None) -> str | None:
    if url is None:
        return None
    try:
        return verify_base(url)
    except ValueError:
        raise FormgenError(msg("certificate.bad-verify-url", url=url)) from None


def _open_register(path: Path, key_file: Path | None, timeout: float, init: bool,
                   by: str) -> Register:
    if init and not path.exists() and not path.is_symlink():
        return Register.create(path, key_file=key_file, by=by, timeout=timeout)
    return Register(path, timeout, key_file=key_file)


def _holder_only(records: list[RawRecord], report: Report,
                 replaced: Issued) -> tuple[list[RawRecord], Report]:
    """The records of the holder of ``replaced`` only (a reissue)."""
    holder = replaced.applicant_id
    mine = [r for r in records if r.record_id == holder]
    if not mine:
        raise RegisterError(msg("reissue.no-record", number=replaced.number, id=holder))
    return mine, Report(
        valid=[v for v in report.valid if v.applicant.id == holder],
        problems=[p for p in report.problems if p.record_id == holder],
        failed=[r for r in report.failed if r.record_id == holder],
    )


def _plan(report: Report, manifest: Manifest, today: dt.date, run: CertificateRun,
          replaced: Issued | None) -> list[Holder]:
    """The valid records and the certificates due to each (only the one reissued, for a
    reissue), by unit then name; a record that cannot have its certificates fails."""
    holders: list[Holder] = []
    only = replaced.certificate if replaced is not None else None
    for item in report.valid:
        doc_ids, issued_on, problems = plan_holder(item.applicant, manifest, today, only)
        if replaced is not None and not doc_ids:
            problems.append(("", msg("reissue.not-due", number=replaced.number,
                                     certificate=_title(manifest, replaced.certificate))))
        for field_name, message in problems:
            run.fail(item.source, message, field_name)
        if not problems:
            holders.append(Holder(item.source, item.applicant, doc_ids, issued_on))
    holders.sort(key=lambda h: h.sort_key)
    return holders


def _title(manifest: Manifest, doc_id: str) -> object:
    doc = manifest.documents.get(doc_id)
    return doc.title if doc else doc_id


def _verify_base(manifest: Manifest, programme: str, override: str | None) -> str:
    base = override or manifest.verify_url(programme)
    if not base:
        raise ManifestError(msg("manifest.no-verify-url", programme=programme))
    return base


def _requests(h: Holder, manifest: Manifest, replaced: Issued | None) -> list[IssueRequest]:
    return [
        IssueRequest(
            applicant_id=h.applicant.id,
            name=printed_name(h.applicant, manifest.documents[doc_id].printed_languages()),
            certificate=doc_id,
            programme=h.applicant.programme,
            grade=h.applicant.grade,
            prefix=manifest.number_prefix(doc_id, h.applicant.programme) or "",
            issued_on=h.issued_on,
            replaces=replaced.number if replaced is not None else "",
        )
        for doc_id in h.doc_ids
    ]


def _print(holders: list[Holder], manifest: Manifest, templates: dict[str, BatchTemplate],
           out: Path, work: Path, workers: int | None, progress: Progress | None,
           run: CertificateRun, signer: CertificateSigner | None) -> None:
    """Render, convert and split every certificate (in ``work``, signed with ``signer``
    when there is one), then move each holder's PDFs into place; a holder whose
    certificates could not all be made or written fails."""
    bad = BatchPrinter(manifest, templates, work, workers, progress, signer).run(holders)
    if signer is not None:
        run.signature_level = signer.level
    for h in list(holders):
        problems = bad.get(h.applicant.id) or _place(h, manifest, out, run)
        if problems:
            for message in problems:
                run.fail(h.source, message)
            holders.remove(h)


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
        except OutputError as e:
            return [e.message]
        except OSError as e:
            return [msg("output.cannot-write", path=str(out / applicant_folder(h.applicant.id)),
                        reason=str(e.strerror))]
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


def _write_print_pdf(holders: list[Holder], manifest: Manifest,
                     templates: dict[str, BatchTemplate], out: Path, run: CertificateRun) -> None:
    """``print.pdf``: every certificate written, in print order, QR codes, signature and
    seal pictures stamped; PDF/A-2b like the holders' files."""
    readers: dict[Path, PdfReader] = {}
    printer = PdfWriter()
    stamper = ArtStamper(printer)
    for h in holders:
        for doc_id in h.doc_ids:
            pdf, index, _ = h.pages[doc_id]
            if pdf not in readers:
                readers[pdf] = PdfReader(pdf)
            page = printer.add_page(readers[pdf].pages[index])
            stamp_qr(printer, page, verify_link(h.verify_base, h.issued[doc_id].short_code))
            art = signature_lines(h.applicant, doc_id, manifest)[1]
            stamper.stamp(page, art, templates[doc_id].sign_boxes)
            run.issued.append(h.issued[doc_id])
    if holders:
        make_archival(printer, next(iter(readers.values())), "Certificates")
        run.print_pdf = out / "print.pdf"
        with atomic_path(run.print_pdf) as tmp:
            printer.write(tmp)


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
