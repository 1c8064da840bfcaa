"""Files that arrive by email are not trusted: each is checked before anything reads it.

Refused, with a message saying why: a file that is not a Word document whatever its name
says (a PDF renamed ``.docx``), a damaged or encrypted (password-protected) one, one with
macros, one whose XML declares entities or a DTD (external entities), and archives that
unpack to far more than they hold (zip bombs) or to too many files.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from formgen.docxzip import declared_entities
from formgen.messages import Message, msg

MAX_FILE = 20 * 1024 * 1024
"""A form larger than this is not a form."""
MAX_UNPACKED = 100 * 1024 * 1024
MAX_RATIO = 100
MAX_MEMBERS = 2000

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_KNOWN = {b"%PDF": "PDF", b"\x89PNG": "PNG", b"\xff\xd8\xff": "JPEG", b"{\\rtf": "RTF"}


class Refused(Exception):
    """A file that is not read, and why."""

    def __init__(self, reason: Message):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Checked:
    """A file that passed: ``docx`` to read as it is, ``doc``, ``rtf`` or ``odt`` to
    convert first."""

    kind: str
    data: bytes


def check_zip(data: bytes) -> zipfile.ZipFile:
    """An archive whose size, ratio and member count are sane; Refused otherwise."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as e:
        raise Refused(msg("extract.damaged", detail=str(e))) from e
    if len(infos) > MAX_MEMBERS:
        raise Refused(msg("extract.zip-too-many", count=len(infos), limit=MAX_MEMBERS))
    unpacked = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if unpacked > MAX_UNPACKED or unpacked / packed > MAX_RATIO:
        raise Refused(msg("extract.zip-bomb"))
    if any(i.flag_bits & 0x1 for i in infos):
        raise Refused(msg("extract.encrypted"))
    return archive


def check(name: str, data: bytes) -> Checked:
    """What kind of Word document ``data`` is, or Refused."""
    if len(data) > MAX_FILE:
        raise Refused(msg("extract.too-large", size=len(data) // (1024 * 1024)))
    if not data:
        raise Refused(msg("extract.empty"))
    if data.startswith(OLE_MAGIC):
        return Checked(_check_ole(data), data)
    if data.startswith(ZIP_MAGIC):
        return Checked(_check_zipped(data), data)
    for magic, kind in _KNOWN.items():
        if data.startswith(magic):
            if kind == "RTF":
                return Checked("rtf", data)
            raise Refused(msg("extract.not-word", kind=kind))
    raise Refused(msg("extract.not-word-at-all"))


ODT_TYPE = b"application/vnd.oasis.opendocument.text"


def _check_zipped(data: bytes) -> str:
    """``docx``, or ``odt`` for an OpenDocument text (converted first); Refused otherwise."""
    archive = check_zip(data)
    names = set(archive.namelist())
    if "word/document.xml" not in names:
        if "content.xml" in names and "mimetype" in names and archive.read("mimetype").strip() == ODT_TYPE:
            if any(n.startswith(("Basic/", "Scripts/")) for n in names):
                raise Refused(msg("extract.macros"))
            part = declared_entities(archive)
            if part is not None:
                raise Refused(msg("extract.entities", part=part))
            return "odt"
        raise Refused(msg("extract.not-a-docx"))
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise Refused(msg("extract.macros"))
    try:
        types = archive.read("[Content_Types].xml")
    except KeyError:
        raise Refused(msg("extract.not-a-docx")) from None
    if b"macroEnabled" in types or b"vbaProject" in types:
        raise Refused(msg("extract.macros"))
    part = declared_entities(archive)
    if part is not None:
        raise Refused(msg("extract.entities", part=part))
    return "docx"


def _check_ole(data: bytes) -> str:
    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except (OSError, ValueError) as e:  # olefile raises OSError for a damaged container
        raise Refused(msg("extract.damaged", detail=str(e))) from e
    try:
        streams = {"/".join(s).lower() for s in ole.listdir(streams=True, storages=True)}
        if "encryptedpackage" in streams or "encryptioninfo" in streams:
            raise Refused(msg("extract.encrypted"))
        if any(s.split("/")[0] in ("macros", "_vba_project_cur") for s in streams):
            raise Refused(msg("extract.macros"))
        if "worddocument" not in streams:
            raise Refused(msg("extract.not-word-at-all"))
        fib = ole.openstream("WordDocument").read(12)
        if len(fib) >= 12 and int.from_bytes(fib[10:12], "little") & 0x0100:
            raise Refused(msg("extract.encrypted"))  # the FIB's fEncrypted flag
    finally:
        ole.close()
    return "doc"
