"""Digital credentials: the issuer's keys, did:web, the status lists, `formgen verify
FILE.json` offline and online against a real `formgen serve` app, and revocation."""

from __future__ import annotations

import base64
import gzip
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import MANIFEST_FILE, Live, cli
from credentials_site import Issuing, make_issuing, req_replacing, schema_errors, signed_for
from fastapi.testclient import TestClient

from formgen.certificates.keys import KEY_ENV
from formgen.certificates.register import Register
from formgen.credentials.did import did_document_url, did_web
from formgen.credentials.keys import ISSUER_KEYS_ENV, load_issuer_keys
from formgen.credentials.status import LIST_SIZE, allocate, bit, decode_list, encode_list
from formgen.settings import Paths
from formgen.web import create_app, web_settings

SECRET = "credentials-test-secret-0123456789"


@pytest.fixture(autouse=True)
def _no_keys_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.delenv(ISSUER_KEYS_ENV, raising=False)


def app_for(register: Path) -> object:
    return create_app(web_settings(MANIFEST_FILE, paths=Paths(register=register)),
                      secret=SECRET, converter=object())


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[Live, Issuing]]:
    """`formgen serve --register` on 127.0.0.1, and credentials issued for its address."""
    issuing = make_issuing(tmp_path, "https://verify.example.org")
    with Live(app_for(issuing.register)) as live:
        yield live, signed_for(issuing, live.url)


# ----------------------------------------------------------------------------- keys


def test_register_init_makes_the_issuer_key_apart_and_private(tmp_path: Path) -> None:
    path = tmp_path / "reg.sqlite"
    result = cli("register", "init", path)
    assert result.exit_code == 0, result.output
    keys = tmp_path / "reg.issuer-keys.json"
    assert f"made the issuer key that signs digital credentials in {keys}" in result.output
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600
    assert len(load_issuer_keys(path).keys) == 1


def test_issuer_key_rotation_keeps_old_credentials_verifying(tmp_path: Path) -> None:
    issuing = make_issuing(tmp_path, "https://verify.example.org")
    first = issuing.keys.current.multibase
    result = cli("register", "issuer-key", issuing.register)
    assert result.exit_code == 0, result.output
    assert "(2 keys now)" in result.output
    keys = load_issuer_keys(issuing.register)
    assert keys.keys[0].multibase == first and keys.current.multibase != first
    # the DID document the site publishes now lists both keys
    client = TestClient(app_for(issuing.register))  # type: ignore[arg-type]
    did = client.get("/.well-known/did.json", headers={"host": "verify.example.org"}).json()
    listed = [m["publicKeyMultibase"] for m in did["verificationMethod"]]
    assert listed == [first, keys.current.multibase]
    did_file = tmp_path / "did-now.json"
    did_file.write_text(json.dumps(did), "utf-8")
    result = cli("verify", issuing.credentials[0], "--did-document", did_file)
    assert result.exit_code == 0, result.output
    assert "Genuine credential: certificate CSEE-IET-2026-000001" in result.output


def test_issuer_keys_others_can_read_are_refused(tmp_path: Path) -> None:
    issuing = make_issuing(tmp_path, "https://verify.example.org")
    keys = tmp_path / "register.issuer-keys.json"
    os.chmod(keys, 0o644)
    result = cli("register", "issuer-key", issuing.register)
    assert result.exit_code == 1
    assert (f"the issuer key file {keys} can be read by other users (permissions 0644); "
            f"make it private: chmod 600 {keys}") in result.output


def test_issuer_keys_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    issuing = make_issuing(tmp_path, "https://verify.example.org")
    keys_file = tmp_path / "register.issuer-keys.json"
    monkeypatch.setenv(ISSUER_KEYS_ENV, keys_file.read_text("utf-8"))
    keys_file.unlink()
    assert load_issuer_keys(issuing.register).current.multibase == issuing.keys.current.multibase
    result = cli("register", "issuer-key", issuing.register)
    assert result.exit_code == 1
    assert ("the issuer keys come from the environment variable FORMGEN_ISSUER_KEYS, which "
            "formgen cannot change: name a key file with --issuer-keys") in result.output
    monkeypatch.setenv(ISSUER_KEYS_ENV, "{}")
    result = cli("register", "issuer-key", issuing.register, "--issuer-keys", keys_file)
    assert result.exit_code == 0 and "made the issuer key" in result.output
    result = cli("verify", issuing.credentials[0], "--did-document", issuing.did_json)
    assert result.exit_code == 0


