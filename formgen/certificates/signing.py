"""Signed certificates: a PAdES signature on each holder's PDF, and the check of one.

Staff give a signing key and its certificate (PEM files, or one PKCS#12 file), and the
certificates of the chain up to the root when the key's certificate is not issued by a
root directly. Each holder's PDF gets an invisible signature over the whole file
(pyHanko; the signature field is PDF/A-2 compatible, so the file stays PDF/A-2b):

- **PAdES B-B** always: a CAdES signature naming the signing certificate.
- **B-T** when a time-stamping authority is given (``--timestamp-url``): the signature
  gets a trusted time.
- **B-LT** when, in addition, ``--ltv`` is asked for: the chain and its revocation
  information (CRLs or OCSP answers, fetched from the addresses the certificates name)
  are embedded, so the signature can be checked after the signing certificate expires.
  This needs the whole chain up to its root and those addresses reachable when signing.

:func:`formgen.certificates.signature.check_signed_pdf` says whether a PDF is a genuine signed certificate: the
signature is intact and valid, made with a certificate that chains to a trusted root,
covers the whole file (nothing added after signing), and the certificate number and
verification code embedded in the file are the ones printed on its page.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import warnings
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from cryptography.utils import CryptographyDeprecationWarning

from formgen.exceptions import SigningError
from formgen.messages import Message, msg

if TYPE_CHECKING:
    from pyhanko.sign.signers import PdfSigner, SimpleSigner

# pyHanko logs a signature it cannot trust with a traceback; the check says it in its words.
for _name in ("pyhanko", "pyhanko_certvalidator"):
    logging.getLogger(_name).addHandler(logging.NullHandler())
    logging.getLogger(_name).propagate = False
# pyHanko imports cryptography's DSA classes, which cryptography marks deprecated: a note
# to pyHanko's makers (with their file's path) that every `formgen verify` printed. Only
# that warning, and only from pyHanko's modules, is silenced.
warnings.filterwarnings("ignore", message="DSA is deprecated",
                        category=CryptographyDeprecationWarning, module=r"pyhanko(\.|$)")

SIGNATURE_FIELD = "FormgenSignature"
"""Name of the (invisible) signature field on every signed certificate."""
PASSPHRASE_VARIABLE = "FORMGEN_SIGN_PASSPHRASE"
"""Environment variable holding the passphrase of the signing key or PKCS#12 file."""


@dataclass(frozen=True)
class SigningKey:
    """Where the signing key and certificates are, as staff gave them."""

    key: Path | None = None
    """The private key (PEM or DER), with ``cert``."""
    cert: Path | None = None
    """The signing certificate (PEM or DER), with ``key``."""
    p12: Path | None = None
    """A PKCS#12 file holding key and certificates, instead of ``key`` and ``cert``."""
    chain: tuple[Path, ...] = ()
    """Other certificates of the chain (intermediates, the root)."""
    passphrase: bytes | None = None
    """The key's or PKCS#12 file's passphrase, when it has one."""
    timestamp_url: str | None = None
    """A time-stamping authority (RFC 3161) for PAdES B-T."""
    ltv: bool = False
    """Embed the chain's revocation information (PAdES B-LT; needs ``timestamp_url``)."""


def _read(path: Path, what: Message) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise SigningError(msg("signing.unreadable", what=what, path=str(path),
                               reason=str(e.strerror or e))) from e


def _load_certs(data: bytes, path: Path, what: Message) -> list[Any]:
    from pyhanko.keys import load_certs_from_pemder_data

    try:
        certs = list(load_certs_from_pemder_data(data))
    except (ValueError, TypeError) as e:
        raise SigningError(msg("signing.not-a-certificate", what=what, path=str(path))) from e
    if not certs:
        raise SigningError(msg("signing.not-a-certificate", what=what, path=str(path)))
    return certs


def needs_passphrase(key: SigningKey) -> bool:
    """True when the key (or PKCS#12 file) is locked and no passphrase was given."""
    if key.passphrase is not None:
        return False
    try:
        _signer(key)
    except SigningError as e:
        return e.message.id == "signing.passphrase-needed"
    return False


