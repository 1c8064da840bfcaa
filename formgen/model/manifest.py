"""The manifest: programmes, documents, packs and certificates, in one YAML file."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from formgen.bounds import Refused, load_settings_file
from formgen.exceptions import ManifestError
from formgen.messages import Message, joined, msg
from formgen.model.applicant import LANGUAGES, GradeCode, Language, ProgrammeId, invalid
from formgen.model.certificate_spec import (  # noqa: F401 (the manifest's parts, named here)
    BodyRole,
    Officer,
    Particular,
    Signatories,
    SignatureLine,
    Spec,
    Term,
)
from formgen.model.mail import Mail

DEFAULT_MANIFEST = "manifest.yaml"


class Body(Spec):
    """An organisation named on documents."""

    abbr: str
    """Short name, e.g. CSEE."""
    name: Term
    """Full name in both languages."""


class Fee(Spec):
    """One fee an applicant pays."""

    item: Term
    """What the fee is for."""
    amount: int = Field(ge=0)
    """Amount in yuan."""
    per: Term | None = None
    """Period for a recurring fee (e.g. 年 / year); empty for a one-off fee."""
    due: Term
    """When it is paid."""
    grades: list[GradeCode] = ["CEng", "IEng", "EngTech"]
    """Grades the fee applies to."""
    note: Term | None = None
    """Condition or remark printed beside the fee."""
    conditional: bool = False
    """Paid only when the note's condition holds, so left out of the total."""
    estimate: bool = False
    """The notice gives the amount as an estimate (预计), and the documents say so."""


class ChecklistItem(Spec):
    """One material to hand in."""

    item: Term
    """The material."""
    copies: Term
    """How many copies, in which languages."""
    grades: list[GradeCode] = ["CEng", "IEng", "EngTech"]
    """Grades that hand it in."""
    document: str | None = None
    """The document formgen makes for it (so it is in the application pack); none when the
    applicant adds it (a form of another body, copies of certificates)."""


class Division(Spec):
    """An SOE professional sector."""

    name: Term
    """The institute's name."""
    field: Term
    """Its field, e.g. 陆路运输 / road transport."""


FEE_PLACEHOLDER = re.compile(r"\{fee(\d+)\}")
"""A fee's amount in a programme's ``fees_note`` (``{fee1}``: the first fee's)."""


