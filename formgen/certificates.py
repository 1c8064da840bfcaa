"""Certificates: plan → number → print in batches → write.

For every valid record the manifest names the certificates due (``kind: certificate``
documents the holder's programme and grade need). The register numbers them all in one
transaction; a holder who already has a certificate keeps its number and date of issue.

Each certificate template is one A4 page. The certificates of one template are rendered,
converted by LibreOffice and split back into pages in chunks
(:mod:`formgen.certificate_batch`); a certificate that does not fit on its page fails
only its holder. Each certificate's QR code goes into its PDF page in place of the
template's placeholder picture (:func:`formgen.qr.stamp_qr`: a 1-bit image, sharp at any
size), which spares LibreOffice a thousand pictures. What a certificate template sees is
made by :mod:`formgen.certificate_context`.

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

from .certificate_batch import BatchPrinter, BatchTemplate, batch_template
from .exceptions import ManifestError, OutputError, Problem
from .load import RawRecord
from .main import BuildResult, Progress, check_data, failure, today_default
from .manifest import Manifest, load_manifest
from .models import Applicant
from .paths import atomic_path, inside, make_output_folder, safe_filename, write_csv
from .qr import qr_payload, stamp_qr
from .register import DEFAULT_PATH, Issued, IssueRequest, Register
from .register import write_csv as write_register_csv
from .render import output_name

ERRORS_HEADER = ["record", "field", "message"]
_LANG_NAMES = {"zh": "Chinese", "en": "English"}

# ----------------------------------------------------------------------------- planning


@dataclass
class Holder:
    """A valid record and the certificates due to it."""

    source: RawRecord
    applicant: Applicant
    doc_ids: list[str]
    issued_on: dt.date
    issued: dict[str, Issued] = field(default_factory=dict)
    pages: dict[str, tuple[Path, int, Path]] = field(default_factory=dict)
    """Each certificate's page: (the chunk's PDF, page index, the certificate's own PDF)."""

    @property
    def sort_key(self) -> tuple[str, str, str]:
        a = self.applicant
        return (a.unit, (a.name.en or a.name.get("zh")).casefold(), a.id)


def printed_name(applicant: Applicant) -> str:
    """The name as the register records it: ``李晓明 / LI Xiaoming`` (or the one there is)."""
    zh, en = applicant.name.zh, applicant.name.en
    if zh and en and zh != en:
        return f"{zh} / {en}"
    return zh or en or ""


def plan_holder(
    applicant: Applicant, manifest: Manifest, today: dt.date
) -> tuple[list[str], dt.date, list[tuple[str, str]]]:
    """(certificates due, date of issue, problems as (field, message))."""
    problems: list[tuple[str, str]] = []
    issued_on = applicant.certificate.issued_on or today
    if issued_on > today:
        problems.append((
            "certificate.issued_on",
            f"the date of issue {issued_on.isoformat()} is in the future "
            f"(today is {today.isoformat()}); certificates cannot be dated ahead",
        ))
    doc_ids = manifest.documents_for(applicant.programme, applicant.grade, kind="certificate")
    if not doc_ids:
        problems.append((
            "", f"the manifest names no certificate for {applicant.programme} "
            f"{applicant.grade} holders",
        ))
    for doc_id in doc_ids:
        doc = manifest.documents[doc_id]
        printed = doc.printed_languages()
        issued_in = " and ".join(_LANG_NAMES[lang] for lang in sorted(printed, reverse=True))
        for lang in printed:
            if getattr(applicant.name, lang):
                continue
            if lang == "zh" and len(printed) == 1:
                continue  # a Chinese certificate may print the holder's only (English) name
            problems.append((
                f"name.{lang}",
                f"name.{lang} is missing; the {doc.title.en} is issued in {issued_in}",
            ))
    return doc_ids, issued_on, problems


# ----------------------------------------------------------------------------- the run


@dataclass
class CertificateRun(BuildResult):
    """What ``print_certificates`` did."""

    issued: list[Issued] = field(default_factory=list)
    """Certificates printed, in print order."""
    print_pdf: Path | None = None
    register_csv: Path | None = None
    errors_csv: Path | None = None

    @property
    def certificates_written(self) -> int:
        return len(self.issued)


def print_certificates(
    data: list[Path],
    out: Path,
    *,
    register: Path = DEFAULT_PATH,
    manifest: Manifest | None = None,
    today: dt.date | None = None,
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
    manifest = manifest or load_manifest()
    today = today or today_default()
    records, report = check_data(data, manifest, today)
    run = CertificateRun(records_in=len(records), problems=list(report.problems))
    failed: dict[int, RawRecord] = {id(r): r for r in report.failed}

    holders: list[Holder] = []
    for item in report.valid:
        doc_ids, issued_on, problems = plan_holder(item.applicant, manifest, today)
        if problems:
            run.problems.extend(failure(item.source, f, m) for f, m in problems)
            failed[id(item.source)] = item.source
        else:
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
            if h.applicant.id in bad:
                run.problems.extend(failure(h.source, "", m) for m in bad[h.applicant.id])
                failed[id(h.source)] = h.source
            else:
                good.append(h)
        _write_outputs(good, manifest, out, run)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    run.failed_ids = [r.record_id or f"{r.file} {r.where}" for r in failed.values()]
    run.errors_csv = write_errors(
        [p for p in run.problems if p.severity == "error"],
        [r for r in records if id(r) in failed],
        out / "errors.csv",
    )
    return run


def _templates(manifest: Manifest, holders: list[Holder]) -> dict[str, BatchTemplate]:
    """The batch template of every certificate due, checked; raise if one is unusable."""
    templates: dict[str, BatchTemplate] = {}
    for doc_id, doc in manifest.documents.items():
        due = [h for h in holders if doc_id in h.doc_ids]
        if not due:
            continue
        if not doc.templates:
            raise ManifestError(f"certificate '{doc_id}' has no template in the manifest")
        lang = next(iter(doc.templates))
        templates[doc_id] = batch_template(manifest.template_path(doc_id, lang))
        for programme in sorted({h.applicant.programme for h in due}):
            if not manifest.number_prefix(doc_id, programme):
                raise ManifestError(
                    f"no certificate number prefix for '{doc_id}' of {programme}: give the "
                    "programme one under certificates: in the manifest"
                )
    return templates


def _write_outputs(holders: list[Holder], manifest: Manifest, out: Path,
                   run: CertificateRun) -> None:
    """Move each holder's PDFs into place, then write print.pdf and register.csv."""
    readers: dict[Path, PdfReader] = {}
    printer = PdfWriter()
    for h in holders:
        folder = safe_filename(h.applicant.id, "applicant")
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
                raise OutputError(f"cannot write {target}: {e.strerror}") from e
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


def write_errors(problems: list[Problem], failed: list[RawRecord], path: Path) -> Path:
    """``errors.csv``: record, field, message for every error (UTF-8 with a BOM, formula-safe).

    Errors only ever belong to records that failed; a failed record with no error
    listed (which should not happen) still gets a row.
    """
    rows = [[p.record_id or f"{p.file} {p.record}", p.field, p.message] for p in problems]
    listed = {(p.file, p.record_id) for p in problems}
    for r in failed:
        if (r.file, r.record_id) not in listed:
            rows.append([r.record_id or r.where, "", "the record failed"])
    return write_csv(path, ERRORS_HEADER, rows)
