"""The form in a real browser (headless Chromium): both languages and both programmes,
through fill, error, fix, delete a row, save, reload from the saved file and download
every document, with axe-core (tests/vendor/axe-core) checking each state of the page.

Set FORMGEN_SCREENSHOTS=docs to write the README's screenshots (docs/screenshot-*.png).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import time
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from conftest import CHROMIUM, Live
from download_trace import BrowserLog, SiteLog, explain

ROOT = Path(__file__).resolve().parent.parent
AXE = (Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

pytestmark = [pytest.mark.browser, pytest.mark.needs_office, pytest.mark.slow]

APPLICANTS: dict[str, dict[str, Any]] = {
    "csee-iet:IEng": {
        "unit": "中国电力建设集团有限公司",
        "local": {
            "name": ("李晓明", "LI Xiaoming"), "job_title": ("高级工程师", "Senior Engineer"),
            "expertise": ("水电站机电设备安装", "Electromechanical installation of hydropower plants"),
            "company": ("中国水利水电第八工程局有限公司", "Sinohydro Bureau 8 Co., Ltd."),
            "company_address": ("湖南省长沙市雨花区木莲东路", "Mulian East Rd, Changsha, Hunan"),
            "english_level": ("大学英语六级", "CET-6"),
        },
        "phones": ("+86 139 1000 2233", "0731-8556 1234"), "email": "li.xiaoming@example.com",
        "name_file": "李晓明",
    },
    "cmes-soe:CEng": {
        "unit": "",
        "local": {
            "name": ("孙伟", "SUN Wei"), "job_title": ("设备检验工程师", "Equipment Inspection Engineer"),
            "expertise": ("起重设备检验", "Lifting equipment inspection"),
            "company": ("江苏省特种设备安全监督检验研究院", "Jiangsu Special Equipment Inspection Institute"),
            "company_address": ("江苏省南京市鼓楼区", "Gulou District, Nanjing, Jiangsu"),
            "english_level": ("大学英语四级", "CET-4"),
        },
        "phones": ("+86 139 5100 7788", "025-8666 0000"), "email": "sun.wei@example.com",
        "name_file": "孙伟",
    },
}
WORDS = {
    "zh": {"title": "国际工程师资格申请表格", "complete": "资料已填写完整", "problems": "处需要修改", "row": "第3行"},
    "en": {"title": "Application forms for international engineer registration", "complete": "Your details are complete",
           "problems": "problems to correct", "row": "row 3"},
}


@dataclass(frozen=True)
class Site:
    """The site under test: its address, the course of every request it had, its state."""

    url: str
    log: SiteLog
    state: Any


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from formgen.office.converter import Converter
    from formgen.settings import Paths
    from formgen.web import create_app, web_settings

    store = tmp_path_factory.mktemp("store") / "links.sqlite"
    with pytest.MonkeyPatch.context() as mp, Converter(workers=2) as converter:
        mp.setenv("FORMGEN_TODAY", "2026-11-23")
        start_libreoffice(converter, tmp_path_factory.mktemp("first-pdfs"))
        app = create_app(web_settings(paths=Paths(link_store=store)),
                         secret="browser-test-secret-0123456789", converter=converter)
        log = SiteLog(app)
        with Live(log) as live:
            yield Site(live.url, log, app.state.web)


def start_libreoffice(converter: Any, folder: Path) -> None:
    """Start the converter's LibreOffice processes and have each make a PDF (a blank form
    in Chinese and in English) before any page is opened.

    The pool starts LibreOffice on first use. Left to the page, the first PDF download
    would also carry LibreOffice's start (a new profile, the PDF filter and the Chinese
    fonts loaded for the first time), and the ZIP the start of the second process: the
    one part of a download whose time depends on the machine (a fresh one, a busy one)
    rather than on the document; and a start that fails is not tried again (the answer
    is then 503, and no download begins). Here both starts happen once, before the clock
    of any download runs, and a LibreOffice that cannot start or convert fails the
    set-up with its own message.
    """
    import datetime as dt

    from formgen.forms.blank import render_blank
    from formgen.model.manifest import load_manifest

    manifest = load_manifest()
    jobs = []
    for lang in ("zh", "en"):
        blank = render_blank(manifest, "csee-iet", "IEng", "registration_form", lang, dt.date(2026, 11, 23))
        docx = folder / f"registration_form-{lang}.docx"
        docx.write_bytes(blank.docx)
        jobs.append((docx, docx.with_suffix(".pdf")))
    results = converter.convert_many(jobs)  # one per worker, side by side
    failed = {docx.name: str(error) for docx, error in results.items() if error is not None}
    assert not failed, f"LibreOffice could not make the first PDFs: {failed}"
    assert all(pdf.read_bytes().startswith(b"%PDF") for _, pdf in jobs)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


def axe_check(page: Any, state: str) -> None:
    """No serious or critical violation of WCAG 2.2 A/AA (and axe's best practices) on the page."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE + "\n;0")
    result = page.evaluate("async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", RULES)
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:5])
        for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], f"{state}: {bad}"


