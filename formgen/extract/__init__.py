"""The extract feature: filled Word forms back into applicant records.

    sources.py   files, folders and ZIPs → the forms to read
    safety.py    each form checked before it is read (macros, entities, bombs, encryption …)
    document.py  a DOCX's paragraphs, tables, content controls, boxes and properties
    labelled.py  forms without tags, read by their labels and headings
    fields.py    the text written for a field, read as the field's value
    read.py      one form: by its tags, by its labels; the per-file report
    carried.py   the record formgen's form carries, against what was typed over it
    merge.py     the forms of one person joined into one record (key, id, name)
    output.py    the records as YAML, JSON or XLSX; the report as CSV

``.doc``, ``.odt`` and RTF files are saved as DOCX by LibreOffice first, through the project's
converter. The records then go through the usual validation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
import zipfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import etree

from formgen.exceptions import ConversionError, Problem
from formgen.extract.carried import apply as apply_carried
from formgen.extract.document import read_document
from formgen.extract.merge import NAMES, Person, group, record
from formgen.extract.read import FileReport, doubt_message, read_form
from formgen.extract.safety import Refused, check
from formgen.extract.sources import Source, expand, from_bytes
from formgen.load import RawRecord
from formgen.messages import msg
from formgen.model.manifest import Manifest
from formgen.settings import Settings
from formgen.validate import Report, validate

if TYPE_CHECKING:
    from formgen.office.converter import Converter

__all__ = ["Extraction", "FileReport", "extract", "extract_bytes", "file_problems", "to_docx"]


@dataclass
class Extraction:
    """Everything one run read: a report per file, the people, their records validated."""

    reports: list[FileReport] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    records: list[RawRecord] = field(default_factory=list)
    report: Report = field(default_factory=Report)

    @property
    def problems(self) -> list[Problem]:
        """What the forms themselves showed (refused, missing, unreadable, ambiguous),
        then the validation's problems."""
        return file_problems(self.reports, self.people) + self.report.problems


def _read(source: Source, manifest: Manifest, office: Callable[[], Converter] | None) -> FileReport:
    if source.refused is not None:
        return FileReport(source.name, refused=source.refused)
    try:
        checked = check(source.name, source.data)
        data = checked.data
        if checked.kind in ("doc", "rtf", "odt"):
            if office is None:
                raise Refused(msg("extract.doc-needs-office"))
            data = check(source.name, to_docx(checked.data, checked.kind, office())).data
        doc = read_document(data)
    except Refused as e:
        return FileReport(source.name, refused=e.reason)
    except ConversionError as e:
        return FileReport(source.name, refused=msg("extract.conversion-failed", error=e.message))
    except (etree.XMLSyntaxError, KeyError, zipfile.BadZipFile, ValueError) as e:
        return FileReport(source.name, refused=msg("extract.damaged", detail=str(e)))
    report = read_form(source.name, doc, manifest)
    apply_carried(report, doc)
    if not report.read and not report.skipped:
        report.refused = msg("extract.no-form")
    elif report.read and all(p.path in _PRINTED_ON_BLANK for p in report.read):
        report.refused = msg("extract.blank-form")
    return report


_PRINTED_ON_BLANK = ("programme", "grade")
"""What a blank form gives before anyone fills it in."""


def to_docx(data: bytes, kind: str, converter: Converter) -> bytes:
    """A ``doc``, ``rtf`` or ``odt`` form (checked by :func:`~formgen.extract.safety.check`)
    saved as DOCX by ``converter``'s locked-down LibreOffice, within its time limit;
    ConversionError when it cannot be."""
    with tempfile.TemporaryDirectory(prefix="formgen-extract-") as folder:
        src = Path(folder) / f"form.{kind}"
        src.write_bytes(data)
        out = Path(folder) / "form.docx"
        converter.convert(src, out)
        return out.read_bytes()


def reference_for(data: dict[str, Any], today: dt.date, manifest: Manifest,
                  taken: set[str] | None = None) -> str:
    """An application reference for a person whose forms carry none: the programme's
    prefix, the year and a digest of name, email and mobile (the same for the same person),
    made unlike every reference in ``taken`` (which it joins)."""
    prog = manifest.programmes.get(str(data.get("programme") or ""))
    prefix = prog.reference_prefix if prog else "FORM"
    seed = repr((data.get("name"), data.get("email"), data.get("mobile"))).encode()
    taken = taken if taken is not None else set()
    salt = 0
    while True:
        digest = hashlib.sha256(seed + (b"#%d" % salt if salt else b"")).hexdigest()[:6].upper()
        reference = f"{prefix}-{today.year}-X{digest}"
        if reference.casefold() not in taken:
            taken.add(reference.casefold())
            return reference
        salt += 1


