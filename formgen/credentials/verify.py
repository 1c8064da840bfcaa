"""Checking a credential (``formgen verify FILE.json``) and a certificate's published
status (``formgen verify FILE.pdf``).

A credential is checked for: its proof (eddsa-rdfc-2022) made with a key its issuer's DID
document lists for assertions (the document fetched from the issuer's ``did:web``
address, or read from a file given), its dates, and its status: the status list it
names is fetched, its own proof checked with the same DID document, and the
credential's bit read. Offline, the status is reported as not checked, never as valid.

A ``did:web`` is fetched over HTTPS; one whose host is this machine (``localhost``,
``127.0.0.1``, ``[::1]``) over HTTP, so that ``formgen serve`` can be tried locally.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Literal
from urllib.error import URLError
from urllib.parse import unquote, urlsplit
from urllib.request import Request, urlopen

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, ConfigDict
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from formgen.certificates.pdfa import read_certificate
from formgen.credentials.did import did_document_url, did_web
from formgen.credentials.keys import public_key_from_multibase
from formgen.credentials.proof import check
from formgen.credentials.status import bit, decode_list, parse_address
from formgen.exceptions import CredentialError
from formgen.messages import Message, msg
from formgen.model.manifest import Term

MAX_FETCH = 2_000_000
"""Bytes at most read from one address."""
TIMEOUT = 10.0
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}

Standing = Literal["valid", "revoked", "unchecked"]


class StatusCheck(BaseModel):
    """What the published status list says of one entry."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    status: Standing
    """``valid`` (bit 0), ``revoked`` (bit 1), or ``unchecked`` (it could not be fetched or
    checked: see ``problem``)."""
    problem: Message | None = None
    """Why it could not be checked."""


class CredentialCheck(BaseModel):
    """What ``formgen verify FILE.json`` found."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    holder: str = ""
    """The holder's name as the credential carries it."""
    achievement: Term = Term(zh="", en="")
    """What was achieved: its ``name`` (English) and ``description`` (Chinese)."""
    number: str = ""
    issuer: Term = Term(zh="", en="")
    """The issuer's name: ``name`` (English) and ``description`` (Chinese)."""
    valid_from: str = ""
    method: str = ""
    """The verification method (key) whose proof holds."""
    problems: list[Message] = []
    """Why it is not genuine or not in force; empty when it is."""
    status: StatusCheck = StatusCheck(status="unchecked")


def fetch_json(url: str) -> Any:
    """The JSON document at ``url``; CredentialError saying why it cannot be had."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise CredentialError(msg("credential.cannot-fetch", url=url, reason=parts.scheme))
    try:
        with urlopen(Request(url, headers={"Accept": "application/json"}), timeout=TIMEOUT) as r:
            data = r.read(MAX_FETCH + 1)
    except (URLError, OSError, ValueError) as e:
        raise CredentialError(msg("credential.cannot-fetch", url=url,
                                  reason=str(getattr(e, "reason", e)))) from e
    if len(data) > MAX_FETCH:
        raise CredentialError(msg("credential.cannot-fetch", url=url, reason="too large"))
    try:
        return json.loads(data)
    except ValueError as e:
        raise CredentialError(msg("credential.not-json", file=url)) from e


def did_web_url(did: str) -> str:
    """Where the document of ``did:web:…`` is fetched; CredentialError for another DID."""
    if not did.startswith("did:web:"):
        raise CredentialError(msg("credential.not-did-web", did=did))
    host, *path = (unquote(p) for p in did[len("did:web:"):].split(":"))
    hostname = urlsplit(f"//{host}").hostname or ""
    scheme = "http" if hostname in _LOOPBACK else "https"
    return did_document_url(f"{scheme}://{host}" + "".join("/" + p for p in path))


def read_json(path: Path) -> Any:
    """The JSON in the file ``path``; CredentialError when it cannot be read or parsed."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise CredentialError(msg("credential.unreadable", file=str(path),
                                  reason=str(e.strerror or e))) from e
    except ValueError as e:
        raise CredentialError(msg("credential.not-json", file=str(path))) from e


def key_finder(did: str, document: Any) -> Any:
    """The function giving the key of a verification method of ``did`` listed for
    assertions in its DID ``document`` (None for any other method)."""
    if not isinstance(document, dict) or document.get("id") != did:
        raise CredentialError(msg("credential.did-mismatch", did=did))
    methods = {m.get("id"): m for m in document.get("verificationMethod", []) if isinstance(m, dict)}
    allowed = set(document.get("assertionMethod", []))

    def find(method: str) -> Ed25519PublicKey | None:
        found = methods.get(method)
        if found is None or method not in allowed or found.get("controller") != did:
            return None
        return public_key_from_multibase(str(found.get("publicKeyMultibase", "")))

    return find


