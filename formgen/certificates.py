"""Certificates in batches: number → render → convert once per template → split → write.

For every valid record the manifest names the certificates due (``kind: certificate``
documents the holder's programme and grade need). The register numbers them all in one
transaction; a holder who already has a certificate keeps its number and date of issue.

Each certificate template is one A4 page. The certificates of one template are rendered
into one DOCX per chunk (the template's body repeated in a loop, a page break before each
copy), converted by LibreOffice in one load while the next chunk renders, and the PDF split
back into pages with pypdf: page *i* is certificate *i*. A chunk whose page count comes out
wrong is converted one certificate at a time to find the one that does not fit, so only
that holder fails. Each certificate's QR code goes into its PDF page in place of the
template's placeholder picture (a 1-bit image, sharp at any size), which spares
LibreOffice a thousand pictures.

Output, in ``out``: ``print.pdf`` (every certificate, ordered by unit, then name, then
the manifest's order of certificates), ``<id>/<certificate>.pdf`` per holder,
``register.csv`` (the certificates printed) and ``errors.csv`` (every record that failed,
one row per problem). Every file is written through a temporary file and a rename.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
import re
import shutil
import tempfile
import threading
import unicodedata
import zipfile
from collections.abc import Callable
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import qrcode
from docxtpl import RichText
from PIL import Image
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from pypdf.generic import (
    BooleanObject,
    DecodedStreamObject,
    DictionaryObject,
    EncodedStreamObject,
    IndirectObject,
    NameObject,
    NumberObject,
)
from qrcode.constants import ERROR_CORRECT_M

from . import formatting as fmt
from .context import SOE_MEMBERSHIP
from .exceptions import (
    ConversionError,
    FormgenError,
    ManifestError,
    OutputError,
    Problem,
    TemplateError,
)
from .load import RawRecord
from .main import BuildResult, Progress, check_data, failure, today_default
from .manifest import Manifest, Term, load_manifest
from .models import Applicant, Language
from .paths import atomic_path, inside, safe_filename, write_atomic
from .qr import QUIET_ZONE, qr_payload
from .register import DEFAULT_PATH, Issued, IssueRequest, Register, write_csv
from .render import CompiledTemplate, output_name

QR_DESCR = "certificate QR code"
"""Alt text (description) of the placeholder picture that becomes each certificate's QR code."""
QR_MASK = 2
"""QR mask pattern used on every certificate (see :func:`qr_matrix`)."""
QR_SCALE = 8
"""Image pixels per QR module."""
MARKER_PX = 53
"""Pixel size of the stand-in picture that marks the QR code's place in the PDF."""
VERIFY_COMMAND = "formgen verify"

NAME_LINE_PT = 14.4 / 2.54 * 72
"""Width of the name line on every certificate template (16.4 cm text, 1 cm indents)."""
NAME_MAX_PT: dict[Language, float] = {"zh": 32.0, "en": 30.0}
NAME_MIN_PT = 8.0
CHUNK_MIN, CHUNK_MAX = 25, 250
"""Certificates in one LibreOffice load: enough to share its cost, few enough to spread
the work over the converters and to render the next chunk while one converts."""

