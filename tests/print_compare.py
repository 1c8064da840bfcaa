"""Whether two PDFs print the same, up to what no reader can see.

Two documents print the same when they have as many pages and, page by page,
- the same words, each where it was within ``TOLERANCE_PT``;
- the same characters drawn in the same fonts (a value that lost its bold, or a dash
  drawn by the Chinese font instead of the Latin one, differs here);
- no ink in one farther than ``TOLERANCE_PT`` from ink in the other (a border, a shading,
  a placeholder, a line moved).

The tolerance is 1.5 pt, half a millimetre, far below what a changed line or row would
move (a line is 12.5 pt or more): where a run of text is cut in two, as at the edge of a
Word content control, LibreOffice does not kern across the cut, and the words after it
move by up to half a point; a centred line that ends in an empty control (a blank form)
keeps the space before the control, which moves the line by half a space, 1.2 pt.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path

from PIL import Image, ImageChops, ImageFilter
from pypdf import PdfReader

TOLERANCE_PT = 1.5
DPI = 100
_NEAR = 5  # pixels across a neighbourhood: ±2 px, ±1.44 pt at 100 dpi
_INK_STEP = 64  # a grey step a reader sees (a quarter of black)
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')


def page_words(pdf: Path) -> list[list[tuple[str, float, float, float, float]]]:
    """Each page's words with their boxes, in points (``pdftotext -bbox``), sorted."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True,
                         text=True, check=True).stdout
    return [sorted((m[5], float(m[1]), float(m[2]), float(m[3]), float(m[4]))
                   for m in _WORD.finditer(page)) for page in out.split("<page ")[1:]]


def page_fonts(pdf: Path) -> list[Counter[tuple[str, str]]]:
    """Each page's characters by the font that draws them (subset prefixes dropped)."""
    pages: list[Counter[tuple[str, str]]] = []
    for page in PdfReader(pdf).pages:
        drawn: Counter[tuple[str, str]] = Counter()

        def visit(text: str, cm: object, tm: object, font: object, size: object,
                  drawn: Counter[tuple[str, str]] = drawn) -> None:
            if isinstance(font, dict):
                name = str(font.get("/BaseFont", "")).split("+")[-1]
                drawn.update((name, ch) for ch in text if not ch.isspace())

        page.extract_text(visitor_text=visit)
        pages.append(drawn)
    return pages


def stray_ink(a: Image.Image, b: Image.Image) -> int:
    """Pixels of ``b`` darker or lighter than anything within the tolerance of the same
    place in ``a``. Both are smoothed by a pixel first, so that the same glyph drawn at
    another fraction of a pixel (grey edges where there were black ones) is not counted."""
    a, b = (img.convert("L").filter(ImageFilter.BoxBlur(1)) for img in (a, b))
    darker = ImageChops.subtract(a.filter(ImageFilter.MinFilter(_NEAR)), b)
    lighter = ImageChops.subtract(b, a.filter(ImageFilter.MaxFilter(_NEAR)))
    return sum(darker.histogram()[_INK_STEP:]) + sum(lighter.histogram()[_INK_STEP:])


def _pages(pdf: Path, work: Path) -> list[Path]:
    prefix = work / pdf.stem
    work.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", str(DPI), "-gray", "-png", str(pdf), str(prefix)], check=True)
    return sorted(work.glob(f"{prefix.name}-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))


def print_differences(pdf: Path, other: Path, work: Path) -> list[str]:
    """What a reader could see differ between two PDFs; empty when they print the same."""
    found: list[str] = []
    words, other_words = page_words(pdf), page_words(other)
    if len(words) != len(other_words):
        return [f"{len(words)} pages against {len(other_words)}"]
    for number, (page, other_page) in enumerate(zip(words, other_words, strict=True), start=1):
        if [w[0] for w in page] != [w[0] for w in other_page]:
            found.append(f"page {number}: other words")
            continue
        moved = max((abs(x - y) for w, v in zip(page, other_page, strict=True)
                     for x, y in zip(w[1:], v[1:], strict=True)), default=0.0)
        if moved > TOLERANCE_PT:
            found.append(f"page {number}: words moved by {moved:.2f} pt")
    for number, (fonts, other_fonts) in enumerate(zip(page_fonts(pdf), page_fonts(other), strict=True),
                                                  start=1):
        if fonts != other_fonts:
            changed = sorted(((fonts - other_fonts) + (other_fonts - fonts)).items())
            found.append(f"page {number}: characters in other fonts: {changed[:6]}")
    images = zip(_pages(pdf, work / "a"), _pages(other, work / "b"), strict=True)
    for number, (image, other_image) in enumerate(images, start=1):
        a, b = Image.open(image), Image.open(other_image)
        stray = stray_ink(a, b) + stray_ink(b, a)
        if stray:
            found.append(f"page {number}: {stray} pixels of ink not in the other")
    return found
