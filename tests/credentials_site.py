"""A register with certificates, the issuer's keys, their status entries and credentials,
made through the library as a certificate run makes them (shared by the credential tests)."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from pathlib import Path

from conftest import MANIFEST_FILE

from formgen.certificates.numbers import Issued, IssueRequest
from formgen.certificates.register import Register
from formgen.credentials.badge import credential_path, signed_badge, write_did_document, write_json
from formgen.credentials.keys import IssuerKeys, add_issuer_key, load_issuer_keys
from formgen.credentials.status import StatusEntry, allocate
from formgen.model.manifest import load_manifest

SCHEMA = Path(__file__).parent / "data" / "credentials" / "ob_v3p0_achievementcredential_schema.json"
"""1EdTech's Open Badges 3.0 JSON schema of an AchievementCredential (OpenBadgeCredential)."""
DAY = datetime.date(2026, 3, 14)
SIGNED = datetime.datetime(2026, 3, 14, 9, 30, tzinfo=datetime.UTC)


def schema_errors(document: object) -> list[str]:
    """Where ``document`` breaks the Open Badges 3.0 JSON schema (none: it meets it)."""
    import jsonschema

    schema = json.loads(SCHEMA.read_text("utf-8"))
    validator = jsonschema.Draft201909Validator(
        schema, format_checker=jsonschema.Draft201909Validator.FORMAT_CHECKER)
    return [e.message for e in validator.iter_errors(document)]


def req(applicant_id: str, name: str, grade: str = "IEng") -> IssueRequest:
    return IssueRequest(applicant_id, name, "csee_iet_joint", "csee-iet", grade, "CSEE-IET", DAY)


def req_replacing(old: Issued) -> IssueRequest:
    """The request that reissues ``old`` (its holder's details corrected)."""
    return IssueRequest(old.applicant_id, old.name + " Jr", old.certificate, old.programme,
                        old.grade, "CSEE-IET", DAY, old.number)


@dataclass
class Issuing:
    """A register, its issuer keys, and a credential per certificate in ``out``."""

    register: Path
    keys: IssuerKeys
    base: str
    certificates: list[Issued]
    entries: dict[str, StatusEntry]
    credentials: list[Path]
    did_json: Path

    def credential(self, i: int) -> dict[str, object]:
        found: dict[str, object] = json.loads(self.credentials[i].read_text("utf-8"))
        return found


def make_issuing(folder: Path, base: str) -> Issuing:
    """Two valid certificates with credentials signed for ``base``."""
    register = folder / "register.sqlite"
    with Register.create(register) as reg:
        issued = reg.issue([req("CSEE-2026-0007", "李晓明 / LI Xiaoming"),
                            req("CSEE-2026-0012", "王静怡 / WANG Jingyi", "CEng")], on=DAY)
        reg.confirm([i.number for i in issued], on=DAY)
        entries = allocate(reg, [i.number for i in issued])
        issued = [reg.lookup(i.number) for i in issued]
    add_issuer_key(register)
    keys = load_issuer_keys(register)
    return signed_for(Issuing(register, keys, base, issued, entries, [], folder / "out"), base)


def signed_for(issuing: Issuing, base: str) -> Issuing:
    """The credentials signed (again) for the verification address ``base``."""
    manifest = load_manifest(MANIFEST_FILE)
    out = issuing.register.parent / "out"
    credentials = []
    for i in issuing.certificates:
        badge = signed_badge(i, manifest, base, issuing.entries[i.number], issuing.keys, SIGNED)
        pdf = out / i.applicant_id / "csee_iet_joint.pdf"
        pdf.parent.mkdir(parents=True, exist_ok=True)
        credentials.append(write_json(credential_path(pdf), badge))
    did_json = write_did_document(out, base, issuing.keys)
    return Issuing(issuing.register, issuing.keys, base, issuing.certificates, issuing.entries,
                   credentials, did_json)
