"""The W3C Bitstring Status List: where each certificate's revocation is published.

Each certificate gets a place in a status list when it is numbered: a list number and a
position in it chosen at random among the free ones (so neighbouring numbers are not
neighbouring bits), kept in the register's own ``credential_status`` table, each sealed
with the register's key (:mod:`formgen.certificates.places`): a list is made only from
places whose seals hold. A list has LIST_SIZE (131,072)
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
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from formgen.certificates.places import Place, checked_places, keep_places, place_of
from formgen.certificates.register import Register
from formgen.clock import utc_stamp
from formgen.credentials.did import did_web, method_id
from formgen.credentials.keys import IssuerKeys
from formgen.credentials.proof import VC_V2, sign
from formgen.exceptions import CredentialError
from formgen.messages import msg

LIST_SIZE = 131_072
"""Entries in one status list (16 KiB of bits, the W3C minimum)."""
PURPOSE = "revocation"


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


def allocate(register: Register, numbers: Iterable[str], by: str = "") -> dict[str, StatusEntry]:
    """The status entry of each of ``numbers``: the one it has (checked against its seal),
    or a new one, sealed (:mod:`formgen.certificates.places`)."""
    wanted = list(dict.fromkeys(numbers))
    with register.transaction() as db:
        have = {p.number: StatusEntry(p.list, p.index) for p in checked_places(register)}
        used: dict[int, set[int]] = {}
        for entry in have.values():
            used.setdefault(entry.list, set()).add(entry.index)
        new: list[Place] = []
        for number in wanted:
            if number not in have:
                have[number] = _free(used)
                new.append(Place(number, have[number].list, have[number].index))
        if new:
            keep_places(register, db, new, by)
    return {number: have[number] for number in wanted}


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


def entry_of(register: Register, number: str) -> StatusEntry | None:
    """The status entry of ``number`` (checked against its seal), or None when it has
    none; RegisterError when its seal does not hold."""
    place = place_of(register, number)
    return StatusEntry(place.list, place.index) if place is not None else None


def set_bits(register: Register, number: int) -> list[int]:
    """The positions in list ``number`` whose certificate is not valid (revoked,
    superseded), made only from places whose seals hold (RegisterError otherwise)."""
    places = {p.number: p.index for p in checked_places(register, number)}
    if not places:
        return []
    standing = {str(n): str(s) for n, s in register.query("SELECT number, status FROM certificates")}
    return sorted(index for n, index in places.items() if standing.get(n, "") != "valid")


def lists(register: Register) -> list[int]:
    """The numbers of the status lists in use (at least list 1)."""
    return sorted({p.list for p in checked_places(register)} | {1})


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
    when = utc_stamp(now or dt.datetime.now(dt.UTC))
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