ERRORS_HEADER = ["record", "field", "message"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_LANG_NAMES = {"zh": "Chinese", "en": "English"}
_ARTICLE_EXCEPTIONS = {"honour", "hour", "honorary"}

# ----------------------------------------------------------------------------- sizes


def _char_em(ch: str) -> float:
    """Width of one character in em of a bold serif face, on the generous side."""
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 1.0
    if ch.isspace():
        return 0.28
    if ch.isdigit():
        return 0.52
    if ch.isalpha():
        if ch.isupper():
            return 0.96 if ch in "MW" else 0.76
        return 0.82 if ch in "mw" else 0.56
    return 0.45


def name_size(name: str, lang: Language, line_pt: float = NAME_LINE_PT) -> float:
    """Font size (pt) that keeps ``name`` on one line: the language's size, smaller if long.

    Rounded down to half points; never below NAME_MIN_PT (a longer name would wrap to a
    second line rather than be cut).
    """
    width = sum(_char_em(ch) for ch in name) or 1.0
    size = min(NAME_MAX_PT[lang], line_pt * 0.94 / width)
    return max(NAME_MIN_PT, math.floor(size * 2) / 2)


def _name_run(name: str, lang: Language) -> RichText:
    half_points = int(name_size(name, lang) * 2)
    return RichText(name, size=half_points)


def _article(word: str) -> str:
    first = word.split()[0].lower() if word.strip() else ""
    if first in _ARTICLE_EXCEPTIONS:
        return "an"
    return "an" if first[:1] in ("a", "e", "i", "o", "u") else "a"


# ----------------------------------------------------------------------------- context


def certificate_context(
    applicant: Applicant, doc_id: str, issued: Issued, manifest: Manifest
) -> dict[str, Any]:
    """The variables of a certificate template: both languages of everything."""
    prog = manifest.programmes[applicant.programme]
    doc = manifest.documents[doc_id]
    a = applicant

    def both(term: Term | None) -> dict[str, str]:
        return {"zh": term.zh, "en": term.en} if term else {"zh": "", "en": ""}

    def body(b: Any) -> dict[str, Any]:
        return {"abbr": b.abbr, "name": both(b.name)} if b else {"abbr": "", "name": both(None)}

    names: dict[Language, str] = {"zh": a.name.get("zh"), "en": a.name.en or ""}
    grade = prog.grades[a.grade]
    soe = a.soe
    division = prog.divisions.get(soe.division) if soe else None
    membership = SOE_MEMBERSHIP[soe.membership] if soe else None
    return {
        "cert": {
            "id": doc_id,
            "title": both(doc.title),
            "number": issued.number,
            "code": issued.short_code,
            "verify": f"Verify: {VERIFY_COMMAND} {issued.short_code}",
            "qr": qr_payload(issued),
            "issued_on": {
                "zh": fmt.day(issued.issued_on, "zh", "long"),
                "en": fmt.day(issued.issued_on, "en", "long"),
                "iso": issued.issued_on.isoformat(),
            },
        },
        "holder": {
            "id": a.id,
            "unit": a.unit,
            "name": names,
            "name_size": {lang: name_size(names[lang], lang) for lang in names},
            "name_run": {lang: _name_run(names[lang], lang) for lang in names},
            "membership": {
                "code": soe.membership if soe else "",
                "name": both(membership),
                "article": {"en": _article(membership.en) if membership else ""},
            },
            "division": {
                "code": soe.division if soe else "",
                "name": both(division.name if division else None),
                "field": both(division.field if division else None),
            },
        },
        "grade": {
            "code": a.grade,
            "name": both(grade),
            "article": {"en": _article(grade.en)},
        },
        "bodies": {
            "society": body(prog.society),
            "partner": body(prog.partner),
            "partner_branch": body(prog.partner_branch),
            "registration_body": body(prog.registration_body),
        },
        "programme": {"id": a.programme, "title": both(prog.title)},
    }


CONTEXT_KEYS = ("cert", "holder", "grade", "bodies", "programme")

# ----------------------------------------------------------------------------- QR codes


def qr_matrix(text: str) -> list[list[bool]]:
    """The modules of ``text``'s QR code, quiet zone included (True is dark).

    Same code as :func:`formgen.qr.qr_png` (error correction M, four-module quiet zone)
    with a fixed mask pattern: choosing the "best" mask tries all eight and costs ten
    times as much, which a batch of a thousand certificates feels.
    """
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE,
                         mask_pattern=QR_MASK)
    code.add_data(text)
    code.make(fit=True)
    return code.get_matrix()


