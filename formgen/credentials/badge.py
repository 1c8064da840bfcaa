"""A certificate as an Open Badges 3.0 ``OpenBadgeCredential`` (a W3C Verifiable
Credential 2.0), carrying what the paper carries, signed with the issuer's newest key.

- the holder's name as printed on the certificate (an ``IdentityObject`` of type
  ``name``: Open Badges has no other place for a name without an account);
- the achievement: the certificate's title and the holder's grade in the programme's own
  words, in English (``name``) and Chinese (``description``), the programme's title in
  both in the criteria;
- the certificate number (``licenseNumber``) and its verification page (``url``);
- the date of issue (``validFrom``), the issuer (the programme's society, as named in the
  manifest, as a ``did:web``);
- ``credentialStatus``: the certificate's entry in the status list.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Protocol

from formgen.clock import utc_stamp
from formgen.credentials.did import did_document, did_web, method_id
from formgen.credentials.keys import IssuerKeys
from formgen.credentials.proof import OB_V3, VC_V2, sign
from formgen.credentials.status import StatusEntry
from formgen.exceptions import OutputError
from formgen.model.manifest import Manifest, Term
from formgen.paths import cannot_write, write_atomic

SUFFIX = ".credential.json"
"""A certificate's credential is its PDF's name with this suffix instead of ``.pdf``."""


class Certified(Protocol):
    """What a credential needs of a certificate in the register."""

    @property
    def number(self) -> str: ...
    @property
    def short_code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def certificate(self) -> str: ...
    @property
    def programme(self) -> str: ...
    @property
    def grade(self) -> str: ...
    @property
    def issued_on(self) -> dt.date: ...


def page_url(base: str, code: str) -> str:
    """The certificate's verification page (what its QR code holds)."""
    return f"{base.rstrip('/')}/c/{code.replace('-', '')}"


def credential_url(base: str, code: str) -> str:
    """Where ``formgen serve`` offers the credential for download; also its id."""
    return page_url(base, code) + "/credential.json"


def _both(term: Term | None, fallback: str) -> tuple[str, str]:
    return (term.en, term.zh) if term is not None else (fallback, fallback)


def open_badge(cert: Certified, manifest: Manifest, base: str,
               status: StatusEntry) -> dict[str, Any]:
    """The unsigned credential of ``cert``."""
    base = base.rstrip("/")
    did = did_web(base)
    programme = manifest.programmes[cert.programme]
    doc = manifest.documents[cert.certificate]
    grade_en, grade_zh = _both({str(k): v for k, v in programme.grades.items()}.get(cert.grade), cert.grade)
    society = programme.society
    name_en = f"{doc.title.en} — {grade_en}"
    name_zh = f"{doc.title.zh}（{grade_zh}）"
    criteria = (f"{programme.title.en}: {doc.title.en}, {grade_en}. "
                f"{programme.title.zh}：{doc.title.zh}，{grade_zh}。")
    return {
        "@context": [VC_V2, OB_V3],
        "id": credential_url(base, cert.short_code),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": name_en,
        "description": name_zh,
        "url": page_url(base, cert.short_code),
        "issuer": {
            "id": did,
            "type": ["Profile"],
            "name": society.name.en,
            "description": society.name.zh,
            "url": base,
        },
        "validFrom": f"{cert.issued_on.isoformat()}T00:00:00Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [{
                "type": "IdentityObject",
                "identityHash": cert.name,
                "identityType": "name",
                "hashed": False,
            }],
            "licenseNumber": cert.number,
            "achievement": {
                "id": f"{base}/achievements/{cert.programme}/{cert.certificate}/{cert.grade}",
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": name_en,
                "description": name_zh,
                "specialization": f"{grade_en} / {grade_zh}",
                "criteria": {"narrative": criteria},
                "creator": {
                    "id": did,
                    "type": ["Profile"],
                    "name": society.name.en,
                    "description": society.name.zh,
                },
            },
        },
        "credentialStatus": status.credential_status(base),
    }


def signed_badge(cert: Certified, manifest: Manifest, base: str, status: StatusEntry,
                 keys: IssuerKeys, now: dt.datetime) -> dict[str, Any]:
    """The credential of ``cert`` signed with the issuer's newest key."""
    key = keys.current
    did = did_web(base.rstrip("/"))
    return sign(open_badge(cert, manifest, base, status), key.private,
                method_id(did, key.multibase), utc_stamp(now))


def as_bytes(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def credential_path(pdf: Path) -> Path:
    """``…/ecuk_registration.pdf`` → ``…/ecuk_registration.credential.json``."""
    return pdf.with_name(pdf.stem + SUFFIX)


def write_json(target: Path, document: dict[str, Any]) -> Path:
    """Write ``document`` (through a temporary file); OutputError when it cannot be."""
    try:
        write_atomic(target, as_bytes(document))
    except OSError as e:
        raise OutputError(cannot_write(e, target)) from e
    return target


def write_did_document(out: Path, base: str, keys: IssuerKeys) -> Path:
    """``OUT/did.json``: the issuer's DID document, to publish or to verify offline with."""
    return write_json(out / "did.json", did_document(base.rstrip("/"), keys))
