"""What formgen's fillable forms carry besides what they show: the form key and the
record as rendered, so that ``formgen extract`` (and the web upload) restores the whole
record from any one form, in either language.

Each fillable form gets

- a custom XML part (``customXml/itemN.xml``, related from the document as Word relates
  its data stores) in the namespace :data:`NAMESPACE`, holding the form key, the document,
  its language and the record as JSON: both languages' values and the fields no page
  shows (``unit`` …);
- the same in the custom document properties: ``formgen.key``, and the record as
  zlib-compressed base64 in ``formgen.record.1``, ``formgen.record.2`` … (at most 255
  characters each, as Word keeps them).

Word and LibreOffice (DOCX saved again as DOCX) keep both; the reader takes the custom XML
part first and the properties when a suite dropped the part.

The form key is what one download's forms share: the forms of an application with an id
share a key made from the id; blank forms get a fresh key per download (one
:func:`new_key` for all the forms handed out together), so the Chinese and English forms
a person filled in from one download are known to be theirs.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import json
import re
import secrets
import zipfile
import zlib
from typing import Any

from lxml import etree

from formgen.model.applicant import Applicant

NAMESPACE = "urn:formgen:record:1"
"""The custom XML part's namespace (and its schema reference)."""
PROPERTY_KEY = "formgen.key"
PROPERTY_RECORD = "formgen.record"
"""The record's properties are ``formgen.record.1`` … in order."""
CHUNK = 255
"""The longest text Word keeps in a custom property."""
CUSTOM_PROPERTIES = "docProps/custom.xml"

_PROPS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
_VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
_DS = "http://schemas.openxmlformats.org/officeDocument/2006/customXml"
_REL_CUSTOM_XML = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/customXml"
_REL_CUSTOM_XML_PROPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/customXmlProps"
_ITEM_PROPS_TYPE = "application/vnd.openxmlformats-officedocument.customXmlProperties+xml"
_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
_LOCAL_HEADER = 30
"""A ZIP local file header's fixed part, in bytes (before the name and the extra field)."""


KEY = re.compile(r"^[AB][0-9a-f]{16}$")
"""What a form key looks like (the web page sends one back: anything else is not one)."""


def new_key() -> str:
    """A fresh form key, for one download of blank forms."""
    return "B" + secrets.token_hex(8)


def application_key(programme: str, application_id: str) -> str:
    """The form key of an application's forms: the same for every download of them."""
    return "A" + hashlib.sha256(f"{programme}\n{application_id}".encode()).hexdigest()[:16]


def carried_record(applicant: Applicant, blank: bool = False) -> dict[str, Any]:
    """The record as the forms carry it: the data contract's fields with a value."""
    if blank:  # and the unit, when the web page that gave the blank form had it
        return {"programme": applicant.programme, "grade": applicant.grade,
                **({"unit": applicant.unit} if applicant.unit else {})}
    record: dict[str, Any] = _pruned(applicant.model_dump(mode="json"))
    for group in ("education", "career"):  # months, as the data contract writes them
        for row in record.get(group) or []:
            for end in ("start", "end"):
                if isinstance(row.get(end), str):
                    row[end] = row[end][:7]
    return record


