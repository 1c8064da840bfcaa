"""The public verification page, and its JSON for employers' systems: what a
certificate's QR code opens.

    GET  /c/{code}                  the certificate with this verification code
    GET  /verify                    a form: the code, or the number and the holder's surname
    POST /verify                    (that form sent)
    GET  /api/certificates/{code}   the same as /c/{code}, as JSON
    POST /api/certificates/lookup   the same by number and surname (body: JSON
                                    ``{"number": "...", "surname": "..."}``)

Served only when the app has a register (``formgen serve --register``), opened read-only
for each look-up, which :mod:`formgen.certificates.verification` makes: this module only
shows its answer. A page shows only what the certificate itself shows (holder's name,
certificate, grade, number, date of issue) and whether it stands: valid, revoked (with
the date and the reason) or superseded by a reissue (with the new number); a reissued
certificate names the one it was reissued in place of. An unknown
code, a register row that does not match its seal and a number that was never issued
all read "not found" (404). Codes are 50 random-looking bits, and each client address
gets a limited number of look-ups (429 with Retry-After after that), so codes cannot be
found by trying.
"""

from __future__ import annotations

import datetime as dt
import logging
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from fastapi import APIRouter
from markupsafe import Markup
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from formgen.certificates.audit import AuditCache, AuditError
from formgen.certificates.keys import RegisterKey
from formgen.certificates.numbers import NUMBER_RE, normalize_code
from formgen.certificates.register import Register
from formgen.certificates.store import located
from formgen.certificates.verification import Verification, find_by_code, find_by_number
from formgen.database import Location
from formgen.exceptions import DataFileError, RegisterError, VerificationError
from formgen.messages import msg
from formgen.model.applicant import Language
from formgen.model.manifest import Manifest, Term
from formgen.web.audit import audit_at_start, audit_refused, refuse_disagreeing, register_published
from formgen.web.credentials import credential_links
from formgen.web.i18n import N_, TRANSLATORS
from formgen.web.parsing import read_json_body
from formgen.web.ratelimit import RateLimiter
from formgen.web.security import BodyTooLarge, read_body, read_form
from formgen.web.state import MULTIPART_SLACK, api_error, api_errors, language_of, state_of

log = logging.getLogger("formgen.web.verify")

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["certificates"])

DEFAULT_RATE = 20
"""Look-ups a minute per client address (and at once)."""


class Verifier:
    """Read-only look-ups in one register, limited per client."""

    def __init__(self, path: Path | Location, key_file: Path | None = None,
                 per_minute: float = DEFAULT_RATE):
        self.location = located(path)
        self.path: Path | Location = self.location.path or self.location
        self.audits = AuditCache()
        with Register(self.location, key_file=key_file, read_only=True) as reg:  # checked at start
            self.key: RegisterKey = reg.key
            audit_at_start(self.audits, reg)
        self.limiter = RateLimiter(per_minute)

    def find(self, code: str, manifest: Manifest) -> Verification | None:
        """The certificate with this verification code, if it was issued and is genuine."""
        if normalize_code(code) is None:  # not a code: the register need not be opened
            return None
        return self._find(lambda reg: find_by_code(reg, code, manifest))

    def find_by_number(self, number: str, surname: str, manifest: Manifest) -> Verification | None:
        """The certificate with this number, if it was issued, is genuine and its holder
        has this surname."""
        return self._find(lambda reg: find_by_number(reg, number, surname, manifest))

    def _find(self, look_up: Callable[[Register], Verification]) -> Verification | None:
        with Register(self.location, timeout=5.0, key=self.key, read_only=True) as reg:
            self.audits.check(reg)
            try:
                return look_up(reg)
            except VerificationError as e:
                refuse_disagreeing(self.audits, self.location.shown, e)
                if e.code in ("verify.record-altered", "verify.other-key",
                              "verify.particulars-altered"):
                    log.warning("register row refused: %s", e.message.english)
                return None


