"""A pack's ZIP: the DOCX and PDF of every document an applicant needs, and pack.json.

A pack holds ``zh/`` and ``en/`` folders and a ``pack.json`` listing every file with its
SHA-256 and a fingerprint of the inputs (record, templates, manifest). A pack whose
fingerprint has not changed is not made again, so an interrupted batch resumes.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from formgen.forms.documents import (
    MadeDocuments,
    RenderedDocument,
    documents_needed,
    languages_of,
)
from formgen.model.applicant import Applicant, Language
from formgen.model.manifest import Manifest

FORMAT_VERSION = 1


@dataclass(frozen=True)
class PackFile:
    """One file inside a pack."""

    lang: Language
    name: str
    data: bytes

    @property
    def arcname(self) -> str:
        return f"{self.lang}/{self.name}"


def _file_digest(path: Path) -> str:
    """SHA-256 of a file, read again only when the file changes."""
    stat = path.stat()
    return _digest(path.resolve(), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=256)
def _digest(path: Path, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fingerprint(
    applicant: Applicant, manifest: Manifest, pack: str, langs: list[Language], today: str
) -> str:
    """A hash of everything a pack is made from: change any of it and the pack is remade."""
    h = hashlib.sha256()
    h.update(f"v{FORMAT_VERSION}|{pack}|{','.join(langs)}|{today}".encode())
    h.update(applicant.model_dump_json().encode())
    if manifest.path is not None:
        h.update(_file_digest(manifest.path).encode())
    h.update(_file_digest(manifest.root / manifest.competences).encode())
    for doc_id in documents_needed(applicant, manifest, pack=pack):
        for lang in languages_of(manifest, doc_id, langs):
            h.update(_file_digest(manifest.template_path(doc_id, lang)).encode())
    return h.hexdigest()


def build_zip(files: list[PackFile], meta: Mapping[str, object]) -> bytes:
    """The ZIP: every file under its language folder, plus ``pack.json``.

    Python's zipfile sets the UTF-8 flag on non-ASCII names, so Chinese names open
    correctly in Windows Explorer and macOS.
    """
    listing = [
        {
            "path": f.arcname,
            "sha256": hashlib.sha256(f.data).hexdigest(),
            "bytes": len(f.data),
        }
        for f in files
    ]
    manifest_json = json.dumps({**meta, "files": listing}, ensure_ascii=False, indent=2)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for f in files:
            arcname = f.arcname
            if arcname.startswith("/") or ".." in arcname.split("/"):
                raise ValueError(f"unsafe name in pack: {arcname}")
            z.writestr(zipfile.ZipInfo(arcname, date_time=(2026, 1, 1, 0, 0, 0)), f.data,
                       compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("pack.json", manifest_json.encode("utf-8"))
    return buffer.getvalue()


def read_fingerprint(path: Path) -> str | None:
    """The input fingerprint recorded in an existing pack, or None if unreadable."""
    try:
        with zipfile.ZipFile(path) as z:
            return str(json.loads(z.read("pack.json"))["fingerprint"])
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None


def pack_files(
    rendered: list[RenderedDocument], pdfs: Mapping[tuple[Language, str], bytes]
) -> list[PackFile]:
    """DOCX and, where converted, PDF of each rendered document."""
    files = []
    for doc in rendered:
        files.append(PackFile(doc.lang, doc.filename, doc.docx))
        pdf = pdfs.get((doc.lang, doc.filename))
        if pdf is not None:
            files.append(PackFile(doc.lang, str(Path(doc.filename).with_suffix(".pdf")), pdf))
    return files


def pack_zip(made: MadeDocuments, pack: str, fingerprint_value: str) -> bytes:
    """One applicant's pack as ZIP bytes, from their converted documents."""
    a = made.applicant
    pdfs = made.pdfs or []
    by_name = {(doc.lang, doc.filename): pdf for doc, pdf in zip(made.documents, pdfs, strict=False)}
    meta = {
        "id": a.id,
        "name": {"zh": a.name.get("zh"), "en": a.name.get("en")},
        "programme": a.programme,
        "grade": a.grade,
        "pack": pack,
        "fingerprint": fingerprint_value,
    }
    return build_zip(pack_files(made.documents, by_name), meta)
