"""Certificates in batches: render a chunk into one DOCX → convert it in one load → split.

The certificates of one template are rendered into one DOCX per chunk (the template's
body repeated in a loop, a page break before each copy), converted by LibreOffice in one
load while the next chunk renders (the batch pipeline, :func:`formgen.main.run_batch`,
runs :class:`formgen.certificates.run.CertificateJob`), and the PDF split back into pages
with pypdf: page *i* is certificate *i*. A chunk whose page count comes out wrong is converted one certificate
at a time to find the one that does not fit, so only that holder fails. Each
certificate's QR code is stamped into its PDF page by :func:`formgen.certificates.qr.stamp_qr`,
its signature and seal pictures by :mod:`formgen.certificates.pictures`; each page
becomes a PDF/A-2b file of its own, signed when there is a signer (in this process, as
each chunk comes back: signing takes a few milliseconds of work a certificate, less than
starting worker processes would).
"""

from __future__ import annotations

import errno
import io
import re
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError

from formgen.bounds import Refused
from formgen.certificates.context import (
    CONTEXT_KEYS,
    certificate_context,
    issuer,
    signature_lines,
)
from formgen.certificates.pdfa import Described, make_archival
from formgen.certificates.pictures import SIGN_DESCR, ArtStamper
from formgen.certificates.plan import Holder, printed_name
from formgen.certificates.printed import keep, render
from formgen.certificates.qr import QR_DESCR, marker_png, stamp_qr, verify_link
from formgen.certificates.register import Register
from formgen.certificates.signing import CertificateSigner
from formgen.docxzip import read_template, replace_parts
from formgen.exceptions import ConversionError, FormgenError, SigningError, TemplateError
from formgen.forms.engine import CompiledTemplate
from formgen.messages import Message, msg
from formgen.model.manifest import Manifest
from formgen.paths import atomic_path, write_atomic

if TYPE_CHECKING:
    from formgen.office.converter import Converter

# ----------------------------------------------------------------------------- the template

_PLACEHOLDER = re.compile(
    r'descr="' + re.escape(QR_DESCR) + r'".*?r:embed="([^"]+)"', re.DOTALL
)
_SIGN_BOX = re.compile(
    r'<wp:extent cx="(\d+)" cy="(\d+)"/>(?:(?!<wp:extent ).)*?descr="'
    + re.escape(SIGN_DESCR).replace(r"\{n\}", r"(\d+)") + '"', re.DOTALL
)
_EMU_PER_PT = 12700
_FIRST_P = re.compile(r"<w:p(?=[ >])[^>]*>")
_PSTYLE = re.compile(r"<w:pStyle [^>]*/>")
_PAGE_BREAK = "{% if not loop.first %}<w:pageBreakBefore/>{% endif %}"


class BatchTemplate:
    """A certificate template turned into a loop: one page per certificate, one document.

    ``render(contexts)`` gives DOCX bytes holding one copy of the template's body per
    context, each starting on a new page. The QR code's placeholder picture is replaced
    by a marker that :func:`formgen.certificates.qr.stamp_qr` swaps for each certificate's code in the PDF.
    """

    def __init__(self, path: Path):
        self.path = path
        try:
            raw = read_template(path)
            with zipfile.ZipFile(io.BytesIO(raw)) as z:
                xml = z.read("word/document.xml").decode("utf-8")
                rels = z.read("word/_rels/document.xml.rels").decode("utf-8")
        except FileNotFoundError as e:
            raise TemplateError(msg("template.not-found", path=str(path))) from e
        except Refused as e:
            raise TemplateError(msg("template.refused", path=str(path), reason=e.message)) from e
        except (OSError, zipfile.BadZipFile, KeyError, UnicodeDecodeError) as e:
            raise TemplateError(msg("template.unreadable", path=str(path), detail=str(e))) from e
        self.sign_boxes: dict[int, tuple[float, float]] = {
            int(n) - 1: (int(cx) / _EMU_PER_PT, int(cy) / _EMU_PER_PT)
            for cx, cy, n in _SIGN_BOX.findall(xml)
        }
        """Size in points of the placeholder above each signature line (from 0)."""
        found = _PLACEHOLDER.findall(xml)
        if len(found) != 1:
            raise TemplateError(msg(
                "template.qr-placeholders", path=str(path), alt_text=QR_DESCR, count=len(found)
            ))
        target = re.search(r'<Relationship [^>]*Id="' + re.escape(found[0]) + r'"[^>]*/>', rels)
        media = re.search(r'Target="([^"]+)"', target.group(0)) if target else None
        if media is None:
            raise TemplateError(msg("template.qr-placeholder-empty", path=str(path)))
        try:
            start = xml.index(">", xml.index("<w:body")) + 1
            end = xml.rindex("<w:sectPr", start)
        except ValueError as e:
            raise TemplateError(msg("template.no-body", path=str(path))) from e
        names = ", ".join(f"{k}=c.{k}" for k in CONTEXT_KEYS)
        looped = (
            xml[:start]
            + "{% for c in certificates %}{% with " + names + " %}"
            + _with_page_break(xml[start:end])
            + "{% endwith %}{% endfor %}"
            + xml[end:]
        )
        image_part = "word/" + media.group(1).lstrip("/").removeprefix("word/")
        derived = replace_parts(
            raw, {"word/document.xml": looped.encode("utf-8"), image_part: marker_png()}
        )
        self._compiled = CompiledTemplate(path, data=derived)

    def render(self, contexts: list[dict[str, Any]]) -> bytes:
        return self._compiled.render({"certificates": contexts})


