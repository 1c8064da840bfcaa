"""Download links: ``<base-url>/d/<token>``, made by ``formgen send`` for files too large
to attach, and answered by the web app.

The token is a random 128-bit key that exists only in the link; the file's name and bytes
are kept in the link store sealed under it (see :mod:`formgen.links.store`). A link is
refused once it expires or is withdrawn, as the links of :mod:`formgen.links.tokens` are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from formgen import clock
from formgen.links.store import Undecryptable, Vault, key_of, unseal, unseal_bytes
from formgen.links.tokens import LinkInvalid, check_in_force
from formgen.messages import msg

DOWNLOAD_PATH = "/d/"


@dataclass(frozen=True)
class DownloadData:
    """What a valid download link hands over."""

    name: str
    data: bytes
    expires: dt.datetime


def make_download_links(vault: Vault, base_url: str, files: list[tuple[str, bytes]], *,
                        days: float = 30, now: dt.datetime | None = None) -> list[str]:
    """Keep each (name, bytes) sealed in ``vault``; the links that download them, in order."""
    now = now or clock.now()
    tokens = vault.add_files(files, now + dt.timedelta(days=days), now)
    return [download_link(base_url, token) for token in tokens]


def download_link(base_url: str, token: str) -> str:
    return base_url.rstrip("/") + DOWNLOAD_PATH + token


def open_download(token: str, vault: Vault, *, now: dt.datetime | None = None) -> DownloadData:
    """The file a download link opens; LinkInvalid (not one of ours, or changed),
    LinkExpired or LinkRevoked when it cannot be had."""
    key = key_of(token)
    entry = vault.file(key) if key is not None else None
    if key is None or entry is None:
        raise LinkInvalid(msg("link.changed"))
    check_in_force(entry.revoked, entry.expires, entry.data is not None and entry.name is not None, now)
    assert entry.data is not None and entry.name is not None
    try:
        name = unseal(key, entry.name, "file.name")
        data = unseal_bytes(key, entry.data, "file.data")
    except Undecryptable:
        raise LinkInvalid(msg("link.changed")) from None
    if not isinstance(name, str):
        raise LinkInvalid(msg("link.changed"))
    return DownloadData(name, data, entry.expires)
