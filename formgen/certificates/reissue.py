"""Reissuing: which records and which certificates a reissue prints
(:class:`formgen.certificates.run.CertificateJob` with
``CertificateOptions(reissue=..., reissue_holders=...)``)."""

from __future__ import annotations

import datetime as dt

from formgen.certificates.numbers import Issued
from formgen.certificates.plan import plan_holder
from formgen.exceptions import RegisterError
from formgen.load import RawRecord
from formgen.messages import Message, msg
from formgen.model.applicant import Applicant
from formgen.model.manifest import Manifest
from formgen.validate import Report


def holders_only(records: list[RawRecord], report: Report,
                 replaced: list[Issued]) -> tuple[list[RawRecord], Report]:
    """The records of the holders of ``replaced`` only (a reissue)."""
    holders = {i.applicant_id for i in replaced}
    found = {r.record_id for r in records}
    for old in replaced:
        if old.applicant_id not in found:
            raise RegisterError(msg("reissue.no-record", number=old.number, id=old.applicant_id))
    return [r for r in records if r.record_id in holders], Report(
        valid=[v for v in report.valid if v.applicant.id in holders],
        problems=[p for p in report.problems if p.record_id in holders],
        failed=[r for r in report.failed if r.record_id in holders],
    )


def plan_reissue(applicant: Applicant, manifest: Manifest, today: dt.date,
                 replaced: list[Issued]) -> tuple[list[str], dt.date, list[tuple[str, Message]]]:
    """:func:`plan_holder` for the certificates of one holder that are reissued."""
    doc_ids: list[str] = []
    issued_on = today
    problems: list[tuple[str, Message]] = []
    for old in replaced:
        due, issued_on, found = plan_holder(applicant, manifest, today, old.certificate)
        if not due:
            found.append(("", msg("reissue.not-due", number=old.number,
                                  certificate=_title(manifest, old.certificate))))
        doc_ids.extend(due)
        problems.extend(p for p in found if p not in problems)
    order = list(manifest.documents)
    return sorted(doc_ids, key=order.index), issued_on, problems


def _title(manifest: Manifest, doc_id: str) -> object:
    doc = manifest.documents.get(doc_id)
    return doc.title if doc else doc_id