def verifier_of(request: Request) -> Verifier:
    found: Verifier = request.app.state.verifier
    return found


# ----------------------------------------------------------------------------- what is shown


class Words(BaseModel):
    """A term in both languages."""

    zh: str
    """Chinese."""
    en: str
    """English."""


class Grade(BaseModel):
    """The grade a certificate names."""

    code: str
    """CEng, IEng or EngTech."""
    name: Words
    """The grade's name in the programme's words."""


class PrintedParticular(BaseModel):
    """One particular as the certificate prints it, in its own words and languages."""

    label: str
    """The paper's label, or the words it prints before the value (``Class of membership``,
    ``证书编号 Certificate No.``, ``This is to certify that``)."""
    value: list[str]
    """The value as printed, line by line."""


class CertificateStatus(BaseModel):
    """A certificate as the register holds it: what the certificate shows, and whether it stands."""

    number: str
    """The certificate number, e.g. CSEE-IET-2026-000123."""
    status: Literal["valid", "revoked", "superseded"]
    """``valid``; ``revoked`` (see revoked_on, reason); ``superseded`` by a reissue (see superseded_by)."""
    holder: str
    """The holder's name as the certificate prints it."""
    certificate: Words
    """Which certificate it is."""
    grade: Grade
    issued_on: dt.date
    """Date of issue."""
    revoked_on: dt.date | None = None
    """When it was revoked."""
    reason: Literal["issued-in-error", "withdrawn"] | None = None
    """Why it was revoked."""
    superseded_by: str | None = None
    """The number of the certificate reissued in its place."""
    superseded_on: dt.date | None = None
    """When it was reissued."""
    replaces: str | None = None
    """The number of the certificate this one was reissued in place of (now superseded by
    it); null for a first issue."""
    particulars: list[PrintedParticular] | None = None
    """What the certificate prints, in its order, words and languages, as the register
    recorded it when it was numbered: compare the paper line by line. Null for a
    certificate numbered before the register kept them."""


def _words(term: Term | None, fallback: str) -> Words:
    return Words(zh=term.zh, en=term.en) if term is not None else Words(zh=fallback, en=fallback)


def shown(found: Verification) -> CertificateStatus:
    """A certificate found, as the page and the API show it."""
    return CertificateStatus(
        number=found.number,
        status=found.status,
        holder=found.holder,
        certificate=_words(found.title, found.certificate),
        grade=Grade(code=found.grade, name=_words(found.grade_name, found.grade)),
        issued_on=found.issued_on,
        revoked_on=found.revoked_on,
        reason=found.reason or None,
        superseded_by=found.replaced_by or None,
        superseded_on=found.superseded_on,
        replaces=found.replaces or None,
        particulars=None if found.particulars is None else [
            PrintedParticular(label=p.label, value=list(p.lines)) for p in found.particulars],
    )


def text_lang(text: str) -> Markup:
    """The ``lang`` attribute of a printed text shown on the page: ``zh-CN`` for Chinese,
    ``en`` for Latin letters, none for both or neither (WCAG 3.1.2, language of parts)."""
    chinese = any(unicodedata.east_asian_width(c) in ("W", "F") for c in text)
    latin = any("a" <= c.lower() <= "z" for c in text)
    if chinese == latin:
        return Markup("")
    return Markup(' lang="zh-CN"') if chinese else Markup(' lang="en"')


# ----------------------------------------------------------------------------- the page


@dataclass
class FieldError:
    """A form field to correct, for the error summary and the field."""

    field: str
    """The input's id."""
    text: str
    """What to do, in the page's language."""


