"""What the tests of ``formgen send`` share: a real SMTP server in its own process (see
``tests/smtp_server.py``), a throwaway TLS certificate for it, a manifest with a sender,
and the messages the server received, parsed back."""

from __future__ import annotations

import datetime as dt
import email
import ipaddress
import socket
import subprocess
import sys
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parent.parent
SERVER = Path(__file__).resolve().parent / "smtp_server.py"
SENDER = "中国电机工程学会 <office@csee.example.org>"
REPLY_TO = "min-liu@csee.example.org"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Mailserver:
    """A running server and the folder it writes each accepted message to."""

    port: int
    mailbox: Path
    process: subprocess.Popen[str]

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def received(self) -> list[tuple[list[str], EmailMessage, bytes]]:
        """(envelope recipients, parsed message, raw bytes) of each message, in order."""
        out = []
        files = sorted(self.mailbox.glob("*.eml"), key=lambda p: int(p.stem))
        for path in files:
            raw = path.read_bytes()
            rcpt = path.with_suffix(".rcpt").read_text().split("\n")
            parsed = email.message_from_bytes(raw, policy=policy.default)
            assert isinstance(parsed, EmailMessage)
            out.append((rcpt, parsed, raw))
        return out

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def start_server(folder: Path, *args: str) -> Mailserver:
    port = free_port()
    box = folder / f"mailbox-{port}"
    process = subprocess.Popen([sys.executable, str(SERVER), str(port), str(box), *args],
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.strip() == "ready", f"the SMTP server did not start: {line!r}"
    return Mailserver(port, box, process)


def tls_files(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA, and a certificate it issued for 127.0.0.1: (ca.pem, cert, key)."""
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Throwaway Mail CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                         critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


def write_manifest(folder: Path, **mail: Any) -> Path:
    """The shipped manifest with its paths made absolute and ``mail`` settings added."""
    data = yaml.safe_load((ROOT / "manifest.yaml").read_text(encoding="utf-8"))
    for doc in data["documents"].values():
        doc["templates"] = {k: str(ROOT / v) for k, v in doc["templates"].items()}
    for kind in data["mail"]["messages"].values():
        kind["templates"] = {k: str(ROOT / v) for k, v in kind["templates"].items()}
    data["competences"] = str(ROOT / data["competences"])
    data["mail"].update({"from": SENDER, "reply_to": REPLY_TO, "per_minute": None} | mail)
    path = folder / "manifest.yaml"
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def plain_text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def html_text(message: EmailMessage) -> str:
    body = message.get_body(("html",))
    assert body is not None
    return str(body.get_content())
