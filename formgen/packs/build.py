"""``formgen pack``: render, convert and zip the pack of every valid record.

The run is :func:`formgen.main.run_batch` with a :class:`PackJob`: applicants in chunks,
one chunk rendering while earlier ones convert, each chunk's documents of one template
converted in one LibreOffice load. A pack whose inputs have not changed since it was
written is left as it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from formgen.exceptions import FormgenError
from formgen.forms.documents import (
    MadeDocuments,
    RenderedDocument,
    convert_rendered,
    render_applicants,
)
from formgen.forms.naming import pack_filename
from formgen.load import RawRecord
from formgen.messages import msg
from formgen.model.applicant import LANGUAGES, Applicant, Language
from formgen.model.manifest import Manifest
from formgen.packs.archive import fingerprint, pack_zip, read_fingerprint
from formgen.paths import inside, write_atomic
from formgen.run import BatchJob, BuildResult, Progress
from formgen.settings import Settings
from formgen.validate import Report, Validated

if TYPE_CHECKING:
    from formgen.office.converter import Converter


@dataclass
class PackResult(BuildResult):
    """A pack run: every record is packed, already up to date, or failed."""

    up_to_date: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PackTask:
    """One pack to make: the record, where its ZIP goes, the fingerprint of its inputs."""

    item: Validated
    target: Path
    fingerprint: str


Rendered = tuple[list[PackTask], list[list[RenderedDocument] | FormgenError]]


class PackJob(BatchJob[PackTask, PackResult]):
    """The pack ``pack`` (default: the manifest's) of every valid record, in the
    settings' languages; packs already up to date are skipped."""

    def __init__(self, settings: Settings, out: Path, pack: str | None = None):
        manifest = settings.manifest
        self.pack = pack or manifest.default_pack
        if self.pack not in manifest.packs:
            raise FormgenError(msg("run.unknown-pack", pack=self.pack, known=list(manifest.packs)))
        super().__init__(PackResult())
        self.settings = settings
        self.out = out

    def plan(self, report: Report, step: Progress) -> list[PackTask]:
        """A task per valid record whose pack is missing or out of date; a record whose
        pack would take another's file name fails."""
        manifest, today = self.settings.manifest, self.settings.today
        langs = list(self.settings.languages)
        names: dict[str, str] = {}
        tasks: list[PackTask] = []
        for item in report.valid:
            a = item.applicant
            name = pack_filename(a)
            if name.casefold() in names:
                self.result.fail(item.source, msg(
                    "pack.same-name", name=name, other=names[name.casefold()]), "name")
                continue
            names[name.casefold()] = a.id
            target = inside(self.out, name)
            fp = fingerprint(a, manifest, self.pack, langs, today.isoformat())
            if target.exists() and read_fingerprint(target) == fp:
                self.result.up_to_date.append(a.id)
                self.result.written[a.id] = [target]
                continue
            tasks.append(PackTask(item, target, fp))
        return tasks

    def render(self, chunk: list[PackTask], number: int) -> Rendered:
        return chunk, render_applicants(
            [task.item.applicant for task in chunk], self.settings.manifest,
            self.settings.languages, pack=self.pack, today=self.settings.today)

    def convert(self, rendered: Rendered, converter: Any, workdir: Path) -> list[
            MadeDocuments | FormgenError]:
        chunk, documents = rendered
        return convert_rendered([t.item.applicant for t in chunk], documents, converter, workdir)

    def write(self, chunk: list[PackTask], converted: list[MadeDocuments | FormgenError],
              step: Progress) -> None:
        for task, made in zip(chunk, converted, strict=True):
            try:
                if isinstance(made, FormgenError):
                    raise made
                write_atomic(task.target, pack_zip(made, self.pack, task.fingerprint))
            except FormgenError as e:
                self.result.fail(task.item.source, e.message)
            else:
                self.result.written[task.item.applicant.id] = [task.target]
            step(1)

    def record_of(self, item: PackTask) -> RawRecord:
        return item.item.source


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
    rendered = render_applicants([applicant], manifest, langs or LANGUAGES, pack=pack, today=today)
    (made,) = convert_rendered([applicant], rendered, converter, workdir)
    if isinstance(made, FormgenError):
        raise made
    return pack_zip(made, pack, fingerprint_value)
