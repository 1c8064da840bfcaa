"""QR codes printed on certificates: the payload text and the PNG image.

A certificate's QR code holds ``FORMGEN-CERT|<number>|<short code>``; scanning it and
passing the text to :meth:`formgen.register.Register.verify_payload` checks that the
certificate is in the register and genuine.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import qrcode
from qrcode.constants import ERROR_CORRECT_M

from formgen.exceptions import VerificationError

if TYPE_CHECKING:
    from formgen.register import Issued

PAYLOAD_TAG = "FORMGEN-CERT"
"""First field of every certificate QR payload."""

QUIET_ZONE = 4
"""White border around the code, in modules (the QR standard asks for four)."""


def qr_payload(issued: Issued) -> str:
    """The text a certificate's QR code holds: ``FORMGEN-CERT|<number>|<short code>``."""
    return f"{PAYLOAD_TAG}|{issued.number}|{issued.short_code}"


def parse_payload(text: str) -> tuple[str, str]:
    """Split a scanned QR payload into (certificate number, short code).

    Raises :class:`VerificationError` when the text is not a formgen certificate payload.
    """
    parts = text.strip().split("|")
    if len(parts) != 3 or parts[0].strip().upper() != PAYLOAD_TAG or not all(parts[1:]):
        shown = text.strip()[:60]
        raise VerificationError(f"the QR code text {shown!r} is not a formgen certificate code")
    return parts[1].strip(), parts[2].strip()


def qr_png(text: str, size_px: int) -> bytes:
    """A black-on-white PNG QR code of ``text``, exactly ``size_px`` pixels square.

    Modules are whole pixels (no blurry scaling); any pixels left over are added to the
    white border. Raises ValueError when ``size_px`` is too small to draw one pixel per
    module.
    """
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=1, border=QUIET_ZONE)
    code.add_data(text)
    code.make(fit=True)
    modules = code.modules_count + 2 * QUIET_ZONE
    if size_px < modules:
        raise ValueError(f"a QR code of {text!r} needs at least {modules} px, not {size_px}")
    code.box_size = size_px // modules
    image = code.make_image(fill_color="black", back_color="white").get_image().convert("1")
    if image.size != (size_px, size_px):
        from PIL import Image

        canvas = Image.new("1", (size_px, size_px), 1)
        offset = (size_px - image.size[0]) // 2
        canvas.paste(image, (offset, offset))
        image = canvas
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
