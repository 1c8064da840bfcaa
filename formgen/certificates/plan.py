"""Which certificates each holder is due, and the checks made before any number is issued."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from formgen.certificates.numbers import Issued
from formgen.load import RawRecord
from formgen.messages import Message, msg
from formgen.model.applicant import Applicant, Language
from formgen.model.manifest import Manifest
from formgen.sorting import SortKey, pinyin_key

_ISSUED_IN = {
    frozenset({"zh", "en"}): msg("certificate.in-chinese-and-english"),
    frozenset({"zh"}): msg("certificate.in-chinese"),
    frozenset({"en"}): msg("certificate.in-english"),
}


@dataclass
class Holder:
    """A valid record and the certificates due to it."""

    source: RawRecord
    applicant: Applicant
    doc_ids: list[str]
    issued_on: dt.date
    issued: dict[str, Issued] = field(default_factory=dict)
    pages: dict[str, tuple[Path, int, Path]] = field(default_factory=dict)
    """Each certificate's page: (the chunk's PDF, page index, the certificate's own PDF)."""
    verify_base: str = ""
    """Where its certificates are verified: the QR code links to ``<verify_base>/c/<code>``."""
    status: dict[str, str] = field(default_factory=dict)
    """Where each certificate's status is published (``BASE/status/N#INDEX``), by
    certificate; recorded in its PDF's metadata."""

    @property
    def sort_key(self) -> tuple[SortKey, SortKey, str]:
        """Unit, then name (the Chinese one when there is one), in pinyin order; then id."""
        a = self.applicant
        return (pinyin_key(a.unit), pinyin_key(a.name.zh or a.name.en or ""), a.id)


def printed_name(applicant: Applicant, languages: list[Language] | None = None) -> str:
    """The name as a certificate printed in ``languages`` shows it, and the register
    records it: ``李晓明 / LI Xiaoming``, ``LI Xiaoming`` (or the one there is)."""
    zh, en = applicant.name.zh, applicant.name.en
    if languages == ["en"] and en:
        return en
    if languages == ["zh"] and zh:
        return zh
    if zh and en and zh != en:
        return f"{zh} / {en}"
    return zh or en or ""


def plan_holder(
    applicant: Applicant, manifest: Manifest, today: dt.date, only: str | None = None
) -> tuple[list[str], dt.date, list[tuple[str, Message]]]:
    """(certificates due, date of issue, problems as (field, message)); with ``only``, that
    one certificate if it is due (a reissue), and no other."""
    problems: list[tuple[str, Message]] = []
    issued_on = applicant.certificate.issued_on or today
    if issued_on > today:
        problems.append((
            "certificate.issued_on",
            msg("certificate.dated-ahead", date=issued_on, today=today),
        ))
    doc_ids = manifest.documents_for(applicant.programme, applicant.grade, kind="certificate")
    if only is not None:
        doc_ids = [d for d in doc_ids if d == only]
    if not doc_ids and only is None:
        problems.append(("", msg(
            "certificate.none-for-grade", programme=applicant.programme, grade=applicant.grade,
        )))
    for doc_id in doc_ids:
        doc = manifest.documents[doc_id]
        printed = doc.printed_languages()
        issued_in = _ISSUED_IN[frozenset(printed)]
        for lang in printed:
            if getattr(applicant.name, lang):
                continue
            if lang == "zh" and len(printed) == 1:
                continue  # a Chinese certificate may print the holder's only (English) name
            problems.append((f"name.{lang}", msg(
                "certificate.name-missing", field=f"name.{lang}", certificate=doc.title,
                languages=issued_in,
            )))
        for number in doc.holder_numbers:
            if not getattr(applicant.certificate, number):
                problems.append((f"certificate.{number}", msg(
                    "certificate.holder-number-missing", field=f"certificate.{number}",
                    certificate=doc.title,
                )))
    return doc_ids, issued_on, problems