def test_certificates_with_credentials_need_the_issuer_keys(tmp_path: Path) -> None:
    register = tmp_path / "reg.sqlite"
    Register.create(register).close()
    data = tmp_path / "none.yaml"
    data.write_text("[]\n", "utf-8")
    result = cli("certificates", data, "--out", tmp_path / "out", "--register", register,
                 "--credentials", "--manifest", MANIFEST_FILE)
    assert result.exit_code == 1
    assert (f"no issuer keys for the register {register}: "
            f"{tmp_path / 'reg.issuer-keys.json'} does not exist. Make them with formgen "
            "register issuer-key") in result.output
    assert not (tmp_path / "out").exists()


# ----------------------------------------------------------------------------- did:web


@pytest.mark.parametrize(("base", "did", "url"), [
    ("https://verify.example.org", "did:web:verify.example.org",
     "https://verify.example.org/.well-known/did.json"),
    ("https://example.org/certs/", "did:web:example.org:certs", "https://example.org/certs/did.json"),
    ("http://127.0.0.1:8000", "did:web:127.0.0.1%3A8000", "http://127.0.0.1:8000/.well-known/did.json"),
])
def test_did_web_from_the_verification_address(base: str, did: str, url: str) -> None:
    assert did_web(base) == did
    assert did_document_url(base) == url


# ----------------------------------------------------------------------------- status lists


def test_the_status_list_is_a_w3c_bitstring() -> None:
    encoded = encode_list([0, 9, LIST_SIZE - 1])
    assert encoded.startswith("u") and "=" not in encoded
    text = encoded[1:]
    raw = gzip.decompress(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    assert len(raw) * 8 == LIST_SIZE == 131_072
    assert raw[0] == 0b1000_0000 and raw[1] == 0b0100_0000 and raw[-1] == 0b0000_0001
    bits = decode_list(encoded)
    assert [i for i in (0, 1, 8, 9, LIST_SIZE - 1) if bit(bits, i)] == [0, 9, LIST_SIZE - 1]


def test_each_certificate_has_its_own_place(tmp_path: Path) -> None:
    issuing = make_issuing(tmp_path, "https://verify.example.org")
    entries = list(issuing.entries.values())
    assert len({(e.list, e.index) for e in entries}) == 2
    status = issuing.credential(0)["credentialStatus"]
    entry = issuing.entries[issuing.certificates[0].number]
    assert status == {
        "id": f"https://verify.example.org/status/1#{entry.index}",
        "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
        "statusListIndex": str(entry.index),
        "statusListCredential": "https://verify.example.org/status/1",
    }


def test_revoking_flips_the_bit_and_the_list_is_signed_again(tmp_path: Path) -> None:
    issuing = make_issuing(tmp_path, "https://verify.example.org")
    client = TestClient(app_for(issuing.register))  # type: ignore[arg-type]
    host = {"host": "verify.example.org"}
    first = client.get("/status/1", headers=host)
    assert first.status_code == 200
    subject = first.json()["credentialSubject"]
    assert subject["type"] == "BitstringStatusList" and subject["statusPurpose"] == "revocation"
    revoked, kept = issuing.certificates
    index = issuing.entries[revoked.number].index
    assert not bit(decode_list(subject["encodedList"]), index)
    result = cli("revoke", revoked.number, "--reason", "withdrawn", "--register", issuing.register)
    assert result.exit_code == 0, result.output
    after = client.get("/status/1", headers=host).json()
    bits = decode_list(after["credentialSubject"]["encodedList"])
    assert bit(bits, index) and not bit(bits, issuing.entries[kept.number].index)
    assert after["proof"][0]["proofValue"] != first.json()["proof"][0]["proofValue"]
    assert client.get("/status/2", headers=host).status_code == 404
    # reissued: the superseded certificate's bit is set too, the new one's is not
    with Register(issuing.register) as reg:
        (new,) = reg.issue([req_replacing(kept)])
        reg.confirm([new.number])
        new_index = allocate(reg, [new.number])[new.number].index
    bits = decode_list(client.get("/status/1", headers=host).json()["credentialSubject"]["encodedList"])
    assert bit(bits, issuing.entries[kept.number].index) and not bit(bits, new_index)


def test_the_site_offers_each_valid_certificates_credential(tmp_path: Path) -> None:
    issuing = make_issuing(tmp_path, "https://verify.example.org")
    client = TestClient(app_for(issuing.register))  # type: ignore[arg-type]
    valid = issuing.certificates[0]
    code = valid.short_code.replace("-", "")
    answer = client.get(f"/c/{code}/credential.json", headers={"host": "verify.example.org"})
    assert answer.status_code == 200
    assert f'filename="{valid.number}.credential.json"' in answer.headers["content-disposition"]
    badge = answer.json()
    assert badge["credentialSubject"]["licenseNumber"] == valid.number
    head = client.head(f"/c/{code}/credential.json", headers={"host": "verify.example.org"})
    assert head.status_code == 200 and head.content == b""
    assert badge["issuer"]["id"] == "did:web:verify.example.org"
    assert client.get("/c/0000000000/credential.json").status_code == 404


def test_the_certificate_page_links_to_the_credential_and_to_linkedin(tmp_path: Path) -> None:
    from html import unescape
    from urllib.parse import parse_qs, urlsplit

    issuing = make_issuing(tmp_path, "https://verify.example.org")
    client = TestClient(app_for(issuing.register), base_url="https://verify.example.org")  # type: ignore[arg-type]
    valid, revoked = issuing.certificates
    code = valid.short_code.replace("-", "")
    html = unescape(client.get(f"/c/{code}?lang=en").text)
    assert (f'<a href="https://verify.example.org/c/{code}/credential.json" download>'
            "Download the digital credential</a>") in html
    linkedin = html.split('<a href="https://www.linkedin.com/profile/add?', 1)[1].split('"', 1)[0]
    assert parse_qs(linkedin) == {
        "startTask": ["CERTIFICATION_NAME"],
        "name": ["CSEE–IET joint certificate — Incorporated Engineer"],
        "organizationName": ["Chinese Society for Electrical Engineering"],
        "issueYear": ["2026"], "issueMonth": ["3"],
        "certUrl": [f"https://verify.example.org/c/{code}"],
        "certId": [valid.number],
    }
    assert urlsplit(parse_qs(linkedin)["certUrl"][0]).path == f"/c/{code}"
    assert "添加到领英（LinkedIn）个人资料" in client.get(f"/c/{code}?lang=zh").text
    assert cli("revoke", revoked.number, "--reason", "withdrawn",
               "--register", issuing.register).exit_code == 0
    other = client.get("/c/" + revoked.short_code.replace("-", "") + "?lang=en").text
    assert "Revoked" in other and "credential.json" not in other and "linkedin" not in other


# ----------------------------------------------------------------------------- formgen verify


def test_verify_offline_checks_the_proof_and_says_status_was_not_checked(tmp_path: Path) -> None:
    issuing = make_issuing(tmp_path, "http://127.0.0.1:9")  # nothing listens there
    result = cli("verify", issuing.credentials[0], "--did-document", issuing.did_json)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Genuine credential: certificate CSEE-IET-2026-000001, signed with "
                               "did:web:127.0.0.1%3A9#z6Mk")
    assert lines[1] == ("Issued to 李晓明 / LI Xiaoming: CSEE–IET joint certificate — Incorporated "
                        "Engineer, by Chinese Society for Electrical Engineering on 2026-03-14")
    assert lines[2].startswith("Status: could not be checked: could not fetch "
                               "http://127.0.0.1:9/status/1")