def _page(request: Request, lang: Language, status: int = 200, *, outcome: str = "form",
          certificate: CertificateStatus | None = None, errors: list[FieldError] | None = None,
          values: dict[str, str] | None = None, missing: dict[str, str] | None = None,
          reason: str = "", retry_after: int = 0, links: object = None) -> Response:
    """The verification page: the form, a certificate, or why none is shown."""
    errors = errors or []
    answer = state_of(request).render(
        request, "verify.html", lang, status,
        switch_path="/verify" if request.method == "POST" else None,
        outcome=outcome, certificate=certificate, errors=errors,
        error_for={e.field: e.text for e in errors},
        values={"code": "", "number": "", "surname": "", **(values or {})},
        missing=missing or {}, reason=reason, retry_after=retry_after, text_lang=text_lang,
        links=links, **register_published(request),
    )
    if retry_after:
        answer.headers["Retry-After"] = str(retry_after)
    return answer


def _limited(request: Request) -> int:
    client = request.client.host if request.client else "unknown"
    return verifier_of(request).limiter.take(client)


async def _result(request: Request, lang: Language, found: Verification | None, *,
                  missing: dict[str, str]) -> Response:
    if found is None:
        return _page(request, lang, 404, outcome="not-found", missing=missing)
    words = found.reason_words
    return _page(request, lang, certificate=shown(found), outcome="found",
                 reason=words if isinstance(words, str) else words.text(lang),
                 links=await run_in_threadpool(credential_links, request, found))


@router.api_route("/verify", methods=["GET", "HEAD"], name="verify")
async def verify_form(request: Request) -> Response:
    return _page(request, language_of(request))


@router.post("/verify")
async def verify_sent(request: Request) -> Response:
    lang = language_of(request)
    tr = TRANSLATORS[lang]
    pairs, _, _ = await read_form(request, state_of(request).max_upload + MULTIPART_SLACK, max_fields=10)
    form = dict(pairs)
    values = {k: str(form.get(k, "")).strip()[:100] for k in ("code", "number", "surname")}
    errors: list[FieldError] = []
    if form.get("by") == "number":
        if not values["number"]:
            errors.append(FieldError("v-number", tr(N_("Enter the certificate number"))))
        elif not NUMBER_RE.fullmatch(values["number"].upper()):
            errors.append(FieldError("v-number", tr(N_("Enter the number as printed, for example CSEE-IET-2026-000123"))))
        if not values["surname"]:
            errors.append(FieldError("v-surname", tr(N_("Enter the holder's surname"))))
    elif not values["code"]:
        errors.append(FieldError("v-code", tr(N_("Enter the verification code"))))
    elif normalize_code(values["code"]) is None:
        errors.append(FieldError("v-code", tr(N_("Enter the code as printed: 10 letters and digits, for example 7KQ2-M9XD-4T"))))
    if errors:
        return _page(request, lang, 400, errors=errors, values=values)
    if form.get("by") != "number":
        code = normalize_code(values["code"]) or ""
        root = request.scope.get("root_path", "").rstrip("/")
        return RedirectResponse(f"{root}/c/{code}?lang={lang}", status_code=303)
    wait = _limited(request)
    if wait:
        return _page(request, lang, 429, retry_after=wait, outcome="too-many", values=values)
    try:
        found = await run_in_threadpool(verifier_of(request).find_by_number, values["number"],
                                        values["surname"], state_of(request).manifest)
    except AuditError as e:
        return audit_refused(request, lang, e)
    except RegisterError:
        return _page(request, lang, 503, outcome="unavailable", values=values)
    return await _result(request, lang, found,
                         missing={"number": values["number"].upper(), "surname": values["surname"]})


@router.api_route("/c/{code}", methods=["GET", "HEAD"], name="certificate")
async def certificate_page(request: Request, code: str) -> Response:
    lang = language_of(request)
    wait = _limited(request)
    if wait:
        return _page(request, lang, 429, outcome="too-many", retry_after=wait)
    try:
        found = await run_in_threadpool(verifier_of(request).find, code,
                                        state_of(request).manifest)
    except AuditError as e:
        return audit_refused(request, lang, e)
    except RegisterError:
        return _page(request, lang, 503, outcome="unavailable")
    shown_code = code[:20].upper()
    return await _result(request, lang, found, missing={"code": shown_code})