def _signer(key: SigningKey) -> SimpleSigner:
    """The pyHanko signer of ``key``; SigningError naming the file when it cannot be used."""
    from cryptography.hazmat.primitives.serialization import pkcs12
    from pyhanko.keys import load_private_key_from_pemder_data
    from pyhanko.keys.internal import (
        translate_pyca_cryptography_cert_to_asn1,
        translate_pyca_cryptography_key_to_asn1,
    )
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    others = [c for p in key.chain for c in _load_certs(_read(p, msg("signing.chain")), p,
                                                         msg("signing.chain"))]
    if key.p12 is not None:
        data = _read(key.p12, msg("signing.p12"))
        try:
            private, cert, extra = pkcs12.load_key_and_certificates(data, key.passphrase)
        except ValueError as e:
            locked = "password" in str(e).lower() or "mac" in str(e).lower()
            if locked and key.passphrase is None:
                raise SigningError(msg("signing.passphrase-needed", path=str(key.p12))) from e
            if locked:
                raise SigningError(msg("signing.wrong-passphrase", path=str(key.p12))) from e
            raise SigningError(msg("signing.not-pkcs12", path=str(key.p12))) from e
        if private is None or cert is None:
            raise SigningError(msg("signing.p12-incomplete", path=str(key.p12)))
        signing_key = translate_pyca_cryptography_key_to_asn1(private)
        signing_cert = translate_pyca_cryptography_cert_to_asn1(cert)
        others += [translate_pyca_cryptography_cert_to_asn1(c) for c in extra]
        source = key.p12
    else:
        if key.key is None or key.cert is None:
            raise SigningError(msg("signing.key-and-cert"))
        data = _read(key.key, msg("signing.key"))
        try:
            signing_key = load_private_key_from_pemder_data(data, passphrase=key.passphrase)
        except TypeError as e:  # cryptography: encrypted key, no password (or the reverse)
            if key.passphrase is None:
                raise SigningError(msg("signing.passphrase-needed", path=str(key.key))) from e
            raise SigningError(msg("signing.not-a-key", path=str(key.key))) from e
        except ValueError as e:
            if key.passphrase is not None:
                raise SigningError(msg("signing.wrong-passphrase", path=str(key.key))) from e
            raise SigningError(msg("signing.not-a-key", path=str(key.key))) from e
        signing_cert = _load_certs(_read(key.cert, msg("signing.cert")), key.cert,
                                   msg("signing.cert"))[0]
        source = key.cert
    if signing_cert.public_key.dump() != _public_key_of(signing_key):
        raise SigningError(msg("signing.key-cert-mismatch", path=str(source)))
    now = dt.datetime.now(dt.UTC)
    validity = signing_cert["tbs_certificate"]["validity"]
    not_before = validity["not_before"].native
    not_after = validity["not_after"].native
    if not (not_before <= now <= not_after):
        raise SigningError(msg("signing.cert-not-valid-now", path=str(source),
                               start=not_before.date(), end=not_after.date()))
    registry = SimpleCertificateStore()
    registry.register_multiple(others)
    return _signer_class()(signing_cert=signing_cert, signing_key=signing_key,
                           cert_registry=registry)


def _signer_class() -> type[SimpleSigner]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from pyhanko.sign.general import get_pyca_cryptography_hash
    from pyhanko.sign.signers import SimpleSigner

    class KeptKeySigner(SimpleSigner):
        """pyHanko's signer, keeping the private key loaded: loading an RSA key checks it,
        which takes longer than signing, and pyHanko loads it for every signature."""

        _loaded: Any = None

        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
            if mechanism["algorithm"].native != "sha256_rsa" and not (
                mechanism["algorithm"].native == "rsassa_pkcs1v15"
                and digest_algorithm == "sha256"
            ):
                return super().sign_raw(data, digest_algorithm)
            if self._loaded is None:
                self._loaded = serialization.load_der_private_key(
                    self.signing_key.dump(), password=None)
            assert isinstance(self._loaded, RSAPrivateKey)
            return self._loaded.sign(data, PKCS1v15(), get_pyca_cryptography_hash("sha256"))

    return KeptKeySigner


def _public_key_of(private: Any) -> bytes:
    """The DER of the public key matching an asn1crypto private key."""
    from cryptography.hazmat.primitives import serialization

    loaded = serialization.load_der_private_key(private.dump(), password=None)
    public = loaded.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    from asn1crypto import keys

    return bytes(keys.PublicKeyInfo.load(public).dump())


