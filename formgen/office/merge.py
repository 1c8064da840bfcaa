"""Convert many documents of one template in one LibreOffice load, then split the PDF.

LibreOffice's cost is mostly per load, not per page. Documents rendered from the same
template are joined as sections of one DOCX (each starting a new page, page numbers
restarting at 1), converted once, and the PDF split back at each document's first page.
Each document's first paragraph is given an outline level, which changes nothing on the
page but makes LibreOffice list it in the PDF outline, so the split points are exact.
Headers and footers that differ between the documents (a running head naming the
applicant) are carried over as each document's own parts.
A template whose pages depend on the whole document (a NUMPAGES total, numbered lists)
is not merged.
"""

from __future__ import annotations

import copy
import io
import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree
from pypdf import PdfReader, PdfWriter

from formgen.docxzip import replace_parts
from formgen.exceptions import ConversionError
from formgen.messages import msg

if TYPE_CHECKING:
    from formgen.office.converter import Converter

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_NS = {"w": W}
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
_DOCUMENT_RELS = "word/_rels/document.xml.rels"
_CONTENT_TYPES = "[Content_Types].xml"
_WHOLE_DOCUMENT_MARKERS = (b"NUMPAGES", b"SECTIONPAGES", b"<w:numPr")


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


def can_merge(docx: bytes) -> bool:
    """True when a document's pages do not depend on the documents around it."""
    try:
        with zipfile.ZipFile(io.BytesIO(docx)) as z:
            for name in z.namelist():
                if re.fullmatch(r"word/(document|header\d*|footer\d*)\.xml", name):
                    data = z.read(name)
                    if any(marker in data for marker in _WHOLE_DOCUMENT_MARKERS):
                        return False
    except (zipfile.BadZipFile, OSError, ValueError):
        return False  # converted on its own, where LibreOffice reports what is wrong
    return True


def _body(docx: bytes) -> tuple[etree._Element, etree._Element]:
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        root = etree.fromstring(z.read("word/document.xml"))
    body = root.find("w:body", _NS)
    if body is None:
        raise ValueError("document without a body")
    return root, body


def _mark_start(body: etree._Element, marker: str) -> None:
    """Put ``marker`` as outline text on the first paragraph with text."""
    for p in body.iter(_w("p")):
        if "".join(p.itertext()).strip():
            ppr = p.find("w:pPr", _NS)
            if ppr is None:
                ppr = etree.SubElement(p, _w("pPr"))
                p.remove(ppr)
                p.insert(0, ppr)
            for old in ppr.findall("w:outlineLvl", _NS):
                ppr.remove(old)
            level = etree.Element(_w("outlineLvl"))
            level.set(_w("val"), "0")
            # Schema order: outlineLvl comes before rPr/sectPr/pPrChange inside pPr.
            tail = [c for c in ppr if c.tag in (_w("rPr"), _w("sectPr"), _w("pPrChange"))]
            if tail:
                tail[0].addprevious(level)
            else:
                ppr.append(level)
            return
    raise ValueError(f"no paragraph with text to mark ({marker})")


def _restart_numbering(sect: etree._Element) -> None:
    numbering = sect.find("w:pgNumType", _NS)
    if numbering is None:
        numbering = etree.Element(_w("pgNumType"))
        # pgNumType sits after pgBorders/lnNumType and before cols in sectPr.
        anchor = sect.find("w:cols", _NS)
        if anchor is not None:
            anchor.addprevious(numbering)
        else:
            sect.append(numbering)
    numbering.set(_w("start"), "1")


class _OwnHeaders:
    """The merged package's relationships and content types, growing by each document's
    own headers and footers where they differ from the first document's."""

    def __init__(self, first: bytes):
        self.first = zipfile.ZipFile(io.BytesIO(first))
        self.rels = etree.fromstring(self.first.read(_DOCUMENT_RELS))
        self.types = etree.fromstring(self.first.read(_CONTENT_TYPES))
        self.first_targets = {r.get("Id"): r.get("Target") for r in self.rels}
        self.added: dict[str, bytes] = {}

    def _content_type(self, part: str) -> str:
        for override in self.types.iter(f"{{{_TYPES}}}Override"):
            if override.get("PartName") == f"/{part}":
                return str(override.get("ContentType"))
        raise ValueError(f"no content type for {part}")

    def adopt(self, index: int, docx: bytes, body: etree._Element) -> None:
        """Point the header and footer references of ``body`` (document ``index``) at the
        document's own parts wherever those differ from the first document's."""
        with zipfile.ZipFile(io.BytesIO(docx)) as z:
            rels = {r.get("Id"): r for r in etree.fromstring(z.read(_DOCUMENT_RELS))}
            renamed: dict[str, str] = {}
            for ref in (*body.iter(_w("headerReference")), *body.iter(_w("footerReference"))):
                rid = ref.get(_R_ID)
                if rid in renamed:
                    ref.set(_R_ID, renamed[rid])
                    continue
                rel = rels.get(rid)
                if rel is None:
                    raise ValueError(f"document {index}: no relationship {rid}")
                target = str(rel.get("Target")).lstrip("/").removeprefix("word/")
                part = f"word/{target}"
                data = z.read(part)
                if self.first_targets.get(rid) == rel.get("Target") and self.first.read(part) == data:
                    continue  # the same as the first document's
                own = f"{target.rsplit('.', 1)[0]}-{index}.xml"
                own_id = f"rIdMerged{index}x{len(renamed)}"
                self.added[f"word/{own}"] = data
                if f"word/_rels/{target}.rels" in z.namelist():
                    self.added[f"word/_rels/{own}.rels"] = z.read(f"word/_rels/{target}.rels")
                etree.SubElement(self.rels, f"{{{_RELS}}}Relationship",
                                 Id=own_id, Type=str(rel.get("Type")), Target=own)
                etree.SubElement(self.types, f"{{{_TYPES}}}Override", PartName=f"/word/{own}",
                                 ContentType=self._content_type(part))
                renamed[str(rid)] = own_id
                ref.set(_R_ID, own_id)

    def parts(self) -> dict[str, bytes]:
        if not self.added:
            return {}
        return {
            **self.added,
            _DOCUMENT_RELS: etree.tostring(self.rels, encoding="UTF-8", xml_declaration=True,
                                           standalone=True),
            _CONTENT_TYPES: etree.tostring(self.types, encoding="UTF-8", xml_declaration=True,
                                           standalone=True),
        }