def fill_applicant(page: Any, choice: str) -> None:
    person = APPLICANTS[choice]
    page.select_option("#f-programme-grade", choice)
    if person["unit"]:
        page.fill("#f-unit", person["unit"])
    for key, (zh, en) in person["local"].items():
        page.fill(f"#f-{key.replace('_', '-')}-zh", zh)
        page.fill(f"#f-{key.replace('_', '-')}-en", en)
    page.check("#f-gender")
    page.check("#f-english-interview-false")
    page.fill("#f-mobile", person["phones"][0])
    page.fill("#f-company-phone", person["phones"][1])
    page.fill("#f-email", person["email"].replace("@", "(at)"))  # an error to correct
    rows = {
        "education[1]": {"start": "2009-09", "end": "2013.07", "qualification": ("工学学士", "BEng"),
                         "course": ("电气工程", "Electrical Engineering"), "institution": ("三峡大学", "China Three Gorges University")},
        "career[1]": {"start": "04/2023", "company": person["local"]["company"], "job_title": person["local"]["job_title"],
                      "responsibilities": ("负责技术管理", "Technical management")},
        "cpd[1]": {"date": "2025-06-18", "description": ("质量管理培训", "Quality management training"),
                   "organizer": ("中国电力建设集团", "PowerChina"), "hours": "48", "initials": "WJ"},
    }
    for row, values in rows.items():
        for key, value in values.items():
            base = "#f-" + re.sub(r"[^A-Za-z0-9]+", "-", f"{row}.{key}").strip("-")
            if isinstance(value, tuple):
                page.fill(base + "-zh", value[0])
                page.fill(base + "-en", value[1])
            else:
                page.fill(base, value)
    if choice.startswith("cmes-soe"):
        page.fill("#f-cmes-membership-no", "M-2023-20015")
        page.select_option("#f-cmes-member-grade", "member")
        page.select_option("#f-soe-membership", "member")
        page.select_option("#f-soe-division", "BES")
    # two more career rows, added in place: the second too old, to be deleted
    for _ in range(2):
        page.click('button.add-row[data-group="career"]')
    for row, (start, end) in {"2": ("2019-01", "2023-03"), "3": ("2012-01", "2015-06")}.items():
        page.fill(f"#f-career-{row}-start", start)
        page.fill(f"#f-career-{row}-end", end)
        for key, (zh, en) in {"company": person["local"]["company"], "job-title": ("工程师", "Engineer"),
                              "responsibilities": ("设备安装", "Installation")}.items():
            page.fill(f"#f-career-{row}-{key}-zh", zh)
            page.fill(f"#f-career-{row}-{key}-en", en)


SAID_DONE = """() => {
    const section = document.getElementById("download"), note = document.getElementById("busy-note");
    return !!note && !!section && note.textContent.startsWith(section.getAttribute("data-done"));
}"""