def _pruned(value: Any) -> Any:
    if isinstance(value, dict):
        kept = {k: _pruned(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in ("", None, [], {})}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value


def encode(record: dict[str, Any]) -> str:
    """The record as the properties hold it (zlib, base64)."""
    raw = json.dumps(record, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return base64.b64encode(zlib.compress(raw.encode("utf-8"), 9)).decode("ascii")


def carry(docx: bytes, key: str, doc_id: str, lang: str, record: dict[str, Any]) -> bytes:
    """``docx`` with the key and the record in a custom XML part and in its properties."""
    wanted = ("word/_rels/document.xml.rels", "[Content_Types].xml", CUSTOM_PROPERTIES)
    with zipfile.ZipFile(io.BytesIO(docx)) as src:
        parts = {info.filename: (info, src.read(info) if info.filename in wanted else b"")
                 for info in src.infolist()}
    number = 1
    while f"customXml/item{number}.xml" in parts:
        number += 1
    item, props = f"customXml/item{number}.xml", f"customXml/itemProps{number}.xml"
    record_json = json.dumps(record, ensure_ascii=False, sort_keys=True)
    added = {
        item: _item_xml(key, doc_id, lang, record_json),
        props: _item_props_xml(key),
        f"customXml/_rels/item{number}.xml.rels": _item_rels_xml(f"itemProps{number}.xml"),
    }
    changed = {
        "word/_rels/document.xml.rels": _with_relationship(
            parts["word/_rels/document.xml.rels"][1], f"../{item}"),
        "[Content_Types].xml": _with_override(parts["[Content_Types].xml"][1], f"/{props}"),
    }
    if CUSTOM_PROPERTIES in parts:
        changed[CUSTOM_PROPERTIES] = _with_properties(parts[CUSTOM_PROPERTIES][1], key, encode(record))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename in changed:
                dst.writestr(info, changed[info.filename])
            else:
                _copy_raw(src, dst, info)
        for name, data in added.items():
            info = zipfile.ZipInfo(name, parts["word/document.xml"][0].date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)
    return out.getvalue()


def _copy_raw(src: zipfile.ZipFile, dst: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Copy a member as it is compressed (rendering a form compressed it a moment ago)."""
    fp = src.fp
    assert fp is not None and dst.fp is not None
    fp.seek(info.header_offset)
    header = fp.read(_LOCAL_HEADER)
    skip = int.from_bytes(header[26:28], "little") + int.from_bytes(header[28:30], "little")
    fp.seek(info.header_offset + _LOCAL_HEADER + skip)
    raw = fp.read(info.compress_size)
    copied = copy.copy(info)
    copied.flag_bits &= ~0x08  # sizes in the header, no data descriptor after the data
    copied.header_offset = dst.fp.tell()
    dst.fp.write(copied.FileHeader())
    dst.fp.write(raw)
    dst.filelist.append(copied)
    dst.NameToInfo[copied.filename] = copied
    setattr(dst, "_didModify", True)  # noqa: B010 - so that closing writes the central directory
    dst.start_dir = dst.fp.tell()


def _xml(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _item_xml(key: str, doc_id: str, lang: str, record_json: str) -> bytes:
    root = etree.Element(f"{{{NAMESPACE}}}form", nsmap={"fg": NAMESPACE})
    for tag, text in (("key", key), ("document", doc_id), ("lang", lang), ("record", record_json)):
        etree.SubElement(root, f"{{{NAMESPACE}}}{tag}").text = text
    return _xml(root)


def _item_props_xml(key: str) -> bytes:
    guid = hashlib.sha256(key.encode()).hexdigest()
    item_id = f"{{{guid[:8]}-{guid[8:12]}-{guid[12:16]}-{guid[16:20]}-{guid[20:32]}}}".upper()
    root = etree.Element(f"{{{_DS}}}datastoreItem", nsmap={"ds": _DS})
    root.set(f"{{{_DS}}}itemID", item_id)
    refs = etree.SubElement(root, f"{{{_DS}}}schemaRefs")
    etree.SubElement(refs, f"{{{_DS}}}schemaRef").set(f"{{{_DS}}}uri", NAMESPACE)
    return _xml(root)


def _item_rels_xml(target: str) -> bytes:
    root = etree.Element(f"{{{_RELS}}}Relationships", nsmap={None: _RELS})
    etree.SubElement(root, f"{{{_RELS}}}Relationship", Id="rId1", Type=_REL_CUSTOM_XML_PROPS, Target=target)
    return _xml(root)


def _with_relationship(data: bytes, target: str) -> bytes:
    root = etree.fromstring(data)
    ids = {rel.get("Id") for rel in root}
    number = 1
    while f"rIdFg{number}" in ids:
        number += 1
    etree.SubElement(root, f"{{{_RELS}}}Relationship", Id=f"rIdFg{number}", Type=_REL_CUSTOM_XML,
                     Target=target)
    return _xml(root)


def _with_override(data: bytes, part: str) -> bytes:
    root = etree.fromstring(data)
    etree.SubElement(root, f"{{{_TYPES}}}Override", PartName=part, ContentType=_ITEM_PROPS_TYPE)
    return _xml(root)


def _with_properties(data: bytes, key: str, encoded: str) -> bytes:
    root = etree.fromstring(data)
    for prop in list(root):
        name = prop.get("name", "")
        if name == PROPERTY_KEY or name.startswith(PROPERTY_RECORD + "."):
            root.remove(prop)
    pid = max((int(p.get("pid", "1")) for p in root), default=1)
    chunks = [encoded[i:i + CHUNK] for i in range(0, len(encoded), CHUNK)]
    values = [(PROPERTY_KEY, key)] + [(f"{PROPERTY_RECORD}.{n}", c) for n, c in enumerate(chunks, 1)]
    for name, value in values:
        pid += 1
        prop = etree.SubElement(root, f"{{{_PROPS}}}property", fmtid=_FMTID, pid=str(pid), name=name)
        etree.SubElement(prop, f"{{{_VT}}}lpwstr").text = value
    return _xml(root)
