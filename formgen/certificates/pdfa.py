"""Certificates as PDF/A-2b, the archival PDF: what each file declares and carries.

LibreOffice exports every certificate chunk as PDF/A-2b (``formgen.office.converter.PDFA_2B``):
fonts embedded, an sRGB output intent, XMP metadata. Splitting the chunk into one file
per certificate with pypdf copies the pages only, so :func:`make_archival` gives each new
file what PDF/A asks of the document as a whole: the output intent, the language, a file
identifier, and its own XMP metadata (the PDF/A declaration, the certificate's title, the
issuing society, the holder, the certificate number and verification code) with the
document information dictionary saying the same. The certificate's own facts go in
properties that PDF/A-2 predefines (:data:`OWN_PROPERTIES`, written by :func:`own_xmp`):
an archive's validator then has no extension schema to trust, and pikepdf's, which accepts
none, approves the file.

:func:`read_certificate` reads them back (``formgen verify FILE.pdf``);
:func:`archival_problems` lists what keeps a file from being PDF/A-2b as far as it can
be checked here: the declaration, the output intent with its ICC profile, every font
embedded, no encryption, metadata that matches the information dictionary, a file
identifier, no interpolated images, no transfer functions, only the standard blend
modes (PDF/A-2 allows transparency itself), and veraPDF's rules for annotations, the
interactive form and permissions, which a signature brings.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from defusedxml import ElementTree

if TYPE_CHECKING:
    from pypdf import PdfReader, PdfWriter

LEGACY_NS = "https://formgen.invalid/ns/certificate/1.0/"
"""XMP namespace (prefix ``formgen``) of the certificate's own properties in PDFs printed
before they moved to predefined properties; still read by :func:`read_certificate`."""
CREATOR_TOOL = "formgen"

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_NS = {
    "rdf": _RDF,
    "dc": "http://purl.org/dc/elements/1.1/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "formgen": LEGACY_NS,
}


@dataclass(frozen=True)
class OwnProperty:
    """Where one of formgen's own facts about a certificate is kept in its XMP metadata."""

    xmp: str
    """The predefined PDF/A-2 XMP property (XMP Specification 2005) that carries it."""
    form: str
    """Its value type: ``text``, ``langalt`` (rdf:Alt, x-default), ``seq`` (rdf:Seq) or ``bag``
    (rdf:Bag, where this fact is the item ``<name>:<value>``, so facts can share it)."""
    about: str
    """What the fact is."""


OWN_PROPERTIES: dict[str, OwnProperty] = {
    "issuer": OwnProperty("dc:creator", "seq", "Who issues it"),
    "holder": OwnProperty("dc:description", "langalt", "The holder's name as printed"),
    "number": OwnProperty("dc:identifier", "text", "The certificate number"),
    "code": OwnProperty("xmp:Identifier", "bag", "The verification code"),
    "status": OwnProperty("xmp:Identifier", "bag", "Where its status is published"),
}
"""formgen's own facts about a certificate (the keys of :func:`read_certificate`) and
where each is kept. A new fact is one more entry here (a ``Described`` field of the same
name): :func:`own_xmp` writes it and :func:`read_certificate` reads it back."""


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
    status: str = ""  # its entry in a W3C status list, BASE/status/N#INDEX (formgen.credentials)


def _date_info(when: dt.datetime) -> str:
    return when.strftime("D:%Y%m%d%H%M%S+00'00'")


