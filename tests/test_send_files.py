"""``formgen send --what packs|certificates``: the files ``formgen pack`` and ``formgen
certificates`` made, attached (or, past the size limit, a link), to a real SMTP server."""

from __future__ import annotations

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


def test_certificates_over_the_size_limit_are_not_sent_and_errors_csv_says_why(
        made: dict[str, Any], tmp_path: Path) -> None:
    """A holder's certificates are not replaced by a link (the web app has no copy of the
    signed PDFs to offer): over the limit, nothing is sent and errors.csv says why, in the
    command line's language."""
    import csv
    import shutil

    server: Mailserver = made["server"]
    before = len(server.received())
    out = tmp_path / "certs"
    shutil.copytree(made["folder"] / "certs", out)
    manifest = write_manifest(tmp_path / "m", attachment_limit_mb=0.01)
    for env, words in [({}, "the certificates come to {size}, over the limit of 10 KB for "
                            "attachments (mail.attachment_limit_mb)"),
                       ({"LANG": "zh_CN.UTF-8"}, "证书共{size}，超过附件大小上限10 KB（mail.attachment_limit_mb）")]:
        result = cli("send", made["data"], "--what", "certificates", "--out", out,
                     "--register", made["register"], "--log", tmp_path / "sent.sqlite",
                     "--manifest", manifest, "--smtp", server.url, "--yes", env=env)
        assert result.exit_code == 1
        with (out / "errors.csv").open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))[1:]
        assert [r[0] for r in rows] == [p["id"] for p in made["people"]]
        for row, person in zip(rows, made["people"], strict=True):
            size = sum(p.stat().st_size for p in (out / person["id"]).glob("*.pdf"))
            shown = f"{round(size / 1_000_000, 1)} MB" if size >= 1_000_000 else f"{round(size / 1000)} KB"
            assert row[2] == words.format(size=shown)
    assert len(server.received()) == before