class CertificateSigner:
    """Signs certificate PDFs with one key; made once per batch (loading checks the key)."""

    def __init__(self, key: SigningKey):
        from pyhanko.sign import signers
        from pyhanko.sign.fields import SigSeedSubFilter

        if key.ltv and not key.timestamp_url:
            raise SigningError(msg("signing.ltv-needs-timestamp"))
        self.key = key
        self._signer = _signer(key)
        timestamper = None
        if key.timestamp_url:
            from pyhanko.sign.timestamps import HTTPTimeStamper

            timestamper = HTTPTimeStamper(key.timestamp_url)
            _probe(timestamper, key.timestamp_url)
        validation = None
        if key.ltv:
            from pyhanko_certvalidator import ValidationContext

            chain = list(self._signer.cert_registry)
            roots = [c for c in chain if c.self_signed == "maybe" or c.self_signed == "yes"]
            validation = ValidationContext(
                trust_roots=roots, other_certs=chain, allow_fetching=True,
                revocation_mode="hard-fail",
            )
        meta = signers.PdfSignatureMetadata(
            field_name=SIGNATURE_FIELD,
            subfilter=SigSeedSubFilter.PADES,
            md_algorithm="sha256",
            embed_validation_info=key.ltv,
            validation_context=validation,
        )
        self._pdf_signer: PdfSigner = signers.PdfSigner(
            meta, signer=self._signer, timestamper=timestamper
        )
        # Room for the signature: pyHanko measures it with a trial signature each time
        # unless told; a B-B signature holds the certificates and a few hundred bytes more.
        certs = [self._signer.signing_cert, *self._signer.cert_registry]
        self._reserve = (
            None if key.timestamp_url else 2 * (sum(len(c.dump()) for c in certs) + 4096)
        )

    @property
    def level(self) -> str:
        """The PAdES baseline level of the signatures made: B-B, B-T or B-LT."""
        if self.key.ltv:
            return "B-LT"
        return "B-T" if self.key.timestamp_url else "B-B"

    def sign(self, source: Path | BinaryIO, target: Path) -> None:
        """Write ``target``: ``source`` (a file, or its bytes) with a signature over the
        whole file added.

        Raises SigningError when the time-stamping authority or the revocation
        information cannot be had.
        """
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

        with ExitStack() as stack:
            src = stack.enter_context(source.open("rb")) if isinstance(source, Path) else source
            out = stack.enter_context(target.open("wb"))
            writer = IncrementalPdfFileWriter(src, strict=False)
            try:
                self._pdf_signer.sign_pdf(writer, output=out, bytes_reserved=self._reserve)
            except Exception as e:  # pyHanko: SigningError, network errors, validation errors
                from pyhanko.sign.general import SigningError as PyHankoSigningError
                from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError

                if isinstance(e, PyHankoSigningError | PathBuildingError | PathValidationError
                              | OSError):
                    raise SigningError(msg("signing.failed", path=str(target),
                                           reason=str(e) or type(e).__name__)) from e
                raise


def _probe(timestamper: Any, url: str) -> None:
    """Ask the time-stamping authority for one time-stamp, so that an authority that does
    not answer stops the run before any number is handed out."""
    import asyncio
    import hashlib

    try:
        asyncio.run(timestamper.async_timestamp(hashlib.sha256(b"formgen").digest(), "sha256"))
    except Exception as e:  # aiohttp's and pyHanko's errors alike: the authority failed
        raise SigningError(msg("signing.timestamp-unavailable", url=url,
                               reason=str(e) or type(e).__name__)) from e


def signing_key_from_options(key: Path | None, cert: Path | None, p12: Path | None,
                             chain: tuple[Path, ...], timestamp_url: str | None,
                             ltv: bool) -> SigningKey | None:
    """The SigningKey the command line asks for (None: no signing); the passphrase comes
    from the environment (``FORMGEN_SIGN_PASSPHRASE``)."""
    if key is None and cert is None and p12 is None:
        if chain or timestamp_url or ltv:
            raise SigningError(msg("signing.options-without-key"))
        return None
    if p12 is not None and (key is not None or cert is not None):
        raise SigningError(msg("signing.p12-or-pem"))
    if p12 is None and (key is None or cert is None):
        raise SigningError(msg("signing.key-and-cert"))
    passphrase = os.environ.get(PASSPHRASE_VARIABLE)
    return SigningKey(key=key, cert=cert, p12=p12, chain=chain,
                      passphrase=passphrase.encode("utf-8") if passphrase is not None else None,
                      timestamp_url=timestamp_url, ltv=ltv)


