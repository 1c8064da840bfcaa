"""Safe file names and atomic writes: nothing half-written, nothing outside the output folder."""

from __future__ import annotations

import errno
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from formgen.exceptions import OutputError
from formgen.messages import INVISIBLE, Message, msg

_WINDOWS_RESERVED = {
    "CON", "PRN", "AUX", "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')
MAX_NAME_BYTES = 200
_UMASK = os.umask(0)
os.umask(_UMASK)


_INVISIBLE = re.compile(f"[{INVISIBLE}]+")
"""Invisible format characters (:data:`formgen.messages.INVISIBLE`): bidi controls that
reorder how a name shows (U+202E), zero-width spaces and joiners, the byte-order mark,
soft hyphens, tag characters."""


def key_file_location(key_file: Path | None, env: str, default: Path) -> tuple[Path | None, str]:
    """Where a key is found: ``key_file`` when one is named, else the environment variable
    ``env`` when it is set, else ``default``. Returns (the file to read, or None for the
    variable; how to name where the key is)."""
    if key_file is not None:
        return Path(key_file), str(key_file)
    if os.environ.get(env) is not None:
        return None, env
    return default, str(default)


def safe_filename(name: str, fallback: str = "") -> str:
    """A file name that is safe on Windows, macOS and Linux, or ``fallback`` if none is left.

    Path separators, ``..``, characters Windows forbids and reserved device names (CON,
    NUL …) are replaced; bidi controls and zero-width characters, which make a name show
    other than it is, are removed; Chinese and other letters are kept. The name is cut to
    MAX_NAME_BYTES of UTF-8 at a character boundary. Time and memory grow linearly with
    the length of ``name``.
    """
    cleaned = _INVISIBLE.sub("", unicodedata.normalize("NFC", name))
    cleaned = _UNSAFE.sub("_", cleaned)
    cleaned = re.sub(r"\s+", " ", cleaned).strip(" ._")
    cleaned = re.sub(r"\.{2,}", ".", cleaned)
    stem = cleaned.split(".", 1)[0]
    if stem.upper() in _WINDOWS_RESERVED:
        cleaned = f"_{cleaned}"
    encoded = cleaned.encode("utf-8")
    if len(encoded) > MAX_NAME_BYTES:
        # a character cut in two at the end is dropped, not replaced
        cleaned = encoded[:MAX_NAME_BYTES].decode("utf-8", errors="ignore").rstrip(" .")
    return cleaned or fallback


def inside(root: Path, *parts: str) -> Path:
    """``root/parts…``, refusing any result that would leave ``root``."""
    root = root.resolve()
    path = root.joinpath(*parts).resolve()
    if path != root and root not in path.parents:
        raise OutputError(msg("output.outside-folder", path=str(path), folder=str(root)))
    return path


def cannot_write(e: OSError, path: Path, *, folder: bool = False) -> Message:
    """Why ``path`` (a file, or a folder to write in) could not be written: a full disk
    said in the user's language, anything else with the system's reason."""
    if e.errno == errno.ENOSPC:
        return msg("output.disk-full", path=str(path))
    if folder:
        return msg("output.cannot-write-in", folder=str(path), reason=str(e.strerror or e))
    return msg("output.cannot-write", path=str(path), reason=str(e.strerror or e))


def check_target(target: Path, inputs: Iterable[Path], *, force: bool = False) -> None:
    """OutputError when writing ``target`` would replace one of ``inputs`` (a file given,
    or a file inside a folder given: never, whatever ``force`` says), or a file that
    already exists (unless ``force``)."""
    for given in inputs:
        if _same_file(target, given) or (given.is_dir() and target.exists()
                                         and _within(target, given)):
            raise OutputError(msg("output.is-input", path=str(target)))
    if not force and (target.exists() or target.is_symlink()):
        raise OutputError(msg("output.exists", path=str(target)))


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def _within(path: Path, folder: Path) -> bool:
    return folder.resolve() in path.resolve().parents


def make_output_folder(out: Path) -> None:
    """Create the output folder (and its parents) and check that files can be written in
    it, or raise OutputError saying why not."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(msg("output.cannot-create-folder", folder=str(out), reason=str(e.strerror))) from e
    try:
        fd, probe = tempfile.mkstemp(prefix=".tmp-", suffix=".probe", dir=out)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise OutputError(cannot_write(e, out, folder=True)) from e


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it into place only on success."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(  # never a *.zip (or *.pdf) until it is complete
            prefix=".tmp-", suffix=f"{target.suffix}.part", dir=target.parent
        )
    except OSError as e:
        raise OutputError(cannot_write(e, target.parent, folder=True)) from e
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs are ordinary files
    try:
        yield tmp
        os.replace(tmp, target)
    except OSError as e:
        raise OutputError(cannot_write(e, target)) from e
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` through a temporary file and a rename."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_together(files: list[tuple[Path, bytes]]) -> None:
    """Write every ``(target, data)``, all or none: each goes to a temporary file beside
    its target, and only when all of them are written are they renamed into place. On a
    failure (a full disk) what was written is removed, with the folders made for it, and
    OutputError says why."""
    made: list[Path] = []
    staged: list[tuple[Path, Path]] = []
    placed: list[Path] = []
    try:
        for target, data in files:
            _make_folders(target.parent, made)
            try:
                fd, name = tempfile.mkstemp(prefix=".tmp-", suffix=f"{target.suffix}.part",
                                            dir=target.parent)
            except OSError as e:
                raise OutputError(cannot_write(e, target.parent, folder=True)) from e
            staged.append((Path(name), target))
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.chmod(name, 0o666 & ~_UMASK)
            except OSError as e:
                raise OutputError(cannot_write(e, target)) from e
        for stage, target in staged:
            try:
                os.replace(stage, target)
            except OSError as e:
                raise OutputError(cannot_write(e, target)) from e
            placed.append(target)
    except BaseException:
        for path in [s for s, _ in staged] + placed:
            path.unlink(missing_ok=True)
        for folder in reversed(made):
            with suppress(OSError):
                folder.rmdir()
        raise


def _make_folders(folder: Path, made: list[Path]) -> None:
    """Create ``folder`` and its missing parents, noting in ``made`` each one created."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        try:
            path.mkdir()
        except FileExistsError:
            continue
        except OSError as e:
            raise OutputError(cannot_write(e, path, folder=True)) from e
        made.append(path)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: str) -> str:
    """A CSV cell Excel shows as text and never runs as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def write_csv(target: Path, header: list[str], rows: list[list[str]]) -> Path:
    """An atomic UTF-8 CSV (with a byte-order mark, so Excel reads Chinese), formula-safe."""
    import csv

    with atomic_path(target) as tmp, tmp.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows([spreadsheet_cell(str(c)) for c in row] for row in rows)
    return target
