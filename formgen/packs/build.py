"""``formgen pack``: render, convert and zip the pack of every valid record.

Applicants are taken in chunks of PACK_CHUNK: one chunk renders while the previous one
converts, and each chunk's documents of one template are converted in one LibreOffice
load. A pack whose inputs have not changed since it was written is left as it is.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from formgen.exceptions import FormgenError
from formgen.forms.documents import choose_languages, render_and_convert
from formgen.forms.naming import pack_filename
from formgen.messages import msg
from formgen.model.applicant import LANGUAGES, Applicant, Language
from formgen.model.manifest import Manifest
from formgen.packs.archive import fingerprint, pack_zip, read_fingerprint
from formgen.paths import inside, write_atomic
from formgen.run import BuildResult, Progress, prepare_output
from formgen.validate import Validated, validate_files

if TYPE_CHECKING:
    from formgen.office.converter import Converter

PACK_CHUNK = 20
"""Applicants whose documents are converted together, one LibreOffice load per template."""


@dataclass
class PackResult(BuildResult):
    """A pack run: every record is packed, already up to date, or failed."""

    up_to_date: list[str] = field(default_factory=list)


def make_pack(
    applicant: Applicant,
    manifest: Manifest,
    converter: Converter,
    workdir: Path,
    *,
    pack: str | None = None,
    langs: Sequence[Language] | None = None,
    today: dt.date | None = None,
    fingerprint_value: str = "",
) -> bytes:
    """One applicant's pack as ZIP bytes: DOCX and PDF of each document, and pack.json."""
    pack = pack or manifest.default_pack
    (made,) = render_and_convert(
        [applicant], manifest, langs or LANGUAGES, pack=pack, today=today,
        converter=converter, workdir=workdir,
    )
    if isinstance(made, FormgenError):
        raise made
    return pack_zip(made, pack, fingerprint_value)


def build_packs(
    data: list[Path],
    out: Path,
    *,
    manifest: Manifest,
    today: dt.date,
    pack: str | None = None,
    langs: list[str] | None = None,
    workers: int | None = None,
    timeout: float = 60.0,
    progress: Progress | None = None,
    on_total: Callable[[int], None] | None = None,
) -> PackResult:
    """Write ``out/<id>-<name>.zip`` for every valid record and ``out/errors.csv`` for the rest."""
    pack = pack or manifest.default_pack
    if pack not in manifest.packs:
        raise FormgenError(msg("run.unknown-pack", pack=pack, known=list(manifest.packs)))
    chosen = choose_languages(langs)
    records, report = validate_files(data, manifest, today)
    result = PackResult()
    result.start(records, report.problems, report.failed)
    prepare_output(out)
    step = progress or (lambda n: None)
    if on_total:
        on_total(len(records))
    if report.failed:
        step(len(report.failed))

    names: dict[str, str] = {}
    tasks: list[tuple[Validated, Path, str]] = []
    for item in report.valid:
        a = item.applicant
        name = pack_filename(a)
        if name.casefold() in names:
            result.fail(item.source, msg(
                "pack.same-name", name=name, other=names[name.casefold()]), "name")
            step(1)
            continue
        names[name.casefold()] = a.id
        target = inside(out, name)
        fp = fingerprint(a, manifest, pack, chosen, today.isoformat())
        if target.exists() and read_fingerprint(target) == fp:
            result.up_to_date.append(a.id)
            result.written[a.id] = [target]
            step(1)
            continue
        tasks.append((item, target, fp))

    def run(chunk: list[tuple[Validated, Path, str]], number: int, converter: Converter) -> None:
        made = render_and_convert(
            [item.applicant for item, _, _ in chunk], manifest, chosen, pack=pack, today=today,
            converter=converter, workdir=out / ".work" / f"chunk-{number:05d}",
        )
        for (item, target, fp), documents in zip(chunk, made, strict=True):
            try:
                if isinstance(documents, FormgenError):
                    raise documents
                write_atomic(target, pack_zip(documents, pack, fp))
            except FormgenError as e:
                result.fail(item.source, e.message)
            else:
                result.written[item.applicant.id] = [target]
            step(1)

    if tasks:
        from formgen.office.converter import Converter

        chunks = [tasks[i : i + PACK_CHUNK] for i in range(0, len(tasks), PACK_CHUNK)]
        # Two chunks in flight: one renders while the other converts.
        with Converter(workers=workers, timeout=timeout) as converter, ThreadPoolExecutor(
            max_workers=2
        ) as pool:
            for future in [pool.submit(run, c, n, converter) for n, c in enumerate(chunks)]:
                future.result()
    shutil.rmtree(out / ".work", ignore_errors=True)
    result.write_errors_csv(out / "errors.csv")
    return result