def merge(documents: list[bytes]) -> bytes:
    """One DOCX holding every document as a section of its own, in order.

    All documents must come from the same template (same styles and relationships); each
    keeps its own headers and footers.
    """
    first_root, first_body = _body(documents[0])
    merged_body = etree.Element(_w("body"))
    final_sect: etree._Element | None = None
    own_headers = _OwnHeaders(documents[0])
    for index, docx in enumerate(documents):
        _, body = _body(docx) if index else (first_root, first_body)
        body = copy.deepcopy(body)
        _mark_start(body, f"document {index}")
        if index:
            own_headers.adopt(index, docx, body)
        children = list(body)
        sect = children[-1] if children and children[-1].tag == _w("sectPr") else None
        if sect is None:
            raise ValueError("document without section properties")
        content = children[:-1]
        _restart_numbering(sect)
        if index == len(documents) - 1:
            merged_body.extend(content)
            final_sect = sect
            break
        last = content[-1] if content else None
        if last is None or last.tag != _w("p"):
            last = etree.Element(_w("p"))
            content.append(last)
        ppr = last.find("w:pPr", _NS)
        if ppr is None:
            ppr = etree.Element(_w("pPr"))
            last.insert(0, ppr)
        tail = [c for c in ppr if c.tag == _w("pPrChange")]
        if tail:
            tail[0].addprevious(sect)
        else:
            ppr.append(sect)
        merged_body.extend(content)
    assert final_sect is not None
    merged_body.append(final_sect)
    first_root.replace(first_root.find("w:body", _NS), merged_body)
    xml = etree.tostring(first_root, encoding="UTF-8", xml_declaration=True, standalone=True)
    return replace_parts(documents[0], {"word/document.xml": xml, **own_headers.parts()})


def split(pdf: bytes, count: int) -> list[bytes] | None:
    """The PDF of each of ``count`` merged documents, or None if the outline does not show them."""
    reader = PdfReader(io.BytesIO(pdf))
    starts: list[int] = []
    for entry in reader.outline:
        if isinstance(entry, list):
            continue
        page = reader.get_destination_page_number(entry)
        if page is None:
            return None
        if not starts or page > starts[-1]:
            starts.append(page)
        elif page == starts[-1]:
            return None  # two documents on one page: they did not each start a page
    if len(starts) != count or starts[0] != 0:
        return None
    bounds = [*starts, len(reader.pages)]
    pieces = []
    for begin, end in zip(bounds, bounds[1:], strict=False):
        writer = PdfWriter()
        for number in range(begin, end):
            writer.add_page(reader.pages[number])
        writer.compress_identical_objects()
        buffer = io.BytesIO()
        writer.write(buffer)
        pieces.append(buffer.getvalue())
    return pieces


def convert_documents(
    documents: list[tuple[str, bytes]], converter: Converter, workdir: Path
) -> list[bytes | ConversionError]:
    """PDF bytes (or the error) for each ``(template key, docx)``, in order.

    Documents sharing a template key are merged and converted in one load; a merged
    conversion that fails or cannot be split falls back to one conversion per document,
    so a bad document fails alone.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    results: list[bytes | ConversionError | None] = [None] * len(documents)
    groups: dict[str, list[int]] = {}
    singles: list[int] = []
    for index, (key, docx) in enumerate(documents):
        if can_merge(docx):
            groups.setdefault(key, []).append(index)
        else:
            singles.append(index)
    merged_jobs: dict[Path, list[int]] = {}
    for number, members in enumerate(groups.values()):
        if len(members) == 1:
            singles.extend(members)
            continue
        path = workdir / f"merged-{number:03d}.docx"
        try:
            path.write_bytes(merge([documents[i][1] for i in members]))
        except (ValueError, KeyError, zipfile.BadZipFile, etree.XMLSyntaxError):
            singles.extend(members)
            continue
        merged_jobs[path] = members
    outcome = converter.convert_many([(p, p.with_suffix(".pdf")) for p in merged_jobs])
    for path, members in merged_jobs.items():
        pieces = None
        if outcome[path] is None:
            pieces = split(path.with_suffix(".pdf").read_bytes(), len(members))
        if pieces is None:
            singles.extend(members)
        else:
            for index, piece in zip(members, pieces, strict=True):
                results[index] = piece
    jobs = {}
    for index in sorted(singles):
        path = workdir / f"single-{index:04d}.docx"
        path.write_bytes(documents[index][1])
        jobs[path] = index
    for path, error in converter.convert_many([(p, p.with_suffix(".pdf")) for p in jobs]).items():
        results[jobs[path]] = error if error is not None else path.with_suffix(".pdf").read_bytes()
    return [r if r is not None else ConversionError(msg("conversion.no-pdf")) for r in results]
