"""QR codes printed on certificates: the link they hold, the PNG image and the PDF stamp.

A certificate's QR code holds a link to its verification page, ``<base>/c/<code>``
(``https://verify.example.org/c/7KQ2M9XD4T``), the base coming from the manifest
(``certificates.<programme>.verify_url``) or ``formgen certificates --verify-url``.
Certificates printed before held ``FORMGEN-CERT|<number>|<short code>`` instead;
:func:`parse_payload` still reads that text for ``formgen verify``.

A certificate template marks the QR code's place with a placeholder picture (alt text
QR_DESCR). The batch renderer swaps it for a marker picture of an unusual pixel size
(:func:`marker_png`), and :func:`stamp_qr` puts each certificate's code in the marker's
place in the PDF LibreOffice writes: a 1-bit image, sharp at any size. The placeholder's
size in the template is the code's printed size: 3.3 cm with its quiet zone, so that a
link like ``https://verify.example.org/c/…`` (a version 3 code, 37 modules with the quiet
zone) has 0.9 mm modules, 2.4 pixels in a 70 dpi scan, which still decodes.
"""

from __future__ import annotations

import io
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import qrcode
from qrcode.constants import ERROR_CORRECT_M

from formgen.exceptions import ConversionError, VerificationError
from formgen.messages import msg

if TYPE_CHECKING:
    from pypdf import PageObject, PdfWriter
    from pypdf.generic import EncodedStreamObject, IndirectObject

PAYLOAD_TAG = "FORMGEN-CERT"
"""First field of the QR text of certificates printed before they carried a link."""
LINK_PATH = "/c/"
"""A certificate's verification page is ``<base>/c/<code>``."""

QUIET_ZONE = 4
"""White border around the code, in modules (the QR standard asks for four)."""

QR_DESCR = "certificate QR code"
"""Alt text (description) of the placeholder picture that becomes each certificate's QR code."""
QR_MASK = 2
"""QR mask pattern used on every certificate (see :func:`qr_matrix`)."""
QR_SCALE = 8
"""Image pixels per QR module."""
MARKER_PX = 53
"""Pixel size of the stand-in picture that marks the QR code's place in the PDF."""

_LINK = re.compile(r"/c/([0-9A-Za-z-]{10,12})/?")


def verify_link(base: str, short_code: str) -> str:
    """The verification page of a certificate: ``<base>/c/<code without dashes>``."""
    return base.rstrip("/") + LINK_PATH + short_code.replace("-", "")


def short_link(link: str) -> str:
    """The link as printed under the QR code: without ``https://`` (browsers add it)."""
    return link.removeprefix("https://")


def code_in_link(text: str) -> str | None:
    """The code in a verification link (``https://…/c/7KQ2M9XD4T``, with or without the
    scheme), or None when ``text`` is not one."""
    text = text.strip()
    if LINK_PATH not in text:
        return None
    path = urlsplit(text if "://" in text else "https://" + text).path
    found = _LINK.fullmatch(path[path.rfind(LINK_PATH):])
    return found.group(1) if found else None


def parse_payload(text: str) -> tuple[str, str]:
    """Split the text of an old certificate's QR code into (certificate number, short code).

    Raises :class:`VerificationError` when the text is not a formgen certificate payload.
    """
    parts = text.strip().split("|")
    if len(parts) != 3 or parts[0].strip().upper() != PAYLOAD_TAG or not all(parts[1:]):
        shown = text.strip()[:60]
        raise VerificationError(msg("verify.qr-not-formgen", text=shown))
    return parts[1].strip(), parts[2].strip()


def _qr_code(text: str, mask_pattern: int | None = None) -> qrcode.QRCode[Any]:
    """``text``'s QR code: error correction M, a QUIET_ZONE border, one pixel per module.

    Without ``mask_pattern`` qrcode tries all eight masks and keeps the best.
    """
    code = qrcode.QRCode(
        error_correction=ERROR_CORRECT_M, box_size=1, border=QUIET_ZONE,
        mask_pattern=mask_pattern,
    )
    code.add_data(text)
    code.make(fit=True)
    return code


