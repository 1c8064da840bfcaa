"""Files an applicant opens on the form: why one cannot be read, and which person of a
file with many is theirs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from formgen import clock
from formgen.exceptions import ConversionError, DataFileError, FormgenError
from formgen.extract import extract_bytes, to_docx
from formgen.extract.safety import Refused, check
from formgen.forms.blank import is_fillable
from formgen.links.tokens import json_safe
from formgen.load import UPLOAD, RawRecord, load_bytes
from formgen.messages import msg
from formgen.model.manifest import Manifest
from formgen.web.i18n import N_, Translator

# The page words a file that cannot be read for the applicant, who did not make its format;
# a file past one of the limits (formgen.load.limits) is refused in the words that name it.
_UPLOAD_MESSAGES = {
    "file.xlsx-not-zip": N_("This is not an XLSX workbook: the file is not a valid XLSX (zip) file."),
    "file.xlsx-unreadable": N_("This XLSX workbook cannot be read; it may be damaged."),
    "file.xlsx-doctype": N_("This workbook contains XML declarations (DOCTYPE or ENTITY) that are not allowed; it was refused."),
    "file.yaml-tag": N_("This YAML file uses tags that are not allowed (such as code tags); write plain values."),
    "file.not-yaml": N_("This is not a valid YAML file."),
    "file.not-yaml-at-line": N_("This is not a valid YAML file."),
    "file.not-json": N_("This is not a valid JSON file."),
    "file.not-text": N_("This file is not text in UTF-8 or GB18030."),
    "file.unknown-upload-type": N_("Open the file you saved from this page (.yaml), a data file from the programme office (.yaml, .yml, .json or .xlsx), or a form you filled in (.docx, .doc, .odt or .rtf)."),
    "extract.conversion-failed": N_("This form could not be opened to be read. Save it as a Word document (.docx) in Word, WPS or LibreOffice and open that."),
    "file.empty": N_("This file is empty."),
    "file.no-applicants": N_("This file holds no applicant."),
    "file.xlsx-no-sheet": N_("This workbook has no sheet of applicants."),
    "file.not-applicants": N_("This file must hold one applicant (a mapping of fields)."),
}
MAX_PEOPLE = 500
"""People listed from one file; a file with more is refused."""
FORM_SUFFIXES = (".docx", ".doc", ".odt", ".rtf")
"""Filled-in forms: a DOCX is read as it is, the others once LibreOffice has saved them as
DOCX (:func:`form_kind`, :func:`converted_form`)."""


def form_kind(name: str, data: bytes) -> str:
    """What an uploaded form is, whatever its name says (runs in a child process, see
    :mod:`formgen.web.parsing`): ``docx``, or ``doc``, ``odt`` or ``rtf`` to convert first;
    DataFileError for a file refused as ``formgen extract`` refuses it (macros, entities,
    encryption, a zip bomb, not a Word document)."""
    try:
        return check(name, data).kind
    except Refused as e:
        raise DataFileError(name, e.reason) from e


def converted_form(name: str, data: bytes, kind: str, converter: Any) -> bytes:
    """The form (``doc``, ``odt`` or ``rtf``, passed by :func:`form_kind`) saved as DOCX by
    the app's LibreOffice, as ``formgen extract`` converts it: macros never run, no
    network, killed past its time limit. DataFileError when it cannot be."""
    try:
        return to_docx(data, kind, converter)
    except ConversionError as e:
        raise DataFileError(name, msg("extract.conversion-failed", error=e.message)) from e


def upload_records(name: str, data: bytes, manifest: Manifest) -> list[RawRecord]:
    """The records of an opened file (see :func:`read_upload`)."""
    return read_upload(name, data, manifest)[0]


def read_upload(name: str, data: bytes, manifest: Manifest) -> tuple[list[RawRecord], list[str]]:
    """The records of an opened file: a data file (under the web's limits), or a filled-in
    form (.docx; a .doc, .odt or .rtf saved as DOCX first by :func:`converted_form`) read
    as ``formgen extract`` reads it (a form of formgen's gives the whole record it
    carries); with the forms read (document ids; none for a data file). Runs in
    a child process (:mod:`formgen.web.parsing`). A refused form, a record past the limits
    or a cell that cannot be read (a formula without its result) refuses the whole file
    with DataFileError: the page holds no half-read record."""
    if Path(name).suffix.lower() not in FORM_SUFFIXES:
        records = load_bytes(name, data, UPLOAD)
        for raw in records:
            problem = raw.refused or next((n.message for n in raw.notes if n.severity == "error"), None)
            if problem is not None:
                raise DataFileError(name, msg("file.record-refused", place=raw.where, problem=problem))
        return records, []
    records, reports = extract_bytes(name, data, manifest, clock.today())
    refused = next((r.refused for r in reports if r.refused is not None), None)
    if refused is not None:
        raise DataFileError(name, refused)
    return records, list(dict.fromkeys(r.document for r in reports if r.document))


def forms_still_needed(record: dict[str, Any], read: list[str], manifest: Manifest) -> list[str]:
    """The forms (document ids) the record's programme and grade ask the applicant to fill
    in, less those ``read``: the registration form when the programme is not known."""
    programme, grade = str(record.get("programme") or ""), str(record.get("grade") or "")
    prog = manifest.programmes.get(programme)
    if prog is None or grade not in prog.grades:
        wanted = [d for d in ("registration_form",) if d in manifest.documents]
    else:
        wanted = [d for d in manifest.documents_for(programme, grade) if is_fillable(manifest, d)]
    return [d for d in wanted if d not in read]


def upload_message(error: FormgenError, tr: Translator) -> str:
    """Why an uploaded file cannot be read, by the reason's message id (a limit it passes
    is named in the detail)."""
    reason = error.reason if isinstance(error, DataFileError) else error.message
    words = _UPLOAD_MESSAGES.get(reason.id)
    if words is not None:
        return tr(words)
    return tr(N_("The file could not be read (%(detail)s)."), detail=reason.text(tr.lang))


def prune(value: Any) -> Any:
    """``value`` without empty texts, lists and mappings: a blank in a file is an answer
    not given, as an empty input is on the form."""
    if isinstance(value, dict):
        kept = {k: prune(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in ("", None, [], {})}
    if isinstance(value, list):
        kept_items = [prune(v) for v in value]
        return [v for v in kept_items if v not in ("", None, [], {})]
    if isinstance(value, str):
        return value.strip()
    return value


def _name(data: dict[str, Any]) -> str:
    name = data.get("name")
    if isinstance(name, dict):
        parts = [str(name.get(lang) or "").strip() for lang in ("zh", "en")]
        return " / ".join(p for p in parts if p)
    return str(name or "").strip()


def pick_person(records: list[RawRecord]) -> list[dict[str, Any]]:
    """The people of a file, each with a label to choose by and their record."""
    people = []
    for raw in records[:MAX_PEOPLE]:
        if not raw.is_applicant:
            continue
        label = " · ".join(p for p in (str(raw.record_id or "").strip(), _name(raw.data)) if p)
        people.append({"label": label or str(raw.where), "record": json_safe(raw.data)})
    return people
