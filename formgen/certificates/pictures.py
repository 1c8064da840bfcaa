"""Signature and seal pictures, drawn over a certificate's signature lines in the PDF.

A certificate template has one placeholder picture above each signature line: a blank
picture ``SIGN_MARKER_HEIGHT`` pixels high and ``SIGN_MARKER_WIDTH + i`` pixels wide for
line *i* (counting from 0), with the alt text ``signature line <i + 1>``. LibreOffice
keeps it as it is, so it is found again in the PDF, like the QR code's marker
(:mod:`formgen.certificates.qr`). :class:`ArtStamper` puts in its place what the manifest
gives for that line: the officer's signature fitted into the placeholder's box, and the
society's seal (``SEAL_PT`` across) centred on the line, both multiplied onto the page so
that a white background prints as paper. A line with neither stays blank for ink.

Pictures are checked (PNG or JPEG, size, pixels) before any certificate is numbered, and
each is scaled once to what it needs at 300 dpi.
"""

from __future__ import annotations

import io
import re
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from formgen.exceptions import ManifestError
from formgen.messages import msg

if TYPE_CHECKING:
    from pypdf import PageObject, PdfWriter

SIGN_MARKER_WIDTH = 61
SIGN_MARKER_HEIGHT = 21
SIGN_DESCR = "signature line {n}"
"""Alt text of the placeholder picture above signature line n (from 1)."""
MAX_LINES = 8
SEAL_PT = 3.6 / 2.54 * 72
"""Size of a seal on the page (3.6 cm across)."""
MAX_BYTES = 5 * 1024 * 1024
MIN_PX, MAX_PX = 50, 5000
_DPI = 300


@dataclass(frozen=True)
class LineArt:
    """What is drawn over one signature line: the officer's signature, the body's seal."""

    signature: Path | None = None
    seal: Path | None = None


def check_picture(path: Path) -> None:
    """Raise ManifestError unless ``path`` is a PNG or JPEG picture of a usable size."""
    _picture(path.resolve(), _stamp(path))