BURST_DOWNLOADS = 10
"""Downloads a page may begin within a second. Chromium's renderer drops any more, with no
event and no message, until a second has passed since the first of them (Blink's
``LocalFrame::ShouldThrottleDownload``, ``kBurstDownloadLimit``). A person cannot click
that fast; a test can: the documents of one applicant are eleven downloads or more."""

_BEGUN: dict[Any, list[float]] = {}
"""When each page's downloads had begun (``time.monotonic()``), by page."""


def pace_download(page: Any) -> None:
    """Wait until a download the page begins now cannot be one more than
    :data:`BURST_DOWNLOADS` within a second: a second (and a little) after the download
    that many back had begun, as seen here (later than the page asked for it)."""
    begun = _BEGUN.get(page, [])
    if len(begun) >= BURST_DOWNLOADS:
        wait = begun[-BURST_DOWNLOADS] + 1.1 - time.monotonic()
        if wait > 0:
            page.wait_for_timeout(wait * 1000)


def note_download(page: Any) -> None:
    _BEGUN.setdefault(page, []).append(time.monotonic())


def downloaded(page: Any, site: Site, selector: str) -> tuple[str, bytes]:
    """Click a download button; the file the browser saved, by its name.

    The clicks are paced (:func:`pace_download`) so that the browser does not drop a
    download for coming too soon after ten others.

    The page's script fetches the file and hands it to the browser. When the site answers
    with something else (its message that PDFs cannot be made now, or that it is busy),
    the page shows that message and no download ever begins: the test then fails at once
    with the answer and the message, instead of waiting for a download. When the page
    says the file is saved but the browser began no download, the test does what a person
    would: it follows the page's "save it again" link, and warns, saying what each side
    did. A download that does not come fails the same way: what the page says, what the
    browser saw and what the site did, each step timed from the click."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    def form_post(response: Any) -> bool:
        return response.request.method == "POST" and urlsplit(response.url).path == "/"

    seen = BrowserLog(page)
    failure = ""
    try:
        pace_download(page)
        seen.note(f"click {selector}")
        with page.expect_response(form_post, timeout=90_000) as answered:
            page.click(selector)
        answer = answered.value
        if not (answer.ok and "attachment" in (answer.headers.get("content-disposition") or "")):
            failure = explain(f"{selector}: the site answered {answer.status} without a file", seen, site.log)
        else:
            page.wait_for_function(SAID_DONE, timeout=90_000)
            seen.note("the page says the file is downloaded")
            if not seen.downloads:
                with contextlib.suppress(PlaywrightTimeout):
                    page.wait_for_event("download", timeout=10_000)
            if not seen.downloads:
                warnings.warn(explain(f"{selector}: the page handed the file over, and the browser began no "
                                      "download in 10 s; following the page's 'save it again' link",
                                      seen, site.log, site.state), stacklevel=2)
                pace_download(page)
                with page.expect_download(timeout=90_000):
                    page.click("#download-again")
            note_download(page)
    except PlaywrightTimeout as e:
        failure = explain(f"{selector}: {e.message.splitlines()[0]}", seen, site.log, site.state)
    finally:
        seen.close()
    if failure:
        pytest.fail(failure)
    download = seen.downloads[0]
    return download.suggested_filename, Path(download.path()).read_bytes()


@pytest.mark.parametrize(("lang", "choice"), [("zh", "csee-iet:IEng"), ("en", "cmes-soe:CEng")])
def test_an_applicant_goes_from_empty_to_every_document(
    site: Site, browser: Any, lang: str, choice: str, tmp_path: Path
) -> None:
    shots = os.environ.get("FORMGEN_SCREENSHOTS")
    shot_dir = (ROOT / shots) if shots else tmp_path
    other = "en" if lang == "zh" else "zh"
    words = WORDS[lang]
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    try:
        page.goto(f"{site.url}/?lang={lang}")
        assert page.locator("h1").inner_text() == words["title"]
        axe_check(page, f"{lang} empty")
        assert page.locator("#f-cmes-group").is_hidden() and page.locator("#download-list").is_hidden()

        fill_applicant(page, choice)
        # the programme chose the parts: shown at once, without a round trip
        assert page.locator("#f-cmes-group").is_visible() == choice.startswith("cmes-soe")
        assert page.locator("#f-competences").is_visible()
        titles = [t for t in page.locator("li.document:visible .doc-title").all_inner_texts()]
        assert len(titles) == (4 if choice.startswith("csee") else 6)  # cmes-soe: with the career history report
        assert page.locator("#f-career-3 h3").inner_text().endswith(words["row"])

        page.click('.actions button[value="check"]')
        page.wait_for_selector("#errors")
        assert page.evaluate("document.activeElement.id") == "errors"  # the summary has focus
        assert words["problems"] in page.title()
        links = page.locator("#errors a")
        assert links.count() == 2  # the e-mail and the old post
        axe_check(page, f"{lang} errors")
        page.locator('#errors a[href="#f-email"]').click()
        assert page.evaluate("document.activeElement.id") == "f-email"
        assert page.get_attribute("#f-email", "aria-invalid") == "true"
        described = page.get_attribute("#f-email", "aria-describedby") or ""
        assert page.locator(f"#{described.split()[-1]}").inner_text().strip()

        # fix: the e-mail, and the post older than five years deleted in place
        page.fill("#f-email", APPLICANTS[choice]["email"])
        page.click('#f-career-3 button.delete-row')
        assert page.locator("#f-career-3").count() == 0
        page.click('.actions button[value="check"]')
        page.wait_for_selector("#complete")
        assert words["complete"] in page.locator("#complete").inner_text()
        assert page.locator("#errors").count() == 0
        axe_check(page, f"{lang} complete")
        if shots:
            page.screenshot(path=str(shot_dir / f"screenshot-{lang}.png"))

        # the other language keeps the answers, and passes axe too
        page.click("#lang-switch")
        page.wait_for_selector(f'html[lang="{"zh-CN" if other == "zh" else "en"}"]', state="attached")
        assert page.input_value("#f-name-en") == APPLICANTS[choice]["local"]["name"][1]
        axe_check(page, f"{other} complete")
        page.click("#lang-switch")
        page.wait_for_selector(f'html[lang="{"zh-CN" if lang == "zh" else "en"}"]', state="attached")

        # save, then open the saved file on a fresh page
        name, data = downloaded(page, site, 'button[value="save"]')
        shown_name = APPLICANTS[choice]["local"]["name"][0 if lang == "zh" else 1]
        assert name.endswith(".yaml") and shown_name in name
        # the page offers the same file again, for a browser that did not save it
        assert page.locator("#download-again").inner_text() == ("重新保存" if lang == "zh" else "Save it again")
        pace_download(page)
        with page.expect_download(timeout=30_000) as again:
            page.click("#download-again")
        note_download(page)
        assert again.value.suggested_filename == name
        assert Path(again.value.path()).read_bytes() == data
        saved = yaml.safe_load(data)
        assert len(saved["career"]) == 2 and saved["email"] == APPLICANTS[choice]["email"]
        fresh = context.new_page()
        fresh.goto(f"{site.url}/?lang={lang}")
        fresh.click("#resume summary")
        fresh.set_input_files("#f-upload", files=[{"name": name, "mimeType": "application/yaml", "buffer": data}])
        fresh.click('button[value="upload"]')
        fresh.wait_for_url(re.compile(r"page="))
        fresh.wait_for_selector("#complete")
        assert fresh.input_value("#f-name-zh") == APPLICANTS[choice]["local"]["name"][0]
        assert fresh.input_value("#f-career-2-start") == "2019-01"
        assert fresh.locator("#complete").count() == 1
        axe_check(fresh, f"{lang} opened from a file")

        # every document the applicant needs: each in the page's language as PDF and in the
        # other as Word, the blank forms in the page's language, then the whole pack
        buttons = fresh.locator("li.document:visible")
        needed = [b.get_attribute("data-show-for") for b in buttons.all()]
        assert all(choice in where.split() for where in needed if where)
        blanks = 0
        for doc in fresh.locator("li.document:visible button").all():
            value = doc.get_attribute("value") or ""
            kind, _, code, *rest = value.split(":")
            if kind == "blank":
                if code == lang:
                    file_name, content = downloaded(fresh, site, f'button[value="{value}"]')
                    assert content.startswith(b"PK") and file_name.endswith(f"-{choice.split(':')[1]}.docx")
                    assert ("-空白-" if lang == "zh" else "-blank-") in file_name
                    blanks += 1
                continue
            fmt = rest[0]
            if (code, fmt) not in ((lang, "pdf"), (other, "docx")):
                continue
            file_name, content = downloaded(fresh, site, f'button[value="{value}"]')
            assert content.startswith(b"%PDF" if fmt == "pdf" else b"PK"), value
            assert file_name.endswith("." + fmt)
        assert blanks == (3 if choice.startswith("csee-iet") else 4)  # the forms to fill in
        name, pack = downloaded(fresh, site, "#download-pack")
        assert name == f"{APPLICANTS[choice]['name_file']}.zip"  # no reference yet: the office assigns it
        with zipfile.ZipFile(io.BytesIO(pack)) as z:
            meta = json.loads(z.read("pack.json"))
            assert {n.split("/")[0] for n in z.namelist()} == {"zh", "en", "pack.json"}
        assert meta["grade"] == choice.split(":")[1]
        assert fresh.get_attribute("#download-pack", "aria-busy") is None  # the busy state has ended

        # leaving with changes not saved asks first
        fresh.fill("#f-mobile", "+86 139 0000 0000")
        fresh.once("dialog", lambda dialog: dialog.dismiss())  # stay on the page
        with fresh.expect_event("dialog") as asked:
            fresh.evaluate("window.location.href = '/?lang=en'")
        assert asked.value.type == "beforeunload"
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_phone_without_javascript(site: Site, browser: Any, lang: str, tmp_path: Path) -> None:
    """390 px wide and no script: one column, rows added and deleted by the server, no axe
    violation (checked on the same page of the same session, with scripts allowed for axe)."""
    shots = os.environ.get("FORMGEN_SCREENSHOTS")
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False,
                                  device_scale_factor=1)
    page = context.new_page()
    try:
        page.goto(f"{site.url}/?lang={lang}")
        page.select_option("#f-programme-grade", "cmes-soe:IEng")
        page.click('button[value="update"]')  # no script: the server shows the programme's parts
        page.wait_for_load_state()
        assert page.locator("#f-cmes-group").is_visible()
        page.fill("#f-career-1-start", "2020-01")
        page.click('button.add-row[data-group="career"]')
        page.wait_for_load_state()
        assert page.input_value("#f-career-1-start") == "2020-01"
        assert page.locator("#f-career-2").count() == 1
        page.click('#f-career-1 button.delete-row')
        page.wait_for_load_state()
        assert page.locator("#f-career-2").count() == 0 and page.input_value("#f-career-1-start") == ""
        page.click('.actions button[value="check"]')
        page.wait_for_load_state()
        assert page.locator("#errors").count() == 1
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways ({width}px)"
        if shots:
            page.screenshot(path=str(ROOT / shots / f"screenshot-{lang}-phone.png"))
        url, cookies = page.url, context.cookies()
    finally:
        context.close()
    scripted = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        scripted.add_cookies(cookies)  # the same page of the same session, to run axe in
        check = scripted.new_page()
        check.goto(url)
        assert check.locator("#errors").count() == 1
        axe_check(check, f"{lang} phone with errors")
    finally:
        scripted.close()

