"""One form read into values: by its tags where formgen made it, by its labels otherwise
(and for whatever a suite stripped the tags from), with a report of what was read, what
is missing, what could not be read and what is ambiguous.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from formgen.extract.document import WordDocument
from formgen.extract.fields import (
    NO_REFERENCE,
    Parsed,
    Unparsable,
    choice_fields,
    choice_value,
    parse,
)
from formgen.extract.labelled import Found, read_labelled
from formgen.extract.runs import DOUBT_BREAK, DOUBT_COPIES
from formgen.extract.values import clean, clean_lines, is_chinese, label_key
from formgen.messages import Message, msg
from formgen.model.manifest import Manifest
from formgen.model.tags import digest, parse_bookmark, parse_tag, parse_text_bookmark

PROPERTY_DOCUMENT = "formgen.document"
PROPERTY_LANGUAGE = "formgen.lang"
PROPERTY_ID = "formgen.id"
"""Custom document properties formgen writes into the forms it renders."""

EXPECTED: dict[str, tuple[str, ...]] = {
    "registration_form": (
        "name", "gender", "job_title", "expertise", "mobile", "company", "company_address",
        "company_phone", "email", "english_level", "english_interview", "education", "career",
        "description"),
    "cpd_record": ("name", "cpd"),
    "cross_reference": ("competences",),
    "career_history": ("name", "company", "job_title", "expertise", "career", "description"),
    "cmes_endorsement": ("cmes.membership_no", "cmes.member_grade", "soe.membership"),
}
"""The fields each form asks for: any of them not read is reported missing by name."""
ROW_FIELDS = {
    "education": ("start", "end", "qualification", "course", "institution"),
    "career": ("start", "company", "job_title", "responsibilities"),
    "cpd": ("date", "description", "organizer", "hours"),
}


@dataclass
class FileReport:
    """What one file gave: the values read and everything that needs a person's eye."""

    file: str
    document: str = ""
    """The form recognised (a document id of the manifest), or ''."""
    lang: str = ""
    how: str = ""
    """``tags``, ``labels`` or ``tags+labels``."""
    refused: Message | None = None
    """Why the file was not read at all."""
    skipped: bool = False
    """A document of formgen's that is no form to fill in (a fee notice, a checklist)."""
    read: list[Parsed] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unparsable: list[tuple[str, str]] = field(default_factory=list)
    """(path, text) of values that are there but cannot be read as what the field holds."""
    ambiguous: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    """(path, the values found) where a form gives one field two values."""
    key: str = ""
    """The form key the form carries (formgen's forms), or ''."""
    carried: dict[str, Any] = field(default_factory=dict)
    """Path → the value the form carries as rendered (formgen's forms; see extract.carried)."""
    changed: list[tuple[str, str, str]] = field(default_factory=list)
    """(path, value carried, value typed) where someone typed over what the form carried."""
    unrecognised: list[tuple[str, str]] = field(default_factory=list)
    """(label, value) of values beside a label that is not recognised: for staff to place."""


def identify(doc: WordDocument, manifest: Manifest) -> tuple[str, str]:
    """The document id and language: from formgen's properties, else from the title."""
    doc_id = doc.properties.get(PROPERTY_DOCUMENT, "")
    lang = doc.properties.get(PROPERTY_LANGUAGE, "")
    head = " ".join(doc.paragraphs[:6])
    if doc_id not in manifest.documents:
        doc_id = ""
        squeezed = "".join(head.split()).lower()
        for candidate, spec in manifest.documents.items():
            if spec.kind != "form":
                continue
            for title in (spec.title.zh, spec.title.en):
                if "".join(title.split()).lower() in squeezed:
                    doc_id = candidate
                    break
            if doc_id:
                break
        if not doc_id and ("继续职业发展纪录" in head or "Professional Development Record" in head):
            doc_id = "cpd_record"
        if not doc_id and any(label_key(c.text)[0] == "姓名" or label_key(c.text)[1] == "name"
                              for t in doc.tables for row in t for c in row):
            doc_id = "registration_form"
    if lang not in ("zh", "en"):
        lang = "zh" if is_chinese(head) else "en"
    return doc_id, lang


def _tagged(doc: WordDocument, report: FileReport, manifest: Manifest, programme: str | None) -> list[Parsed]:
    out: list[Parsed] = []
    for control in doc.controls:
        tag = parse_tag(control.tag)
        if tag is None:
            continue
        if tag.choice is not None:
            if control.checked:
                out.append(Parsed(tag.path, choice_value(tag.path, tag.choice), control.text))
            continue
        path = tag.path
        weak = False
        if tag.shown_from and tag.digest == digest(control.text):
            path, weak = f"{path.rsplit('.', 1)[0]}.{tag.shown_from}", True
        try:
            parsed = parse(path, control.text, "tag", manifest, programme)
        except Unparsable as e:
            report.unparsable.append((e.path, e.text))
            parsed = [Parsed(e.path, e.text, e.text)]  # kept as written, for validation to name
        out.extend(Parsed(p.path, p.value, p.text, weak, control.doubt) for p in parsed)
    # a rich-text control's value from its bookmark, where no control's tag gave it
    for name, text in doc.marked.items():
        marked = parse_text_bookmark(name)
        if marked is not None and not any(p.path == marked for p in out):
            try:
                out.extend(parse(marked, text, "tag", manifest, programme))
            except Unparsable as e:
                report.unparsable.append((e.path, e.text))
                out.append(Parsed(e.path, e.text, e.text))
    choices = choice_fields(manifest)
    for name, checked in doc.boxes.items():
        tag = parse_bookmark(name, choices)
        if tag is not None and checked and tag.choice is not None:
            out.append(Parsed(tag.path, choice_value(tag.path, tag.choice), "☑"))
    return out