def _records(people: list[Person], defaults: dict[str, str], today: dt.date,
             manifest: Manifest) -> list[RawRecord]:
    out = []
    built = [record(person, defaults) for person in people]
    taken = {str(data.get("id") or "").strip().casefold() for data in built} - {""}
    for person, data in zip(people, built, strict=True):
        if not str(data.get("id") or "").strip():
            data = {"id": reference_for(data, today, manifest, taken), **data}
        raw = RawRecord(person.files[0], msg("place.forms", count=len(person.files)), data)
        for path, source in person.sources.items():
            top = path.split("]", 1)[0] + "]" if "[" in path else path
            if source != person.files[0]:
                raw.locations.setdefault(top, msg("place.form", file=source))
        out.append(raw)
    return out


def extract(
    settings: Settings,
    paths: list[Path],
    defaults: dict[str, str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Extraction:
    """Read every form under ``paths`` (files, folders, ZIPs), join each person's forms,
    fill in ``defaults`` where no form gave a value, and validate the records."""
    manifest, today = settings.manifest, settings.today
    result = Extraction()
    with ExitStack() as stack:
        started: list[Converter] = []

        def office() -> Converter:
            if not started:
                from formgen.office import open_converter

                started.append(stack.enter_context(open_converter(settings, workers=1)))
            return started[0]

        for source in expand(paths):
            result.reports.append(_read(source, manifest, office))
            if progress is not None:
                progress(1)
    result.people = group([r for r in result.reports if r.refused is None and not r.skipped])
    result.records = _records(result.people, defaults or {}, today, manifest)
    result.report = validate(result.records, manifest, today)
    return result


def extract_bytes(name: str, data: bytes, manifest: Manifest, today: dt.date) -> tuple[list[RawRecord], list[FileReport]]:
    """The records in one uploaded DOCX (or ZIP of them), without conversions: a ``.doc``
    is refused. Nothing is validated here."""
    reports = [_read(source, manifest, None) for source in from_bytes(name, data)]
    people = group([r for r in reports if r.refused is None])
    return _records(people, {}, today, manifest), reports


def file_problems(reports: list[FileReport], people: list[Person]) -> list[Problem]:
    """The forms' own problems, placed by file and field."""
    out: list[Problem] = []
    whole = msg("place.the-form")
    for r in reports:
        if r.refused is not None:
            out.append(Problem(r.file, whole, "", msg("extract.refused", reason=r.refused)))
            continue
        if r.skipped:
            out.append(Problem(r.file, whole, "", msg("extract.skipped", document=r.document), "warning"))
            continue
        for p in r.read:
            if p.doubt:
                out.append(Problem(r.file, whole, p.path, msg(
                    "extract.uncertain", value="" if p.value is None else str(p.value),
                    why=doubt_message(p.doubt)), "warning"))
        for path in r.missing:
            out.append(Problem(r.file, whole, path, msg("extract.missing"), "warning"))
        for path, text in r.unparsable:
            out.append(Problem(r.file, whole, path, msg("extract.unparsable", text=text), "warning"))
        for path, values in r.ambiguous:
            out.append(Problem(r.file, whole, path, msg("extract.ambiguous", values=list(values))))
        for path, carried, typed in r.changed:
            out.append(Problem(r.file, whole, path, msg("extract.changed", carried=carried, typed=typed),
                               "warning"))
        for label, value in r.unrecognised:
            out.append(Problem(r.file, whole, "", msg("extract.label-unknown", label=label, value=value),
                               "warning"))
    for person in people:
        for path, sources in person.conflicts:
            given = [msg("extract.value-from", value=v, file=f) for f, v in sources]
            out.append(Problem(person.files[0], msg("place.forms", count=len(person.files)), path,
                               msg("extract.conflict", values=given)))
        for why, path, others in person.apart:
            name = " / ".join(str(person.values[p].value) for p in NAMES if p in person.values)
            if why == "differs":
                found = msg("extract.kept-apart", name=name, files=others, field=path)
            elif why == "spelled":
                found = msg("extract.spelled-alike", name=name, files=others)
            else:
                found = msg("extract.which-person", name=name, files=others)
            out.append(Problem(person.files[0], msg("place.forms", count=len(person.files)), path, found,
                               "warning"))
    return out
