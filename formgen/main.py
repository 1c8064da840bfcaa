"""The library API: the stages in order, each a call into its own package.

    load → validate            formgen.load, formgen.validate      check_data
    load → validate → roster   formgen.roster                      make_roster
    forms → records → validate formgen.extract                     extract_forms
    render → convert → write   formgen.forms, formgen.office       render
    render → convert → zip     formgen.forms, formgen.packs        build_packs
    plan → number → print      formgen.certificates                print_certificates

The CLI and the web app call these functions; they only parse arguments and show
results. Each function fills in what the caller left out (the manifest, today) and
hands over to its stage; nothing below this module imports it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from formgen.certificates.register import DEFAULT_PATH
from formgen.certificates.run import CertificateRun
from formgen.certificates.run import print_certificates as _print_certificates
from formgen.certificates.signing import SigningKey
from formgen.extract import Extraction, extract
from formgen.extract.output import check_output, write_records, write_report
from formgen.forms.write import write_blank, write_documents
from formgen.language import Language
from formgen.load import RawRecord
from formgen.model.manifest import Manifest, load_manifest
from formgen.packs.build import PackResult
from formgen.packs.build import build_packs as _build_packs
from formgen.roster import RosterSummary, write_roster
from formgen.run import BuildResult, Progress, today_default
from formgen.validate import Report, validate_files

__all__ = [
    "BuildResult", "CertificateRun", "Extraction", "extract_forms", "PackResult", "RosterSummary", "build_packs", "check_data",
    "make_roster", "print_certificates", "render", "render_blank", "today_default",
]


def check_data(
    data: list[Path],
    manifest: Manifest | None = None,
    today: dt.date | None = None,
    *,
    keep_applicants: bool = True,
) -> tuple[list[RawRecord], Report]:
    """Load and validate data files; the report lists every problem (and the valid
    applicants, unless ``keep_applicants`` is False: then it only counts them)."""
    return validate_files(
        data, manifest or load_manifest(), today or today_default(), keep_applicants=keep_applicants
    )


def make_roster(
    data: list[Path],
    out: Path,
    *,
    manifest: Manifest | None = None,
    today: dt.date | None = None,
    lang: Language = "en",
) -> RosterSummary:
    """Load and validate data files and write the intake roster (XLSX) to ``out``."""
    manifest = manifest or load_manifest()
    today = today or today_default()
    records, report = validate_files(data, manifest, today)
    return write_roster(records, report, manifest, today, out, lang)


def extract_forms(
    files: list[Path],
    out: Path,
    report: Path,
    *,
    manifest: Manifest | None = None,
    today: dt.date | None = None,
    defaults: dict[str, str] | None = None,
    lang: Language = "en",
    progress: Progress | None = None,
) -> Extraction:
    """Read filled forms back into records: write them to ``out`` (YAML, JSON or XLSX, every
    record, valid or not, for staff to complete) and the per-file report to ``report``."""
    check_output(out)
    manifest = manifest or load_manifest()
    result = extract(files, manifest, today or today_default(), defaults, progress)
    write_records([r.data for r in result.records], out)
    write_report(result.reports, report, lang)
    return result


def render(
    data: list[Path],
    out: Path,
    *,
    langs: list[str] | None = None,
    docs: list[str] | None = None,
    formats: tuple[str, ...] = ("docx",),
    manifest: Manifest | None = None,
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> BuildResult:
    """Write ``out/<id>/<lang>/<file>`` (DOCX, PDF or both) for every valid record."""
    return write_documents(
        data, out, manifest=manifest or load_manifest(), today=today or today_default(),
        langs=langs, docs=docs, formats=formats, progress=progress,
    )


def render_blank(
    out: Path,
    programme: str,
    grade: str,
    *,
    langs: list[str] | None = None,
    docs: list[str] | None = None,
    formats: tuple[str, ...] = ("docx",),
    manifest: Manifest | None = None,
    today: dt.date | None = None,
) -> list[Path]:
    """Write the blank fillable forms of ``programme`` and ``grade`` to ``out/<lang>/``."""
    return write_blank(
        out, manifest=manifest or load_manifest(), programme=programme, grade=grade,
        today=today or today_default(), langs=langs, docs=docs, formats=formats,
    )


def build_packs(
    data: list[Path],
    out: Path,
    *,
    pack: str | None = None,
    langs: list[str] | None = None,
    manifest: Manifest | None = None,
    today: dt.date | None = None,
    workers: int | None = None,
    timeout: float = 60.0,
    progress: Progress | None = None,
    on_total: Callable[[int], None] | None = None,
) -> PackResult:
    """Write ``out/<id>-<name>.zip`` for every valid record and ``out/errors.csv`` for the rest."""
    return _build_packs(
        data, out, manifest=manifest or load_manifest(), today=today or today_default(),
        pack=pack, langs=langs, workers=workers, timeout=timeout, progress=progress,
        on_total=on_total,
    )


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
    verify_url: str | None = None,
    by: str = "",
    register_key: Path | None = None,
    init_register: bool = False,
    reissue: str | None = None,
    signing: SigningKey | None = None,
) -> CertificateRun:
    """Number and print the certificates due to every valid record (``print.pdf``, one PDF
    per holder, ``register.csv``, ``errors.csv``); with ``reissue=NUMBER``, that one
    certificate again under a new number, with its holder's record from ``data``; with
    ``signing``, each holder's PDF is signed."""
    return _print_certificates(
        data, out, register=register, manifest=manifest or load_manifest(),
        today=today or today_default(), workers=workers, register_timeout=register_timeout,
        progress=progress, on_total=on_total, verify_url=verify_url, by=by,
        register_key=register_key, init_register=init_register, reissue=reissue,
        signing=signing,
    )
