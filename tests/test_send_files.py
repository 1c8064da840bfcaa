"""``formgen send --what packs|certificates``: the files ``formgen pack`` and ``formgen
certificates`` made, attached (or, past the size limit, a link), to a real SMTP server."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import SAMPLES_FILE, cli, write_yaml
from sendkit import Mailserver, plain_text, start_server, write_manifest

from formgen.certificates.keys import KEY_ENV
from formgen.certificates.register import Register

pytestmark = [pytest.mark.needs_office, pytest.mark.slow]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Two sample applicants (csee-iet, cmes-soe), their packs and their certificates."""
    folder = tmp_path_factory.mktemp("send-files")
    people = yaml.safe_load(SAMPLES_FILE.read_text(encoding="utf-8"))
    chosen = [next(p for p in people if p["programme"] == "csee-iet"),
              next(p for p in people if p["programme"] == "cmes-soe")]
    data = write_yaml(folder / "two.yaml", chosen)
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(KEY_ENV, raising=False)
        packs = cli("pack", data, "--out", folder / "packs")
        assert packs.exit_code == 0, packs.output
        register = folder / "register.sqlite"
        assert cli("register", "init", register).exit_code == 0
        certs = cli("certificates", data, "--out", folder / "certs", "--register", register,
                    "--verify-url", "http://localhost:8000")
        assert certs.exit_code == 0, certs.output
        server = start_server(folder)
        yield {"folder": folder, "data": data, "people": chosen, "register": register,
               "server": server}
        server.stop()


