"""DOCX to PDF with a pool of warm LibreOffice processes.

    with Converter(workers=2) as conv:
        conv.convert(Path("a.docx"), Path("out/a.pdf"))
        results = conv.convert_many([(docx, pdf), ...], on_done=progress)

Each worker is one long-lived, locked-down LibreOffice (see :mod:`formgen.office`),
started on first use and kept for the life of the converter. A document that makes
LibreOffice hang (longer than ``timeout``) or die gets the process killed and is tried
once more on a fresh one (and a LibreOffice that does not start in time is started
once more); if that fails too, the document's result is a
:class:`ConversionError` and the batch goes on. PDFs are written under a temporary
name in the target folder and renamed into place only when complete.

Everything here is thread-safe: one converter can serve a thread pool or a web server.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import uuid
import zipfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from formgen.exceptions import ConversionError
from formgen.fonts import require_families
from formgen.messages import Message, msg
from formgen.office.process import STARTUP_TIMEOUT, OfficeFault, OfficeProcess, install_cleanup

__all__ = ["PDFA_2B", "Converter", "convert_files"]

PDFA_2B: dict[str, object] = {"SelectPdfVersion": 2}
"""PDF export settings for PDF/A-2b: fonts embedded (LibreOffice embeds every font it
uses in PDF/A), an sRGB output intent and XMP metadata from the document properties."""

OnDone = Callable[[Path, ConversionError | None], object]

# Import filters, so a damaged file is refused instead of being opened as plain text.
_TRANSIENT = "LibreOffice could not open it"
_FILTERS = {".docx": "MS Word 2007 XML", ".docm": "MS Word 2007 XML VBA", ".odt": "writer8"}
EXPORTS = {"pdf": "writer_pdf_Export", "docx": "MS Word 2007 XML"}
"""The formats a document can be converted to, by the target's suffix."""