def test_an_altered_credential_is_not_genuine(tmp_path: Path) -> None:
    issuing = make_issuing(tmp_path, "https://verify.example.org")
    text = issuing.credentials[0].read_text("utf-8")
    issuing.credentials[0].write_text(text.replace("LI Xiaoming", "LI Xiaomimg"), "utf-8")
    result = cli("verify", issuing.credentials[0], "--did-document", issuing.did_json)
    assert result.exit_code == 1
    assert ("Not genuine: its signature does not match its contents: the credential was altered, "
            "or not signed by this key") in result.output


def test_a_credential_of_another_issuer_is_not_genuine(tmp_path: Path) -> None:
    ours = make_issuing(tmp_path / "a", "https://verify.example.org")
    theirs = make_issuing(tmp_path / "b", "https://verify.example.org")
    result = cli("verify", ours.credentials[0], "--did-document", theirs.did_json)
    assert result.exit_code == 1
    method = ours.credential(0)["proof"][0]["verificationMethod"]  # type: ignore[index]
    assert (f"Not genuine: it was signed with {method}, which the issuer's DID document does not "
            "list for credentials") in result.output


def test_verify_refuses_what_is_not_a_credential(tmp_path: Path) -> None:
    other = tmp_path / "x.json"
    other.write_text('{"type": ["Something"]}', "utf-8")
    result = cli("verify", other)
    assert result.exit_code == 1 and f"{other} is not a verifiable credential" in result.output
    broken = tmp_path / "y.json"
    broken.write_text("{", "utf-8")
    result = cli("verify", broken)
    assert result.exit_code == 1 and f"{broken} is not JSON" in result.output


def test_verify_online_fetches_the_did_document_and_the_status(
        live: tuple[Live, Issuing]) -> None:
    _, issuing = live
    result = cli("verify", issuing.credentials[0])
    assert result.exit_code == 0, result.output
    assert "Status: not revoked, according to the issuer's published status list" in result.output
    number = issuing.certificates[0].number
    assert cli("revoke", number, "--reason", "withdrawn",
               "--register", issuing.register).exit_code == 0
    result = cli("verify", issuing.credentials[0])
    assert result.exit_code == 1
    assert "Status: REVOKED according to the issuer's published status list" in result.output
    result = cli("verify", issuing.credentials[1])
    assert result.exit_code == 0 and "Status: not revoked" in result.output



