"""Certificates: plan → number → print in batches → write.

For every valid record the manifest names the certificates due (``kind: certificate``
documents the holder's programme and grade need). The register numbers them all in one
transaction; a holder who already has a certificate keeps its number and date of issue.

Each certificate template is one A4 page. The certificates of one template are rendered,
converted by LibreOffice and split back into pages in chunks
(:mod:`formgen.certificates.batch`); a certificate that does not fit on its page fails
only its holder. Each certificate's QR code goes into its PDF page in place of the
template's placeholder picture (:func:`formgen.certificates.qr.stamp_qr`: a 1-bit image,
sharp at any size), which spares LibreOffice a thousand pictures. What a certificate
template sees is made by :mod:`formgen.certificates.context`; who is due which certificate
by :mod:`formgen.certificates.plan`.

Output, in ``out``: ``print.pdf`` (every certificate, ordered by unit, then name, then
the manifest's order of certificates), ``<id>/<certificate>.pdf`` per holder,
``register.csv`` (the certificates printed) and ``errors.csv`` (every record that failed,
one row per problem). Every file is written through a temporary file and a rename.
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
from formgen.certificates.numbers import Issued, IssueRequest
from formgen.certificates.numbers import write_csv as write_register_csv
from formgen.certificates.plan import Holder, plan_holder, printed_name
from formgen.certificates.qr import qr_payload, stamp_qr
from formgen.certificates.register import DEFAULT_PATH, Register
from formgen.exceptions import ManifestError, OutputError
from formgen.forms.naming import applicant_folder, output_name
from formgen.messages import msg
from formgen.model.manifest import Manifest
from formgen.paths import atomic_path, inside, make_output_folder
from formgen.run import BuildResult, Progress
from formgen.validate import validate_files


@dataclass
class CertificateRun(BuildResult):
    """What ``print_certificates`` did."""

    issued: list[Issued] = field(default_factory=list)
    """Certificates printed, in print order."""
    print_pdf: Path | None = None
    register_csv: Path | None = None

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
) -> CertificateRun:
    """Number, render and print the certificates due to every valid record in ``data``.

    ``on_total(n)`` is called once the number of certificates is known, ``progress(k)``
    as k more are done. A register locked by another batch is waited for up to
    ``register_timeout`` seconds. Raises FormgenError, with nothing written, when the
    manifest, a template, the output folder or the register cannot be used; a problem
    with one record only fails that record.
    """
    records, report = validate_files(data, manifest, today)
    run = CertificateRun()
    run.start(records, report.problems, report.failed)

    holders: list[Holder] = []
    for item in report.valid:
        doc_ids, issued_on, problems = plan_holder(item.applicant, manifest, today)
        for field_name, message in problems:
            run.fail(item.source, message, field_name)
        if not problems:
            holders.append(Holder(item.source, item.applicant, doc_ids, issued_on))
    holders.sort(key=lambda h: h.sort_key)

    # Whatever can stop the whole run is checked before a number is handed out.
    templates = _templates(manifest, holders)
    make_output_folder(out)
    if holders:
        with Register(register, timeout=register_timeout) as reg:
            issued = iter(reg.issue([
                IssueRequest(
                    applicant_id=h.applicant.id,
                    name=printed_name(h.applicant),
                    certificate=doc_id,
                    programme=h.applicant.programme,
                    grade=h.applicant.grade,
                    prefix=manifest.number_prefix(doc_id, h.applicant.programme) or "",
                    issued_on=h.issued_on,
                )
                for h in holders
                for doc_id in h.doc_ids
            ]))
        for h in holders:
            h.issued = {doc_id: next(issued) for doc_id in h.doc_ids}

    if on_total:
        on_total(sum(len(h.doc_ids) for h in holders))
    work = Path(tempfile.mkdtemp(prefix=".certificates-", dir=out))
    try:
        bad = BatchPrinter(manifest, templates, work, workers, progress).run(holders)
        good = []
        for h in holders:
            for message in bad.get(h.applicant.id, []):
                run.fail(h.source, message)
            if h.applicant.id not in bad:
                good.append(h)
        _write_outputs(good, manifest, out, run)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    run.write_errors_csv(out / "errors.csv")
    return run


def _templates(manifest: Manifest, holders: list[Holder]) -> dict[str, BatchTemplate]:
    """The batch template of every certificate due, checked; raise if one is unusable."""
    templates: dict[str, BatchTemplate] = {}
    for doc_id, doc in manifest.documents.items():
        due = [h for h in holders if doc_id in h.doc_ids]
        if not due:
            continue
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


def _write_outputs(holders: list[Holder], manifest: Manifest, out: Path,
                   run: CertificateRun) -> None:
    """Move each holder's PDFs into place, then write print.pdf and register.csv."""
    readers: dict[Path, PdfReader] = {}
    printer = PdfWriter()
    for h in holders:
        folder = applicant_folder(h.applicant.id)
        written: list[Path] = []
        for doc_id in h.doc_ids:
            doc = manifest.documents[doc_id]
            lang = next(iter(doc.output))
            filename = output_name(doc.output[lang], h.applicant.id, h.applicant.name.get(lang))
            target = inside(out, folder, filename)
            pdf, index, one = h.pages[doc_id]
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(one, target)
            except OSError as e:
                raise OutputError(msg("output.cannot-write", path=str(target), reason=str(e.strerror))) from e
            if pdf not in readers:
                readers[pdf] = PdfReader(pdf)
            page = printer.add_page(readers[pdf].pages[index])
            stamp_qr(printer, page, qr_payload(h.issued[doc_id]))
            written.append(target)
            run.issued.append(h.issued[doc_id])
        run.written[h.applicant.id] = written
    if holders:
        printer.add_metadata({"/Title": "Certificates"})
        run.print_pdf = out / "print.pdf"
        with atomic_path(run.print_pdf) as tmp:
            printer.write(tmp)
    run.register_csv = write_register_csv(run.issued, out / "register.csv")
