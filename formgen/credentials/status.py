"""The W3C Bitstring Status List: where each certificate's revocation is published.

Each certificate gets a place in a status list when it is numbered: a list number and a
position in it chosen at random among the free ones (so neighbouring numbers are not
neighbouring bits), kept in the register's own ``credential_status`` table (added to a
register that has none, beside its other tables). A list has LIST_SIZE (131,072)
entries, so one status fetched reveals little about whom it concerns.

The list is published at ``BASE/status/N`` as a ``BitstringStatusListCredential`` signed
like the credentials; a certificate's bit is 1 when the register says it is revoked or
superseded (or anything but valid), so revoking or reissuing a certificate flips its bit
the next time the list is asked for, and the list is signed again.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import gzip
import secrets
import sqlite3
import zlib
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from formgen.credentials.did import did_web, method_id
from formgen.credentials.keys import IssuerKeys
from formgen.credentials.proof import VC_V2, sign
from formgen.exceptions import CredentialError
from formgen.messages import msg

LIST_SIZE = 131_072
"""Entries in one status list (16 KiB of bits, the W3C minimum)."""
TABLE = """CREATE TABLE IF NOT EXISTS credential_status (
    number   TEXT PRIMARY KEY,
    list     INTEGER NOT NULL CHECK (list >= 1),
    position INTEGER NOT NULL CHECK (position BETWEEN 0 AND 131071),
    UNIQUE (list, position)
)"""
PURPOSE = "revocation"


class RegisterAccess(Protocol):
    """What the status lists need of a register: its transactions and look-ups."""

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...

    def query(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[str, ...]]: ...


@dataclass(frozen=True)
class StatusEntry:
    """One certificate's place in the status lists."""

    list: int
    index: int

    def list_url(self, base: str) -> str:
        """The status list credential's address."""
        return status_list_url(base, self.list)

    def address(self, base: str) -> str:
        """``BASE/status/N#INDEX``: the entry's id, and what a certificate PDF records."""
        return f"{self.list_url(base)}#{self.index}"

    def credential_status(self, base: str) -> dict[str, str]:
        """The credential's ``credentialStatus``."""
        return {
            "id": self.address(base),
            "type": "BitstringStatusListEntry",
            "statusPurpose": PURPOSE,
            "statusListIndex": str(self.index),
            "statusListCredential": self.list_url(base),
        }


def status_list_url(base: str, number: int) -> str:
    return f"{base.rstrip('/')}/status/{number}"


def parse_address(address: str) -> tuple[str, int] | None:
    """(status list URL, index) of ``BASE/status/N#INDEX``, or None."""
    url, _, index = address.partition("#")
    if "/status/" not in url or not index.isdigit() or int(index) >= LIST_SIZE:
        return None
    return url, int(index)


def allocate(register: RegisterAccess, numbers: Iterable[str]) -> dict[str, StatusEntry]:
    """The status entry of each of ``numbers``: the one it has, or a new one."""
    wanted = list(dict.fromkeys(numbers))
    with register.transaction() as db:
        db.execute(TABLE)
        have = {str(n): StatusEntry(int(li), int(p)) for n, li, p in db.execute(
            "SELECT number, list, position FROM credential_status")}
        used: dict[int, set[int]] = {}
        for entry in have.values():
            used.setdefault(entry.list, set()).add(entry.index)
        found: dict[str, StatusEntry] = {}
        for number in wanted:
            if number not in have:
                have[number] = _free(used)
                db.execute("INSERT INTO credential_status (number, list, position) VALUES (?, ?, ?)",
                           (number, have[number].list, have[number].index))
            found[number] = have[number]
    return found


def _free(used: dict[int, set[int]]) -> StatusEntry:
    """A random free place, in the first list that is less than half full."""
    number = 1
    while len(used.get(number, ())) >= LIST_SIZE // 2:
        number += 1
    taken = used.setdefault(number, set())
    while True:
        index = secrets.randbelow(LIST_SIZE)
        if index not in taken:
            taken.add(index)
            return StatusEntry(number, index)


def _has_table(register: RegisterAccess) -> bool:
    return bool(register.query(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'credential_status'"))


def entry_of(register: RegisterAccess, number: str) -> StatusEntry | None:
    """The status entry of ``number``, or None when it has none."""
    if not _has_table(register):
        return None
    found = register.query("SELECT list, position FROM credential_status WHERE number = ?",
                           (number,))
    return StatusEntry(int(found[0][0]), int(found[0][1])) if found else None


def set_bits(register: RegisterAccess, number: int) -> list[int]:
    """The positions in list ``number`` whose certificate is not valid (revoked, superseded)."""
    if not _has_table(register):
        return []
    return sorted(int(r[0]) for r in register.query(
        "SELECT s.position FROM credential_status s JOIN certificates c ON c.number = s.number "
        "WHERE s.list = ? AND c.status <> 'valid'", (number,)))


def lists(register: RegisterAccess) -> list[int]:
    """The numbers of the status lists in use (at least list 1)."""
    if not _has_table(register):
        return [1]
    found = [int(r[0]) for r in register.query("SELECT DISTINCT list FROM credential_status")]
    return sorted(set(found) | {1})


def encode_list(positions: Iterable[int]) -> str:
    """The ``encodedList`` of a list with ``positions`` set: multibase base64url (``u``)
    of the GZIP-compressed bitstring, position 0 the first byte's highest bit."""
    bits = bytearray(LIST_SIZE // 8)
    for p in positions:
        bits[p // 8] |= 0x80 >> (p % 8)
    data = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def decode_list(encoded: str) -> bytes:
    """The bitstring of an ``encodedList``; CredentialError when it is not one."""
    try:
        if not encoded.startswith("u"):
            raise ValueError("not base64url")
        text = encoded[1:]
        return gzip.decompress(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, binascii.Error, OSError, EOFError, zlib.error):
        raise CredentialError(msg("credential.bad-status-list")) from None


def bit(bits: bytes, index: int) -> bool:
    """Whether position ``index`` is set; CredentialError when the list is too short."""
    if index // 8 >= len(bits):
        raise CredentialError(msg("credential.bad-status-list"))
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def _stamp(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


_signed: dict[tuple[str, int], tuple[tuple[object, ...], dict[str, Any]]] = {}


def status_list_credential(base: str, number: int, positions: list[int], keys: IssuerKeys,
                           now: dt.datetime | None = None) -> dict[str, Any]:
    """List ``number`` as a signed ``BitstringStatusListCredential``; signed again only
    when its bits (or the signing key) changed since it was last made."""
    key = keys.current
    state = (tuple(positions), key.multibase)
    cached = _signed.get((base, number))
    if cached is not None and cached[0] == state:
        return cached[1]
    did = did_web(base)
    url = status_list_url(base, number)
    when = _stamp(now or dt.datetime.now(dt.UTC))
    document = {
        "@context": [VC_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": did,
        "validFrom": when,
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": PURPOSE,
            "encodedList": encode_list(positions),
        },
    }
    signed = sign(document, key.private, method_id(did, key.multibase), when)
    _signed[(base, number)] = (state, signed)
    return signed
