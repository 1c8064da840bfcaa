"""The issuer's signing keys (Ed25519), kept apart from the register like its own key.

Every digital credential and status list is signed with the newest key; older keys are
kept (and published in the DID document) so that credentials they signed keep verifying
after a new key is added (``formgen register issuer-key``). The keys are found in this
order:

1. the file named with ``--issuer-keys`` (or passed as ``key_file``);
2. the environment variable ``FORMGEN_ISSUER_KEYS`` (the file's JSON text itself);
3. the file beside the register: ``build/register.sqlite`` has
   ``build/register.issuer-keys.json``. A register in PostgreSQL has no file beside which
   they could be: one of the first two is needed.

A key file must be readable by its owner only (permissions 0600). It holds
``{"format": "formgen-issuer-keys", "keys": [{"created": ..., "seed": 64 hex}, ...]}``,
oldest first.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

import base58
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from formgen.certificates.keys import key_beside_register
from formgen.clock import utc_stamp
from formgen.database import Location
from formgen.exceptions import CredentialError
from formgen.messages import msg

ISSUER_KEYS_ENV = "FORMGEN_ISSUER_KEYS"
"""Environment variable that may hold the key file's text."""
SUFFIX = ".issuer-keys.json"
FORMAT = "formgen-issuer-keys"
_SEED = re.compile(r"[0-9a-f]{64}")
_ED25519_PUB = b"\xed\x01"
"""Multicodec prefix of an Ed25519 public key."""


def multibase_key(public: Ed25519PublicKey) -> str:
    """The key as a Multikey's ``publicKeyMultibase``: ``z`` + base58btc(0xed01 + key)."""
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return "z" + base58.b58encode(_ED25519_PUB + raw).decode("ascii")


def public_key_from_multibase(text: str) -> Ed25519PublicKey | None:
    """The Ed25519 key a ``publicKeyMultibase`` names, or None when it names none."""
    if not text.startswith("z"):
        return None
    try:
        raw = base58.b58decode(text[1:])
    except ValueError:
        return None
    if len(raw) != 34 or not raw.startswith(_ED25519_PUB):
        return None
    return Ed25519PublicKey.from_public_bytes(raw[2:])


@dataclass(frozen=True)
class IssuerKey:
    """One Ed25519 key and when it was made."""

    seed: bytes
    created: str

    @property
    def private(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.seed)

    @property
    def multibase(self) -> str:
        """Its public key as a Multikey's ``publicKeyMultibase``."""
        return multibase_key(self.private.public_key())


@dataclass(frozen=True)
class IssuerKeys:
    """Every key of the issuer, oldest first; the newest signs."""

    keys: list[IssuerKey] = field(default_factory=list)
    source: str = ""
    """The file, or the environment variable, the keys were read from."""

    @property
    def current(self) -> IssuerKey:
        return self.keys[-1]


Register = Path | Location
"""A register's file, or where a register is (a file or a PostgreSQL database)."""


def default_keys_path(register: Path) -> Path:
    """The key file beside ``register``: ``build/register.sqlite`` →
    ``build/register.issuer-keys.json``."""
    register = Path(register)
    return register.with_name(register.stem + SUFFIX)


def _location(register: Register, key_file: Path | None) -> tuple[Path | None, str]:
    return key_beside_register(
        register, key_file, ISSUER_KEYS_ENV, default_keys_path,
        lambda database: CredentialError(msg("credential.keys-needed", database=database.shown,
                                             variable=ISSUER_KEYS_ENV)))


def issuer_keys_exist(register: Register, key_file: Path | None = None) -> bool:
    """Whether there are issuer keys for ``register`` (a key file, or the variable)."""
    path, _ = _location(register, key_file)
    return path is None or path.exists()


def load_issuer_keys(register: Register, key_file: Path | None = None) -> IssuerKeys:
    """The issuer's keys for ``register``; CredentialError when there are none, a key
    file can be read by others, or it is not a key file."""
    path, source = _location(register, key_file)
    if path is None:
        return IssuerKeys(_parse(os.environ[ISSUER_KEYS_ENV], source), source)
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise CredentialError(msg(
            "credential.keys-missing", keys=source, register=str(register),
            variable=ISSUER_KEYS_ENV,
        )) from None
    except OSError as e:
        raise CredentialError(msg("credential.keys-unreadable", keys=source,
                                  reason=str(e.strerror))) from e
    if stat.S_IMODE(mode) & 0o077:
        raise CredentialError(msg("credential.keys-too-open", keys=source,
                                  mode=f"{stat.S_IMODE(mode):04o}"))
    return IssuerKeys(_parse(text, source), source)


def _parse(text: str, source: str) -> list[IssuerKey]:
    try:
        data = json.loads(text)
        keys = [IssuerKey(bytes.fromhex(k["seed"]), str(k["created"])) for k in data["keys"]
                if _SEED.fullmatch(str(k["seed"]))]
        if data.get("format") != FORMAT or not keys or len(keys) != len(data["keys"]):
            raise ValueError("not a key file")
    except (ValueError, KeyError, TypeError, AttributeError):
        raise CredentialError(msg("credential.keys-malformed", keys=source)) from None
    return keys


def _text(keys: list[IssuerKey]) -> str:
    return json.dumps({"format": FORMAT, "keys": [
        {"created": k.created, "seed": k.seed.hex()} for k in keys]}, indent=2) + "\n"


def _new_key() -> IssuerKey:
    return IssuerKey(secrets.token_bytes(32), utc_stamp(dt.datetime.now(dt.UTC)))


def create_issuer_keys(register: Register, key_file: Path | None = None) -> IssuerKeys:
    """The issuer's first key, written to its file (0600, never over an existing file);
    with ``$FORMGEN_ISSUER_KEYS`` set and no file named, the keys it holds."""
    path, source = _location(register, key_file)
    if path is None:
        return load_issuer_keys(register, key_file)
    keys = [_new_key()]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise CredentialError(msg("credential.keys-exist", keys=source)) from None
    except OSError as e:
        raise CredentialError(msg("credential.keys-cannot-write", keys=source,
                                  reason=str(e.strerror))) from e
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(_text(keys))
    return IssuerKeys(keys, source)


def add_issuer_key(register: Register, key_file: Path | None = None) -> tuple[IssuerKeys, bool]:
    """A new signing key: the first (a new file) when there is none, else added after the
    others, which are kept. Returns (the keys, whether a file was made)."""
    path, source = _location(register, key_file)
    if path is None:
        raise CredentialError(msg("credential.keys-in-environment", variable=ISSUER_KEYS_ENV))
    if not path.exists():
        return create_issuer_keys(register, key_file), True
    old = load_issuer_keys(register, key_file)
    keys = [*old.keys, _new_key()]
    temp = path.with_name(path.name + ".new")
    try:
        temp.unlink(missing_ok=True)
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(_text(keys))
        os.replace(temp, path)
    except OSError as e:
        temp.unlink(missing_ok=True)
        raise CredentialError(msg("credential.keys-cannot-write", keys=source,
                                  reason=str(e.strerror))) from e
    return IssuerKeys(keys, source), False
