"""What ``formgen serve --register`` publishes for digital credentials (with the issuer's
keys at hand):

- ``/.well-known/did.json`` (and ``/did.json``, for a site under a path): the issuer's DID
  document, every key listed, for the ``did:web`` of the address the site is reached at;
- ``/status/N``: status list N as a signed ``BitstringStatusListCredential``, made from the
  register when asked (signed again only when a bit changed), so a certificate revoked
  or superseded shows as such at the next request; made only from a register that passes
  its audit (:mod:`formgen.certificates.audit`) and from places whose seals hold
  (:mod:`formgen.certificates.places`), else 503 saying what failed, never a wrong bit;
- ``/c/CODE/credential.json``: a valid certificate's credential, signed now, to download;
  the certificate's page links to it, and to LinkedIn's "add to profile" form filled in
  with the certificate (:func:`credential_links`).

The register is opened read-only for each request; credential downloads count against
the same per-client limit as the certificate look-ups.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from formgen.certificates.audit import AuditCache, AuditError, audited
from formgen.certificates.numbers import normalize_code
from formgen.certificates.register import Register
from formgen.certificates.verification import Verification
from formgen.clock import now
from formgen.credentials.badge import credential_url, page_url, signed_badge
from formgen.credentials.did import did_document
from formgen.credentials.keys import IssuerKeys, load_issuer_keys
from formgen.credentials.status import entry_of, lists, set_bits, status_list_credential
from formgen.exceptions import CredentialError, RegisterError, VerificationError
from formgen.messages import msg
from formgen.web.registers import Place, open_register
from formgen.web.state import api_error, api_errors, state_of

log = logging.getLogger("formgen.web")
router = APIRouter()
LINKEDIN_ADD = "https://www.linkedin.com/profile/add"
_HEADERS = {"Cache-Control": "no-cache", "Access-Control-Allow-Origin": "*"}


@dataclass
class CredentialService:
    """The register and the issuer's keys the credential routes use."""

    register: Place
    keys: IssuerKeys
    register_key: Path | None = None

    def open_register(self) -> Register:
        """The register, opened to read (waiting at most five seconds for a writer)."""
        return open_register(self.register, timeout=5.0, key_file=self.register_key)


def credential_service(register: Place, register_key: Path | None,
                       issuer_keys: Path | None) -> CredentialService | None:
    """The service for ``register``, or None (said in the log) when the issuer's keys
    cannot be had: then no credential, DID document or status list is served. A register
    in a database has no file beside which the keys would be: they come from
    ``issuer_keys`` or the environment."""
    try:
        keys = load_issuer_keys(register, issuer_keys)
    except CredentialError as e:
        log.warning("no digital credentials served: %s", e.message.english)
        return None
    return CredentialService(register, keys, register_key)


def service_of(request: Request) -> CredentialService:
    found: CredentialService = request.app.state.credentials
    return found


def base_of(request: Request) -> str:
    """The address the site is reached at (the verification address), without a slash."""
    return str(request.base_url).rstrip("/")