def _with_page_break(body: str) -> str:
    """Make the body's first paragraph start a new page (except in the first copy)."""
    stripped = body.lstrip()
    m = _FIRST_P.match(stripped)
    if m is None:  # the body starts with a table: put an empty paragraph before it
        return (
            "{% if not loop.first %}<w:p><w:pPr><w:pageBreakBefore/>"
            '<w:spacing w:before="0" w:after="0" w:line="20" w:lineRule="exact"/>'
            "</w:pPr></w:p>{% endif %}" + body
        )
    head_end = len(body) - len(stripped) + m.end()
    rest = body[head_end:]
    if rest.startswith("<w:pPr>"):
        inner = rest[len("<w:pPr>"):]
        style = _PSTYLE.match(inner)
        cut = style.end() if style else 0
        return body[:head_end] + "<w:pPr>" + inner[:cut] + _PAGE_BREAK + inner[cut:]
    return body[:head_end] + "<w:pPr>" + _PAGE_BREAK + "</w:pPr>" + rest


_batch_cache: dict[tuple[Path, float], BatchTemplate] = {}
_batch_lock = threading.Lock()


def batch_template(path: Path) -> BatchTemplate:
    """The batch form of a certificate template, made once per file version."""
    path = path.resolve()
    try:
        stamp = path.stat().st_mtime
    except OSError as e:
        raise TemplateError(msg("template.not-found", path=str(path))) from e
    with _batch_lock:
        cached = _batch_cache.get((path, stamp))
    if cached is None:
        cached = BatchTemplate(path)
        with _batch_lock:
            _batch_cache[(path, stamp)] = cached
    return cached


# ----------------------------------------------------------------------------- the chunks


@dataclass
class CertificateChunk:
    """Certificates of one template, rendered into one DOCX and converted in one load."""

    doc_id: str
    holders: list[Holder]


@dataclass
class Piece:
    """What came back for some of a chunk's holders: their pages, or why there are none."""

    holders: list[Holder]
    reader: PdfReader | None = None
    """The PDF, one page per holder, in order."""
    pdf: Path | None = None
    problem: Message | None = None


def render_chunk(chunk: CertificateChunk, templates: dict[str, BatchTemplate],
                 manifest: Manifest) -> bytes:
    """The chunk's certificates as one DOCX, a page each; FormgenError when one cannot be
    rendered."""
    contexts = [
        certificate_context(h.applicant, chunk.doc_id, h.issued[chunk.doc_id], manifest,
                            h.verify_base)
        for h in chunk.holders
    ]
    return templates[chunk.doc_id].render(contexts)


def convert_chunk(chunk: CertificateChunk, docx: bytes, converter: Converter, work: Path,
                  templates: dict[str, BatchTemplate], manifest: Manifest) -> list[Piece]:
    """Convert the chunk in one load; when that fails or gives the wrong number of pages,
    one certificate at a time, so that only a certificate that does not fit fails."""
    work.mkdir(parents=True, exist_ok=True)
    title = manifest.documents[chunk.doc_id].title
    whole = _convert(chunk.holders, docx, converter, work / "chunk.docx", title)
    if whole.problem is None:
        return [whole]
    pieces: list[Piece] = []
    jobs: dict[Path, Holder] = {}
    for i, holder in enumerate(chunk.holders):
        try:
            single = render_chunk(CertificateChunk(chunk.doc_id, [holder]), templates, manifest)
        except FormgenError as e:
            pieces.append(Piece([holder], problem=e.message))
            continue
        path = work / f"single-{i:04d}.docx"
        write_atomic(path, single)
        jobs[path] = holder
    results = converter.convert_many([(p, p.with_suffix(".pdf")) for p in jobs])
    for path, holder in jobs.items():
        error = results.get(path)
        if error is not None:
            pieces.append(Piece([holder], problem=msg(
                "certificate.not-made", certificate=title, error=error.message)))
            continue
        piece = _read(path.with_suffix(".pdf"), [holder], title)
        if piece.problem is _WRONG_PAGES:
            piece.problem = msg("certificate.too-long", certificate=title)
        pieces.append(piece)
    return pieces