# ----------------------------------------------------------------------------- JSON

_NOT_FOUND = msg("api.certificate-not-found")


@api.get(
    "/certificates/{code}",
    response_model=CertificateStatus,
    summary="Check a certificate by its verification code",
    responses={
        404: {"description": "No issued certificate has this code (unknown, altered or never issued)."},
        429: {"description": "Too many look-ups from this address; wait the seconds in Retry-After."},
        503: {"description": "The register cannot be read just now, or fails its audit "
                    "(the message says what failed)."},
    },
)
async def certificate_json(request: Request, code: str) -> Response:
    """What the certificate with this verification code shows (the code as printed, with
    or without dashes) and whether it stands: ``valid``, ``revoked`` or ``superseded``."""
    wait = _limited(request)
    if wait:
        return api_errors([api_error("", msg("api.too-many-lookups", seconds=wait))], 429,
                          {"Retry-After": str(wait)})
    try:
        found = await run_in_threadpool(verifier_of(request).find, code,
                                        state_of(request).manifest)
    except AuditError as e:
        return api_errors([api_error("", e.message)], 503)
    except RegisterError:
        return api_errors([api_error("", msg("api.register-unavailable"))], 503)
    if found is None:
        return api_errors([api_error("code", _NOT_FOUND)], 404)
    return JSONResponse(shown(found).model_dump(mode="json"))


_NOT_FOUND_BY_NUMBER = msg("api.certificate-not-found-by-number")
LOOKUP_BODY = 1024
"""The largest body of a look-up by number (bytes)."""


class NumberLookup(BaseModel):
    """A look-up by certificate number, which needs the holder's whole surname."""

    number: str
    """The certificate number as printed, e.g. CSEE-IET-2026-000123."""
    surname: str
    """The holder's whole surname, in Chinese or Latin letters (李, LI; 欧阳, Ouyang)."""


@api.post(
    "/certificates/lookup",
    response_model=CertificateStatus,
    summary="Check a certificate by its number and its holder's surname",
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
        "schema": NumberLookup.model_json_schema()}}}},
    responses={
        400: {"description": "The body is not a JSON object with a number and a surname."},
        404: {"description": "No issued certificate has this number and a holder with this "
                             "whole surname."},
        429: {"description": "Too many look-ups from this address; wait the seconds in Retry-After."},
        503: {"description": "The register cannot be read just now."},
    },
)
async def certificate_by_number(request: Request) -> Response:
    """What the certificate with this number shows and whether it stands, when its holder
    has this surname: the whole surname (欧阳, not 欧; 李, not 李晓), in Chinese or in
    Latin letters in any case, with or without tone marks."""
    wait = _limited(request)
    if wait:
        return api_errors([api_error("", msg("api.too-many-lookups", seconds=wait))], 429,
                          {"Retry-After": str(wait)})
    try:
        data = read_json_body(await read_body(request, LOOKUP_BODY))
    except BodyTooLarge:
        return api_errors([api_error("", msg("api.lookup-too-large", limit=LOOKUP_BODY))], 413)
    except DataFileError as e:
        return api_errors([api_error("", e.reason)], 400)
    try:
        asked = NumberLookup.model_validate(data, strict=True)
    except ValueError:
        asked = None
    if asked is None or not asked.surname.strip() or not NUMBER_RE.fullmatch(asked.number.strip().upper()):
        return api_errors([api_error("", msg("api.lookup-needs-number-and-surname"))], 400)
    try:
        found = await run_in_threadpool(verifier_of(request).find_by_number, asked.number,
                                        asked.surname[:100], state_of(request).manifest)
    except AuditError as e:
        return api_errors([api_error("", e.message)], 503)
    except RegisterError:
        return api_errors([api_error("", msg("api.register-unavailable"))], 503)
    if found is None:
        return api_errors([api_error("", _NOT_FOUND_BY_NUMBER)], 404)
    return JSONResponse(shown(found).model_dump(mode="json"))