@lru_cache(maxsize=4096)
def _qr_pixels(text: str) -> tuple[int, bytes]:
    """(side in pixels, 1-bit rows) of ``text``'s QR code, QR_SCALE pixels per module."""
    matrix = qr_matrix(text)
    size = len(matrix) * QR_SCALE
    pad = (-size) % 8
    white = (1 << QR_SCALE) - 1  # DeviceGray, 1 bit: 0 is black, 1 is white
    rows = bytearray()
    for row in matrix:
        bits = 0
        for dark in row:
            bits = (bits << QR_SCALE) | (0 if dark else white)
        rows += ((bits << pad).to_bytes((size + pad) // 8, "big")) * QR_SCALE
    return size, bytes(rows)


def qr_image(text: str) -> EncodedStreamObject:
    """The QR code of ``text`` as a 1-bit PDF image, QR_SCALE pixels per module.

    Whole pixels per module keep the edges sharp when a viewer or printer scales it.
    """
    size, rows = _qr_pixels(text)
    image = DecodedStreamObject()
    image.set_data(rows)
    image.update({
        NameObject("/Type"): NameObject("/XObject"),
        NameObject("/Subtype"): NameObject("/Image"),
        NameObject("/Width"): NumberObject(size),
        NameObject("/Height"): NumberObject(size),
        NameObject("/ColorSpace"): NameObject("/DeviceGray"),
        NameObject("/BitsPerComponent"): NumberObject(1),
        NameObject("/Interpolate"): BooleanObject(False),
    })
    return image.flate_encode()


def _marker_png() -> bytes:
    """The picture standing in for the QR code until the PDF gets the real one.

    Its unusual pixel size is how it is found again in the PDF LibreOffice writes.
    """
    image = Image.new("L", (MARKER_PX, MARKER_PX), 255)
    for i in range(MARKER_PX):
        for edge in (0, MARKER_PX - 1):
            image.putpixel((i, edge), 160)
            image.putpixel((edge, i), 160)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _is_marker(obj: Any) -> bool:
    return (
        obj.get("/Subtype") == "/Image"
        and obj.get("/Width") == MARKER_PX
        and obj.get("/Height") == MARKER_PX
    )


def stamp_qr(writer: PdfWriter, page: PageObject, payload: str) -> None:
    """Put the QR code of ``payload`` where the marker picture is on ``page`` (of ``writer``).

    The page gets resources of its own (LibreOffice shares one set between pages).
    Raises ConversionError when the page shows no marker picture.
    """
    resources = page.get("/Resources")
    resources = resources.get_object() if resources is not None else DictionaryObject()
    xobjects = resources.get("/XObject")
    xobjects = xobjects.get_object() if xobjects is not None else DictionaryObject()
    image: IndirectObject | None = None
    mine = DictionaryObject()
    for name, ref in xobjects.items():
        if _is_marker(ref.get_object()):
            image = image or writer._add_object(qr_image(payload))
            mine[NameObject(name)] = image
        else:
            mine[NameObject(name)] = ref
    if image is None:
        raise ConversionError("the page has no place for the QR code (its picture was lost)")
    own = DictionaryObject(resources)
    own[NameObject("/XObject")] = mine
    page[NameObject("/Resources")] = own


# ----------------------------------------------------------------------------- batch template

_PLACEHOLDER = re.compile(
    r'descr="' + re.escape(QR_DESCR) + r'".*?r:embed="([^"]+)"', re.DOTALL
)
_FIRST_P = re.compile(r"<w:p(?=[ >])[^>]*>")
_PSTYLE = re.compile(r"<w:pStyle [^>]*/>")
_PAGE_BREAK = "{% if not loop.first %}<w:pageBreakBefore/>{% endif %}"


class BatchTemplate:
    """A certificate template turned into a loop: one page per certificate, one document.

    ``render(contexts)`` gives DOCX bytes holding one copy of the template's body per
    context, each starting on a new page. The QR code's placeholder picture is replaced
    by a marker that :func:`stamp_qr` swaps for each certificate's code in the PDF.
    """

    def __init__(self, path: Path):
        self.path = path
        try:
            raw = path.read_bytes()
            with zipfile.ZipFile(io.BytesIO(raw)) as z:
                xml = z.read("word/document.xml").decode("utf-8")
                rels = z.read("word/_rels/document.xml.rels").decode("utf-8")
        except FileNotFoundError as e:
            raise TemplateError(f"{path}: template not found") from e
        except (OSError, zipfile.BadZipFile, KeyError, UnicodeDecodeError) as e:
            raise TemplateError(f"{path}: not a readable DOCX template ({e})") from e
        found = _PLACEHOLDER.findall(xml)
        if len(found) != 1:
            raise TemplateError(
                f"{path}: a certificate template needs exactly one picture with the alt text "
                f"'{QR_DESCR}' (the QR code's place); it has {len(found)}"
            )
        target = re.search(r'<Relationship [^>]*Id="' + re.escape(found[0]) + r'"[^>]*/>', rels)
        media = re.search(r'Target="([^"]+)"', target.group(0)) if target else None
        if media is None:
            raise TemplateError(f"{path}: the QR code's placeholder picture has no image")
        try:
            start = xml.index(">", xml.index("<w:body")) + 1
            end = xml.rindex("<w:sectPr", start)
        except ValueError as e:
            raise TemplateError(f"{path}: the document has no body or no page settings") from e
        names = ", ".join(f"{k}=c.{k}" for k in CONTEXT_KEYS)
        looped = (
            xml[:start]
            + "{% for c in certificates %}{% with " + names + " %}"
            + _with_page_break(xml[start:end])
            + "{% endwith %}{% endfor %}"
            + xml[end:]
        )
        image_part = "word/" + media.group(1).lstrip("/").removeprefix("word/")
        derived = _replace_parts(
            raw, {"word/document.xml": looped.encode("utf-8"), image_part: _marker_png()}
        )
        fd, tmp_name = tempfile.mkstemp(suffix=".docx", prefix="formgen-batch-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(derived)
            self._compiled = CompiledTemplate(Path(tmp_name))
        finally:
            os.unlink(tmp_name)
        self._compiled.path = path

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


def _replace_parts(docx: bytes, parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as src, zipfile.ZipFile(
        out, "w", zipfile.ZIP_DEFLATED
    ) as dst:
        for info in src.infolist():
            data = parts.get(info.filename)
            dst.writestr(info, data if data is not None else src.read(info.filename))
    return out.getvalue()


_batch_cache: dict[tuple[Path, float], BatchTemplate] = {}
_batch_lock = threading.Lock()


def batch_template(path: Path) -> BatchTemplate:
    """The batch form of a certificate template, made once per file version."""
    path = path.resolve()
    try:
        stamp = path.stat().st_mtime
    except OSError as e:
        raise TemplateError(f"{path}: template not found") from e
    with _batch_lock:
        cached = _batch_cache.get((path, stamp))
    if cached is None:
        cached = BatchTemplate(path)
        with _batch_lock:
            _batch_cache[(path, stamp)] = cached
    return cached


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
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot create the output folder {out}: {e.strerror}") from e
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
        bad = _Printer(manifest, templates, work, workers, progress).run(holders)
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


_WRONG_PAGES = "wrong number of pages"


@dataclass
class _Chunk:
    """Certificates of one template rendered into one DOCX and converted in one load."""

    doc_id: str
    items: list[tuple[Holder, str]]
    docx: Path
    pdf: Path


class _Printer:
    """Render → convert → split, with rendering overlapping the conversions."""

    def __init__(self, manifest: Manifest, templates: dict[str, BatchTemplate], work: Path,
                 workers: int | None, progress: Progress | None):
        self.manifest = manifest
        self.templates = templates
        self.work = work
        self.workers = max(1, workers or min(os.cpu_count() or 1, 4))
        self.progress = progress or (lambda n: None)
        self.bad: dict[str, list[str]] = {}
        self.retry: list[_Chunk] = []

    def run(self, holders: list[Holder]) -> dict[str, list[str]]:
        """Fill in each holder's pages and files; return problems by id for the failures."""
        from .convert import Converter

        chunks = self._chunks(holders)
        if not chunks:
            return self.bad
        workers = min(self.workers, len(chunks))
        timeout = 60.0 + 0.5 * max(len(c.items) for c in chunks)
        with Converter(workers=workers, timeout=timeout) as conv, ThreadPoolExecutor(
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
            title = self.manifest.documents[doc_id].title.en
            error = results.get(single.docx)
            problem = f"the {title} could not be made: {error}" if error else self._split(single)
            if problem is _WRONG_PAGES:
                problem = (f"the {title} does not fit on one page; shorten the text in the "
                           "template or the data")
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
                certificate_context(h.applicant, doc_id, h.issued[doc_id], self.manifest)
                for h, doc_id in chunk.items
            ]
            write_atomic(chunk.docx, self.templates[chunk.doc_id].render(contexts))
        except FormgenError as e:
            for item in chunk.items:
                self._fail(_Chunk(chunk.doc_id, [item], chunk.docx, chunk.pdf), str(e))
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
            elif problem is _WRONG_PAGES:
                self.retry.append(chunk)
            else:
                self._fail(chunk, problem)
                self.progress(len(chunk.items))

    def _split(self, chunk: _Chunk) -> str | None:
        """One PDF per certificate, QR code stamped: None when done, else what went wrong
        (``_WRONG_PAGES`` when the PDF has not one page per certificate)."""
        title = self.manifest.documents[chunk.doc_id].title.en
        try:
            pages = PdfReader(chunk.pdf).pages
            if len(pages) != len(chunk.items):
                return _WRONG_PAGES
            for i, (holder, doc_id) in enumerate(chunk.items):
                issued = holder.issued[doc_id]
                one = PdfWriter()
                page = one.add_page(pages[i])
                stamp_qr(one, page, qr_payload(issued))
                one.add_metadata({"/Title": f"{title} {issued.number}"})
                target = self.work / f"{chunk.pdf.stem}-{i:04d}.one.pdf"
                with target.open("wb") as fh:
                    one.write(fh)
                holder.pages[doc_id] = (chunk.pdf, i, target)
        except ConversionError as e:
            return f"the {title}: {e}"
        except (OSError, PyPdfError) as e:
            return f"the {title}: the PDF LibreOffice wrote cannot be read ({e})"
        return None

    def _fail(self, chunk: _Chunk, message: str) -> None:
        for holder, _ in chunk.items:
            self.bad.setdefault(holder.applicant.id, []).append(message)


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
    run.register_csv = write_csv(run.issued, out / "register.csv")


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def write_errors(problems: list[Problem], failed: list[RawRecord], path: Path) -> Path:
    """``errors.csv``: record, field, message for every error (UTF-8 with a BOM).

    Errors only ever belong to records that failed; a failed record with no error
    listed (which should not happen) still gets a row.
    """
    rows = [[p.record_id or f"{p.file} {p.record}", p.field, p.message] for p in problems]
    listed = {(p.file, p.record_id) for p in problems}
    for r in failed:
        if (r.file, r.record_id) not in listed:
            rows.append([r.record_id or r.where, "", "the record failed"])
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(ERRORS_HEADER)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    write_atomic(path, buffer.getvalue().encode("utf-8-sig"))
    return path
