"""Certificates in batches: render a chunk into one DOCX → convert it in one load → split.

The certificates of one template are rendered into one DOCX per chunk (the template's
body repeated in a loop, a page break before each copy), converted by LibreOffice in one
load while the next chunk renders, and the PDF split back into pages with pypdf: page *i*
is certificate *i*. A chunk whose page count comes out wrong is converted one certificate
at a time to find the one that does not fit, so only that holder fails. Each
certificate's QR code is stamped into its PDF page by :func:`formgen.certificates.qr.stamp_qr`,
its signature and seal pictures by :mod:`formgen.certificates.pictures`; each page
becomes a PDF/A-2b file of its own, signed when there is a signer (in this process, as
each chunk comes back: signing takes a few milliseconds of work a certificate, less than
starting worker processes would).
"""

from __future__ import annotations

import io
import math
import os
import re
import threading
import zipfile
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError

from formgen.certificates.context import (
    CONTEXT_KEYS,
    certificate_context,
    issuer,
    signature_lines,
)
from formgen.certificates.pdfa import Described, make_archival
from formgen.certificates.pictures import SIGN_DESCR, ArtStamper
from formgen.certificates.plan import Holder, printed_name
from formgen.certificates.qr import QR_DESCR, marker_png, stamp_qr, verify_link
from formgen.certificates.signing import CertificateSigner
from formgen.docxzip import replace_parts
from formgen.exceptions import ConversionError, FormgenError, SigningError, TemplateError
from formgen.forms.engine import CompiledTemplate
from formgen.messages import Message, msg
from formgen.model.manifest import Manifest
from formgen.paths import write_atomic
from formgen.run import Progress

CHUNK_MIN, CHUNK_MAX = 25, 250
"""Certificates in one LibreOffice load: enough to share its cost, few enough to spread
the work over the converters and to render the next chunk while one converts."""

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
            raw = path.read_bytes()
            with zipfile.ZipFile(io.BytesIO(raw)) as z:
                xml = z.read("word/document.xml").decode("utf-8")
                rels = z.read("word/_rels/document.xml.rels").decode("utf-8")
        except FileNotFoundError as e:
            raise TemplateError(msg("template.not-found", path=str(path))) from e
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


# ----------------------------------------------------------------------------- the printer

class _WrongPages:
    """The PDF has not one page per certificate."""


_WRONG_PAGES = _WrongPages()


@dataclass
class _Chunk:
    """Certificates of one template rendered into one DOCX and converted in one load."""

    doc_id: str
    items: list[tuple[Holder, str]]
    docx: Path
    pdf: Path


