"""What the verification pages say about the register as a whole: its head, published on
every page once an audit held, and the refusal when it fails its audit
(:mod:`formgen.certificates.audit`). :mod:`formgen.web.verify` calls these; the templates
are ``_register_head.html`` and ``_register_audit.html``."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response

from formgen.certificates.audit import AuditCache, AuditError
from formgen.certificates.register import Register
from formgen.exceptions import VerificationError
from formgen.model.applicant import Language
from formgen.web.registers import Place
from formgen.web.state import state_of

log = logging.getLogger("formgen.web.verify")


def audit_at_start(audits: AuditCache, reg: Register) -> None:
    """Audit the register when the app starts: a failure is logged, and every look-up
    says it (the app still serves, to say so)."""
    try:
        audits.check(reg)
    except AuditError as e:
        log.error("%s", e.message.english)


def refuse_disagreeing(audits: AuditCache, place: Place, e: VerificationError) -> None:
    """A certificate whose row disagrees with its events fails the register's audit (the
    audit is made again at the next look-up)."""
    if e.code == "verify.events-disagree":
        audits.forget()
        raise AuditError(str(place), [e.message]) from e


def register_published(request: Request) -> dict[str, object]:
    """What every verification page publishes about the register: its head, as its last
    audit found it (``register_head``; None before an audit held)."""
    verifier = getattr(request.app.state, "verifier", None)
    audits = getattr(verifier, "audits", None)
    head = audits.head if isinstance(audits, AuditCache) else None
    return {"register_head": str(head) if head is not None else None}


def audit_refused(request: Request, lang: Language, e: AuditError) -> Response:
    """The page saying that the register fails its audit, and what failed (503): no
    certificate is shown from it."""
    log.error("%s", e.message.english)
    return state_of(request).render(
        request, "verify.html", lang, 503, outcome="audit-failed",
        audit_problems=[p.text(lang) for p in e.problems],
        errors=[], error_for={}, values={"code": "", "number": "", "surname": ""},
        missing={}, reason="", retry_after=0, certificate=None, register_head=None,
    )