_WRONG_PAGES = msg("certificate.too-long", certificate="")
"""Stands for "the PDF has not one page per certificate" until the title is known."""


def _convert(holders: list[Holder], docx: bytes, converter: Converter, path: Path,
             title: object) -> Piece:
    write_atomic(path, docx)
    try:
        converter.convert(path, path.with_suffix(".pdf"))
    except ConversionError as e:
        return Piece(holders, problem=e.message)
    return _read(path.with_suffix(".pdf"), holders, title)


def _read(pdf: Path, holders: list[Holder], title: object) -> Piece:
    """The converted PDF, with ``_WRONG_PAGES`` as its problem when it has not one page
    per holder."""
    try:
        reader = PdfReader(pdf)
        if len(reader.pages) != len(holders):
            return Piece(holders, problem=_WRONG_PAGES)
    except (OSError, PyPdfError) as e:
        return Piece(holders, problem=msg(
            "certificate.pdf-unreadable", certificate=title, detail=str(e)))
    return Piece(holders, reader=reader, pdf=pdf)


def split_piece(piece: Piece, doc_id: str, templates: dict[str, BatchTemplate],
                manifest: Manifest, work: Path,
                signer: CertificateSigner | None) -> dict[str, list[Message]]:
    """One PDF/A file per certificate, QR code and signature pictures stamped, signed when
    there is a signer; each holder's page noted in ``holder.pages``. Returns the
    problems of the holders whose file could not be made, by id."""
    bad: dict[str, list[Message]] = {}
    title = manifest.documents[doc_id].title
    if piece.problem is not None or piece.reader is None or piece.pdf is None:
        for holder in piece.holders:
            bad.setdefault(holder.applicant.id, []).append(
                piece.problem or msg("certificate.not-made", certificate=title, error=""))
        return bad
    reader, pages = piece.reader, piece.reader.pages
    try:
        for i, holder in enumerate(piece.holders):
            issued = holder.issued[doc_id]
            one = PdfWriter()
            page = one.add_page(pages[i])
            stamp_qr(one, page, verify_link(holder.verify_base, issued.short_code))
            art = signature_lines(holder.applicant, doc_id, manifest)[1]
            ArtStamper(one).stamp(page, art, templates[doc_id].sign_boxes)
            make_archival(one, reader, f"{title.en} {issued.number}", Described(
                issuer=issuer(holder.applicant, doc_id, manifest),
                holder=printed_name(holder.applicant, manifest.documents[doc_id].printed_languages()),
                number=issued.number,
                code=issued.short_code,
                status=holder.status.get(doc_id, ""),
            ))
            target = work / f"{piece.pdf.stem}-{i:04d}.one.pdf"
            if signer is None:
                with target.open("wb") as fh:
                    one.write(fh)
            else:
                # Signed here, while LibreOffice converts the next chunks.
                unsigned = io.BytesIO()
                one.write(unsigned)
                try:
                    signer.sign(unsigned, target)
                except SigningError as e:
                    bad.setdefault(holder.applicant.id, []).append(e.message)
                    continue
            holder.pages[doc_id] = (piece.pdf, i, target)
    except ConversionError as e:
        return _all(piece, msg("certificate.failed", certificate=title, error=e.message))
    except (OSError, PyPdfError) as e:
        if isinstance(e, OSError) and e.errno == errno.ENOSPC:
            raise  # the disk is full: the run fails the chunk, naming its folder
        return _all(piece, msg("certificate.pdf-unreadable", certificate=title, detail=str(e)))
    return bad


def _all(piece: Piece, message: Message) -> dict[str, list[Message]]:
    return {h.applicant.id: [message] for h in piece.holders}


def write_print_pdf(holders: list[Holder], manifest: Manifest,
                    templates: dict[str, BatchTemplate], target: Path) -> Path:
    """``print.pdf``: every holder's certificates, in the holders' order, QR codes,
    signature and seal pictures stamped; PDF/A-2b like the holders' files."""
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
    make_archival(printer, next(iter(readers.values())), "Certificates")
    with atomic_path(target) as tmp:
        printer.write(tmp)
    return target


def keep_particulars(reg: Register, holders: list[Holder], manifest: Manifest,
                     by: str = "") -> dict[str, Message]:
    """Record in the register what each holder's certificates print (their particulars,
    :mod:`formgen.certificates.printed`; ``by``: who prints them); the holders whose
    certificate keeps its number but would print other particulars than recorded, with why."""
    return keep(reg, [
        (h.applicant.id, h.issued[doc_id].number, render(doc_id, manifest.documents[doc_id],
            certificate_context(h.applicant, doc_id, h.issued[doc_id], manifest, h.verify_base)))
        for h in holders for doc_id in h.doc_ids
    ], by)
