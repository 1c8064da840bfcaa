"""Certificates as PDF/A-2b, the archival PDF: what each file declares and carries.

LibreOffice exports every certificate chunk as PDF/A-2b (``formgen.office.converter.PDFA_2B``):
fonts embedded, an sRGB output intent, XMP metadata. Splitting the chunk into one file
per certificate with pypdf copies the pages only, so :func:`make_archival` gives each new
file what PDF/A asks of the document as a whole: the output intent, the language, a file
identifier, and its own XMP metadata (the PDF/A declaration, the certificate's title, the
issuing society, the holder, the certificate number and verification code) with the
document information dictionary saying the same. The number, code and holder are kept
under a namespace of formgen's own, described in the XMP as PDF/A extension schemas ask.

:func:`read_certificate` reads them back (``formgen verify FILE.pdf``);
:func:`archival_problems` lists what keeps a file from being PDF/A-2b as far as it can
be checked here: the declaration, the output intent with its ICC profile, every font
embedded, no encryption, metadata that matches the information dictionary, a file
identifier, no interpolated images, no transfer functions and only the standard blend
modes (PDF/A-2 allows transparency itself).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from defusedxml import ElementTree
from lxml import etree

if TYPE_CHECKING:
    from pypdf import PdfReader, PdfWriter

CERTIFICATE_NS = "https://formgen.invalid/ns/certificate/1.0/"
"""XMP namespace of the certificate's own properties (prefix ``formgen``)."""
CREATOR_TOOL = "formgen"

# pyHanko rewrites the XMP with lxml when it signs: the prefix registered here keeps the
# one the extension schema declares (instead of ns0).
etree.register_namespace("formgen", CERTIFICATE_NS)

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_NS = {
    "rdf": _RDF,
    "dc": "http://purl.org/dc/elements/1.1/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "formgen": CERTIFICATE_NS,
}
_OWN_PROPERTIES = {
    "holder": "The holder's name as printed",
    "number": "The certificate number",
    "code": "The verification code",
}


@dataclass(frozen=True)
class Described:
    """What one certificate's metadata says besides its title."""

    issuer: str
    """Who issues it (XMP ``dc:creator``, the information dictionary's Author)."""
    holder: str
    """The holder's name as printed, e.g. ``李晓明 / LI Xiaoming``."""
    number: str
    """The certificate number."""
    code: str
    """The verification code."""


def _date_info(when: dt.datetime) -> str:
    return when.strftime("D:%Y%m%d%H%M%S+00'00'")


def _date_xmp(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _alt(text: str) -> str:
    return f'<rdf:Alt><rdf:li xml:lang="x-default">{escape(text)}</rdf:li></rdf:Alt>'


def xmp_packet(title: str, producer: str, when: dt.datetime,
               about: Described | None = None) -> bytes:
    """The XMP metadata of a PDF/A-2b certificate (or of print.pdf, with no ``about``)."""
    dc = f"<dc:format>application/pdf</dc:format><dc:title>{_alt(title)}</dc:title>"
    own = extension = ""
    if about is not None:
        dc += (
            f"<dc:creator><rdf:Seq><rdf:li>{escape(about.issuer)}</rdf:li></rdf:Seq></dc:creator>"
            f"<dc:description>{_alt(about.holder)}</dc:description>"
            f"<dc:identifier>{escape(about.number)}</dc:identifier>"
        )
        own = (
            f'<rdf:Description rdf:about="" xmlns:formgen="{CERTIFICATE_NS}">'
            f"<formgen:holder>{escape(about.holder)}</formgen:holder>"
            f"<formgen:number>{escape(about.number)}</formgen:number>"
            f"<formgen:code>{escape(about.code)}</formgen:code></rdf:Description>"
        )
        properties = "".join(
            '<rdf:li rdf:parseType="Resource">'
            f"<pdfaProperty:name>{name}</pdfaProperty:name>"
            "<pdfaProperty:valueType>Text</pdfaProperty:valueType>"
            "<pdfaProperty:category>external</pdfaProperty:category>"
            f"<pdfaProperty:description>{text}</pdfaProperty:description></rdf:li>"
            for name, text in _OWN_PROPERTIES.items()
        )
        extension = (
            '<rdf:Description rdf:about="" '
            'xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" '
            'xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" '
            'xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">'
            '<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">'
            "<pdfaSchema:schema>formgen certificate</pdfaSchema:schema>"
            f"<pdfaSchema:namespaceURI>{CERTIFICATE_NS}</pdfaSchema:namespaceURI>"
            "<pdfaSchema:prefix>formgen</pdfaSchema:prefix>"
            f"<pdfaSchema:property><rdf:Seq>{properties}</rdf:Seq></pdfaSchema:property>"
            "</rdf:li></rdf:Bag></pdfaExtension:schemas></rdf:Description>"
        )
    stamp = _date_xmp(when)
    xml = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        f'<rdf:RDF xmlns:rdf="{_RDF}">'
        f'<rdf:Description rdf:about="" xmlns:pdfaid="{_NS["pdfaid"]}">'
        "<pdfaid:part>2</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance>"
        "</rdf:Description>"
        f'<rdf:Description rdf:about="" xmlns:dc="{_NS["dc"]}">{dc}</rdf:Description>'
        f'<rdf:Description rdf:about="" xmlns:pdf="{_NS["pdf"]}">'
        f"<pdf:Producer>{escape(producer)}</pdf:Producer></rdf:Description>"
        f'<rdf:Description rdf:about="" xmlns:xmp="{_NS["xmp"]}">'
        f"<xmp:CreatorTool>{CREATOR_TOOL}</xmp:CreatorTool>"
        f"<xmp:CreateDate>{stamp}</xmp:CreateDate><xmp:ModifyDate>{stamp}</xmp:ModifyDate>"
        f"<xmp:MetadataDate>{stamp}</xmp:MetadataDate></rdf:Description>"
        f"{own}{extension}</rdf:RDF></x:xmpmeta>"
        + "\n" + (" " * 99 + "\n") * 20  # padding, so the packet can be edited in place
        + '<?xpacket end="w"?>'
    )
    return xml.encode("utf-8")


