"""``formgen reissue``: a holder's corrected certificates, numbered, stamped and signed as
``formgen certificates`` does, their whole set in one step; the old numbers superseded,
with links both ways. The reissued PDFs are checked with ``formgen verify --trust``, with
pyHanko's own validator and with poppler's pdfsig."""

from __future__ import annotations

import copy
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from conftest import MANIFEST_FILE, SAMPLES_FILE, TODAY, cli
from fastapi.testclient import TestClient
from throwaway_pki import Pki, make_pki

from formgen.certificates.keys import KEY_ENV
from formgen.certificates.register import Register
from formgen.cli import main
from formgen.model.manifest import load_manifest
from formgen.settings import Paths
from formgen.web import create_app, web_settings

HOLDER = "CSEE-2026-0007"


@pytest.fixture(autouse=True)
def _no_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)


def _command(name: str) -> click.Command:
    """The sub-command ``name``, loaded as ``formgen`` loads it when it is run (the group
    holds only the commands asked for so far)."""
    command = main.get_command(click.Context(main), name)
    assert command is not None, name
    return command


def _options(command: str) -> set[str]:
    return {opt for p in _command(command).params for opt in p.opts if opt.startswith("--")}


def _helps(command: str) -> dict[str, str]:
    return {p.opts[0]: p.help or "" for p in _command(command).params
            if isinstance(p, click.Option)}


def test_reissue_takes_the_options_certificates_takes() -> None:
    missing = _options("certificates") - _options("reissue") - {"--init-register"}
    assert missing == set()
    assert "--holder" in _options("reissue")
    # one definition: the same names and words in both commands' help
    certificates, reissue = _helps("certificates"), _helps("reissue")
    shared = set(certificates) & set(reissue)
    assert shared >= {"--verify-url", "--workers", "--sign-key", "--sign-cert", "--sign-p12",
                      "--sign-chain", "--timestamp-url", "--ltv", "--by"}
    assert {o: certificates[o] for o in shared} == {o: reissue[o] for o in shared}
    assert certificates["--sign-p12"] == (
        "Sign with the key and certificates of this PKCS#12 file instead; its passphrase "
        "comes from FORMGEN_SIGN_PASSPHRASE or is asked for.")


def test_reissue_needs_something_to_reissue(tmp_path: Path) -> None:
    data = tmp_path / "d.yaml"
    data.write_text("[]\n", "utf-8")
    result = cli("reissue", data, "--out", tmp_path / "out", "--register", tmp_path / "r.sqlite")
    assert (result.exit_code, result.stderr) == (1, (
        "Error: name the certificates to reissue: their numbers before the data files, or "
        "--holder ID for all of a holder's certificates\n"))
    result = cli("reissue", "CSEE-IET-2026-000001", "--out", tmp_path / "out")
    assert (result.exit_code, result.stderr) == (1, (
        "Error: name the data file(s) with the holders' corrected records after the "
        "certificate numbers\n"))
    assert cli("register", "init", tmp_path / "r.sqlite").exit_code == 0
    result = cli("reissue", "--holder", "NOBODY", data, "--out", tmp_path / "out",
                 "--register", tmp_path / "r.sqlite")
    assert (result.exit_code, result.stderr) == (1, (
        f"Error: the holder NOBODY has no valid certificate in the register "
        f"{tmp_path / 'r.sqlite'} to reissue\n"))


def pdfsig(path: Path) -> str:
    """poppler's verdict on the file's signature (the signer's certificate is not checked
    against the system's authorities: the test's CA is its own)."""
    return subprocess.run(["pdfsig", "-nocert", str(path)], capture_output=True, text=True,
                          check=False).stdout


def pyhanko_valid(path: Path, ca: Path) -> bool:
    import asyncio

    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    with path.open("rb") as fh:
        reader = PdfFileReader(fh, strict=False)
        context = ValidationContext(trust_roots=[load_cert_from_pemder(str(ca))])
        status = asyncio.run(async_validate_pdf_signature(reader.embedded_signatures[-1], context))
    return bool(status.bottom_line)