DOUBT_TAGS = "tags"
"""A form of formgen's that lost its tags (saved in another format): read by its labels."""


def doubt_message(code: str) -> Message:
    """Why a value could not be read for certain, said to staff."""
    if code == DOUBT_BREAK:
        return msg("extract.doubt-break")
    if code == DOUBT_COPIES:
        return msg("extract.doubt-copies")
    return msg("extract.doubt-tags")


def _labelled(found: list[Found], unparsable: list[tuple[str, str]], manifest: Manifest,
              programme: str | None, unrecognised: list[tuple[str, str]],
              lang: str | None = None) -> list[Parsed]:
    out: list[Parsed] = []
    for item in found:
        if item.kind == "unknown":
            unrecognised.append((clean(item.label), clean_lines(item.text)))
            continue
        try:
            out.extend(replace(p, doubt=item.doubt)
                       for p in parse(item.path, item.text, item.kind, manifest, programme, lang))
        except Unparsable as e:
            unparsable.append((e.path, e.text))
            out.append(Parsed(e.path, e.text, e.text, doubt=item.doubt))
    return out


def _group(path: str) -> str:
    return path.split("[", 1)[0].split(".", 1)[0] if "[" in path else path.split(".", 1)[0]


def read_form(name: str, doc: WordDocument, manifest: Manifest) -> FileReport:
    """Read one parsed document; the report holds the values and the problems."""
    report = FileReport(name)
    report.document, report.lang = identify(doc, manifest)
    spec = manifest.documents.get(report.document)
    if report.document and report.document not in EXPECTED:
        report.skipped = True
        return report
    owners = (spec.needed_by.programmes or []) if spec else []
    programme = owners[0] if len(owners) == 1 else None
    tagged = _tagged(doc, report, manifest, programme)
    unparsable: list[tuple[str, str]] = []
    # a form of formgen's holds one language's values, whatever script they are written in
    own = report.lang if doc.properties.get(PROPERTY_LANGUAGE) in ("zh", "en") and PROPERTY_DOCUMENT in doc.properties else None
    labelled = _labelled(read_labelled(doc), unparsable, manifest, programme, report.unrecognised, own)
    # what the tags gave stands; labels fill in only groups and fields no tag gave
    tagged_paths = {p.path for p in tagged} | {_group(p.path) for p in tagged if "[" in p.path}
    tagged_fields = {p.path.rsplit(".", 1)[0] for p in tagged if p.path.endswith((".zh", ".en"))}

    def untagged(path: str) -> bool:
        return path not in tagged_paths and _group(path) not in tagged_paths and (
            path.rsplit(".", 1)[0] not in tagged_fields or "[" in path)

    extra = [p for p in labelled if untagged(p.path)]
    # a label's text that no reading could use is reported only where no tag gave the value
    report.unparsable.extend((path, text) for path, text in unparsable if untagged(path))
    if PROPERTY_DOCUMENT in doc.properties and not any(parse_tag(c.tag) for c in doc.controls):
        extra = [p if p.doubt else replace(p, doubt=DOUBT_TAGS) for p in extra]
    report.how = "+".join(h for h, got in (("tags", tagged), ("labels", extra)) if got)
    values = tagged + extra
    if programme and not any(p.path == "programme" for p in values):
        values.append(Parsed("programme", programme, "", weak=True))
    form_id = doc.properties.get(PROPERTY_ID, "")
    if form_id in NO_REFERENCE:
        form_id = ""
    if form_id and not any(p.path == "id" for p in values):
        values.append(Parsed("id", form_id, form_id))
    report.read = _one_each(values, report)
    report.missing = _missing(report)
    return report


def _one_each(values: list[Parsed], report: FileReport) -> list[Parsed]:
    """One value per path: a second, different value makes the path ambiguous."""
    by_path: dict[str, list[Parsed]] = {}
    for p in values:
        if isinstance(p.value, tuple):
            report.ambiguous.append((p.path, tuple(str(v) for v in p.value)))
            continue
        by_path.setdefault(p.path, []).append(p)
    kept = []
    for path, found in by_path.items():
        strong = [p for p in found if not p.weak] or found
        distinct = list(dict.fromkeys(_same(p.value) for p in strong))
        if len(distinct) > 1:
            report.ambiguous.append((path, tuple(str(p.value) for p in strong)))
        kept.append(strong[0])
    return kept


def _same(value: object) -> object:
    return clean(value) if isinstance(value, str) else value


def _missing(report: FileReport) -> list[str]:
    expected = EXPECTED.get(report.document, ())
    read = {p.path for p in report.read}
    unreadable = {path for path, _ in report.unparsable}
    roots = {p.split(".")[0].split("[")[0] for p in read | unreadable} | {
        p.rsplit(".", 1)[0] for p in read | unreadable}
    missing = [f for f in expected if f not in roots and f not in read]
    for group, columns in ROW_FIELDS.items():
        rows = sorted({p.split("]", 1)[0] + "]" for p in read | unreadable if p.startswith(group + "[")})
        for row in rows:
            for column in columns:
                path = f"{row}.{column}"
                if not any(r == path or r.startswith(path + ".") for r in read | unreadable):
                    missing.append(path)
    return missing
