"""Download links (``/d/<token>``): files kept in the link store sealed under a key only
the link holds, handed over under their own name, refused once changed, expired or
withdrawn."""

from __future__ import annotations

import datetime as dt
import sqlite3
import warnings
from pathlib import Path
from urllib.parse import quote

import pytest
from babel.dates import format_date
from conftest import kept_bytes

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from formgen import clock
from formgen.exceptions import OutputError
from formgen.links.downloads import make_download_links
from formgen.links.store import MAX_FILE, Vault, check_store, key_of
from formgen.links.tokens import make_short_link
from formgen.web.security import redact, redact_path

BASE = "https://forms.example.org"
NAME = "注册证书-李晓明.pdf"
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def path_of(link: str) -> str:
    return link.removeprefix(BASE)


def test_a_file_downloads_under_its_own_name_and_the_store_holds_only_noise(
        client: TestClient, store: Path) -> None:
    pdf_link, json_link = make_download_links(
        Vault(store), BASE, [(NAME, PDF), ("ecuk.credential.json", b'{"a": 1}')], days=7)
    assert pdf_link.startswith(BASE + "/d/") and len(pdf_link.rsplit("/", 1)[1]) == 22
    r = client.get(path_of(pdf_link))
    assert r.status_code == 200
    assert r.content == PDF
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"] == (
        f"attachment; filename=\"download.pdf\"; filename*=UTF-8''{quote(NAME, safe='')}")
    assert r.headers["cache-control"] == "no-store"
    j = client.get(path_of(json_link))
    assert j.content == b'{"a": 1}' and j.headers["content-type"] == "application/json"
    assert j.headers["content-disposition"] == (
        "attachment; filename=\"ecuk.credential.json\"; filename*=UTF-8''ecuk.credential.json")
    kept = kept_bytes(store)
    for clear in (NAME.encode(), "李晓明".encode(), PDF[:64], PDF[-600:-400], b"credential",
                  pdf_link.rsplit("/", 1)[1].encode(), key_of(pdf_link.rsplit("/", 1)[1]) or b"?"):
        assert clear not in kept, clear
    assert client.head(path_of(pdf_link)).status_code == 200
    check_store(store)  # a store with files is still a link store to ``formgen serve``


def test_changed_unknown_and_other_tokens_are_not_found(client: TestClient, store: Path) -> None:
    [link] = make_download_links(Vault(store), BASE, [(NAME, PDF)])
    token = link.rsplit("/", 1)[1]
    changed = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    form_link = make_short_link(Vault(store), BASE, {"id": "X"}).rsplit("/", 1)[1]
    for bad in (changed, token[:-1], "A" * 22, "nonsense", form_link):
        r = client.get(f"/d/{bad}")
        assert r.status_code == 404, bad
        assert "此链接已被改动或不完整，无法打开。请从邮件中复制完整的链接，或向项目办公室索取新的链接。" in r.text
        assert PDF not in r.content
    en = client.get(f"/d/{changed}?lang=en")
    assert "<h1" in en.text and "This link is not valid" in en.text


def test_expired_and_withdrawn_files_are_gone_with_a_page_saying_why(
        client: TestClient, store: Path) -> None:
    now = clock.now()
    vault = Vault(store)
    [old] = make_download_links(vault, BASE, [(NAME, PDF)], days=30, now=now - dt.timedelta(days=31))
    r = client.get(path_of(old) + "?lang=en")
    day = format_date((now - dt.timedelta(days=1)).date(), "long", locale="en_GB")
    assert r.status_code == 410
    assert f"This link expired on {day}. Please ask the programme office for a new link." in r.text
    zh = client.get(path_of(old))
    assert zh.status_code == 410
    assert f"此链接已于{format_date((now - dt.timedelta(days=1)).date(), 'long', locale='zh_CN')}过期" in zh.text
    [withdrawn] = make_download_links(vault, BASE, [(NAME, PDF)])  # writing wipes the expired one
    with sqlite3.connect(store) as db:
        rows = db.execute("SELECT name IS NULL, data IS NULL FROM files ORDER BY created").fetchall()
    assert rows == [(1, 1), (0, 0)]
    key = key_of(withdrawn.rsplit("/", 1)[1])
    assert key is not None and vault.revoke_file(key)
    gone = client.get(path_of(withdrawn) + "?lang=en")
    assert gone.status_code == 410
    assert "The programme office withdrew this link on" in gone.text and PDF not in gone.content


def test_a_file_too_large_for_a_link_is_refused(store: Path) -> None:
    with pytest.raises(OutputError) as caught:
        Vault(store).add_files([("big.pdf", b"x" * (MAX_FILE + 1))], clock.now())
    assert str(caught.value) == (
        f"big.pdf is too large for a download link ({MAX_FILE + 1:,} bytes; at most {MAX_FILE:,})")


def test_logs_show_no_download_token() -> None:
    assert redact_path("/d/AbCdEfGhIjKlMnOpQrStUv") == "/d/…"
    assert redact('"GET /d/AbCdEfGhIjKlMnOpQrStUv?lang=en HTTP/1.1" 200') == '"GET /d/… HTTP/1.1" 200'
