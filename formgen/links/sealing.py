"""Keys, tokens and sealing: what keeps a row of the link store noise without its key.

A key is 128 random bits; its token, 22 URL-safe characters, is the last part of a link
and exists nowhere else. A row is filed under a one-way hash of the key
(:func:`lookup_of`), and its contents are encrypted and authenticated with AES-GCM under
the key (:func:`seal` for JSON values, :func:`seal_bytes` for a file's bytes).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
import zlib
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 16
"""128-bit AES keys: 22 characters in a link."""
TOKEN_LENGTH = 22
MAX_PLAIN = 8 * 1024 * 1024


class Undecryptable(Exception):
    """The key does not open this ciphertext (a wrong key, or a changed row)."""


def new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def token_of(key: bytes) -> str:
    """The key as 22 URL-safe characters."""
    return base64.urlsafe_b64encode(key).decode("ascii").rstrip("=")


def key_of(token: str) -> bytes | None:
    """The key a token spells, or None when it is not one of ours."""
    if len(token) != TOKEN_LENGTH or not token.isascii():
        return None
    try:
        key = base64.urlsafe_b64decode(token + "==")
    except (binascii.Error, ValueError):
        return None
    return key if len(key) == KEY_BYTES and token_of(key) == token else None


def lookup_of(key: bytes, kind: str) -> str:
    """Where an entry is filed: a one-way hash of its key, so the file never holds the key."""
    return hashlib.sha256(b"formgen." + kind.encode() + b"\0" + key).hexdigest()[:32]


def seal(key: bytes, value: Any, purpose: str) -> bytes:
    """``value`` as compressed JSON, encrypted and authenticated for ``purpose``."""
    plain = zlib.compress(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode(), 6)
    return seal_bytes(key, plain, purpose)


def unseal(key: bytes, blob: bytes, purpose: str) -> Any:
    plain = unseal_bytes(key, blob, purpose)
    inflater = zlib.decompressobj()
    data = inflater.decompress(plain, MAX_PLAIN)
    if inflater.unconsumed_tail:
        raise Undecryptable()
    return json.loads(data)


def seal_bytes(key: bytes, data: bytes, purpose: str) -> bytes:
    """``data`` encrypted and authenticated for ``purpose`` (a fresh nonce first)."""
    nonce = secrets.token_bytes(12)
    return nonce + AESGCM(key).encrypt(nonce, data, purpose.encode())


def unseal_bytes(key: bytes, blob: bytes, purpose: str) -> bytes:
    """What :func:`seal_bytes` sealed; Undecryptable for a wrong key or a changed blob."""
    try:
        return AESGCM(key).decrypt(blob[:12], blob[12:], purpose.encode())
    except (InvalidTag, ValueError):
        raise Undecryptable() from None
