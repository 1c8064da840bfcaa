"""The certificate check page in a real browser: headless Chromium opens a certificate's
link, switches language, and uses the form.

Set FORMGEN_SCREENSHOTS=docs to write docs/verify-zh.png and docs/verify-en.png.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CHROMIUM, MANIFEST_FILE, Live

from formgen.certificates.keys import KEY_ENV
from formgen.certificates.numbers import Issued, IssueRequest
from formgen.certificates.register import Register

ROOT = Path(__file__).resolve().parent.parent
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
DAY = datetime.date(2026, 11, 20)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Issued]]:
    from formgen.settings import Paths
    from formgen.web import create_app, web_settings

    register = tmp_path_factory.mktemp("verify") / "register.sqlite"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(KEY_ENV, raising=False)
        with Register.create(register) as reg:
            (issued,) = reg.issue([IssueRequest(
                "CSEE-2026-0007", "李晓明 / LI Xiaoming", "csee_iet_joint", "csee-iet", "IEng",
                "CSEE-IET", DAY)], on=DAY)
            reg.confirm([issued.number], on=DAY)
        app = create_app(web_settings(MANIFEST_FILE, paths=Paths(register=register)),
                         secret="browser-test-secret-0123456789", converter=object())
    with Live(app) as live:
        yield live.url, issued


def test_certificate_page_in_both_languages_and_the_form(site: tuple[str, Issued],
                                                         tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    base, issued = site
    shots = os.environ.get("FORMGEN_SCREENSHOTS")
    shot_dir = (ROOT / shots) if shots else tmp_path
    code = issued.short_code.replace("-", "")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            context = browser.new_context(locale="zh-CN", viewport={"width": 1000, "height": 760})
            page = context.new_page()
            page.goto(f"{base}/c/{code}")
            assert page.locator("h1").inner_text() == "证书核验"
            assert page.locator(".verdict h2").inner_text() == "有效"
            assert page.locator(".facts dd").all_inner_texts() == [
                "李晓明 / LI Xiaoming", "中国电机工程学会与英国工程技术学会联合证书",
                "主任工程师 (IEng)", issued.number, "2026年11月20日"]
            page.screenshot(path=str(shot_dir / "verify-zh.png"))

            page.click("#lang-switch")
            page.wait_for_selector('html[lang="en"]', state="attached")
            assert page.locator(".verdict h2").inner_text() == "Valid"
            assert page.locator(".facts dd").nth(2).inner_text() == "Incorporated Engineer (IEng)"
            page.screenshot(path=str(shot_dir / "verify-en.png"))

            # the form, by number and surname, without JavaScript doing anything
            page.click("text=Check another certificate")
            page.fill("#v-number", issued.number.lower())
            page.fill("#v-surname", "Li")
            page.click("form:has(#v-number) button")
            page.wait_for_selector(".verdict")
            assert page.locator(".verdict h2").inner_text() == "Valid"
            page.goto(f"{base}/verify?lang=en")
            page.click("form:has(#v-code) button")  # nothing typed
            assert page.locator("#errors a").inner_text() == "Enter the verification code"
            assert page.get_attribute("#v-code", "aria-invalid") == "true"
        finally:
            browser.close()


@pytest.fixture(scope="module")
def printed_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Issued]]:
    """An SOE membership certificate whose particulars the register keeps."""
    from formgen.certificates.printed import Printed, keep
    from formgen.settings import Paths
    from formgen.web import create_app, web_settings

    register = tmp_path_factory.mktemp("printed") / "register.sqlite"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(KEY_ENV, raising=False)
        with Register.create(register) as reg:
            (issued,) = reg.issue([IssueRequest(
                "CMES-2026-0101", "ZHAO Lixin", "soe_membership", "cmes-soe", "CEng",
                "CMES-SOE", DAY)], on=DAY)
            keep(reg, [("CMES-2026-0101", issued.number, [
                Printed("This is to certify that", ("ZHAO Lixin",)),
                Printed("Class of membership", ("Member",)),
                Printed("Membership number", ("512201",)),
                Printed("and is registered in its professional sector",
                        ("Institution of Plant Engineers (IPlantE)", "Plant engineering")),
                Printed("Date of election", ("20 November 2026",)),
                Printed("Certificate No.", (issued.number,)),
            ])])
            reg.confirm([issued.number], on=DAY)
        app = create_app(web_settings(MANIFEST_FILE, paths=Paths(register=register)),
                         secret="browser-test-secret-0123456789", converter=object())
    with Live(app) as live:
        yield live.url, issued


def test_what_the_certificate_prints_reads_as_a_summary_list(printed_site: tuple[str, Issued]) -> None:
    from playwright.sync_api import sync_playwright
    from test_web_browser import axe_check

    base, issued = printed_site
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_context(locale="zh-CN", viewport={"width": 1000, "height": 760}).new_page()
            page.goto(f"{base}/c/{issued.short_code.replace('-', '')}")
            assert page.locator("h2.printed").inner_text() == "证书所印内容"
            assert page.locator(".particulars dt").all_inner_texts() == [
                "This is to certify that", "Class of membership", "Membership number",
                "and is registered in its professional sector", "Date of election",
                "Certificate No."]
            assert page.get_attribute(".particulars dt >> nth=1", "lang") == "en"  # on a Chinese page
            sector = page.locator(".particulars dd >> nth=3 >> .line")
            first, second = sector.nth(0).bounding_box(), sector.nth(1).bounding_box()
            assert first and second and second["y"] >= first["y"] + first["height"] - 1  # a line each
            axe_check(page, "particulars, zh")
            page.set_viewport_size({"width": 320, "height": 640})  # WCAG 1.4.10: reflow at 320 px
            assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
            axe_check(page, "particulars, 320 px")
        finally:
            browser.close()
