"""DOCX (and other Office) files as ZIP packages: replace or add some parts, keep every other
member as it was; find parts that declare entities; read a template within its bounds."""

from __future__ import annotations

import codecs
import io
import zipfile
from pathlib import Path
from typing import Any

from formgen.bounds import MB, Refused, read_regular
from formgen.messages import msg

TEMPLATE_BYTES = 16 * MB
"""Size of a DOCX template (formgen's own are about 40 KB)."""
TEMPLATE_PART_BYTES = 64 * MB
"""Unpacked size of one part of a template (formgen's largest is under 0.5 MB)."""
TEMPLATE_UNPACKED_BYTES = 256 * MB
"""Unpacked size of all parts of a template together."""


def read_template(path: Path) -> bytes:
    """The bytes of the DOCX template at ``path``, once it is known to be a regular file of
    at most TEMPLATE_BYTES whose parts unpack within their bounds and declare no entities
    (:func:`check_template`); Refused otherwise, before anything parses it. OSError when it
    cannot be read, zipfile.BadZipFile when it is no zip."""
    data = read_regular(path, TEMPLATE_BYTES)
    check_template(data)
    return data


def check_template(data: bytes) -> None:
    """Refused when the DOCX ``data`` is larger than TEMPLATE_BYTES, a part unpacks to more
    than TEMPLATE_PART_BYTES, all parts to more than TEMPLATE_UNPACKED_BYTES (each as its
    zip entry says: the zip module stops a part that unpacks to more than it says), or a
    part declares a DOCTYPE or ENTITY. zipfile.BadZipFile when it is no zip."""
    if len(data) > TEMPLATE_BYTES:
        raise Refused(msg("input.too-large", megabytes=round(len(data) / MB, 1),
                          limit=TEMPLATE_BYTES // MB))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        total = 0
        for info in archive.infolist():
            if info.file_size > TEMPLATE_PART_BYTES:
                raise Refused(msg("input.part-too-large", part=info.filename,
                                  megabytes=round(info.file_size / MB, 1),
                                  limit=TEMPLATE_PART_BYTES // MB))
            total += info.file_size
            if total > TEMPLATE_UNPACKED_BYTES:
                raise Refused(msg("input.unpacked-too-large", limit=TEMPLATE_UNPACKED_BYTES // MB))
        part = declared_entities(archive)
        if part is not None:
            raise Refused(msg("input.doctype", part=part))


def replace_parts(docx: bytes, parts: dict[str, bytes]) -> bytes:
    """``docx`` with the named parts (zip members) replaced, and those it lacks added at the
    end; everything else as it was."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as src, zipfile.ZipFile(
        out, "w", zipfile.ZIP_DEFLATED
    ) as dst:
        present = set()
        for info in src.infolist():
            present.add(info.filename)
            data = parts.get(info.filename)
            dst.writestr(info, data if data is not None else src.read(info.filename))
        for name, data in parts.items():
            if name not in present:
                dst.writestr(name, data)
    return out.getvalue()


def declared_entities(archive: zipfile.ZipFile) -> str | None:
    """The first XML part (``.xml`` or ``.rels``) of an Office file that declares a DOCTYPE
    or an ENTITY, which no Office file needs; None when none does. Each part's prolog is
    read to its root element, however long (comments cannot hide a declaration), in the
    encoding its first bytes show."""
    for info in archive.infolist():
        if info.filename.endswith((".xml", ".rels")):
            with archive.open(info) as member:
                if _declares(member):
                    return info.filename
    return None


_BLOCK = 64 * 1024


def _declares(member: Any) -> bool:
    """Whether the XML document ``member`` declares anything (``<!`` other than a
    comment) before its root element."""
    head = member.read(_BLOCK)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif head.startswith(b"\x00<"):
        encoding = "utf-16-be"
    elif head.startswith(b"<\x00"):
        encoding = "utf-16-le"
    else:
        encoding = "latin-1"  # the markup is ASCII in UTF-8 and every other such encoding
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    text, at, ended = decoder.decode(head, final=not head), 0, not head
    while True:
        start = text.find("<", at)
        end = -1
        if start == -1:
            at = len(text)
        else:
            if text.startswith("<?", start):
                end, skip = text.find("?>", start + 2), 2
            elif text.startswith("<!--", start):
                end, skip = text.find("-->", start + 4), 3
            elif len(text) - start >= 4 or ended:
                return text.startswith("<!", start)  # a declaration, or the root element
            if end != -1:
                at = end + skip
                continue
            at = start  # read on to see where it ends
        if ended:
            return False
        block = member.read(_BLOCK)
        ended = not block
        text, at = text[at:] + decoder.decode(block, final=ended), 0
