"""The issuer as a ``did:web`` and its DID document.

The DID comes from the verification address: ``https://verify.example.org`` is
``did:web:verify.example.org``, whose document is served at
``https://verify.example.org/.well-known/did.json``; ``https://example.org/certs`` is
``did:web:example.org:certs``, served at ``https://example.org/certs/did.json``. Every
issuer key is listed (as a Multikey, its id the DID and the key's multibase), so a
credential signed with an older key keeps verifying after a new one is added.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from formgen.credentials.keys import IssuerKeys

DID_CONTEXTS = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]
WELL_KNOWN = "/.well-known/did.json"


def did_web(base: str) -> str:
    """The ``did:web`` of the verification address ``base`` (``https://host[:port]/path``)."""
    parts = urlsplit(base)
    host = quote(parts.netloc, safe="")  # a port's colon is written %3A
    path = [quote(p, safe="") for p in parts.path.split("/") if p]
    return ":".join(["did:web", host, *path])


def did_document_url(base: str) -> str:
    """Where the DID document of ``did_web(base)`` is fetched from."""
    base = base.rstrip("/")
    return base + ("/did.json" if urlsplit(base).path.strip("/") else WELL_KNOWN)


def method_id(did: str, multibase: str) -> str:
    """The verification method id of one key: ``did:web:…#z6Mk…``."""
    return f"{did}#{multibase}"


def did_document(base: str, keys: IssuerKeys) -> dict[str, Any]:
    """The DID document listing every issuer key (oldest first) for assertions."""
    did = did_web(base)
    methods = [{
        "id": method_id(did, k.multibase),
        "type": "Multikey",
        "controller": did,
        "publicKeyMultibase": k.multibase,
    } for k in keys.keys]
    ids = [m["id"] for m in methods]
    return {
        "@context": DID_CONTEXTS,
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": ids,
        "authentication": ids,
    }