def sent_rows(log: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(log) as db:
        return db.execute("SELECT record_id, carried FROM messages ORDER BY id").fetchall()


def test_each_applicant_gets_their_pack_attached(made: dict[str, Any]) -> None:
    server: Mailserver = made["server"]
    before = len(server.received())
    manifest = write_manifest(made["folder"] / "m-packs")
    result = cli("send", made["data"], "--what", "packs", "--out", made["folder"] / "packs",
                 "--manifest", manifest, "--smtp", server.url, "--yes")
    assert result.exit_code == 0, result.output
    received = server.received()[before:]
    assert len(received) == 2
    first = made["people"][0]
    _, message, raw = received[0]
    pack_name = f"{first['id']}-{first['name']['zh']}.zip"
    attachments = list(message.iter_attachments())
    assert [a.get_filename() for a in attachments] == [pack_name]
    assert b"filename*=utf-8''" in raw  # RFC 2231: the Chinese name survives every client
    on_disk = (made["folder"] / "packs" / pack_name).read_bytes()
    assert attachments[0].get_content() == on_disk
    assert attachments[0].get_content_type() == "application/zip"
    text = plain_text(message)
    assert f"附件：{pack_name}" in text and f"Attached: {pack_name}" in text
    assert "费用：" in text and "8,000元" in text and "CNY 8,000" in text
    carried = json.loads(sent_rows(made["folder"] / "packs" / "sent.sqlite")[0][1])
    assert carried == [{"file": pack_name, "sha256": hashlib.sha256(on_disk).hexdigest(),
                        "bytes": len(on_disk), "attached": True}]


def test_a_pack_over_the_size_limit_goes_as_a_link(made: dict[str, Any],
                                                   tmp_path: Path) -> None:
    server: Mailserver = made["server"]
    before = len(server.received())
    manifest = write_manifest(tmp_path / "m", attachment_limit_mb=0.01)
    result = cli("send", made["data"], "--what", "packs", "--out", made["folder"] / "packs",
                 "--log", tmp_path / "sent.sqlite", "--manifest", manifest,
                 "--smtp", server.url, "--base-url", "https://forms.example.org",
                 "--link-store", tmp_path / "links.sqlite", "--yes")
    assert result.exit_code == 0, result.output
    _, message, _ = server.received()[before]
    assert list(message.iter_attachments()) == []
    text = plain_text(message)
    assert "is too large to attach; please download it from this link" in text
    assert re.search(r"https://forms\.example\.org/f/[A-Za-z0-9_-]{22}\b", text)


def test_each_holder_gets_their_certificates(made: dict[str, Any]) -> None:
    server: Mailserver = made["server"]
    before = len(server.received())
    manifest = write_manifest(made["folder"] / "m-certs")
    result = cli("send", made["data"], "--what", "certificates", "--out",
                 made["folder"] / "certs", "--register", made["register"],
                 "--manifest", manifest, "--smtp", server.url, "--yes")
    assert result.exit_code == 0, result.output
    received = server.received()[before:]
    assert len(received) == 2
    holder = made["people"][0]
    _, message, _ = received[0]
    names = sorted(a.get_filename() or "" for a in message.iter_attachments())
    assert names == sorted(p.name for p in (made["folder"] / "certs" / holder["id"]).glob("*.pdf"))
    assert all(a.get_content().startswith(b"%PDF") for a in message.iter_attachments())
    with Register(made["register"]) as register:
        mine = [c for c in register.rows() if c.applicant_id == holder["id"]]
    text = plain_text(message)
    for cert in mine:
        assert f"证书编号{cert.number}" in text and f"number {cert.number}" in text
        assert cert.short_code in text
    again = cli("send", made["data"], "--what", "certificates", "--out", made["folder"] / "certs",
                "--register", made["register"], "--manifest", manifest,
                "--smtp", server.url, "--yes")
    assert "2 person(s) already sent this message" in again.output
    assert len(server.received()) == before + 2


def test_certificates_over_the_size_limit_go_as_download_links(
        made: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Over the limit, each holder's files (the signed PDFs, and the credential beside one
    when the run wrote it) are kept sealed in the link store; the message carries a link
    to each, which the web app answers with the very bytes, until it expires."""
    import shutil
    from urllib.parse import quote

    from babel.dates import format_date
    from conftest import WEB_SECRET, kept_bytes
    from fastapi.testclient import TestClient

    from formgen import clock
    from formgen.settings import Paths
    from formgen.web import create_app, web_settings

    server: Mailserver = made["server"]
    before = len(server.received())
    out = tmp_path / "certs"
    shutil.copytree(made["folder"] / "certs", out)
    holder = made["people"][0]
    pdfs = sorted((out / holder["id"]).glob("*.pdf"))
    credential = pdfs[0].with_name(pdfs[0].stem + ".credential.json")
    credential.write_text('{"type": ["VerifiableCredential"]}', encoding="utf-8")
    manifest = write_manifest(tmp_path / "m", attachment_limit_mb=0.01)
    store, log = tmp_path / "store" / "links.sqlite", tmp_path / "sent.sqlite"
    args = ["send", made["data"], "--what", "certificates", "--out", out,
            "--register", made["register"], "--log", log, "--manifest", manifest,
            "--smtp", server.url, "--link-store", store, "--days", "7", "--yes"]
    no_url = cli(*args)
    assert no_url.exit_code == 1
    assert no_url.stderr.splitlines()[-1] == \
        "Error: --base-url is needed: the message carries a link to the web app"
    result = cli(*args, "--base-url", "https://forms.example.org")
    assert result.exit_code == 0, result.output
    received = server.received()[before:]
    assert len(received) == 2
    _, message, _ = received[0]
    assert list(message.iter_attachments()) == []
    text = plain_text(message).replace("\r\n", "\n")
    assert "Your certificates are too large to attach; download each from its link below (PDF)." in text
    assert "您的证书超出邮件附件大小，请从下方链接分别下载（PDF）。" in text
    until = clock.now().date() + dt.timedelta(days=7)
    assert f"it works until {format_date(until, 'long', locale='en_GB')}" in text
    assert f"链接有效期至{format_date(until, 'long', locale='zh_CN')}" in text
    links = re.findall(r"^(\S+) \(\d+ KB\): download it from this link[^\n]*\n"
                       r"https://forms\.example\.org(/d/[A-Za-z0-9_-]{22})$", text, re.M)
    files = sorted([*pdfs, credential])
    assert sorted(name for name, _ in links) == [p.name for p in files]
    carried = json.loads(sent_rows(log)[0][1])
    assert [c["file"] for c in carried] == [name for name, _ in links]
    assert all(not c["attached"] and re.fullmatch(r"[0-9a-f]{32}", c["download"])
               and c["expires"] == until.isoformat() for c in carried)
    assert not any(path.rsplit("/", 1)[1] in json.dumps(carried) for _, path in links)
    app = create_app(web_settings(paths=Paths(link_store=store)), secret=WEB_SECRET,
                     converter=object())
    with TestClient(app) as site:
        for name, path in links:
            got = site.get(path)
            assert got.status_code == 200, name
            assert got.content == (out / holder["id"] / name).read_bytes()
            assert got.headers["content-disposition"].endswith(f"filename*=UTF-8''{quote(name, safe='')}")
            assert got.headers["cache-control"] == "no-store"
        token = links[0][1]
        changed = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
        assert site.get(changed).status_code == 404
        monkeypatch.setenv("FORMGEN_TODAY", (until + dt.timedelta(days=1)).isoformat())
        expired = site.get(token + "?lang=en")
        assert expired.status_code == 410
        assert f"This link expired on {format_date(until, 'long', locale='en_GB')}." in expired.text
    monkeypatch.undo()
    assert pdfs[0].read_bytes()[:400] not in kept_bytes(store)
    again = cli(*args, "--base-url", "https://forms.example.org")
    assert again.exit_code == 0, again.output
    assert "2 person(s) already sent this message" in again.output
    assert len(server.received()) == before + 2
