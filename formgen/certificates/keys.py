"""The register's key: kept apart from the register, so that writing the register is not
enough to make a row that verifies.

The key signs every verification code and seals every row and event of the register
(HMAC-SHA256). It is 32 random bytes written as 64 hexadecimal characters, found in this
order:

1. the file named with ``--register-key`` (or passed as ``key_file``);
2. the environment variable ``FORMGEN_REGISTER_KEY`` (the 64 characters themselves);
3. the key file beside the register: ``build/register.sqlite`` has ``build/register.key``.

A register in PostgreSQL (``--database postgresql://…``) has no file beside which a key
could be: its key comes from ``--register-key`` or ``FORMGEN_REGISTER_KEY``, and nothing
else is tried.

A key file must be readable by its owner only (permissions 0600), as ssh insists for
its keys. ``formgen register init`` makes the key together with the register; nothing
else creates one. The register records the key's id (an HMAC of a fixed text), so a
register opened with another key is refused at once.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from formgen.database import Location
from formgen.exceptions import RegisterError
from formgen.messages import msg
from formgen.paths import key_file_location

KEY_ENV = "FORMGEN_REGISTER_KEY"
"""Environment variable that may hold the key itself."""
KEY_SUFFIX = ".key"
_KEY_TEXT = re.compile(r"[0-9a-fA-F]{64}")


@dataclass(frozen=True)
class RegisterKey:
    """The secret of one register and where it came from."""

    secret: bytes = b""
    source: str = ""
    """The key file, or the environment variable, the key was read from."""

    @property
    def key_id(self) -> str:
        """A name for the key that reveals nothing of it: 16 hexadecimal characters."""
        return hmac.new(self.secret, b"formgen-register-key-id", hashlib.sha256).hexdigest()[:16]


def default_key_path(register: Path) -> Path:
    """The key file beside ``register``: ``build/register.sqlite`` → ``build/register.key``."""
    register = Path(register)
    beside = register.with_suffix(KEY_SUFFIX)
    return beside if beside != register else register.with_name(register.name + KEY_SUFFIX)


def key_location(register: Path | Location, key_file: Path | None = None) -> tuple[Path | None, str]:
    """(the key file to read or None for the environment, how to name where the key is).
    RegisterError for a register in PostgreSQL when neither a file nor the variable is
    given."""
    return key_beside_register(
        register, key_file, KEY_ENV, default_key_path,
        lambda database: RegisterError(msg("register.key-needed", database=database.shown,
                                           variable=KEY_ENV)))


def key_beside_register(register: Path | Location, key_file: Path | None, env: str,
                        beside: Callable[[Path], Path],
                        needed: Callable[[Location], Exception]) -> tuple[Path | None, str]:
    """Where a key of ``register`` is (see :func:`formgen.paths.key_file_location`): the
    file ``key_file``, else the variable ``env``, else the file ``beside`` the register's.
    A register in PostgreSQL has no file to be beside: ``needed(database)`` is raised
    when neither a file nor the variable is given."""
    if isinstance(register, Location):
        if register.path is not None:
            register = register.path
        elif key_file is None and os.environ.get(env) is None:
            raise needed(register)
        else:
            return key_file_location(key_file, env, Path())
    return key_file_location(key_file, env, beside(register))


def load_key(register: Path | Location, key_file: Path | None = None) -> RegisterKey:
    """The key of ``register``, from ``key_file``, ``$FORMGEN_REGISTER_KEY`` or beside it.

    Raises RegisterError when there is none, it is not a key, or a key file can be read by
    others.
    """
    path, source = key_location(register, key_file)
    if path is None:
        return RegisterKey(_parse(os.environ[KEY_ENV], source), source)
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        raise RegisterError(msg(
            "register.key-missing", key=source, register=str(register), variable=KEY_ENV,
        )) from None
    except OSError as e:
        raise RegisterError(msg("register.key-unreadable", key=source, reason=str(e.strerror))) from e
    if stat.S_IMODE(mode) & 0o077:
        raise RegisterError(msg(
            "register.key-too-open", key=source, mode=f"{stat.S_IMODE(mode):04o}",
        ))
    return RegisterKey(_parse(text, source), source)


def _parse(text: str, source: str) -> bytes:
    text = text.strip()
    if not _KEY_TEXT.fullmatch(text):
        raise RegisterError(msg("register.key-malformed", key=source))
    return bytes.fromhex(text)


def create_key(register: Path | Location, key_file: Path | None = None,
               secret: bytes | None = None) -> RegisterKey:
    """A new key for ``register``: written to its key file (0600, never over an existing
    file), or taken from ``$FORMGEN_REGISTER_KEY`` when that is set and no file is named.

    ``secret`` writes a given key instead of a new one (moving a key out of an old
    register).
    """
    path, source = key_location(register, key_file)
    if path is None:
        key = RegisterKey(_parse(os.environ[KEY_ENV], source), source)
        if secret is not None and not hmac.compare_digest(key.secret, secret):
            raise RegisterError(msg("register.key-env-differs", variable=KEY_ENV, register=str(register)))
        return key
    secret = secrets.token_bytes(32) if secret is None else secret
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise RegisterError(msg("register.key-exists", key=source)) from None
    except OSError as e:
        raise RegisterError(msg("register.key-cannot-create", key=source, reason=str(e.strerror))) from e
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secret.hex() + "\n")
    return RegisterKey(secret, source)