def qr_png(text: str, size_px: int) -> bytes:
    """A black-on-white PNG QR code of ``text``, exactly ``size_px`` pixels square.

    Modules are whole pixels (no blurry scaling); any pixels left over are added to the
    white border. Raises ValueError when ``size_px`` is too small to draw one pixel per
    module.
    """
    code = _qr_code(text)
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


# ----------------------------------------------------------------------------- in the PDF


def qr_matrix(text: str) -> list[list[bool]]:
    """The modules of ``text``'s QR code, quiet zone included (True is dark).

    Same code as :func:`qr_png` (error correction M, four-module quiet zone) with a fixed
    mask pattern: choosing the "best" mask tries all eight and costs ten times as much,
    which a batch of a thousand certificates feels.
    """
    return _qr_code(text, QR_MASK).get_matrix()


@lru_cache(maxsize=4096)
def _qr_pixels(text: str) -> tuple[int, bytes]:
    """(side in pixels, 1-bit rows) of ``text``'s QR code, QR_SCALE pixels per module."""
    matrix = qr_matrix(text)
    size = len(matrix) * QR_SCALE
    pad = (-size) % 8
    white = (1 << QR_SCALE) - 1  # DeviceGray, 1 bit: 0 is black, 1 is white
    rows = bytearray()
    for row in matrix:
        bits = 0
        for dark in row:
            bits = (bits << QR_SCALE) | (0 if dark else white)
        rows += ((bits << pad).to_bytes((size + pad) // 8, "big")) * QR_SCALE
    return size, bytes(rows)


def qr_image(text: str) -> EncodedStreamObject:
    """The QR code of ``text`` as a 1-bit PDF image, QR_SCALE pixels per module.

    Whole pixels per module keep the edges sharp when a viewer or printer scales it.
    """
    from pypdf.generic import BooleanObject, DecodedStreamObject, NameObject, NumberObject

    size, rows = _qr_pixels(text)
    image = DecodedStreamObject()
    image.set_data(rows)
    image.update({
        NameObject("/Type"): NameObject("/XObject"),
        NameObject("/Subtype"): NameObject("/Image"),
        NameObject("/Width"): NumberObject(size),
        NameObject("/Height"): NumberObject(size),
        NameObject("/ColorSpace"): NameObject("/DeviceGray"),
        NameObject("/BitsPerComponent"): NumberObject(1),
        NameObject("/Interpolate"): BooleanObject(False),
    })
    return image.flate_encode()


def marker_png() -> bytes:
    """The picture standing in for the QR code until the PDF gets the real one.

    Its unusual pixel size is how it is found again in the PDF LibreOffice writes.
    """
    from PIL import Image

    image = Image.new("L", (MARKER_PX, MARKER_PX), 255)
    for i in range(MARKER_PX):
        for edge in (0, MARKER_PX - 1):
            image.putpixel((i, edge), 160)
            image.putpixel((edge, i), 160)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _is_marker(obj: Any) -> bool:
    return (
        obj.get("/Subtype") == "/Image"
        and obj.get("/Width") == MARKER_PX
        and obj.get("/Height") == MARKER_PX
    )


def stamp_qr(writer: PdfWriter, page: PageObject, payload: str) -> None:
    """Put the QR code of ``payload`` where the marker picture is on ``page`` (of ``writer``).

    The page gets resources of its own (LibreOffice shares one set between pages).
    Raises ConversionError when the page shows no marker picture.
    """
    from pypdf.generic import DictionaryObject, NameObject

    resources = page.get("/Resources")
    resources = resources.get_object() if resources is not None else DictionaryObject()
    xobjects = resources.get("/XObject")
    xobjects = xobjects.get_object() if xobjects is not None else DictionaryObject()
    image: IndirectObject | None = None
    mine = DictionaryObject()
    for name, ref in xobjects.items():
        if _is_marker(ref.get_object()):
            image = image or writer._add_object(qr_image(payload))
            mine[NameObject(name)] = image
        else:
            mine[NameObject(name)] = ref
    if image is None:
        raise ConversionError(msg("conversion.qr-place-lost"))
    own = DictionaryObject(resources)
    own[NameObject("/XObject")] = mine
    page[NameObject("/Resources")] = own
