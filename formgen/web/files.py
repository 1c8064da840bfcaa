"""Making the files a visitor downloads, and handing them over.

PDFs come from the app's one warm :class:`~formgen.office.converter.Converter`. Every request
that needs a conversion becomes a job on a bounded queue, run in a thread pool so the
event loop (and with it the page) stays free. When ``max_queue`` jobs are already
running or waiting, a new one is refused at once with :class:`Busy` (HTTP 429).

Work files live in a private temporary folder that is removed before the answer goes out.
Retrying a conversion that failed is the converter's own business (see :mod:`formgen.office.converter`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import tempfile
import threading
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from starlette.responses import Response

from formgen.exceptions import FormgenError
from formgen.forms.documents import convert_rendered, render_document
from formgen.forms.naming import applicant_folder, pack_filename
from formgen.model.applicant import Applicant, Language
from formgen.model.manifest import Manifest
from formgen.packs.build import make_pack

T = TypeVar("T")

MEDIA_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "zip": "application/zip",
    "yaml": "application/yaml; charset=utf-8",
}


class Busy(Exception):
    """Too many conversions are running or waiting; try again later."""


class ConversionQueue:
    """Runs blocking jobs in threads, at most ``max_queue`` admitted at a time."""

    def __init__(self, max_queue: int):
        if max_queue < 1:
            raise ValueError("max_queue must be at least 1")
        self.max_queue = max_queue
        self._pending = 0
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=max_queue, thread_name_prefix="formgen-web-job")

    @property
    def pending(self) -> int:
        return self._pending

    def _release(self, _future: Any) -> None:
        with self._lock:
            self._pending -= 1

    async def run(self, func: Callable[..., T], *args: Any) -> T:
        """``func(*args)`` in a worker thread; Busy at once when the queue is full."""
        with self._lock:
            if self._pending >= self.max_queue:
                raise Busy()
            self._pending += 1
        try:
            future = self._pool.submit(func, *args)
        except BaseException:
            self._release(None)
            raise
        # Released when the job ends, even if the visitor has gone away meanwhile.
        future.add_done_callback(self._release)
        return await asyncio.wrap_future(future)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


@dataclass(frozen=True)
class Download:
    """A file to hand over."""

    filename: str
    data: bytes
    kind: str
    """docx, pdf, zip or yaml."""
    fallback: str
    """An ASCII file name for clients that do not read ``filename*``."""


def ascii_fallback(filename: str, default_stem: str) -> str:
    """``filename`` if it is plain ASCII, else ``default_stem`` with its extension."""
    ext = filename.rpartition(".")[2] if "." in filename else ""
    plain = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    if plain == filename and re.fullmatch(r"[A-Za-z0-9._ ()+-]+", filename):
        return filename
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", default_stem).strip("._") or "download"
    return f"{safe}.{ext}" if ext else safe


def disposition(filename: str, fallback: str) -> str:
    """``attachment`` with the plain ``fallback`` as ``filename`` and the real name as
    ``filename*`` (RFC 6266/5987): Chinese names survive."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def attachment(download: Download) -> Response:
    """The file as an attachment; Chinese names survive through ``filename*``."""
    return Response(
        download.data,
        media_type=MEDIA_TYPES[download.kind],
        headers={"Content-Disposition": disposition(download.filename, download.fallback),
                 "Cache-Control": "no-store"},
    )


def make_document(
    applicant: Applicant,
    doc_id: str,
    lang: Language,
    fmt: str,
    manifest: Manifest,
    converter: Any,
    today: dt.date,
    key: str | None = None,
) -> Download:
    """One document as DOCX or PDF (blocking: run it through the queue for PDF); a form
    of an application without an id carries the page's form ``key``."""
    fallback_stem = f"{applicant_folder(applicant.id)}-{doc_id}-{lang}"
    doc = render_document(applicant, doc_id, lang, manifest, today, key=None if applicant.id else key)
    if fmt == "docx":
        return Download(doc.filename, doc.docx, "docx", ascii_fallback(doc.filename, fallback_stem))
    with tempfile.TemporaryDirectory(prefix="formgen-web-") as tmp:
        (made,) = convert_rendered([applicant], [[doc]], converter, Path(tmp) / "work")
    if isinstance(made, FormgenError):
        raise made
    assert made.pdfs is not None
    name = str(Path(made.documents[0].filename).with_suffix(".pdf"))
    return Download(name, made.pdfs[0], "pdf", ascii_fallback(name, fallback_stem))


def make_pack_download(
    applicant: Applicant, manifest: Manifest, converter: Any, today: dt.date
) -> Download:
    """The applicant's whole pack as a ZIP (blocking: run it through the queue)."""
    with tempfile.TemporaryDirectory(prefix="formgen-web-") as tmp:
        data = make_pack(applicant, manifest, converter, Path(tmp) / "work", today=today)
    name = pack_filename(applicant)
    return Download(name, data, "zip", ascii_fallback(name, applicant_folder(applicant.id)))
