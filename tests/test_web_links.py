"""Links staff send to applicants: short, encrypted in the link store under a key only the
link holds, saved back to by the applicant, withdrawn one by one; the long signed links of
earlier versions still open until they expire."""

from __future__ import annotations

import datetime as dt
import re
import warnings
from pathlib import Path
from typing import Any

from babel.dates import format_date
from click.testing import CliRunner
from conftest import EXAMPLE_FILE, WEB_SECRET, kept_bytes

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from formgen import clock
from formgen.cli import main
from formgen.links.store import Vault
from formgen.links.tokens import make_short_link, make_token

SECRET = WEB_SECRET
BASE = "https://forms.example.org"


def path_of(link: str) -> str:
    return link.removeprefix(BASE)


def test_links_command_prints_short_links_that_reveal_nothing(client: TestClient, store: Path) -> None:
    result = CliRunner().invoke(main, ["links", str(EXAMPLE_FILE), "--base-url", BASE + "/",
                                       "--days", "7", "--link-store", str(store)])
    assert result.exit_code == 0, result.output
    applicant_id, name, link = result.stdout.strip().splitlines()[0].split("\t")
    assert (applicant_id, name) == ("CSEE-2026-0007", "李晓明")
    assert re.fullmatch(re.escape(BASE) + r"/f/[A-Za-z0-9_-]{22}", link)
    assert len(link) < 200
    assert "kept encrypted in" in result.stderr
    # the days count from FORMGEN_TODAY (2026-11-23), like every other date of the run
    assert "link(s), valid until 30 November 2026 (UTC)" in result.stderr
    page = client.get(path_of(link))
    assert page.status_code == 200 and 'value="李晓明"' in page.text
    # the store holds ciphertext: no name, phone, email or company, and not the link's key
    kept = kept_bytes(store)
    for clear in ("李晓明", "LI Xiaoming", "li.xiaoming", "13910002233", "中国水利水电", "Sinohydro",
                  link.rsplit("/", 1)[1]):
        assert clear.encode() not in kept, clear
    assert store.stat().st_mode & 0o777 == 0o600


def test_a_link_withdrawn_opens_no_more(client: TestClient, store: Path, record: dict[str, Any]) -> None:
    kept, withdrawn = (make_short_link(Vault(store), BASE, record) for _ in range(2))
    result = CliRunner().invoke(main, ["links", "--revoke", withdrawn, "--link-store", str(store)])
    assert result.exit_code == 0, result.output
    today = format_date(clock.now().date(), "long", locale="zh_CN")
    gone = client.get(path_of(withdrawn))
    assert gone.status_code == 410
    assert f"项目办公室已于{today}收回此链接。请向项目办公室索取新的链接。" in gone.text
    assert "李晓明" not in gone.text
    assert client.get(path_of(kept)).status_code == 200  # the other link still opens
    unknown = CliRunner().invoke(main, ["links", "--revoke", BASE + "/f/" + "A" * 22, "--link-store", str(store)])
    assert unknown.exit_code == 1 and "is not a link of the link store" in unknown.stderr


def test_changed_or_expired_links_are_refused(client: TestClient, store: Path, record: dict[str, Any]) -> None:
    now = clock.now()
    token = make_short_link(Vault(store), BASE, record).rsplit("/", 1)[1]
    changed = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    for bad in (changed, token[:-1], "nonsense"):
        r = client.get(f"/f/{bad}")
        assert r.status_code == 403
        assert "此链接已被改动或不完整，无法打开。请从邮件中复制完整的链接，或向项目办公室索取新的链接。" in r.text
        assert "李晓明" not in r.text
    old = make_short_link(Vault(store), BASE, record, days=30, now=now - dt.timedelta(days=31))
    r = client.get(path_of(old) + "?lang=en")
    day = format_date((now - dt.timedelta(days=1)).date(), "long", locale="en_GB")
    assert r.status_code == 410
    assert f"This link expired on {day}. Please ask the programme office for a new link." in r.text


def test_the_applicant_saves_back_to_the_link(client: TestClient, store: Path, record: dict[str, Any]) -> None:
    link = path_of(make_short_link(Vault(store), BASE, record))
    page = client.get(link + "?lang=en")
    assert "The link is valid until" in page.text and 'value="save-link"' in page.text
    token = link.rsplit("/", 1)[1]
    saved = client.post("/?lang=en", data={"lang": "en", "link": token, "action": "save-link",
                                           "name.zh": "李晓明", "name.en": "LI Xiaoming",
                                           "job_title.en": "Chief Engineer"})
    assert "Your answers are saved to your link." in saved.text
    assert f'href="/f/{token}?lang=en&amp;page=' not in saved.text
    again = client.get(link + "?lang=en")  # the same link, later: the applicant's version
    assert 'value="Chief Engineer"' in again.text
    assert "You are seeing the answers you saved to this link on" in again.text
    original = client.get(link + "?lang=en&original=1")
    assert 'value="Senior Engineer"' in original.text
    assert "You are seeing the programme office's original." in original.text
    kept = store.read_bytes() + b"".join(p.read_bytes() for p in store.parent.glob("*-wal"))
    assert b"Chief Engineer" not in kept


def test_long_signed_links_of_earlier_versions_still_open(client: TestClient, record: dict[str, Any]) -> None:
    token = make_token(record, SECRET, days=30)
    r = client.get(f"/f/{token}")
    assert r.status_code == 200 and 'value="李晓明"' in r.text
    assert 'value="save-link"' not in r.text  # nothing is stored for them, so nothing to save to
    i = len(token) // 2
    tampered = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]
    assert client.get(f"/f/{tampered}").status_code == 403
    expired = make_token(record, SECRET, days=30, now=clock.now() - dt.timedelta(days=31))
    assert client.get(f"/f/{expired}").status_code == 410
