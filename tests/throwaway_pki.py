"""A throwaway certificate authority and signing certificate, made fresh for the tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID


@dataclass
class Pki:
    """Files of a root CA and a certificate it issued for signing certificates."""

    ca_cert: Path
    key: Path
    cert: Path
    p12: Path
    p12_passphrase: str
    tsa_key: Path | None = None
    """A time-stamping authority's key and certificate (with ``crl_url`` only)."""
    tsa_cert: Path | None = None
    crl: Path | None = None
    """The CA's (empty) revocation list, to be served at ``crl_url`` (with ``crl_url`` only)."""


def _name(common: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test Society"),
        x509.NameAttribute(NameOID.COMMON_NAME, common),
    ])


def make_pki(folder: Path, *, signer_name: str = "Test Certificates Office",
             days: int = 30, passphrase: str = "correct horse", crl_url: str | None = None) -> Pki:
    """A CA, a signing key and certificate (PEM files) and the same as PKCS#12, in ``folder``.

    With ``crl_url``, the certificates name it as their CRL distribution point, and a
    time-stamping authority's certificate and the CA's CRL are made too.
    """
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("Test Root CA")).issuer_name(_name("Test Root CA"))
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    def leaf(name: str, key: rsa.RSAPrivateKey, timestamping: bool = False) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(name)).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=not timestamping,
                key_encipherment=False, data_encipherment=False, key_agreement=False,
                key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False),
                critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
        )
        if timestamping:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        if crl_url:
            builder = builder.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
                [x509.UniformResourceIdentifier(crl_url)], None, None, None)]), critical=False)
        return builder.sign(ca_key, hashes.SHA256())

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = leaf(signer_name, key)
    pem = serialization.Encoding.PEM
    files = Pki(folder / "ca.pem", folder / "signer.key", folder / "signer.pem",
                folder / "signer.p12", passphrase)
    files.ca_cert.write_bytes(ca_cert.public_bytes(pem))
    files.cert.write_bytes(cert.public_bytes(pem))
    files.key.write_bytes(key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    files.p12.write_bytes(pkcs12.serialize_key_and_certificates(
        b"signer", key, cert, [ca_cert],
        serialization.BestAvailableEncryption(passphrase.encode("utf-8"))))
    if crl_url:
        tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        tsa_cert = leaf("Test Time-Stamping Authority", tsa_key, timestamping=True)
        files.tsa_key, files.tsa_cert, files.crl = (
            folder / "tsa.key", folder / "tsa.pem", folder / "ca.crl")
        files.tsa_key.write_bytes(tsa_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        files.tsa_cert.write_bytes(tsa_cert.public_bytes(pem))
        crl = (
            x509.CertificateRevocationListBuilder().issuer_name(ca_cert.subject)
            .last_update(now - dt.timedelta(hours=1)).next_update(now + dt.timedelta(days=7))
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .add_extension(x509.CRLNumber(1), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        files.crl.write_bytes(crl.public_bytes(serialization.Encoding.DER))
    return files
