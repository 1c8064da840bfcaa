"""The form in a real browser: headless Chromium fills in a Chinese applicant and downloads the pack.

Set FORMGEN_SCREENSHOTS=docs to write docs/screenshot-zh.png and docs/screenshot-en.png.
"""

from __future__ import annotations

import io
import json
import os
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CHROMIUM

ROOT = Path(__file__).resolve().parent.parent
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

pytestmark = [pytest.mark.browser, pytest.mark.needs_office, pytest.mark.slow]


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    from formgen.office.converter import Converter
    from formgen.web import create_app
    from formgen.web.server import bind, server

    with pytest.MonkeyPatch.context() as mp, Converter(workers=2) as converter:
        mp.setenv("FORMGEN_TODAY", "2026-11-23")
        app = create_app(secret="browser-test-secret-0123456789", converter=converter)
        sock = bind("127.0.0.1", 0)
        srv = server(app, "127.0.0.1", sock.getsockname()[1])
        thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not srv.started:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
        srv.should_exit = True
        thread.join(timeout=20)


def test_chinese_applicant_fills_in_the_form_and_downloads_the_pack(site: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    shots = os.environ.get("FORMGEN_SCREENSHOTS")
    shot_dir = (ROOT / shots) if shots else tmp_path
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            context = browser.new_context(accept_downloads=True, locale="zh-CN",
                                          viewport={"width": 1280, "height": 1400})
            page = context.new_page()
            page.goto(site + "/")
            assert page.locator("h1").inner_text() == "国际工程师资格申请表格"

            page.select_option("#f-programme-grade-input", "csee-iet:IEng")
            page.fill("#f-unit-input", "中国电力建设集团有限公司")
            fill = {
                "name": ("李晓明", "LI Xiaoming"),
                "job_title": ("高级工程师", "Senior Engineer"),
                "expertise": ("水电站机电设备安装", "Electromechanical installation of hydropower plants"),
                "company": ("中国水利水电第八工程局有限公司", "Sinohydro Bureau 8 Co., Ltd."),
                "company_address": ("湖南省长沙市雨花区木莲东路", "Mulian East Rd, Changsha, Hunan"),
                "english_level": ("大学英语六级", "CET-6"),
                "education[1].qualification": ("工学学士", "BEng"),
                "education[1].course": ("电气工程及其自动化", "Electrical Engineering and Automation"),
                "education[1].institution": ("三峡大学", "China Three Gorges University"),
                "career[1].company": ("中国水利水电第八工程局有限公司", "Sinohydro Bureau 8 Co., Ltd."),
                "career[1].job_title": ("机电项目总工程师", "Chief Engineer"),
                "career[1].responsibilities": ("负责机组安装的技术管理", "Technical management of unit installation"),
                "cpd[1].description": ("水电站机电设备安装质量管理培训", "Quality management training"),
                "cpd[1].organizer": ("中国电力建设集团", "PowerChina"),
            }
            for path, (zh, en) in fill.items():
                page.fill(f'[name="{path}.zh"]', zh)
                page.fill(f'[name="{path}.en"]', en)
            page.check("#f-gender-male")
            page.check("#f-english-interview-false")
            page.fill("#f-mobile-input", "+86 139 1000 2233")
            page.fill("#f-email-input", "li.xiaoming@example.com")
            page.fill("#f-company-phone-input", "0731-8556 1234")
            page.fill('[name="education[1].start"]', "2009-09")
            page.fill('[name="education[1].end"]', "2013-07")
            page.fill('[name="career[1].start"]', "2023-04")
            page.fill('[name="cpd[1].date"]', "2025-06-18")
            page.fill('[name="cpd[1].hours"]', "24")
            page.fill('[name="cpd[1].initials"]', "WJ")

            # "add a row" works in place with JavaScript
            url = page.url
            assert page.locator('[name="career[4].start"]').count() == 0
            page.click('button.add-row[data-group="career"]')
            assert page.url == url
            assert page.locator('[name="career[4].start"]').count() == 1
            assert page.locator("#f-career-4 .row-head").inner_text() == "第4行"
            page.fill('[name="career[4].start"]', "2020-01")
            page.fill('[name="career[4].end"]', "2023-03")
            for key, (zh, en) in {"company": ("中国水利水电第八工程局有限公司", "Sinohydro Bureau 8"),
                                  "job_title": ("机电工程师", "Electromechanical Engineer"),
                                  "responsibilities": ("水轮发电机组安装调试", "Installation of hydro-generator units")}.items():
                page.fill(f'[name="career[4].{key}.zh"]', zh)
                page.fill(f'[name="career[4].{key}.en"]', en)

            page.click('#download button[value="check"]')
            page.wait_for_selector(".summary.ok")
            assert "资料已填写完整" in page.locator(".summary.ok").inner_text()
            assert page.input_value('[name="name.zh"]') == "李晓明"
            assert page.input_value('[name="career[2].start"]') == "2020-01"  # the added row, renumbered
            page.screenshot(path=str(shot_dir / "screenshot-zh.png"))

            with page.expect_download(timeout=60_000) as info:
                page.click("#download-pack")
            download = info.value
            name = download.suggested_filename  # from filename*, so the Chinese name survives
            assert name.startswith("CSEE-2026-W") and name.endswith("-李晓明.zip")
            data = Path(download.path()).read_bytes()
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = z.namelist()
                meta = json.loads(z.read("pack.json"))
            assert {n.split("/")[0] for n in names} == {"zh", "en", "pack.json"}
            assert "zh/报名表-李晓明.pdf" in names and "zh/报名表-李晓明.docx" in names
            assert "en/Registration-Form-LI Xiaoming.pdf" in names
            assert any(n.startswith("zh/交叉对照表格") for n in names)  # IEng gets the cross-reference table
            assert meta["name"]["zh"] == "李晓明" and meta["grade"] == "IEng"

            # the language switch keeps what was typed
            page.click("#lang-switch")
            page.wait_for_selector('html[lang="en"]', state="attached")
            assert page.locator("h1").inner_text() == "Application forms for international engineer registration"
            assert page.input_value('[name="name.en"]') == "LI Xiaoming"
            assert page.input_value('[name="career[1].start"]') == "2023-04"
            page.screenshot(path=str(shot_dir / "screenshot-en.png"))
        finally:
            browser.close()
