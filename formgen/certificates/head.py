"""The register's head: the number and seal of its last event, kept where the key is, so
that whoever can write the register alone cannot roll it back.

Events are chained (each sealed with the key over the one before,
:mod:`formgen.certificates.seals`), so without the key nobody can add one; but an event
taken off the end, or the whole file put back from a backup, leaves a shorter chain that
still verifies. The head says how far the chain reached: a register that no longer holds
the head's event, with the head's seal, was rolled back.

The head is found like the key (:mod:`formgen.certificates.keys`):

1. beside the key file: ``build/register.key`` has ``build/register.head``;
2. when the key comes from ``$FORMGEN_REGISTER_KEY``: ``$FORMGEN_REGISTER_HEAD``, either
   a head file's path, or the head itself (``42:<64 hexadecimal characters>``, a floor
   the register may only be ahead of; formgen never writes it);
3. when the key comes from the environment and ``$FORMGEN_REGISTER_HEAD`` is not set: the
   head file beside the register, which the audit notes, since whoever writes the
   register can write it too. A register in PostgreSQL has no file beside which to keep
   it: then one of the first two is needed.

A head file is replaced atomically (written, flushed to disk, renamed into place) each
time events are added. It holds one line,
``<event>:<seal>``, the text that the verification page and every export publish.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from formgen.certificates.keys import KEY_ENV, RegisterKey, default_key_path
from formgen.database import Location
from formgen.exceptions import OutputError, RegisterError
from formgen.messages import msg
from formgen.paths import atomic_path

HEAD_ENV = "FORMGEN_REGISTER_HEAD"
"""Environment variable naming the head file, or holding the head, when the key is in the
environment too."""
HEAD_SUFFIX = ".head"
_HEAD_TEXT = re.compile(r"([1-9][0-9]{0,17}):([0-9a-f]{64})")


@dataclass(frozen=True)
class Head:
    """How far the register's chain of events reached."""

    event: int
    """The id of the last event."""
    seal: str
    """Its seal (64 hexadecimal characters)."""

    def __str__(self) -> str:
        return f"{self.event}:{self.seal}"

    @classmethod
    def parse(cls, text: str, source: str) -> Head:
        """The head written in ``text``; RegisterError naming ``source`` when it is not one."""
        found = _HEAD_TEXT.fullmatch(text.strip())
        if found is None:
            raise RegisterError(msg("register.head-malformed", head=source))
        return cls(int(found.group(1)), found.group(2))


@dataclass(frozen=True)
class HeadPlace:
    """Where a register's head is kept."""

    path: Path | None
    """The head file, or None when the environment holds the head itself."""
    source: str
    """How to name it in messages: the file, or the variable."""
    value: str = ""
    """The head given in the environment (when ``path`` is None)."""
    beside_register: bool = False
    """The head file is the one beside the register (no safer place was given)."""

    def read(self) -> Head | None:
        """The head kept here; None when there is no head file yet."""
        if self.path is None:
            return Head.parse(self.value, self.source)
        try:
            text = self.path.read_text(encoding="ascii", errors="replace")
        except FileNotFoundError:
            return None
        except OSError as e:
            raise RegisterError(msg("register.head-unreadable", head=self.source,
                                    reason=str(e.strerror))) from e
        return Head.parse(text, self.source)

    def write(self, head: Head) -> None:
        """Replace the head file atomically (nothing when the environment holds the head)."""
        if self.path is None:
            return
        try:
            with atomic_path(self.path) as tmp, tmp.open("wb") as fh:
                fh.write(f"{head}\n".encode("ascii"))
                fh.flush()
                os.fsync(fh.fileno())  # on disk before it replaces the head
        except OSError as e:
            raise RegisterError(msg("register.head-unwritable", head=self.source,
                                    reason=str(e.strerror or e))) from e
        except OutputError as e:
            raise RegisterError(msg("register.head-unwritable", head=self.source,
                                    reason=e.message)) from e


def head_file_for(key_file: Path) -> Path:
    """The head file beside a key file: ``register.key`` → ``register.head``."""
    beside = key_file.with_suffix(HEAD_SUFFIX)
    return beside if beside != key_file else key_file.with_name(key_file.name + HEAD_SUFFIX)


def head_place(register: Path | Location, key: RegisterKey) -> HeadPlace:
    """Where the head of ``register``, opened with ``key``, is kept (see the module);
    RegisterError for a register in PostgreSQL whose key and head both come from nowhere
    but the environment's key."""
    if key.source != KEY_ENV:
        path = head_file_for(Path(key.source))
        return HeadPlace(path, str(path))
    given = os.environ.get(HEAD_ENV, "").strip()
    if _HEAD_TEXT.fullmatch(given):
        return HeadPlace(None, HEAD_ENV, value=given)
    if given:
        return HeadPlace(Path(given), given)
    if isinstance(register, Location):
        if register.path is None:
            raise RegisterError(msg("register.head-needed", database=register.shown,
                                    variable=HEAD_ENV, key=KEY_ENV))
        register = register.path
    path = head_file_for(default_key_path(register))
    return HeadPlace(path, str(path), beside_register=True)
