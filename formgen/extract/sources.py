"""The files to read: forms given by name, every form in a folder, every form in a ZIP.

Word's lock files (``~$报名表.docx``) and hidden files are passed over; a ZIP inside a ZIP
is opened too, one level deep. A ZIP that cannot be opened safely is reported as refused
and the rest go on.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from formgen.extract.safety import MAX_FILE, Refused, check_zip
from formgen.messages import Message, msg

FORM_SUFFIXES = (".docx", ".docm", ".doc", ".rtf", ".odt")
MAX_DEPTH = 2


@dataclass(frozen=True)
class Source:
    """One file to read (its bytes), or why it cannot be (``refused``)."""

    name: str
    data: bytes = b""
    refused: Message | None = None


def _wanted(name: str) -> bool:
    base = PurePosixPath(name).name
    return not base.startswith(("~$", ".")) and base.lower().endswith(FORM_SUFFIXES + (".zip",))


def expand(paths: list[Path]) -> Iterator[Source]:
    """Every form under ``paths``, in a stable order."""
    for path in paths:
        if path.is_dir():
            for found in sorted(p for p in path.rglob("*") if p.is_file()):
                if _wanted(found.name):
                    yield from _file(found)
        elif not path.exists():
            yield Source(str(path), refused=msg("file.missing"))
        else:
            yield from _file(path)


def _file(path: Path) -> Iterator[Source]:
    try:
        if path.stat().st_size > MAX_FILE * 10:
            yield Source(str(path), refused=msg("extract.too-large", size=path.stat().st_size // (1 << 20)))
            return
        data = path.read_bytes()
    except OSError as e:
        yield Source(str(path), refused=msg("file.unreadable", reason=str(e.strerror)))
        return
    yield from from_bytes(str(path), data)


def from_bytes(name: str, data: bytes, depth: int = 0) -> Iterator[Source]:
    """The forms in one file: itself, or what a ZIP holds."""
    if not name.lower().endswith(".zip"):
        yield Source(name, data)
        return
    if depth >= MAX_DEPTH:
        yield Source(name, refused=msg("extract.zip-too-deep"))
        return
    try:
        archive = check_zip(data)
    except Refused as e:
        yield Source(name, refused=e.reason)
        return
    with archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            inner = f"{name}/{_member_name(info)}"
            if info.is_dir() or not _wanted(info.filename):
                continue
            if info.file_size > MAX_FILE:
                yield Source(inner, refused=msg("extract.too-large", size=info.file_size // (1 << 20)))
                continue
            yield from from_bytes(inner, archive.read(info), depth + 1)


def _member_name(info: zipfile.ZipInfo) -> str:
    """A member's name; Windows writes Chinese names in GBK without saying so."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename
