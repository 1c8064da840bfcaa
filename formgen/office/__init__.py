"""The convert stage: DOCX to PDF with warm, locked-down LibreOffice processes.

    process.py    one LibreOffice and its UNO bridge (bridge.py, run by LibreOffice's Python)
    converter.py  a pool of them: Converter, convert_files
    merge.py      documents of one template joined into one load, the PDF split again

Every converter formgen starts is made by :func:`open_converter`, from the settings.
"""

from __future__ import annotations

from formgen.office.converter import Converter, convert_files, cores
from formgen.office.process import soffice_path
from formgen.settings import Settings

__all__ = ["Converter", "convert_files", "cores", "open_converter", "soffice_path"]


def open_converter(
    settings: Settings,
    *,
    workers: int | None = None,
    timeout: float | None = None,
    pdf_options: dict[str, object] | None = None,
    recycle_after: int | None = None,
) -> Converter:
    """A converter with the settings' workers and timeout unless given here; close it
    (or use it as a context manager) when done. FormgenError (ConversionError) when a
    font it needs is missing."""
    options: dict[str, object] = {}
    if recycle_after is not None:
        options["recycle_after"] = recycle_after
    return Converter(
        workers=workers or settings.workers,
        timeout=timeout if timeout is not None else settings.timeout,
        pdf_options=pdf_options,
        **options,  # type: ignore[arg-type]
    )