@pytest.fixture(scope="module")
def reissued(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One holder's certificates printed and signed, then the holder's name corrected and
    the whole set reissued with --holder, signed with the same options."""
    folder = tmp_path_factory.mktemp("reissue")
    pki = make_pki(folder / "pki")
    register = folder / "register.sqlite"
    person = copy.deepcopy(yaml.safe_load(SAMPLES_FILE.read_text(encoding="utf-8"))[0])
    assert person["id"] == HOLDER
    data = folder / "one.yaml"
    data.write_text(yaml.safe_dump([person], allow_unicode=True), "utf-8")
    signing = ["--sign-key", pki.key, "--sign-cert", pki.cert, "--sign-chain", pki.ca_cert,
               "--verify-url", "https://certs.test/", "--manifest", MANIFEST_FILE]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FORMGEN_TODAY", TODAY)
        first = cli("certificates", "--init-register", data, "--out", folder / "first",
                    "--register", register, *signing)
        assert first.exit_code == 0, first.output
        with Register(register) as reg:
            old = {i.certificate: i for i in reg.rows()}
        person["name"]["en"] = "LI Xiao-Ming"
        data.write_text(yaml.safe_dump([person], allow_unicode=True), "utf-8")
        result = cli("reissue", "--holder", HOLDER, data, "--out", folder / "again",
                     "--register", register, "--by", "Wang Min", *signing)
    with Register(register) as reg:
        rows = reg.rows()
    return {"result": result, "old": old, "rows": rows, "pki": pki, "register": register,
            "out": folder / "again"}


@pytest.mark.needs_office
@pytest.mark.slow
def test_a_holders_whole_set_is_reissued_signed(reissued: dict[str, Any]) -> None:
    result, old = reissued["result"], reissued["old"]
    assert result.exit_code == 0, result.output
    assert len(old) >= 2  # the holder's whole set
    new = {i.certificate: i for i in reissued["rows"] if i.replaces}
    assert set(new) == set(old)
    out = reissued["out"]
    lines = result.stderr.splitlines()
    assert lines[0] == "Each holder's PDF is signed (PAdES B-B); print.pdf is for the printer and is not signed."
    assert sorted(line for line in lines if " reissued as " in line) == sorted(
        f"certificate {old[c].number} reissued as {new[c].number} into {out}; {old[c].number} "
        "now verifies as superseded" for c in old)
    for certificate, now in new.items():
        before = next(i for i in reissued["rows"] if i.number == old[certificate].number)
        assert (before.status, before.replaced_by) == ("superseded", now.number)  # old → new
        assert (now.status, now.replaces, now.name) == (  # new → old, as corrected
            "valid", before.number, before.name.replace("LI Xiaoming", "LI Xiao-Ming"))


@pytest.mark.needs_office
@pytest.mark.slow
def test_reissued_pdfs_pass_verify_pyhanko_and_pdfsig(reissued: dict[str, Any]) -> None:
    pki: Pki = reissued["pki"]
    new = {i.certificate: i for i in reissued["rows"] if i.replaces}
    files = sorted((reissued["out"] / HOLDER).glob("*.pdf"))
    assert {f.stem for f in files} == set(new)
    for path in files:
        result = cli("verify", path, "--register", reissued["register"], "--trust", pki.ca_cert)
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        now = new[path.stem]
        assert lines[0] == f"Genuine: certificate {now.number}, verification code {now.short_code}"
        assert lines[1].startswith("Signed by Test Certificates Office (Test Society) on ")
        at = lines.index(f"Reissued in place of certificate {now.replaces}")
        assert lines[at - 1].startswith("Issued on: ")
        assert lines[at + 1] == "What the certificate prints (compare the paper line by line):"
        label = load_manifest(MANIFEST_FILE).documents[path.stem].particulars[-1].label
        last = lines.index(f"  {label}")  # 证书编号 / Certificate No., the last particular
        assert lines[last + 1] == f"    {now.number}"
        assert pyhanko_valid(path, pki.ca_cert), path
        verdict = pdfsig(path)
        assert "Signature Validation: Signature is Valid." in verdict, verdict
        assert "Total document signed" in verdict, verdict
    # the old PDFs now verify as superseded, by the new number
    for path in sorted((reissued["out"].parent / "first" / HOLDER).glob("*.pdf")):
        result = cli("verify", path, "--register", reissued["register"], "--trust", pki.ca_cert)
        assert result.exit_code == 1
        assert result.stdout.startswith(f"Superseded by {new[path.stem].number} on ")


@pytest.mark.needs_office
@pytest.mark.slow
def test_a_signed_pdf_is_not_vouched_for_by_a_register_rolled_back(
        reissued: dict[str, Any], tmp_path: Path) -> None:
    pki: Pki = reissued["pki"]
    register = tmp_path / "register.sqlite"
    for suffix in (".sqlite", ".key", ".head"):
        shutil.copy(reissued["register"].with_suffix(suffix), register.with_suffix(suffix))
    register.with_suffix(".key").chmod(0o600)
    db = sqlite3.connect(register)
    db.execute("DROP TRIGGER events_kept")
    db.execute("DELETE FROM events WHERE id = (SELECT MAX(id) FROM events)")
    db.commit()
    db.close()
    path = sorted((reissued["out"] / HOLDER).glob("*.pdf"))[0]
    result = cli("verify", path, "--register", register, "--trust", pki.ca_cert)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith(f"Error: the register {register} fails its audit, so "
                                    "nothing in it can be vouched for: its head records event ")


@pytest.mark.needs_office
@pytest.mark.slow
def test_the_page_and_the_api_link_a_reissue_both_ways(reissued: dict[str, Any]) -> None:
    from test_verify_web import SECRET, page_text

    old = reissued["old"]
    new = {i.certificate: i for i in reissued["rows"] if i.replaces}
    app = create_app(web_settings(MANIFEST_FILE, paths=Paths(register=reissued["register"])),
                     secret=SECRET, converter=object(), verify_rate=1000)
    with TestClient(app, follow_redirects=False) as client:
        for certificate, now in new.items():
            before = old[certificate]
            new_page = page_text(client.get(f"/c/{now.short_code}?lang=en").text)
            new_zh = page_text(client.get(f"/c/{now.short_code}").text)
            old_page = page_text(client.get(f"/c/{before.short_code}?lang=en").text)
            new_api = client.get(f"/api/certificates/{now.short_code}").json()
            old_api = client.post("/api/certificates/lookup",
                                  json={"number": before.number, "surname": "Li"}).json()
            assert (new_api["status"], new_api["replaces"], new_api["superseded_by"]) == (
                "valid", before.number, None)
            assert (old_api["status"], old_api["replaces"], old_api["superseded_by"]) == (
                "superseded", None, now.number)
            assert new_api["particulars"][-1]["value"] == [now.number]  # Certificate No.
            assert ("Valid This certificate is on the register and has not been revoked. "
                    f"This certificate was reissued in place of certificate {before.number}."
                    ) in new_page, new_page
            assert f"本证书系替换证书 {before.number} 重新颁发。" in new_zh
            assert (f"Superseded This certificate was replaced by certificate {now.number} on "
                    "23 November 2026. Only the new certificate is valid.") in old_page, old_page
            assert "reissued in place of" not in old_page
