""""Email me this link" in a real browser (headless Chromium), in both languages: the form
under a saved link, an empty address, then a good one, each state checked by axe-core for
WCAG 2.2 A/AA; the message reaches a real SMTP server in its own process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import CHROMIUM, WEB_SECRET, Live
from sendkit import plain_text, write_manifest
from test_web_browser import ARGS, axe_check

from formgen.links.store import Vault
from formgen.links.tokens import make_short_link
from formgen.send.single import mailer_from
from formgen.settings import Paths
from formgen.web import create_app, web_settings

BASE = "https://forms.example.org"

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WORDS = {
    "zh": {"save": "保存到我的链接", "send": "把此链接发到我的邮箱", "empty": "请填写您的电子邮箱地址",
           "address": "电子邮箱地址",
           "sent": "您的链接已发出", "greeting": "李晓明，您好："},
    "en": {"save": "Save to my link", "send": "Email me this link", "empty": "Enter your email address",
           "address": "Email address",
           "sent": "Your link is on its way", "greeting": "Dear LI Xiaoming,"},
}


@pytest.fixture
def site(tmp_path: Path, servers: Any, record: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    server = servers()
    store = tmp_path / "store" / "links.sqlite"
    settings = web_settings(write_manifest(tmp_path / "m", smtp=server.url),
                            paths=Paths(link_store=store))
    app = create_app(settings, secret=WEB_SECRET, converter=object(),
                     mailer=mailer_from(settings.manifest, base_url=BASE, environ={}))
    token = make_short_link(Vault(store), BASE, record).rsplit("/", 1)[1]
    with Live(app) as live:
        yield live.url, token, server


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_email_me_this_link_in_a_browser(site: tuple[str, str, Any], lang: str) -> None:
    from playwright.sync_api import sync_playwright

    url, token, server = site
    words = WORDS[lang]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{url}/f/{token}?lang={lang}")
            assert page.locator("#mail-to").count() == 0
            page.get_by_role("button", name=words["save"]).click()
            page.wait_for_load_state()
            assert page.get_by_role("textbox", name=words["address"]).is_visible()
            axe_check(page, f"{lang}: the form under a saved link")
            page.get_by_role("button", name=words["send"]).click()
            page.wait_for_load_state()
            summary = page.locator("#errors")
            assert words["empty"] in summary.inner_text()
            axe_check(page, f"{lang}: no address typed")
            summary.get_by_role("link").click()
            assert page.evaluate("document.activeElement.id") == "mail-to"
            page.locator("#mail-to").fill("li.xiaoming.home@example.com")
            page.get_by_role("button", name=words["send"]).click()
            page.wait_for_load_state()
            assert page.locator("h1").inner_text() == words["sent"]
            axe_check(page, f"{lang}: sent")
        finally:
            browser.close()
    (rcpt, message, _), = server.received()
    assert rcpt == ["li.xiaoming.home@example.com"]
    assert plain_text(message).startswith(words["greeting"])
