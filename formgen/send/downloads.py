"""Certificates too large to attach go as download links (``<base-url>/d/<token>``): each
file is kept in the link store, sealed under a key that exists only in its link (see
:mod:`formgen.links.downloads`), and the message names each link and until when it works.
"""

from __future__ import annotations

import datetime as dt

from formgen.exceptions import FormgenError
from formgen.links.downloads import download_link
from formgen.links.store import MAX_FILE, Vault
from formgen.messages import Message, msg
from formgen.send.plan import Outgoing, size_text


def download_links(items: list[Outgoing], limit: int, base_url: str | None, days: float,
                   vault: Vault | None, now: dt.datetime, stand_in: str,
                   ) -> tuple[dict[int, list[str]], list[tuple[Outgoing, Message]], list[str]]:
    """The download links of the certificates of ``items`` that come to more than
    ``limit`` bytes, by ``id(item)``, one per file in order; the people refused (a file
    too large even for a link) and why; the tokens made. With a ``vault`` the files are
    kept in it, all in one transaction; without (a preview), the links end in ``stand_in``
    and nothing is kept."""
    needing = [item for item in items if item.kind == "certificate"
               and sum(p.stat().st_size for p in item.files) > limit]
    if not needing:
        return {}, [], []
    if not base_url:
        raise FormgenError(msg("send.base-url-needed"))
    refused: list[tuple[Outgoing, Message]] = []
    chosen: list[tuple[Outgoing, list[tuple[str, bytes]]]] = []
    for item in needing:
        files = [(p.name, p.read_bytes()) for p in item.files]
        big = next(((name, data) for name, data in files if len(data) > MAX_FILE), None)
        if big is not None:
            refused.append((item, msg("send.download-too-large", name=big[0],
                                      size=size_text(len(big[1]), "en"),
                                      limit=size_text(MAX_FILE, "en"))))
        else:
            chosen.append((item, files))
    every = [file for _, files in chosen for file in files]
    if vault is None:
        tokens = [stand_in] * len(every)
        made: list[str] = []
    else:
        tokens = made = vault.add_files(every, now + dt.timedelta(days=days), now) if every else []
    links: dict[int, list[str]] = {}
    at = 0
    for item, files in chosen:
        links[id(item)] = [download_link(base_url, t) for t in tokens[at:at + len(files)]]
        at += len(files)
    return links, refused, made