# ----------------------------------------------------------------------------- a real run


@pytest.mark.needs_office
@pytest.mark.slow
def test_certificates_with_credentials_and_the_pdfs_published_status(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml
    from conftest import SAMPLES_FILE, TODAY
    from pypdf import PdfReader

    from formgen.certificates.pdfa import read_certificate

    monkeypatch.setenv("FORMGEN_TODAY", TODAY)
    register = tmp_path / "register.sqlite"
    assert cli("register", "init", register).exit_code == 0
    people = yaml.safe_load(SAMPLES_FILE.read_text(encoding="utf-8"))
    data = tmp_path / "li.yaml"
    data.write_text(yaml.safe_dump(people[:1], allow_unicode=True), "utf-8")
    app = app_for(register)
    with Live(app) as live:
        out = tmp_path / "out"
        result = cli("certificates", data, "--out", out, "--register", register,
                     "--verify-url", live.url, "--credentials", "--manifest", MANIFEST_FILE)
        assert result.exit_code == 0, result.output
        assert (f"wrote 3 digital credential(s) (Open Badges 3.0) beside the PDFs, and the "
                f"issuer's DID document {out / 'did.json'}") in result.output
        pdfs = sorted((out / "CSEE-2026-0007").glob("*.pdf"))
        assert [p.name for p in pdfs] == ["csee_competence.pdf", "csee_iet_joint.pdf",
                                          "ecuk_registration.pdf"]
        for pdf in pdfs:
            credential = json.loads(pdf.with_name(pdf.stem + ".credential.json").read_text("utf-8"))
            printed = read_certificate(PdfReader(pdf))
            assert printed["status"] == credential["credentialStatus"]["id"]
            assert printed["status"].startswith(live.url + "/status/1#")
            assert credential["credentialSubject"]["licenseNumber"] == printed["number"]
            assert credential["credentialSubject"]["identifier"][0]["identityHash"] == printed["holder"]
            assert schema_errors(credential) == []
        joint = out / "CSEE-2026-0007" / "csee_iet_joint.pdf"
        result = cli("verify", joint, "--register", register)
        assert "Status: not revoked, according to the issuer's published status list" in result.output
        number = read_certificate(PdfReader(joint))["number"]
        assert cli("revoke", number, "--reason", "withdrawn", "--register", register).exit_code == 0
        result = cli("verify", joint, "--register", register)
        assert result.exit_code == 1
        assert "Status: REVOKED according to the issuer's published status list" in result.output
        result = cli("verify", joint.with_name("csee_iet_joint.credential.json"))
        assert result.exit_code == 1 and "Status: REVOKED" in result.output
        # reissued with corrected details: a new credential; the old one's status flips
        ecuk_pdf = out / "CSEE-2026-0007" / "ecuk_registration.pdf"
        old_number = read_certificate(PdfReader(ecuk_pdf))["number"]
        people[0]["name"]["en"] = "LI Xiao-Ming"
        data.write_text(yaml.safe_dump(people[:1], allow_unicode=True), "utf-8")
        again = tmp_path / "again"
        result = cli("reissue", old_number, data, "--out", again, "--register", register,
                     "--verify-url", live.url, "--credentials", "--manifest", MANIFEST_FILE)
        assert result.exit_code == 0, result.output
        new = json.loads((again / "CSEE-2026-0007" / "ecuk_registration.credential.json")
                         .read_text("utf-8"))
        assert new["credentialSubject"]["identifier"][0]["identityHash"] == "LI Xiao-Ming"
        assert new["credentialSubject"]["licenseNumber"] != old_number
        result = cli("verify", again / "CSEE-2026-0007" / "ecuk_registration.credential.json")
        assert result.exit_code == 0 and "Status: not revoked" in result.output
        result = cli("verify", ecuk_pdf.with_name("ecuk_registration.credential.json"))
        assert result.exit_code == 1 and "Status: REVOKED" in result.output
    # the site is gone: the signature is checked with the DID document written beside the
    # certificates, and the status cannot be checked, which formgen says
    ecuk = out / "CSEE-2026-0007" / "ecuk_registration.credential.json"
    result = cli("verify", ecuk)
    assert result.exit_code == 1
    assert (f"Error: could not check the credential's signature: could not fetch "
            f"{live.url}/.well-known/did.json") in result.output
    result = cli("verify", ecuk, "--did-document", out / "did.json")
    assert result.exit_code == 0
    assert f"Status: could not be checked: could not fetch {live.url}/status/1" in result.output