def _json(document: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(document, status_code=status, headers={**_HEADERS, **(headers or {})})


def _not_found() -> Response:
    return api_errors([api_error("", msg("api.not-found"))], 404, _HEADERS)


def _unavailable(e: RegisterError | None = None) -> Response:
    """503: the register cannot be read, or (saying what failed) it fails its audit or
    keeps places in the status lists without seals."""
    refused = e is not None and (isinstance(e, AuditError) or e.code in _REFUSALS)
    message = e.message if e is not None and refused else msg("api.register-unavailable")
    return api_errors([api_error("", message)], 503, _HEADERS)


_REFUSALS = ("register.audit-failed", "register.status-unsealed")


def _audit(request: Request, reg: Register) -> None:
    """The register's audit (the verification pages' last one while the register is
    unchanged); AuditError when it fails: then nothing is published from it."""
    verifier = getattr(request.app.state, "verifier", None)
    audits = getattr(verifier, "audits", None)
    if isinstance(audits, AuditCache):
        audits.check(reg)
    else:
        audited(reg)


@dataclass(frozen=True)
class CredentialLinks:
    """The links a valid certificate's page offers its holder."""

    download: str
    """The signed credential (``/c/CODE/credential.json``)."""
    linkedin: str
    """LinkedIn's "add to profile" form, filled in with the certificate."""


def credential_links(request: Request, found: Verification) -> CredentialLinks | None:
    """The page's credential links for ``found``, or None: no issuer keys served, or not
    a valid certificate with a status entry (one printed before credentials were)."""
    service: CredentialService | None = getattr(request.app.state, "credentials", None)
    if service is None or found.status != "valid":
        return None
    try:
        with service.open_register() as reg:
            if entry_of(reg, found.number) is None:
                return None
    except RegisterError:
        return None
    base = base_of(request)
    programme = state_of(request).manifest.programmes.get(found.programme)
    title = found.title.en if found.title is not None else found.certificate
    grade = found.grade_name.en if found.grade_name is not None else found.grade
    query = urlencode({
        "startTask": "CERTIFICATION_NAME",
        "name": f"{title} — {grade}",
        "organizationName": programme.society.name.en if programme else "",
        "issueYear": str(found.issued_on.year),
        "issueMonth": str(found.issued_on.month),
        "certUrl": page_url(base, found.code),
        "certId": found.number,
    })
    return CredentialLinks(credential_url(base, found.code), LINKEDIN_ADD + "?" + query)


@router.api_route("/.well-known/did.json", methods=["GET", "HEAD"], include_in_schema=False)
@router.api_route("/did.json", methods=["GET", "HEAD"], include_in_schema=False)
async def did_json(request: Request) -> Response:
    """The issuer's DID document."""
    return _json(did_document(base_of(request), service_of(request).keys))


def _status_list(request: Request, number: int) -> dict[str, Any] | None:
    service, base = service_of(request), base_of(request)
    with service.open_register() as reg:
        _audit(request, reg)
        if number not in lists(reg):
            return None
        return status_list_credential(base, number, set_bits(reg, number), service.keys)


@router.api_route("/status/{number}", methods=["GET", "HEAD"], include_in_schema=False)
async def status_list(request: Request, number: int) -> Response:
    """Status list ``number``, signed: made only from a register that passes its audit,
    from places whose seals hold; 503 saying what failed otherwise."""
    try:
        document = await run_in_threadpool(_status_list, request, number)
    except RegisterError as e:
        return _unavailable(e)
    return _not_found() if document is None else _json(document)


def _credential(request: Request, code: str) -> dict[str, Any] | None:
    service = service_of(request)
    with service.open_register() as reg:
        _audit(request, reg)
        try:
            issued = reg.lookup(code)
        except VerificationError:
            return None
        entry = entry_of(reg, issued.number)
    if issued.status != "valid" or entry is None:
        return None
    return signed_badge(issued, state_of(request).manifest, base_of(request), entry,
                        service.keys, now())


@router.api_route("/c/{code}/credential.json", methods=["GET", "HEAD"], include_in_schema=False)
async def credential_json(request: Request, code: str) -> Response:
    """A valid certificate's Open Badges credential, to download."""
    if normalize_code(code) is None:
        return _not_found()
    limiter = getattr(request.app.state, "verifier", None)
    client = request.client.host if request.client else "unknown"
    wait = limiter.limiter.take(client) if limiter is not None else 0
    if wait:
        return api_errors([api_error("", msg("api.too-many-lookups", seconds=wait))], 429,
                          {**_HEADERS, "Retry-After": str(wait)})
    try:
        document = await run_in_threadpool(_credential, request, code)
    except RegisterError as e:
        return _unavailable(e)
    if document is None:
        return _not_found()
    number = str(document["credentialSubject"]["licenseNumber"])
    return _json(document, headers={
        "Content-Disposition": f'attachment; filename="{number}.credential.json"'})