def make_archival(writer: PdfWriter, source: PdfReader, title: str,
                  about: Described | None = None, when: dt.datetime | None = None) -> None:
    """Give ``writer`` (pages copied from ``source``, a PDF/A-2b file) what PDF/A-2b asks
    of the document: output intent, language, identifier and matching metadata."""
    from pypdf.generic import (
        ArrayObject,
        DecodedStreamObject,
        DictionaryObject,
        NameObject,
        create_string_object,
    )

    when = (when or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    root: Any = source.trailer["/Root"]
    intents = root.get("/OutputIntents")
    if intents is not None:
        writer._root_object[NameObject("/OutputIntents")] = ArrayObject(
            intent.get_object().clone(writer) for intent in intents.get_object()
        )
    if "/Lang" in root:
        writer._root_object[NameObject("/Lang")] = create_string_object(str(root["/Lang"]))
    made_by = source.metadata.get("/Producer") if source.metadata else None
    producer = f"{made_by}; pypdf" if made_by else "pypdf"
    metadata = DecodedStreamObject()
    metadata.set_data(xmp_packet(title, producer, when, about))
    metadata.update({
        NameObject("/Type"): NameObject("/Metadata"),
        NameObject("/Subtype"): NameObject("/XML"),
    })
    writer._root_object[NameObject("/Metadata")] = writer._add_object(metadata)
    # No Producer in the information dictionary: pyHanko, when it signs, writes its own
    # name there and in the XMP, and the two would otherwise differ, which PDF/A forbids.
    info = {
        "/Title": title, "/Creator": CREATOR_TOOL,
        "/CreationDate": _date_info(when), "/ModDate": _date_info(when),
    }
    if about is not None:
        info.update({"/Author": about.issuer, "/Subject": about.holder})
    writer._info = writer._add_object(DictionaryObject({
        NameObject(k): create_string_object(v) for k, v in info.items()
    }))
    writer.pdf_header = source.pdf_header.encode("ascii")
    writer.generate_file_identifiers()


# ----------------------------------------------------------------------------- reading back


def _xmp_root(reader: PdfReader) -> Any | None:
    root: Any = reader.trailer["/Root"]
    meta = root.get("/Metadata")
    if meta is None:
        return None
    try:
        return ElementTree.fromstring(meta.get_object().get_data())
    except ElementTree.ParseError:
        return None


def _xmp_values(root: Any) -> dict[str, str]:
    """Simple XMP properties (element or attribute form) as ``prefix:name`` → text."""
    found: dict[str, str] = {}
    by_uri = {uri: prefix for prefix, uri in _NS.items()}
    for desc in root.iter(f"{{{_RDF}}}Description"):
        for key, value in desc.attrib.items():
            uri, _, name = key[1:].partition("}")
            if uri in by_uri:
                found[f"{by_uri[uri]}:{name}"] = value
        for child in desc:
            uri, _, name = child.tag[1:].partition("}")
            if uri not in by_uri:
                continue
            texts = [li.text or "" for li in child.iter(f"{{{_RDF}}}li")]
            found[f"{by_uri[uri]}:{name}"] = texts[0] if texts else (child.text or "")
    return found


def read_certificate(reader: PdfReader) -> dict[str, str]:
    """The certificate's own properties from its XMP metadata: ``holder``, ``number``,
    ``code`` (those present)."""
    root = _xmp_root(reader)
    values = _xmp_values(root) if root is not None else {}
    return {k.split(":", 1)[1]: v for k, v in values.items() if k.startswith("formgen:")}


_INFO_TO_XMP = {
    "/Title": "dc:title", "/Author": "dc:creator", "/Subject": "dc:description",
    "/Creator": "xmp:CreatorTool", "/Producer": "pdf:Producer", "/Keywords": "pdf:Keywords",
    "/CreationDate": "xmp:CreateDate", "/ModDate": "xmp:ModifyDate",
}
_PDF_DATE = re.compile(r"D:(\d{4})(\d\d)?(\d\d)?(\d\d)?(\d\d)?(\d\d)?([Zz+-])?(\d\d)?'?(\d\d)?")


def _same_moment(pdf_date: str, xmp_date: str) -> bool:
    m = _PDF_DATE.match(pdf_date)
    if not m:
        return False
    y, mo, d, h, mi, s, sign, oh, om = m.groups()
    text = f"{y}-{mo or '01'}-{d or '01'}T{h or '00'}:{mi or '00'}:{s or '00'}"
    if sign in ("+", "-"):
        text += f"{sign}{oh or '00'}:{om or '00'}"
    elif sign:
        text += "+00:00"
    try:
        return dt.datetime.fromisoformat(text) == dt.datetime.fromisoformat(
            xmp_date.replace("Z", "+00:00"))
    except ValueError:
        return False


def archival_problems(reader: PdfReader) -> list[str]:
    """What keeps this PDF from being PDF/A-2b, as far as checked here (empty: nothing)."""
    problems: list[str] = []
    if reader.is_encrypted:
        return ["encrypted"]
    root: Any = reader.trailer["/Root"]
    xmp = _xmp_root(reader)
    values = _xmp_values(xmp) if xmp is not None else {}
    if xmp is None:
        problems.append("no XMP metadata")
    elif (values.get("pdfaid:part"), values.get("pdfaid:conformance")) != ("2", "B"):
        problems.append("XMP does not declare PDF/A-2b (pdfaid:part 2, conformance B)")
    info: Any = reader.metadata or {}
    for key, prop in _INFO_TO_XMP.items():
        if key not in info:
            continue
        said, xmp_says = str(info[key]), values.get(prop)
        same = (_same_moment(said, xmp_says) if xmp_says and key.endswith("Date")
                else said == xmp_says)
        if not same:
            problems.append(f"information dictionary {key} {said!r} is not XMP {prop} {xmp_says!r}")
    intents = [i.get_object() for i in root.get("/OutputIntents", [])]
    pdfa = [i for i in intents if i.get("/S") == "/GTS_PDFA1"]
    if len(pdfa) != 1 or "/DestOutputProfile" not in pdfa[0]:
        problems.append("no PDF/A output intent with an ICC profile")
    else:
        profile = pdfa[0]["/DestOutputProfile"].get_object()
        data = profile.get_data()
        if data[36:40] != b"acsp" or profile.get("/N") not in (1, 3, 4):
            problems.append("the output intent's ICC profile is not valid")
    if "/ID" not in reader.trailer:
        problems.append("no file identifier")
    seen: set[int] = set()
    for number, page in enumerate(reader.pages, 1):
        problems.extend(_resource_problems(page.get("/Resources"), number, seen))
    return problems


_BLEND_MODES = {
    "/Normal", "/Compatible", "/Multiply", "/Screen", "/Overlay", "/Darken", "/Lighten",
    "/ColorDodge", "/ColorBurn", "/HardLight", "/SoftLight", "/Difference", "/Exclusion",
    "/Hue", "/Saturation", "/Color", "/Luminosity",
}


def _resource_problems(resources: Any, page: int, seen: set[int]) -> list[str]:
    """Fonts not embedded and interpolated images in these resources and the forms below."""
    problems: list[str] = []
    if resources is None:
        return problems
    resources = resources.get_object()
    for state in (resources.get("/ExtGState") or {}).values():
        state = state.get_object()
        if "/TR" in state or state.get("/TR2", "/Default") != "/Default":
            problems.append(f"page {page}: a transfer function")
        if str(state.get("/BM", "/Normal")) not in _BLEND_MODES:
            problems.append(f"page {page}: blend mode {state.get('/BM')}")
    for font in (resources.get("/Font") or {}).values():
        problems.extend(_font_problems(font, page, seen))
    for xobject in (resources.get("/XObject") or {}).values():
        ref = getattr(xobject, "idnum", None)
        if ref is not None:
            if ref in seen:
                continue
            seen.add(ref)
        obj = xobject.get_object()
        if obj.get("/Subtype") == "/Image" and obj.get("/Interpolate") == True:  # noqa: E712 (a PDF boolean)
            problems.append(f"page {page}: an interpolated image")
        if obj.get("/Subtype") == "/Form":
            problems.extend(_resource_problems(obj.get("/Resources"), page, seen))
    return problems


def _font_problems(font: Any, page: int, seen: set[int]) -> list[str]:
    ref = getattr(font, "idnum", None)
    if ref is not None:
        if ref in seen:
            return []
        seen.add(ref)
    font = font.get_object()
    if font.get("/Subtype") == "/Type0":
        return [p for d in font.get("/DescendantFonts", []) for p in _font_problems(d, page, seen)]
    if font.get("/Subtype") == "/Type3":
        return []  # glyphs drawn by the content stream itself
    descriptor = font.get("/FontDescriptor")
    name = str(font.get("/BaseFont", "?"))
    if descriptor is None:
        return [f"page {page}: font {name} has no descriptor (not embedded)"]
    descriptor = descriptor.get_object()
    if not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
        return [f"page {page}: font {name} is not embedded"]
    return []
