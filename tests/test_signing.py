"""Signed, archival certificates: PDF/A-2b, PAdES signatures, ``formgen verify FILE.pdf``.

A throwaway CA and signing certificate are made for the module; the sample applicants are
printed and signed once, then the PDFs are
checked with ``formgen verify``, with pyHanko's own validator and with poppler's tools,
before and after one byte is altered.
"""

from __future__ import annotations

import asyncio
import copy
import http.server
import socket
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import MANIFEST_FILE, SAMPLES_FILE, TODAY, cli
from pypdf import PdfReader
from throwaway_pki import Pki, make_pki

from formgen.certificates import signing
from formgen.certificates.keys import KEY_ENV
from formgen.certificates.pdfa import archival_problems
from formgen.certificates.signature import signature_archival_problems

pytestmark = pytest.mark.needs_office



def samples() -> list[dict[str, Any]]:
    return yaml.safe_load(SAMPLES_FILE.read_text(encoding="utf-8"))


def write_yaml(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text(yaml.safe_dump(records, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def pdftotext(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def pyhanko_status(path: Path, ca: Path) -> Any:
    """pyHanko's own verdict on the file's last signature, trusting ``ca``."""
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    with path.open("rb") as fh:
        reader = PdfFileReader(fh, strict=False)
        context = ValidationContext(trust_roots=[load_cert_from_pemder(str(ca))])
        return asyncio.run(async_validate_pdf_signature(
            reader.embedded_signatures[-1], context))


@pytest.fixture(autouse=True)
def _no_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory, pki: Pki) -> dict[str, Any]:
    """The sample applicants printed and signed."""
    folder = tmp_path_factory.mktemp("signed")
    out, register = folder / "out", folder / "register.sqlite"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FORMGEN_TODAY", TODAY)
        result = cli("certificates", "--verify-url", "https://verify.example.org", "--init-register", SAMPLES_FILE, "--out", out, "--register", register,
                     "--manifest", MANIFEST_FILE, "--sign-key", pki.key, "--sign-cert", pki.cert,
                     "--sign-chain", pki.ca_cert)
    return {"result": result, "out": out, "register": register, "folder": folder}


def test_batch_is_signed(signed: dict[str, Any]) -> None:
    result = signed["result"]
    assert result.exit_code == 0, result.output
    assert ("Each holder's PDF is signed (PAdES B-B); print.pdf is for the printer and is "
            "not signed.") in result.output
    files = sorted(signed["out"].glob("*/*.pdf"))
    assert len(files) == 18
    for path in files:
        assert PdfReader(path).trailer["/Root"]["/AcroForm"]["/Fields"], path
    assert "/AcroForm" not in PdfReader(signed["out"] / "print.pdf").trailer["/Root"]


def test_verify_signed_pdf(signed: dict[str, Any], pki: Pki) -> None:
    path = signed["out"] / "CSEE-2026-0007" / "csee_iet_joint.pdf"
    number = [ln for ln in pdftotext(path).splitlines() if "CSEE-IET-2026-" in ln][0]
    result = cli("verify", path, "--register", signed["register"], "--trust", pki.ca_cert)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Genuine: certificate CSEE-IET-2026-")
    assert lines[0].split()[2].rstrip(",") in number
    assert lines[1].startswith("Signed by Test Certificates Office (Test Society) on ")
    assert lines[1].endswith("(PAdES B-B); the signature covers the whole file.")
    assert "Holder: 李晓明 / LI Xiaoming (CSEE-2026-0007)" in lines


def test_verify_says_only_formgens_lines(signed: dict[str, Any], pki: Pki) -> None:
    """As its own process: no library warning (cryptography's about DSA, from pyHanko)."""
    from test_cli import formgen_process

    path = signed["out"] / "CSEE-2026-0007" / "csee_iet_joint.pdf"
    done = formgen_process("verify", path, "--register", signed["register"], "--trust", pki.ca_cert)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.startswith("Genuine: certificate CSEE-IET-2026-")


def test_pyhanko_validator_agrees(signed: dict[str, Any], pki: Pki) -> None:
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    for path in sorted(signed["out"].glob("CMES-2026-0101/*.pdf")):
        status = pyhanko_status(path, pki.ca_cert)
        assert status.bottom_line, status.pretty_print_details()
        assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE


def _alter_one_byte(source: Path, target: Path) -> None:
    """Copy ``source`` with one byte of a stream inside the signed range changed."""
    data = bytearray(source.read_bytes())
    at = data.index(b"stream", len(data) // 4) + 40
    data[at] ^= 0x01
    target.write_bytes(bytes(data))


def test_one_altered_byte_fails_both_checks(signed: dict[str, Any], pki: Pki,
                                            tmp_path: Path) -> None:
    source = signed["out"] / "CSEE-2026-0012" / "ecuk_registration.pdf"
    altered = tmp_path / "altered.pdf"
    _alter_one_byte(source, altered)
    result = cli("verify", altered, "--register", signed["register"], "--trust", pki.ca_cert)
    assert result.exit_code == 1
    assert result.output.strip() == "Not genuine: the file was altered after it was signed"
    assert not pyhanko_status(altered, pki.ca_cert).bottom_line


def test_changes_after_signing_are_refused(signed: dict[str, Any], pki: Pki,
                                           tmp_path: Path) -> None:
    from pyhanko.pdf_utils.generic import NameObject, TextStringObject
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    source = signed["out"] / "CSEE-2026-0012" / "ecuk_registration.pdf"
    changed = tmp_path / "changed.pdf"
    with source.open("rb") as fh:
        writer = IncrementalPdfFileWriter(fh)
        page = writer.root["/Pages"]["/Kids"][0]
        page[NameObject("/Rotate")] = TextStringObject("90")
        writer.update_container(page)
        with changed.open("wb") as out:
            writer.write(out)
    result = cli("verify", changed, "--register", signed["register"], "--trust", pki.ca_cert)
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Not genuine: the signature does not cover the whole file: something was added "
        "after signing")


def test_untrusted_signer_and_unsigned_file(signed: dict[str, Any], tmp_path: Path) -> None:
    path = signed["out"] / "CSEE-2026-0012" / "ecuk_registration.pdf"
    result = cli("verify", path, "--register", signed["register"])
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Not genuine: the signer (Test Certificates Office (Test Society)) is not trusted: "
        "give the issuing authority's certificate with --trust")
    result = cli("verify", signed["out"] / "print.pdf", "--register", signed["register"])
    assert result.exit_code == 1
    assert result.output.strip() == "Not genuine: the PDF is not signed"


def test_a_root_the_system_trusts_needs_no_trust_option(
    signed: dict[str, Any], pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --trust, the system's CA bundle decides (here one holding the test root)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(pki.ca_cert))
    path = signed["out"] / "CSEE-2026-0012" / "ecuk_registration.pdf"
    result = cli("verify", path, "--register", signed["register"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Genuine: certificate CSEE-IET-2026-")


def test_code_unknown_to_the_register(
    signed: dict[str, Any], pki: Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other.sqlite"
    made = cli("register", "init", other)
    assert made.exit_code == 0, made.output
    path = signed["out"] / "CSEE-2026-0012" / "ecuk_registration.pdf"
    result = cli("verify", path, "--register", other, "--trust", pki.ca_cert)
    assert result.exit_code == 1
    assert result.output.startswith("Not genuine: ")
    assert "CSEE-IET-2026-" not in result.output.splitlines()[0].split(":", 1)[0]
    # Without a register, only the signature is checked, and the output says so (in a
    # folder with no build/register.sqlite, which `make demo` leaves in the project's).
    monkeypatch.chdir(tmp_path)
    result = cli("verify", path, "--trust", pki.ca_cert)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-2] == (
        "The register was not consulted (there is none at build/register.sqlite): only the "
        "signature was checked.")
    # then what the status list the PDF names says: here its address does not answer
    assert result.output.splitlines()[-1].startswith(
        "Status: could not be checked: could not fetch https://verify.example.org/status/1 (")


# ----------------------------------------------------------------------------- PDF/A-2b


def test_pdfa_2b_declared_and_checked(signed: dict[str, Any]) -> None:
    paths = [*sorted(signed["out"].glob("CSEE-2026-0007/*.pdf")), signed["out"] / "print.pdf"]
    for path in paths:
        reader = PdfReader(path)
        assert archival_problems(reader) == [], path
        xmp = reader.xmp_metadata
        assert xmp is not None
        root = xmp.rdf_root
        text = root.toxml()
        # Element or attribute form (pyHanko writes the latter when it updates the XMP).
        assert "<pdfaid:part>2</pdfaid:part>" in text or 'pdfaid:part="2"' in text
        assert ("<pdfaid:conformance>B</pdfaid:conformance>" in text
                or 'pdfaid:conformance="B"' in text)
        # No property left without its prefix (ns0:) when pyHanko rewrites the XMP.
        assert "ns0:" not in text
        intents = reader.trailer["/Root"]["/OutputIntents"]
        assert intents[0]["/S"] == "/GTS_PDFA1"
        assert len(intents[0]["/DestOutputProfile"].get_data()) > 1000
        fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                               check=True).stdout.splitlines()[2:]
        assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts
    joint = PdfReader(signed["out"] / "CSEE-2026-0007" / "csee_iet_joint.pdf")
    assert joint.xmp_metadata is not None
    assert joint.xmp_metadata.dc_title["x-default"].startswith("CSEE–IET joint certificate CSEE-IET-")
    assert joint.xmp_metadata.dc_description["x-default"] == "李晓明 / LI Xiaoming"
    assert joint.metadata is not None and joint.metadata.title == joint.xmp_metadata.dc_title["x-default"]


# ----------------------------------------------------------------------------- keys


@pytest.fixture(scope="module")
def one_holder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("one")
    return write_yaml(folder / "one.yaml", [copy.deepcopy(samples()[3])])


@pytest.mark.slow
def test_pkcs12_with_passphrase_from_environment_or_prompt(pki: Pki, one_holder: Path,
                                                           tmp_path: Path) -> None:
    env = {"FORMGEN_TODAY": TODAY, signing.PASSPHRASE_VARIABLE: pki.p12_passphrase}
    out = tmp_path / "env"
    result = cli("certificates", "--verify-url", "https://verify.example.org", "--init-register", one_holder, "--out", out, "--register", tmp_path / "r.sqlite",
                 "--manifest", MANIFEST_FILE, "--sign-p12", pki.p12, env=env)
    assert result.exit_code == 0, result.output
    ok = cli("verify", out / "CMES-2026-0101" / "soe_membership.pdf", "--register",
             tmp_path / "r.sqlite", "--trust", pki.ca_cert)
    assert ok.exit_code == 0, ok.output
    out = tmp_path / "prompt"
    result = cli("certificates", "--verify-url", "https://verify.example.org", "--init-register", one_holder, "--out", out, "--register", tmp_path / "r.sqlite",
                 "--manifest", MANIFEST_FILE, "--sign-p12", pki.p12,
                 env={"FORMGEN_TODAY": TODAY}, stdin=pki.p12_passphrase + "\n")
    assert result.exit_code == 0, result.output
    assert "Passphrase of the signing key" in result.output
    assert len(list(out.glob("*/*.pdf"))) == 3


@pytest.mark.slow
def test_unusable_keys_stop_before_anything_is_numbered(pki: Pki, one_holder: Path,
                                                        tmp_path: Path) -> None:
    other = make_pki(tmp_path / "other")
    expired = make_pki(tmp_path / "expired", days=0)
    register = tmp_path / "r.sqlite"
    cases = [
        (["--sign-key", other.key, "--sign-cert", pki.cert], {},
         f"Error: the signing key does not belong to the certificate {pki.cert}"),
        (["--sign-p12", pki.p12], {signing.PASSPHRASE_VARIABLE: "wrong"},
         f"Error: the passphrase does not open {pki.p12}"),
        (["--sign-key", pki.key], {}, "Error: signing needs both --sign-key and --sign-cert "
                                      "(or --sign-p12)"),
        (["--timestamp-url", "http://127.0.0.1:9/"], {},
         "Error: --sign-chain, --timestamp-url and --ltv need a signing key (--sign-key and "
         "--sign-cert, or --sign-p12)"),
        (["--sign-key", pki.key, "--sign-cert", pki.cert, "--ltv"], {},
         "Error: --ltv needs --timestamp-url: PAdES B-LT builds on a time-stamped signature"),
        (["--sign-key", pki.cert, "--sign-cert", pki.cert], {},
         f"Error: {pki.cert} is not a private key (PEM or DER)"),
    ]
    for options, env, expected in cases:
        out = tmp_path / "out"
        result = cli("certificates", "--verify-url", "https://verify.example.org", "--init-register", one_holder, "--out", out, "--register", register,
                     "--manifest", MANIFEST_FILE, *options, env={"FORMGEN_TODAY": TODAY, **env})
        assert result.exit_code == 1, (options, result.output)
        assert result.output.strip().splitlines()[-1] == expected
        assert not register.exists() and not list(out.glob("*/*.pdf"))
    result = cli("certificates", "--verify-url", "https://verify.example.org", "--init-register", one_holder, "--out", tmp_path / "out", "--register", register,
                 "--manifest", MANIFEST_FILE, "--sign-key", expired.key, "--sign-cert",
                 expired.cert, env={"FORMGEN_TODAY": TODAY})
    assert result.exit_code == 1
    assert result.output.strip().startswith(
        f"Error: the signing certificate {expired.cert} is valid from ")
    assert not register.exists()


# ----------------------------------------------------------------------------- B-T and B-LT


class _Authority(http.server.BaseHTTPRequestHandler):
    """A time-stamping authority and the CA's CRL, on the loopback address."""

    timestamper: Any = None
    crl: bytes = b""

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        from asn1crypto import tsp

        body = self.rfile.read(int(self.headers["Content-Length"]))
        answer = self.timestamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
        self._send(answer, "application/timestamp-reply")

    def do_GET(self) -> None:  # noqa: N802
        self._send(self.crl, "application/pkix-crl")

    def _send(self, data: bytes, kind: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Authority)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    pki = make_pki(tmp_path_factory.mktemp("lt-pki"), crl_url=f"{base}/ca.crl")
    assert pki.tsa_cert and pki.tsa_key and pki.crl
    tsa_cert = load_cert_from_pemder(str(pki.tsa_cert))
    _Authority.timestamper = DummyTimeStamper(
        tsa_cert=tsa_cert, tsa_key=load_private_key_from_pemder(str(pki.tsa_key), None),
        certs_to_embed=SimpleCertificateStore.from_certs(
            [tsa_cert, load_cert_from_pemder(str(pki.ca_cert))]))
    _Authority.crl = pki.crl.read_bytes()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield pki, base
    server.shutdown()
    server.server_close()


@pytest.mark.slow
@pytest.mark.parametrize(("options", "level"), [([], "B-T"), (["--ltv"], "B-LT")])
def test_timestamped_and_long_term_signatures(authority: Any, one_holder: Path, tmp_path: Path,
                                              options: list[str], level: str) -> None:
    pki, base = authority
    out, register = tmp_path / "out", tmp_path / "r.sqlite"
    result = cli("certificates", "--verify-url", "https://verify.example.org", "--init-register", one_holder, "--out", out, "--register", register,
                 "--manifest", MANIFEST_FILE, "--sign-key", pki.key, "--sign-cert", pki.cert,
                 "--sign-chain", pki.ca_cert, "--timestamp-url", f"{base}/tsa", *options,
                 env={"FORMGEN_TODAY": TODAY})
    assert result.exit_code == 0, result.output
    assert f"Each holder's PDF is signed (PAdES {level})" in result.output
    pdf = out / "CMES-2026-0101" / "soe_membership.pdf"
    verified = cli("verify", pdf, "--register", register, "--trust", pki.ca_cert)
    assert verified.exit_code == 0, verified.output
    covers = ("the signature covers the whole file" if level == "B-T" else
              "the signature covers the whole file but the validation data added after it")
    assert f"(PAdES {level}); {covers}." in verified.output
    status = pyhanko_status(pdf, pki.ca_cert)
    assert status.bottom_line and status.timestamp_validity is not None
    assert status.timestamp_validity.valid and status.timestamp_validity.trusted
    reader = PdfReader(pdf)
    assert archival_problems(reader) == []
    assert signature_archival_problems(pdf.read_bytes()) == []
    pdfa = pytest.importorskip("pikepdf.pdfa", reason="pikepdf[pdfa] validates PDF/A")
    report = pdfa.validate_written(pdf, "2b")
    assert report.violations == (), [str(f) for f in report.violations]
    # What pikepdf's validator does not check: the signature's form field, and for B-LT
    # the validation data (/DSS); formgen checks the form field by veraPDF's rules above.
    unchecked = {f.message for f in report.unsupported}
    assert unchecked == {"interactive forms (/AcroForm) are not supported"} | (
        {"unrecognized key(s) /DSS are not checked"} if level == "B-LT" else set())
    dss = reader.trailer["/Root"].get("/DSS")
    if level == "B-LT":
        assert dss is not None and dss["/CRLs"] and dss["/Certs"]
    else:
        assert dss is None


def test_timestamp_authority_that_does_not_answer(pki: Pki, one_holder: Path,
                                                  tmp_path: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/tsa"
    register = tmp_path / "r.sqlite"
    result = cli("certificates", "--verify-url", "https://verify.example.org", "--init-register", one_holder, "--out", tmp_path / "out", "--register", register,
                 "--manifest", MANIFEST_FILE, "--sign-key", pki.key, "--sign-cert", pki.cert,
                 "--timestamp-url", url, env={"FORMGEN_TODAY": TODAY})
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith(
        f"Error: the time-stamping authority {url} did not give a time-stamp: ")
    assert not register.exists()
