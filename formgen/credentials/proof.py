"""Data Integrity proofs with the ``eddsa-rdfc-2022`` cryptosuite.

The document and the proof's options are each canonicalised as RDF (RDFC-1.0, by
``pyld``), hashed with SHA-256, and the two hashes (proof options first) signed with
Ed25519 (``cryptography``); the signature is written in multibase base58btc. JSON-LD
contexts come only from :mod:`formgen.credentials.contexts`: nothing is fetched.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from collections.abc import Callable
from importlib import resources
from typing import Any

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pyld import jsonld

from formgen.exceptions import CredentialError
from formgen.messages import msg

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CRYPTOSUITE = "eddsa-rdfc-2022"
_FILES = {VC_V2: "credentials-v2.jsonld", OB_V3: "ob-context-3.0.3.json"}
_loaded: dict[str, Any] = {}


def context(url: str) -> Any:
    """The JSON-LD context at ``url``, from the copy kept in formgen."""
    if url not in _loaded:
        name = _FILES.get(url)
        if name is None:
            raise CredentialError(msg("credential.unknown-context", url=url))
        text = resources.files("formgen.credentials").joinpath("contexts").joinpath(name).read_text("utf-8")
        _loaded[url] = json.loads(text)
    return _loaded[url]


def document_loader(url: str, options: Any = None) -> dict[str, Any]:
    """pyld's document loader: the contexts formgen keeps, never the network."""
    return {"contextUrl": None, "documentUrl": url, "document": context(url)}


def canonical(document: dict[str, Any]) -> bytes:
    """``document`` as canonical N-Quads (RDFC-1.0)."""
    try:
        text = jsonld.normalize(document, {
            "algorithm": "URDNA2015", "format": "application/n-quads",
            "documentLoader": document_loader,
        })
    except jsonld.JsonLdError as e:
        cause: BaseException | None = e
        while cause is not None:
            if isinstance(cause, CredentialError):
                raise cause from e
            cause = cause.__cause__
        raise CredentialError(msg("credential.not-json-ld", detail=str(e))) from e
    return str(text).encode("utf-8")


def _hash(document: dict[str, Any], options: dict[str, Any]) -> bytes:
    """SHA-256 of the proof options (with the document's context), then of the document."""
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    config = json.dumps({"@context": document.get("@context"), **options}, sort_keys=True)
    return _config_hash(config) + hashlib.sha256(canonical(unsigned)).digest()


@functools.lru_cache(maxsize=64)
def _config_hash(config: str) -> bytes:
    """The proof options' hash: the same for every credential of one run (one key, one
    moment), so canonicalised once."""
    return hashlib.sha256(canonical(json.loads(config))).digest()


def sign(document: dict[str, Any], key: Ed25519PrivateKey, method: str,
         created: str) -> dict[str, Any]:
    """``document`` with a ``DataIntegrityProof`` (eddsa-rdfc-2022, assertionMethod), as
    a list of one proof (as the Open Badges 3.0 schema asks)."""
    options = {
        "type": "DataIntegrityProof", "cryptosuite": CRYPTOSUITE, "created": created,
        "verificationMethod": method, "proofPurpose": "assertionMethod",
    }
    signature = key.sign(_hash(document, options))
    proof = {**options, "proofValue": "z" + base58.b58encode(signature).decode("ascii")}
    signed = copy.deepcopy(document)
    signed["proof"] = [proof]
    return signed


def check(document: dict[str, Any],
          public_key: Callable[[str], Ed25519PublicKey | None]) -> str:
    """The verification method whose key made the proof of ``document``;
    CredentialError saying what is wrong otherwise. ``public_key`` finds the key of a
    method id (None: not the issuer's)."""
    proofs = document.get("proof")
    proofs = proofs if isinstance(proofs, list) else [proofs]
    ours = [p for p in proofs if isinstance(p, dict) and p.get("cryptosuite") == CRYPTOSUITE]
    proof = ours[0] if ours else next((p for p in proofs if isinstance(p, dict)), None)
    if proof is None:
        raise CredentialError(msg("credential.no-proof"))
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    if proof.get("type") != "DataIntegrityProof" or proof.get("cryptosuite") != CRYPTOSUITE:
        raise CredentialError(msg("credential.other-proof", kind=str(proof.get("cryptosuite")
                                                                      or proof.get("type"))))
    if proof.get("proofPurpose") != "assertionMethod":
        raise CredentialError(msg("credential.bad-proof"))
    method = str(proof.get("verificationMethod", ""))
    key = public_key(method)
    if key is None:
        raise CredentialError(msg("credential.unknown-key", method=method))
    value = str(proof.get("proofValue", ""))
    try:
        signature = base58.b58decode(value[1:]) if value.startswith("z") else b""
        key.verify(signature, _hash(document, options))
    except (InvalidSignature, ValueError):
        raise CredentialError(msg("credential.bad-proof")) from None
    return method
