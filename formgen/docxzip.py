"""DOCX (and other Office) files as ZIP packages: replace or add some parts, keep every other
member as it was; find parts that declare entities."""

from __future__ import annotations

import io
import zipfile


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
    or an ENTITY in its first 4 KB, which no Office file needs; None when none does."""
    for info in archive.infolist():
        if info.filename.endswith((".xml", ".rels")):
            with archive.open(info) as member:
                head = member.read(4096)
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                return info.filename
    return None