class BatchPrinter:
    """Render → convert → split, with rendering overlapping the conversions.

    The chunks' DOCX and PDF files, and each certificate's own PDF, go in ``work``.
    """

    def __init__(self, manifest: Manifest, templates: dict[str, BatchTemplate], work: Path,
                 workers: int | None, progress: Progress | None,
                 signer: CertificateSigner | None = None):
        self.manifest = manifest
        self.signer = signer
        self.templates = templates
        self.work = work
        self.workers = max(1, workers or min(os.cpu_count() or 1, 4))
        self.progress = progress or (lambda n: None)
        self.bad: dict[str, list[Message]] = {}
        self.retry: list[_Chunk] = []

    def run(self, holders: list[Holder]) -> dict[str, list[Message]]:
        """Fill in each holder's pages and files; return problems by id for the failures."""
        from formgen.office.converter import PDFA_2B, Converter

        chunks = self._chunks(holders)
        if not chunks:
            return self.bad
        workers = min(self.workers, len(chunks))
        timeout = 60.0 + 0.5 * max(len(c.items) for c in chunks)
        with Converter(workers=workers, timeout=timeout, pdf_options=PDFA_2B) as conv, ThreadPoolExecutor(
            workers, thread_name_prefix="formgen-certificates"
        ) as pool:
            pending: dict[Future[None], _Chunk] = {}
            for chunk in chunks:
                if self._render(chunk):
                    pending[pool.submit(conv.convert, chunk.docx, chunk.pdf)] = chunk
                self._collect(pending, wait_all=False)
            self._collect(pending, wait_all=True)
            # A chunk that failed or has the wrong number of pages: one certificate at a
            # time, so that only the certificate that does not fit fails.
            singles = []
            for chunk in self.retry:
                for i, item in enumerate(chunk.items):
                    stem = f"{chunk.docx.stem}-{i:04d}"
                    single = _Chunk(chunk.doc_id, [item], self.work / f"{stem}.docx",
                                    self.work / f"{stem}.pdf")
                    if self._render(single):
                        singles.append(single)
            results = conv.convert_many([(c.docx, c.pdf) for c in singles])
        for single in singles:
            holder, doc_id = single.items[0]
            title = self.manifest.documents[doc_id].title
            error = results.get(single.docx)
            problem = (
                msg("certificate.not-made", certificate=title, error=error.message)
                if error else self._split(single)
            )
            if isinstance(problem, _WrongPages):
                problem = msg("certificate.too-long", certificate=title)
            if problem is not None:
                self._fail(single, problem)
            self.progress(1)
        return self.bad

    def _chunks(self, holders: list[Holder]) -> list[_Chunk]:
        total = sum(len(h.doc_ids) for h in holders)
        size = max(CHUNK_MIN, min(CHUNK_MAX, math.ceil(total / (self.workers * 3))))
        chunks = []
        for doc_id in self.templates:
            items = [(h, doc_id) for h in holders if doc_id in h.doc_ids]
            for k in range(0, len(items), size):
                stem = f"{doc_id}-{k // size:04d}"
                chunks.append(_Chunk(doc_id, items[k : k + size],
                                     self.work / f"{stem}.docx", self.work / f"{stem}.pdf"))
        return chunks

    def _render(self, chunk: _Chunk) -> bool:
        try:
            contexts = [
                certificate_context(h.applicant, doc_id, h.issued[doc_id], self.manifest,
                                    h.verify_base)
                for h, doc_id in chunk.items
            ]
            write_atomic(chunk.docx, self.templates[chunk.doc_id].render(contexts))
        except FormgenError as e:
            for item in chunk.items:
                self._fail(_Chunk(chunk.doc_id, [item], chunk.docx, chunk.pdf), e.message)
            self.progress(len(chunk.items))
            return False
        return True

    def _collect(self, pending: dict[Future[None], _Chunk], wait_all: bool) -> None:
        if not pending:
            return
        done, _ = wait(pending, return_when=ALL_COMPLETED if wait_all else FIRST_COMPLETED,
                       timeout=None if wait_all else 0)
        for future in done:
            chunk = pending.pop(future)
            error = future.exception()
            if error is not None and not isinstance(error, ConversionError):
                raise error
            problem = _WRONG_PAGES if error is not None else self._split(chunk)
            if problem is None:
                self.progress(len(chunk.items))
            elif isinstance(problem, _WrongPages):
                self.retry.append(chunk)
            else:
                self._fail(chunk, problem)
                self.progress(len(chunk.items))

    def _split(self, chunk: _Chunk) -> Message | _WrongPages | None:
        """One PDF per certificate, QR code stamped: None when done, else what went wrong
        (``_WRONG_PAGES`` when the PDF has not one page per certificate)."""
        title = self.manifest.documents[chunk.doc_id].title
        try:
            reader = PdfReader(chunk.pdf)
            pages = reader.pages
            if len(pages) != len(chunk.items):
                return _WRONG_PAGES
            for i, (holder, doc_id) in enumerate(chunk.items):
                issued = holder.issued[doc_id]
                one = PdfWriter()
                page = one.add_page(pages[i])
                stamp_qr(one, page, verify_link(holder.verify_base, issued.short_code))
                art = signature_lines(holder.applicant, doc_id, self.manifest)[1]
                ArtStamper(one).stamp(page, art, self.templates[doc_id].sign_boxes)
                make_archival(one, reader, f"{title.en} {issued.number}", Described(
                    issuer=issuer(holder.applicant, doc_id, self.manifest),
                    holder=printed_name(
                        holder.applicant, self.manifest.documents[doc_id].printed_languages()),
                    number=issued.number,
                    code=issued.short_code,
                ))
                target = self.work / f"{chunk.pdf.stem}-{i:04d}.one.pdf"
                if self.signer is None:
                    with target.open("wb") as fh:
                        one.write(fh)
                else:
                    # Signed here, while LibreOffice converts the next chunks.
                    unsigned = io.BytesIO()
                    one.write(unsigned)
                    try:
                        self.signer.sign(unsigned, target)
                    except SigningError as e:
                        self.bad.setdefault(holder.applicant.id, []).append(e.message)
                        continue
                holder.pages[doc_id] = (chunk.pdf, i, target)
        except ConversionError as e:
            return msg("certificate.failed", certificate=title, error=e.message)
        except (OSError, PyPdfError) as e:
            return msg("certificate.pdf-unreadable", certificate=title, detail=str(e))
        return None

    def _fail(self, chunk: _Chunk, message: Message) -> None:
        for holder, _ in chunk.items:
            self.bad.setdefault(holder.applicant.id, []).append(message)