class _Slot:
    """A place for one worker process; the process is (re)started when needed."""

    def __init__(self) -> None:
        self.process: OfficeProcess | None = None
        self.jobs = 0

    def get(self, converter: Converter) -> OfficeProcess:
        if self.process is not None and self.jobs >= converter.recycle_after:
            self.stop()  # a fresh process now and then keeps memory use flat
        if self.process is None or not self.process.alive():
            self.discard()
            self.process = OfficeProcess(converter.startup_timeout, converter.isolate_network)
            self.jobs = 0
        self.jobs += 1
        return self.process

    def discard(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None


class Converter:
    """A pool of ``workers`` LibreOffice processes (default: one per CPU core).

    ``timeout`` is how long one document may take before its LibreOffice is
    considered hung. Use as a context manager, or call :meth:`close`.

    ``startup_timeout`` bounds the start of one LibreOffice; ``isolate_network=False``
    skips the empty network namespace (the profile settings still block links);
    each process is replaced by a fresh one after ``recycle_after`` documents;
    ``pdf_options`` are LibreOffice's PDF export settings (``PDFA_2B`` for archival PDFs).
    """

    def __init__(
        self,
        workers: int | None = None,
        timeout: float = 60.0,
        *,
        startup_timeout: float = STARTUP_TIMEOUT,
        isolate_network: bool = True,
        recycle_after: int = 2000,
        pdf_options: dict[str, object] | None = None,
    ) -> None:
        if workers is not None and workers < 1:
            raise ValueError("workers must be at least 1")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        # Refuse to start rather than draw a missing font with a stand-in of other widths.
        require_families()
        self.workers = workers or cores()
        self.timeout = float(timeout)
        self.startup_timeout = float(startup_timeout)
        self.isolate_network = isolate_network
        self.recycle_after = recycle_after
        self.pdf_options = dict(pdf_options or {})
        self._slots = [_Slot() for _ in range(self.workers)]
        self._idle = list(self._slots)  # used as a stack: warm processes get reused first
        self._cond = threading.Condition()
        self._closed = False
        install_cleanup()

    # ---- pool ----

    def _checkout(self) -> _Slot:
        with self._cond:
            while not self._idle and not self._closed:
                self._cond.wait()
            if self._closed:
                raise ConversionError(msg("conversion.closed"))
            return self._idle.pop()

    def _checkin(self, slot: _Slot) -> None:
        with self._cond:
            closed = self._closed
            if not closed:
                self._idle.append(slot)
                self._cond.notify()
        if closed:
            slot.stop()

    def pids(self) -> list[int]:
        """Process ids of the running LibreOffice (``soffice.bin``) processes."""
        processes = [slot.process for slot in self._slots]
        return [pid for p in processes if p is not None for pid in p.office_pids()]

    def close(self) -> None:
        """Stop every LibreOffice process and remove their profiles.

        Conversions still running are allowed to finish; their process is stopped as
        soon as they return. Later calls raise ConversionError.
        """
        with self._cond:
            if self._closed:
                return
            self._closed = True
            idle, self._idle = self._idle, []
            self._cond.notify_all()
        for slot in idle:
            slot.stop()

    def __enter__(self) -> Converter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- conversions ----

    def convert(self, docx: Path, pdf: Path) -> None:
        """Convert one document; blocks until ``pdf`` is complete. Raises ConversionError.

        The target's suffix chooses the format: ``.pdf``, or ``.docx`` (a ``.doc`` or a
        DOCX saved again as LibreOffice saves it)."""
        docx, pdf = Path(docx), Path(pdf)
        export = EXPORTS.get(pdf.suffix.lower().lstrip("."), EXPORTS["pdf"])
        def failed(reason: Message | str) -> ConversionError:
            return ConversionError(msg("conversion.failed", docx=str(docx), reason=reason))

        _check_input(docx, failed)
        folder = pdf.parent
        if not folder.is_dir():
            raise failed(msg("conversion.no-folder", folder=str(folder)))
        part = folder / f".{pdf.name}.{uuid.uuid4().hex[:12]}.part"
        src = docx.resolve()
        filter_name = _FILTERS.get(docx.suffix.lower())
        fault: OfficeFault | None = None
        try:
            for attempt in range(2):
                slot = self._checkout()
                out: Path | None = None
                try:
                    try:
                        process = slot.get(self)
                    except OfficeFault as e:
                        # A start that failed (on a fresh or busy machine the first start
                        # can pass its time limit) is tried once more on a new process.
                        slot.discard()
                        if attempt == 0:
                            fault = e
                            continue
                        raise failed(e.message) from None
                    # LibreOffice writes into its private folder (its own temporary files
                    # stay there too); the finished PDF is then moved next to the target
                    # and renamed into place.
                    out = process.scratch / f"{uuid.uuid4().hex}{pdf.suffix}"
                    error: Message | str | None = process.convert(
                        src, out, filter_name, self.timeout,
                        self.pdf_options if export == EXPORTS["pdf"] else None, export
                    )
                    if error is None:
                        if not out.is_file() or out.stat().st_size == 0:
                            error = msg("office.no-pdf")
                        else:
                            shutil.move(out, part)
                except OfficeFault as e:
                    slot.discard()
                    fault = e
                    continue
                except OSError as e:
                    raise _cannot_write(pdf, e) from None
                finally:
                    if out is not None:
                        out.unlink(missing_ok=True)  # anything left after an error
                    self._checkin(slot)
                if error is not None:
                    if attempt == 0 and isinstance(error, str) and error.startswith(_TRANSIENT):
                        # Under load LibreOffice occasionally fails to open a sound file;
                        # a second try on the same warm process is cheap.
                        fault = OfficeFault(msg("office.failed", detail=error))
                        continue
                    raise failed(error)
                try:
                    os.replace(part, pdf)
                except OSError as e:
                    raise _cannot_write(pdf, e) from None
                return
            raise failed(fault.message if fault else msg("office.stopped"))
        finally:
            with contextlib.suppress(OSError):
                part.unlink(missing_ok=True)

    def convert_many(
        self, jobs: Iterable[tuple[Path, Path]], on_done: OnDone | None = None
    ) -> dict[Path, ConversionError | None]:
        """Convert ``(docx, pdf)`` pairs over all workers; never raises ConversionError.

        Returns each docx (in job order) mapped to None or its ConversionError.
        ``on_done(docx, error)`` is called once per finished job, never from two
        threads at the same time (safe for progress bars).
        """
        jobs = [(Path(d), Path(p)) for d, p in jobs]
        results: dict[Path, ConversionError | None] = {d: None for d, _ in jobs}
        if not jobs:
            return results
        done_lock = threading.Lock()

        def run(docx: Path, pdf: Path) -> None:
            error: ConversionError | None = None
            try:
                self.convert(docx, pdf)
            except ConversionError as e:
                error = e
            with done_lock:
                results[docx] = error
                if on_done is not None:
                    on_done(docx, error)

        pool = ThreadPoolExecutor(min(self.workers, len(jobs)), thread_name_prefix="formgen-pdf")
        try:
            futures = [pool.submit(run, d, p) for d, p in jobs]
            for future in as_completed(futures):
                future.result()  # re-raises bugs (not ConversionError) in on_done etc.
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return results


def cores() -> int:
    """The processor cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _cannot_write(pdf: Path, e: OSError) -> ConversionError:
    return ConversionError(msg("conversion.cannot-write", path=str(pdf), reason=str(e.strerror or e)))


def _check_input(docx: Path, failed: Callable[[Message], ConversionError]) -> None:
    if not docx.is_file():
        raise failed(msg("conversion.no-file"))
    if docx.suffix.lower() in (".docx", ".docm"):
        try:
            with zipfile.ZipFile(docx) as z:
                ok = "word/document.xml" in z.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            ok = False
        if not ok:
            raise failed(msg("conversion.not-docx"))


def convert_files(
    jobs: Iterable[tuple[Path, Path]],
    workers: int | None = None,
    timeout: float = 60.0,
    on_done: OnDone | None = None,
) -> dict[Path, ConversionError | None]:
    """Convert ``(docx, pdf)`` pairs with a converter started for this batch only."""
    with Converter(workers, timeout) as converter:
        return converter.convert_many(jobs, on_done)