def _stamp(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError as e:
        raise ManifestError(msg("manifest.picture-unreadable", path=str(path),
                                reason=str(e.strerror or e))) from e


@dataclass(frozen=True)
class _Picture:
    width: int
    height: int
    rgb: bytes
    """Flate-compressed RGB samples."""
    alpha: bytes | None
    """Flate-compressed alpha samples, when the picture has transparency."""


@lru_cache(maxsize=64)
def _picture(path: Path, stamp: float) -> _Picture:
    """The picture at ``path`` checked and scaled for drawing (cached per file version)."""
    from PIL import Image, UnidentifiedImageError

    try:
        size = path.stat().st_size
        data = path.read_bytes()
    except OSError as e:
        raise ManifestError(msg("manifest.picture-unreadable", path=str(path),
                                reason=str(e.strerror or e))) from e
    if size > MAX_BYTES:
        raise ManifestError(msg("manifest.picture-too-large", path=str(path),
                                size=round(size / 1024 / 1024, 1), limit=MAX_BYTES // 1024 // 1024))
    try:
        image = Image.open(io.BytesIO(data))
        kind = image.format
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as e:
        raise ManifestError(msg("manifest.picture-type", path=str(path), kind="?")) from e
    if kind not in ("PNG", "JPEG"):
        raise ManifestError(msg("manifest.picture-type", path=str(path), kind=str(kind)))
    w, h = image.size
    if not (MIN_PX <= w <= MAX_PX and MIN_PX <= h <= MAX_PX):
        raise ManifestError(msg("manifest.picture-pixels", path=str(path), width=str(w),
                                height=str(h), least=str(MIN_PX), most=str(MAX_PX)))
    longest = round(max(SEAL_PT, 6 / 2.54 * 72) / 72 * _DPI)
    image.thumbnail((longest, longest))
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    rgba = image.convert("RGBA") if has_alpha else image.convert("RGB")
    rgb = rgba.convert("RGB")
    alpha = zlib.compress(rgba.getchannel("A").tobytes()) if has_alpha else None
    return _Picture(rgb.width, rgb.height, zlib.compress(rgb.tobytes()), alpha)


class ArtStamper:
    """Draws signatures and seals over signature lines on the pages of one PDF writer.

    The pictures and the drawing of each line are added to the writer once, however many
    pages use them.
    """

    def __init__(self, writer: PdfWriter):
        self.writer = writer
        self._images: dict[Path, Any] = {}
        self._forms: dict[tuple[tuple[float, float], LineArt], Any] = {}
        self._multiply: Any = None

    def stamp(self, page: PageObject, art: list[LineArt],
              boxes: dict[int, tuple[float, float]]) -> None:
        """Replace the placeholders on ``page`` with ``art`` (one per line, left to right);
        ``boxes[i]`` is the size in points of the placeholder above line ``i``."""
        from pypdf.generic import DictionaryObject, NameObject

        resources: Any = page.get("/Resources")
        if resources is None:
            return
        resources = resources.get_object()
        xobjects = resources.get("/XObject")
        if xobjects is None:
            return
        mine = DictionaryObject()
        sealed: dict[str, Path] = {}
        found = False
        for name, ref in xobjects.get_object().items():
            index = _line_of(ref.get_object())
            if index is None:
                mine[NameObject(name)] = ref
                continue
            found = True
            drawn = art[index] if index < len(art) else LineArt()
            mine[NameObject(name)] = self._form(boxes.get(index, (1.0, 1.0)), drawn)
            if drawn.seal is not None:
                sealed[name] = drawn.seal
        if not found:
            return
        own = DictionaryObject(resources)
        own[NameObject("/XObject")] = mine
        page[NameObject("/Resources")] = own
        if sealed:
            self._seal(page, own, sealed)

    def _seal(self, page: PageObject, resources: Any, sealed: dict[str, Path]) -> None:
        """Draw each seal over the page, centred on its line, on top of the text.

        LibreOffice clips a picture to its frame, so a seal, larger than the room above
        its line, is drawn by a content stream of its own at the placeholder's place.
        """
        from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject

        content = page.get_contents()
        data = content.get_data() if content is not None else b""
        placed = {m.group(7).decode("latin-1"): [float(v) for v in m.groups()[:6]]
                  for m in _PLACED.finditer(data)}
        ops: list[str] = []
        states = DictionaryObject(resources.get("/ExtGState") or {})
        states[NameObject("/FgMul")] = self._multiply_state()
        mine = DictionaryObject(resources["/XObject"])
        for k, (name, seal) in enumerate(sealed.items()):
            if name not in placed:
                continue
            a, _b, _c, _d, e, f = placed[name]
            ref, ratio = self._image(seal)
            w, h = (SEAL_PT, SEAL_PT / ratio) if ratio > 1 else (SEAL_PT * ratio, SEAL_PT)
            x, y = e + a / 2 - w / 2, f - h / 2  # centred on the line
            mine[NameObject(f"/FgSeal{k}")] = ref
            ops.append(f"q /FgMul gs {w:.3f} 0 0 {h:.3f} {x:.3f} {y:.3f} cm /FgSeal{k} Do Q")
        if not ops:
            return
        resources[NameObject("/XObject")] = mine
        resources[NameObject("/ExtGState")] = states
        stream = DecodedStreamObject()
        stream.set_data(("\n" + "\n".join(ops)).encode("ascii"))
        existing: Any = page.get("/Contents")
        parts = list(existing.get_object()) if isinstance(existing.get_object(), list) else [existing]
        page[NameObject("/Contents")] = ArrayObject(
            [*parts, self.writer._add_object(stream.flate_encode())])

    def _multiply_state(self) -> Any:
        from pypdf.generic import DictionaryObject, NameObject

        if self._multiply is None:
            self._multiply = self.writer._add_object(DictionaryObject({
                NameObject("/Type"): NameObject("/ExtGState"),
                NameObject("/BM"): NameObject("/Multiply"),
            }))
        return self._multiply

    def _image(self, path: Path) -> Any:
        from pypdf.generic import NameObject, NumberObject, StreamObject

        if path not in self._images:
            picture = _picture(path.resolve(), _stamp(path))

            def stream(data: bytes, space: str) -> Any:
                obj = StreamObject()
                obj._data = data
                obj.update({
                    NameObject("/Type"): NameObject("/XObject"),
                    NameObject("/Subtype"): NameObject("/Image"),
                    NameObject("/Width"): NumberObject(picture.width),
                    NameObject("/Height"): NumberObject(picture.height),
                    NameObject("/ColorSpace"): NameObject(space),
                    NameObject("/BitsPerComponent"): NumberObject(8),
                    NameObject("/Filter"): NameObject("/FlateDecode"),
                })
                return obj

            image = stream(picture.rgb, "/DeviceRGB")
            if picture.alpha is not None:
                image[NameObject("/SMask")] = self.writer._add_object(
                    stream(picture.alpha, "/DeviceGray"))
            self._images[path] = (self.writer._add_object(image), picture.width / picture.height)
        return self._images[path]

    def _form(self, box: tuple[float, float], art: LineArt) -> Any:
        from pypdf.generic import (
            ArrayObject,
            DecodedStreamObject,
            DictionaryObject,
            FloatObject,
            NameObject,
        )

        key = (box, LineArt(signature=art.signature))
        if key in self._forms:
            return self._forms[key]
        width, height = box
        ops: list[str] = []
        images = DictionaryObject()
        bbox = [0.0, 0.0, 1.0, 1.0]
        if art.signature is not None:
            ref, ratio = self._image(art.signature)
            box_ratio = width / height
            sx, sy = (1.0, box_ratio / ratio) if ratio > box_ratio else (ratio / box_ratio, 1.0)
            ops.append(f"q /Mul gs {sx:.5f} 0 0 {sy:.5f} {(1 - sx) / 2:.5f} "
                       f"{(1 - sy) / 2:.5f} cm /Sig Do Q")
            images[NameObject("/Sig")] = ref
        form = DecodedStreamObject()
        form.set_data("\n".join(ops).encode("ascii"))
        form.update({
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject(FloatObject(round(v, 5)) for v in bbox),
        })
        if ops:
            form[NameObject("/Resources")] = DictionaryObject({
                NameObject("/XObject"): images,
                NameObject("/ExtGState"): DictionaryObject({
                    NameObject("/Mul"): self._multiply_state()}),
            })
        self._forms[key] = self.writer._add_object(form.flate_encode())
        return self._forms[key]


_NUMBER = rb"(-?[\d.]+)"
_PLACED = re.compile(b" ".join([_NUMBER] * 6) + rb" cm\s*(/[^\s/]+) Do")
"""A picture drawn where ``cm`` puts it, as LibreOffice writes it: its place on the page."""


def _line_of(obj: Any) -> int | None:
    """The signature line whose placeholder ``obj`` is, or None."""
    if obj.get("/Subtype") != "/Image" or obj.get("/Height") != SIGN_MARKER_HEIGHT:
        return None
    index = int(obj.get("/Width", 0)) - SIGN_MARKER_WIDTH
    return index if 0 <= index < MAX_LINES else None