class Programme(Spec):
    """One registration programme and its terms."""

    title: Term
    """Programme title printed on documents."""
    society: Body
    """The Chinese society."""
    partner: Body
    """The UK institution."""
    partner_branch: Body | None = None
    """The partner's branch that handles applications, when there is one."""
    registration_body: Body
    """The body that registers engineers."""
    grades: dict[GradeCode, Term]
    """Grade names as this programme's notice translates them."""
    eligibility: Term | None = None
    """The notice's rule on who may apply, in a few words (e.g. CEng and IEng only, with the
    clause); named in the error for a grade the programme does not offer."""
    fees: list[Fee]
    """Fees, by grade."""
    quota: dict[str, int] = {}
    """Places per nominating unit; empty when there is no quota."""
    deadline: str | None = None
    """Closing day for registration as MM-DD, in the current year."""
    divisions: dict[str, Division] = {}
    """The partner's divisions an applicant chooses from (``soe.division``), by code."""
    requires: list[Literal["unit", "cmes", "soe"]] = []
    """Parts of the record this programme's applicants must give: ``unit`` (the nominating
    unit), ``cmes`` (CMES membership), ``soe`` (the SOE membership applied for)."""
    reference_prefix: str = Field(pattern=r"^[A-Z][A-Z0-9]*$")
    """Application references start with this, e.g. CSEE for CSEE-2026-0007."""
    fees_note: Term | None = None
    """Remark printed under the fee table; ``{fee1}`` in it is the first fee's amount,
    written as the table writes it (8,000元 / CNY 8,000)."""
    checklist: list[ChecklistItem] = []
    """Materials to hand in."""
    contact: list[Term] = []
    """Whom to contact, one line each (a telephone number or an e-mail address is never
    broken across lines); a single term is one line."""

    @field_validator("contact", mode="before")
    @classmethod
    def _contact_lines(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value

    @model_validator(mode="after")
    def _fees_named(self) -> Programme:
        if self.fees_note:
            for lang in LANGUAGES:
                for number in FEE_PLACEHOLDER.findall(self.fees_note.get(lang)):
                    if not 1 <= int(number) <= len(self.fees):
                        raise invalid(msg("manifest.fees-note-unknown-fee", placeholder=f"{{fee{number}}}",
                                          count=len(self.fees)))
        return self

    @property
    def short_name(self) -> str:
        """The society and its partner, e.g. CSEE–IET."""
        return f"{self.society.abbr}–{self.partner.abbr}"

    def deadline_date(self, year: int) -> dt.date | None:
        if not self.deadline:
            return None
        month, day = (int(p) for p in self.deadline.split("-"))
        return dt.date(year, month, day)


class NeededBy(Spec):
    """Which applicants need a document."""

    programmes: list[ProgrammeId] | None = None
    """Programmes whose applicants need it; every programme when not given."""
    grades: list[GradeCode] = ["CEng", "IEng", "EngTech"]
    """Grades that need it."""


class Document(Spec):
    """One generated document."""

    title: Term
    """Its title."""
    templates: dict[Language, str]
    """Template per language, relative to the manifest."""
    needed_by: NeededBy = NeededBy()
    """Which applicants get it."""
    output: dict[Language, str]
    """Output file name per language; ``{id}`` and ``{name}`` are filled in."""
    kind: Literal["form", "certificate"] = "form"
    """``certificate`` documents are made by ``formgen certificates``, not in packs."""
    number_prefix: str | None = None
    """Certificate numbers start with this, e.g. CMES-SOE (certificates only)."""
    languages: list[Language] = []
    """Languages printed on a certificate (both for a bilingual one); default: its template's."""
    holder_numbers: list[Literal["ecuk_number", "soe_membership_number"]] = []
    """The holder's own numbers a certificate prints (``certificate.ecuk_number`` …);
    a holder without one gets no certificate, and a message saying which is missing."""
    signatures: list[SignatureLine] = []
    """A certificate's signature lines, left to right, as its template lays them out."""
    particulars: list[Particular] = []
    """What a certificate prints about its holder and itself, in its own words and order:
    the verification page and ``/api/certificates`` show these (certificates only)."""

    def printed_languages(self) -> list[Language]:
        return list(self.languages) or list(self.templates)


def verify_base(url: str) -> str:
    """A verification base URL without its trailing slash; ValueError when it is not an
    http(s) address with a host and no query, fragment or password."""
    text = url.strip().rstrip("/")
    parts = urlsplit(text)
    if (parts.scheme not in ("http", "https") or not parts.hostname or parts.query
            or parts.fragment or parts.username or parts.password or " " in text):
        raise ValueError(url)
    return text


class CertificateSeries(Spec):
    """How one programme's certificates are numbered and where they are verified."""

    number_prefix: str
    """Numbers are ``<prefix>-<year>-<sequence>``, e.g. CMES-SOE-2026-000123."""
    verify_url: str | None = None
    """Where the verification page runs (``formgen serve --register``), e.g.
    ``https://verify.example.org``: each certificate's QR code links to
    ``<verify_url>/c/<code>``."""

    @field_validator("verify_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return verify_base(value)
        except ValueError:
            raise invalid(msg("manifest.bad-verify-url", url=value)) from None


class Pack(Spec):
    """A named set of documents handed to an applicant as one ZIP."""

    title: Term
    """What the pack is."""
    documents: list[str]
    """Document ids, in order."""


class Manifest(Spec):
    """Everything formgen produces, and from what."""

    locales: dict[Language, str] = {"zh": "zh_CN", "en": "en_GB"}
    """Babel locale used to format dates, numbers and money per language."""
    programmes: dict[ProgrammeId, Programme]
    """The programmes."""
    documents: dict[str, Document]
    """The documents, by id."""
    packs: dict[str, Pack]
    """Named packs."""
    default_pack: str = "application"
    """Pack made when none is named."""
    competences: str = "data/competences.yaml"
    """Reference data: the competence statements A1 … E4 per grade, in both languages."""
    certificates: dict[ProgrammeId, CertificateSeries] = {}
    """Certificate numbering per programme (a document's own number_prefix overrides it)."""
    signatories: dict[str, Signatories] = {}
    """Who signs certificates for each society (by its abbreviation, e.g. CSEE), and its seal."""
    mail: Mail = Mail()
    """The messages ``formgen send`` writes (templates per kind and language) and its server."""

    root: Path = Path(".")
    """Folder the manifest lives in; template paths are relative to it."""
    path: Path | None = None
    """The manifest file itself, when it was read from one."""

    @model_validator(mode="after")
    def _consistent(self) -> Manifest:
        problems = []
        for name, pack in self.packs.items():
            for listed in pack.documents:
                if listed not in self.documents:
                    problems.append(msg("manifest.pack-unknown-document", pack=name, document=listed))
        if self.default_pack not in self.packs:
            problems.append(msg("manifest.default-pack-unknown", pack=self.default_pack))
        for doc_id, doc in self.documents.items():
            for lang in doc.output:
                if lang not in LANGUAGES:
                    problems.append(msg("manifest.output-language-unknown", document=doc_id, lang=lang))
            for programme in doc.needed_by.programmes or []:
                if programme not in self.programmes:
                    problems.append(msg(
                        "manifest.needed-by-unknown-programme", document=doc_id, programme=programme
                    ))
        for programme in self.certificates:
            if programme not in self.programmes:
                problems.append(msg("manifest.certificates-unknown-programme", programme=programme))
        for programme_id, prog in self.programmes.items():
            if "soe" in prog.requires and not prog.divisions:
                problems.append(msg("manifest.soe-without-divisions", programme=programme_id))
            for item in prog.checklist:
                if item.document is not None and item.document not in self.documents:
                    problems.append(msg(
                        "manifest.checklist-unknown-document", programme=programme_id,
                        document=item.document,
                    ))
        if problems:
            raise invalid(joined(problems, msg("list.semicolon")))
        return self

    def number_prefix(self, doc_id: str, programme: str) -> str | None:
        """The prefix of a certificate's numbers for a holder of ``programme``."""
        own = self.documents[doc_id].number_prefix
        series = self.certificates.get(programme)
        return own or (series.number_prefix if series else None)

    def verify_url(self, programme: str) -> str | None:
        """The verification base URL of ``programme``'s certificates, if the manifest has one."""
        series = self.certificates.get(programme)
        return series.verify_url if series else None

    def template_path(self, doc_id: str, lang: Language) -> Path:
        return self.root / self.documents[doc_id].templates[lang]

    def documents_for(self, programme: str, grade: str, kind: str = "form") -> list[str]:
        return [
            doc_id
            for doc_id, doc in self.documents.items()
            if doc.kind == kind
            and (doc.needed_by.programmes is None or programme in doc.needed_by.programmes)
            and grade in doc.needed_by.grades
        ]


def _said(err: Any) -> Message | str:
    """A pydantic error on the manifest: its own message when a check here raised it."""
    carried = err.get("ctx", {}).get("message")
    return carried if isinstance(carried, Message) else str(err["msg"])


def find_manifest(path: str | Path | None = None) -> Path:
    if path is not None:
        return Path(path)
    here = Path.cwd() / DEFAULT_MANIFEST
    if here.exists():
        return here
    return Path(__file__).resolve().parents[2] / DEFAULT_MANIFEST


_cache: dict[tuple[Path, float], Manifest] = {}


def load_manifest(path: str | Path | None = None) -> Manifest:
    """Read and check the manifest; raise ManifestError naming every problem."""
    manifest_path = find_manifest(path).resolve()
    try:
        stamp = manifest_path.stat().st_mtime
    except OSError as e:
        raise ManifestError(msg("manifest.unreadable", file=str(manifest_path), reason=str(e.strerror))) from e
    cached = _cache.get((manifest_path, stamp))
    if cached is not None:
        return cached
    try:
        raw = load_settings_file(manifest_path)  # bounded: size, nesting, aliases
    except Refused as e:
        raise ManifestError(msg("manifest.unreadable", file=str(manifest_path), reason=e.message)) from e
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise ManifestError(msg("manifest.unreadable", file=str(manifest_path), reason=str(e))) from e
    if not isinstance(raw, dict):
        raise ManifestError(msg("manifest.not-a-mapping", file=str(manifest_path)))
    raw["root"] = manifest_path.parent
    raw["path"] = manifest_path
    try:
        manifest = Manifest.model_validate(raw)
    except ValidationError as e:
        lines = [
            msg("manifest.invalid", file=str(manifest_path),
                field=".".join(str(p) for p in err["loc"]) or "(top)", problem=_said(err))
            for err in e.errors()
        ]
        raise ManifestError(joined(lines, "\n")) from e
    _cache[(manifest_path, stamp)] = manifest
    return manifest