def _date_xmp(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _alt(text: str) -> str:
    return f'<rdf:Alt><rdf:li xml:lang="x-default">{escape(text)}</rdf:li></rdf:Alt>'


def own_xmp(about: Described) -> str:
    """The rdf:Description of the certificate's own facts (:data:`OWN_PROPERTIES`), each
    in the predefined property that carries it."""
    by_property: dict[str, list[str]] = {}
    forms: dict[str, str] = {}
    for name, where in OWN_PROPERTIES.items():
        value = getattr(about, name)
        if not value:  # an optional fact not given is left out
            continue
        forms[where.xmp] = where.form
        item = f"{name}:{value}" if where.form == "bag" else value
        by_property.setdefault(where.xmp, []).append(item)
    parts: list[str] = []
    for prop, values in by_property.items():
        form = forms[prop]
        if form in ("text", "langalt") and len(values) != 1:
            raise ValueError(f"{prop} holds one value, not {values}")
        if form == "text":
            inner = escape(values[0])
        elif form == "langalt":
            inner = _alt(values[0])
        else:
            kind = "Seq" if form == "seq" else "Bag"
            inner = f"<rdf:{kind}>" + "".join(f"<rdf:li>{escape(v)}</rdf:li>" for v in values) \
                + f"</rdf:{kind}>"
        parts.append(f"<{prop}>{inner}</{prop}>")
    return (f'<rdf:Description rdf:about="" xmlns:dc="{_NS["dc"]}" xmlns:xmp="{_NS["xmp"]}">'
            + "".join(parts) + "</rdf:Description>")


def xmp_packet(title: str, producer: str, when: dt.datetime,
               about: Described | None = None) -> bytes:
    """The XMP metadata of a PDF/A-2b certificate (or of print.pdf, with no ``about``)."""
    dc = f"<dc:format>application/pdf</dc:format><dc:title>{_alt(title)}</dc:title>"
    own = own_xmp(about) if about is not None else ""
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
        f"{own}</rdf:RDF></x:xmpmeta>"
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
    """The certificate's own facts from its XMP metadata (:data:`OWN_PROPERTIES`: holder,
    number, code, issuer), those present; older PDFs keep them under LEGACY_NS."""
    root = _xmp_root(reader)
    if root is None:
        return {}
    values, found = _xmp_values(root), {}
    for name, where in OWN_PROPERTIES.items():
        value = values.get(where.xmp, "")  # pyHanko writes simple values as attributes
        if where.form == "bag":
            prefix, _, local = where.xmp.partition(":")
            items = [li.text or "" for bag in root.iter(f"{{{_NS[prefix]}}}{local}")
                     for li in bag.iter(f"{{{_RDF}}}li") if (li.text or "").startswith(f"{name}:")]
            value = items[0].split(":", 1)[1] if items else ""
        if value.strip():
            found[name] = value.strip()
    legacy = {k.split(":", 1)[1]: v for k, v in values.items() if k.startswith("formgen:")}
    return legacy | found if legacy else found


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
        problems.extend(_annotation_problems(page, number))
    return problems + _form_problems(root)


def _annotation_problems(page: Any, number: int) -> list[str]:
    """veraPDF's PDF/A-2b rules for annotations (6.3.2, 6.3.3, 6.4.1-1): printed, not
    hidden, an appearance unless of no size, no actions on a widget."""
    problems: list[str] = []
    for annot in page.get("/Annots") or []:
        annot = annot.get_object()
        kind = str(annot.get("/Subtype"))
        if kind == "/Popup":
            continue
        flags = int(annot.get("/F", 0))  # Print (4) set; Invisible, Hidden, NoView, ToggleNoView not
        if "/F" not in annot or not flags & 4 or flags & (1 | 2 | 32 | 256):
            problems.append(f"page {number}: a {kind} annotation is not printed or is hidden "
                            f"(F {annot.get('/F')})")
        x0, y0, x1, y1 = (float(v) for v in annot.get("/Rect", [0, 0, 0, 0]))
        appearance = annot.get("/AP")
        if appearance is None and (x0, y0) != (x1, y1) and kind != "/Link":
            problems.append(f"page {number}: a {kind} annotation has no appearance")
        if appearance is not None and set(appearance.get_object()) != {"/N"}:
            problems.append(f"page {number}: a {kind} annotation's appearances are not just N")
        if kind == "/Widget" and ("/A" in annot or "/AA" in annot):
            problems.append(f"page {number}: a form field's widget has actions")
    return problems


def _form_problems(root: Any) -> list[str]:
    """veraPDF's PDF/A-2b rules for the interactive form (6.4.1, 6.4.2) and permissions
    (6.1.12): no appearances left to the viewer, no XFA, no field actions."""
    problems: list[str] = []
    perms = root.get("/Perms")
    if perms is not None and set(perms.get_object()) - {"/UR3", "/DocMDP"}:
        problems.append("permissions other than UR3 and DocMDP")
    form = root.get("/AcroForm")
    if form is None:
        return problems
    form = form.get_object()
    if form.get("/NeedAppearances") == True:  # noqa: E712 (a PDF boolean)
        problems.append("the form leaves its appearances to the viewer (NeedAppearances)")
    if "/XFA" in form:
        problems.append("the form is an XFA form")
    for field in form.get("/Fields") or []:
        if "/AA" in field.get_object():
            problems.append(f"form field {field.get_object().get('/T')} has actions")
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