def _issuer_id(document: dict[str, Any]) -> str:
    issuer = document.get("issuer")
    return str(issuer.get("id", "") if isinstance(issuer, dict) else issuer or "")


def status_of(list_url: str, index: int, did: str | None, did_doc: Any | None) -> StatusCheck:
    """The bit of entry ``index`` in the status list at ``list_url``, fetched now; the
    list's proof is checked with the issuer's DID document (fetched when not given)."""
    try:
        status_list = fetch_json(list_url)
        if not isinstance(status_list, dict):
            raise CredentialError(msg("credential.bad-status-list"))
        issuer = _issuer_id(status_list)
        if did is not None and issuer != did:
            raise CredentialError(msg("credential.status-other-issuer", issuer=issuer))
        document = did_doc if did_doc is not None else fetch_json(did_web_url(issuer))
        check(status_list, key_finder(issuer, document))
        subject = status_list.get("credentialSubject") or {}
        bits = decode_list(str(subject.get("encodedList", "")))
        revoked = bit(bits, index)
    except CredentialError as e:
        return StatusCheck(status="unchecked", problem=e.message)
    return StatusCheck(status="revoked" if revoked else "valid")


def verify_credential(path: Path, did_document_file: Path | None = None,
                      when: dt.datetime | None = None) -> CredentialCheck:
    """Check the credential in ``path``; CredentialError when it is not a credential."""
    document = read_json(path)
    if not isinstance(document, dict) or "VerifiableCredential" not in document.get("type", []):
        raise CredentialError(msg("credential.not-credential", file=str(path)))
    subject = document.get("credentialSubject") or {}
    achievement = subject.get("achievement") or {}
    names = [i.get("identityHash", "") for i in subject.get("identifier", [])
             if isinstance(i, dict) and i.get("identityType") == "name"]
    issuer = document.get("issuer")
    found = CredentialCheck(
        holder=str(names[0]) if names else "", achievement=_both(achievement),
        number=str(subject.get("licenseNumber", "")),
        issuer=_both(issuer if isinstance(issuer, dict) else {}),
        valid_from=str(document.get("validFrom", "")),
    )
    did = _issuer_id(document)
    if did_document_file is not None:
        did_doc = read_json(did_document_file)
    else:
        try:
            did_doc = fetch_json(did_web_url(did))
        except CredentialError as e:
            raise CredentialError(msg("credential.did-unavailable", reason=e.message)) from e
    try:
        found.method = check(document, key_finder(did, did_doc))
    except CredentialError as e:
        found.problems.append(e.message)
        return found
    found.problems.extend(_date_problems(document, when or dt.datetime.now(dt.UTC)))
    entry = document.get("credentialStatus")
    if isinstance(entry, dict):
        index = str(entry.get("statusListIndex", ""))
        found.status = (status_of(str(entry.get("statusListCredential", "")), int(index), did,
                                  did_doc) if index.isdigit() else
                        StatusCheck(status="unchecked", problem=msg("credential.bad-status-list")))
    return found


def _both(described: dict[str, Any]) -> Term:
    """A name in English (``name``) and Chinese (``description``, when there is one)."""
    name = str(described.get("name", ""))
    return Term(en=name, zh=str(described.get("description") or name))


def _date_problems(document: dict[str, Any], when: dt.datetime) -> list[Message]:
    problems: list[Message] = []
    for key, late in (("validFrom", False), ("validUntil", True)):
        text = document.get(key)
        if text is None:
            continue
        try:
            moment = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.UTC)
        except ValueError:
            problems.append(msg("credential.bad-date", field=key, value=str(text)))
            continue
        if late and moment < when:
            problems.append(msg("credential.expired", date=moment.date()))
        if not late and moment > when:
            problems.append(msg("credential.not-yet-valid", date=moment.date()))
    return problems


def pdf_status(path: Path) -> StatusCheck:
    """The published status of the certificate PDF ``path``, fetched now from where its
    metadata says (``BASE/status/N#INDEX``); the list must be signed by BASE's did:web."""
    try:
        address = read_certificate(PdfReader(path)).get("status", "")
    except (OSError, PyPdfError) as e:
        return StatusCheck(status="unchecked", problem=msg(
            "credential.unreadable", file=str(path), reason=str(getattr(e, "strerror", None) or e)))
    parsed = parse_address(address)
    if parsed is None:
        return StatusCheck(status="unchecked", problem=msg("credential.pdf-no-status"))
    url, index = parsed
    return status_of(url, index, did_web(url.rsplit("/status/", 1)[0]), None)
