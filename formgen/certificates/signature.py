"""Checking a signed certificate PDF: ``formgen verify FILE.pdf``.

A PDF is a genuine signed certificate when its last signature is intact and valid, made
with a certificate that chains to a trusted root, covers the whole file (nothing added
after signing but, for PAdES B-LT, the validation data), and the certificate number and verification code embedded in the file
(:func:`formgen.certificates.pdfa.read_certificate`) are the ones printed on its page.
The register is checked by the command.
"""

from __future__ import annotations

import datetime as dt
import io
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from formgen.certificates.pdfa import read_certificate
from formgen.certificates.signing import _load_certs, _read
from formgen.exceptions import SigningError
from formgen.messages import Message, msg


@dataclass
class SignatureCheck:
    """What :func:`check_signed_pdf` found."""

    signer: str = ""
    """The signing certificate's common name and organisation."""
    signed_at: dt.datetime | None = None
    """When it was signed (the time-stamp's time when there is one)."""
    level: str = ""
    """PAdES level found: B-B, B-T or B-LT."""
    coverage: Message | str = ""
    """What the signature covers: the whole file, or all but validation data added later."""
    certificate: dict[str, str] = field(default_factory=dict)
    """The certificate's own properties embedded in the file: holder, number, code."""
    problems: list[Message] = field(default_factory=list)
    """Why it is not genuine; empty when it is."""

    @property
    def genuine(self) -> bool:
        return not self.problems


def system_roots() -> list[Any]:
    """The roots the system trusts: the CA bundle OpenSSL uses (``SSL_CERT_FILE`` where set),
    given to pyHanko by name, as its own look-up of the system's list is deprecated. None
    when the system has no bundle: then only ``--trust`` makes a signer trusted."""
    paths = ssl.get_default_verify_paths()
    for bundle in (paths.cafile, paths.openssl_cafile):
        if bundle and Path(bundle).is_file():
            return _load_certs(_read(Path(bundle), msg("signing.trust")), Path(bundle),
                               msg("signing.trust"))
    return []


def check_signed_pdf(path: Path, trust: tuple[Path, ...] = ()) -> SignatureCheck:
    """Check the signature of the certificate PDF at ``path``.

    ``trust``: certificates (PEM or DER) of the roots to trust; none: the system's.
    Raises SigningError when the file cannot be read as a PDF at all.
    """
    import asyncio

    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    check = SignatureCheck()
    roots = [c for p in trust for c in _load_certs(_read(p, msg("signing.trust")), p,
                                                    msg("signing.trust"))]
    data = _read(path, msg("signing.pdf"))
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_regular_signatures
    except (PdfReadError, ValueError, KeyError) as e:
        raise SigningError(msg("signing.not-a-pdf", path=str(path), reason=str(e))) from e
    if not signatures:
        check.problems.append(msg("signing.unsigned"))
        return check
    signature = signatures[-1]
    context = ValidationContext(trust_roots=roots or system_roots(), allow_fetching=False,
                                revocation_mode="soft-fail")
    try:
        status = asyncio.run(async_validate_pdf_signature(signature, context))
    except Exception as e:  # pyHanko reports a signature it cannot even parse this way
        check.problems.append(msg("signing.unreadable-signature", reason=str(e) or type(e).__name__))
        return check
    check.signer = _who(status.signing_cert)
    ts = status.timestamp_validity
    check.signed_at = ts.timestamp if ts is not None else status.signer_reported_dt
    check.level = "B-LT" if reader.root.get("/DSS") is not None and ts else (
        "B-T" if ts else "B-B")
    if not status.intact:
        check.problems.append(msg("signing.altered"))
    elif not status.valid:
        check.problems.append(msg("signing.invalid"))
    if status.intact and status.valid and not status.trusted:
        check.problems.append(msg("signing.untrusted", signer=check.signer))
    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        check.coverage = msg("signing.coverage-whole")
    elif (status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
          and status.modification_level == ModificationLevel.LTA_UPDATES):
        # B-LT: the validation data (DSS) is added in a revision after the signature.
        check.coverage = msg("signing.coverage-validation-data")
    else:
        check.problems.append(msg("signing.not-whole-file"))
    if ts is not None and not (ts.intact and ts.valid):
        check.problems.append(msg("signing.bad-timestamp"))
    from pypdf import PdfReader

    document = PdfReader(io.BytesIO(data))
    check.certificate = read_certificate(document)
    if not check.problems:
        check.problems.extend(_printed_problems(document, check.certificate))
    return check


def _who(cert: Any) -> str:
    """``Test Certificates Office (Test Society)``: the signer's common name and organisation."""
    subject = cert.subject.native
    name = subject.get("common_name") or cert.subject.human_friendly
    organisation = subject.get("organization_name")
    return f"{name} ({organisation})" if organisation and organisation != name else str(name)


def _printed_problems(document: Any, embedded: dict[str, str]) -> list[Message]:
    """The number and code embedded must be the ones printed on the page."""
    if not embedded.get("number") or not embedded.get("code"):
        return [msg("signing.no-certificate-data")]
    text = "".join(page.extract_text() for page in document.pages)
    flat = "".join(text.split())
    missing = [embedded[k] for k in ("number", "code") if embedded[k] not in flat]
    return [msg("signing.not-printed", values=missing)] if missing else []


def signature_archival_problems(data: bytes) -> list[str]:
    """veraPDF's PDF/A-2b rules for the signatures of the PDF ``data`` (6.4.3): each
    covers the whole file (to the end of its revision) but its own Contents, and holds
    one signer, whose certificate it includes. Empty: nothing found."""
    from asn1crypto import cms
    from pypdf import PdfReader

    problems: list[str] = []
    root: Any = PdfReader(io.BytesIO(data)).trailer["/Root"]
    form = root.get("/AcroForm")
    fields = form.get_object().get("/Fields", []) if form is not None else []
    for sig in (f.get_object() for f in fields):
        value = sig.get("/V")
        if sig.get("/FT") != "/Sig" or value is None:
            continue
        value, name = value.get_object(), sig.get("/T")
        start, gap, resume, length = (int(v) for v in value["/ByteRange"])
        end = data[:resume + length].rstrip()
        if start != 0 or data[gap:gap + 1] != b"<" or data[resume - 1:resume] != b">" \
                or not end.endswith(b"%%EOF"):
            problems.append(f"signature {name}: its byte range does not cover the whole file")
        signed = cms.ContentInfo.load(bytes(value["/Contents"]))["content"]
        signers = signed["signer_infos"]
        serials = {c.chosen.serial_number for c in signed["certificates"] or []}
        if len(signers) != 1:
            problems.append(f"signature {name}: {len(signers)} signers, not one")
        elif signers[0]["sid"].chosen["serial_number"].native not in serials:
            problems.append(f"signature {name}: the signer's certificate is not included")
    return problems
