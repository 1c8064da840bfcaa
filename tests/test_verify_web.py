"""The public verification page and its JSON (``formgen serve --register``).

Most tests run the app in-process on a register filled through the library. One test
prints real certificates with LibreOffice, reads the QR code from the printed page image
and follows its link against the running server, through revocation and a reissue.
"""

from __future__ import annotations

import datetime
import json
import re
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import MANIFEST_FILE, SAMPLES_FILE, TODAY, Live
from fastapi.testclient import TestClient

from formgen.certificates.keys import KEY_ENV
from formgen.certificates.numbers import Issued, IssueRequest
from formgen.certificates.qr import code_in_link
from formgen.certificates.register import Register
from formgen.cli import main
from formgen.settings import Paths
from formgen.web import create_app, web_settings
from formgen.web.ratelimit import RateLimiter

SECRET = "verify-test-secret-0123456789"
DAY = datetime.date(2026, 3, 14)
LATER = datetime.date(2026, 6, 1)
SECURITY = {"x-content-type-options": "nosniff", "x-frame-options": "DENY",
            "referrer-policy": "no-referrer", "cache-control": "no-store"}


def req(applicant_id: str, name: str, certificate: str = "csee_iet_joint", grade: str = "IEng",
        replaces: str = "") -> IssueRequest:
    return IssueRequest(applicant_id, name, certificate, "csee-iet", grade, "CSEE-IET", DAY, replaces)


@dataclass
class Site:
    register: Path
    valid: Issued
    revoked: Issued
    superseded: Issued
    reissued: Issued
    void: Issued


@pytest.fixture(autouse=True)
def _no_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)


@pytest.fixture
def site(tmp_path: Path) -> Site:
    path = tmp_path / "register.sqlite"
    with Register.create(path) as reg:
        valid, revoked, old, void = reg.issue([
            req("CSEE-2026-0007", "李晓明 / LI Xiaoming"),
            req("CSEE-2026-0012", "王静怡 / WANG Jingyi", grade="CEng"),
            req("CSEE-2026-0023", "陈志强 / CHEN Zhi Qiang", grade="EngTech"),
            req("CSEE-2026-0099", "赵六 / ZHAO Liu"),
        ], on=DAY)
        reg.confirm([valid.number, revoked.number, old.number], on=DAY)
        reg.void([void.number], on=DAY)
        revoked = reg.revoke(revoked.number, "withdrawn", on=LATER)
        (new,) = reg.issue([req("CSEE-2026-0023", "陈志强 / CHEN Zhiqiang", grade="EngTech",
                                replaces=old.number)])
        reg.confirm([new.number], on=LATER)
        return Site(path, reg.lookup(valid.number), revoked, reg.lookup(old.number),
                    reg.lookup(new.number), reg.lookup(void.number))


def client_for(site: Site, rate: float = 1000) -> TestClient:
    app = create_app(web_settings(MANIFEST_FILE, paths=Paths(register=site.register)),
                     secret=SECRET, converter=object(), verify_rate=rate)
    return TestClient(app, follow_redirects=False)


def page_text(html: str) -> str:
    main = html.split("<main", 1)[1].split(">", 1)[1].split("</main>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)).strip()


def link(issued: Issued) -> str:
    return "/c/" + issued.short_code.replace("-", "")


# ----------------------------------------------------------------------------- the page


def test_valid_certificate_in_chinese_and_english(site: Site) -> None:
    with client_for(site) as client:
        zh = client.get(link(site.valid))
        en = client.get(link(site.valid) + "?lang=en")
    assert zh.status_code == en.status_code == 200
    text = page_text(zh.text)
    for shown in ("有效", "本证书已登记在册，未被撤销。", "李晓明 / LI Xiaoming",
                  "中国电机工程学会与英国工程技术学会联合证书", "主任工程师 (IEng)", site.valid.number,
                  "2026年3月14日"):
        assert shown in text, shown
    assert '<html lang="zh-CN">' in zh.text
    text = page_text(en.text)
    for shown in ("Valid", "This certificate is on the register and has not been revoked.",
                  "李晓明 / LI Xiaoming", "CSEE–IET joint certificate",
                  "Incorporated Engineer (IEng)", site.valid.number, "14 March 2026"):
        assert shown in text, shown
    # only what the certificate shows: not the application id, the programme or the code
    for hidden in ("CSEE-2026-0007", "csee-iet", site.valid.short_code):
        assert hidden not in zh.text and hidden not in en.text
    assert f'href="{link(site.valid)}?lang=en"' in zh.text  # the language switch
    for name, value in SECURITY.items():
        assert zh.headers[name] == value
    assert "frame-ancestors 'none'" in zh.headers["content-security-policy"]


def test_revoked_and_superseded(site: Site) -> None:
    with client_for(site) as client:
        revoked = page_text(client.get(link(site.revoked)).text)
        revoked_en = page_text(client.get(link(site.revoked) + "?lang=en").text)
        old = page_text(client.get(link(site.superseded) + "?lang=en").text)
        new = page_text(client.get(link(site.reissued)).text)
        new_en = page_text(client.get(link(site.reissued) + "?lang=en").text)
    assert "已撤销" in revoked and "本证书已于2026年6月1日撤销（已撤回），不再有效。" in revoked
    assert "This certificate was revoked on 1 June 2026 (withdrawn). It is no longer valid." \
        in revoked_en
    assert "Superseded" in old and (
        f"This certificate was replaced by certificate {site.reissued.number} on 1 June 2026. "
        "Only the new certificate is valid.") in old
    assert "陈志强 / CHEN Zhi Qiang" in old  # as the old certificate printed it
    assert "有效" in new and "陈志强 / CHEN Zhiqiang" in new and site.reissued.number in new
    assert f"本证书系替换证书 {site.superseded.number} 重新颁发。" in new
    assert (f"Valid This certificate is on the register and has not been revoked. This "
            f"certificate was reissued in place of certificate {site.superseded.number}.") in new_en
    assert "reissued in place of" not in old  # the first issue replaces nothing


@pytest.mark.parametrize("how", ["unknown", "altered", "malformed", "never issued"])
def test_unknown_or_altered_codes_are_not_found(site: Site, how: str) -> None:
    code = site.valid.short_code.replace("-", "")
    if how == "unknown":
        code = "0000000000"
    elif how == "altered":
        code = code[:3] + ("X" if code[3] != "X" else "Y") + code[4:]
    elif how == "malformed":
        code = "hello"
    else:  # a tampered row fails the whole register's audit: tests/test_register_audit.py
        code = site.void.short_code.replace("-", "")
    with client_for(site) as client:
        answer = client.get("/c/" + code)
        answer_en = client.get("/c/" + code + "?lang=en")
    assert answer.status_code == answer_en.status_code == 404
    text = page_text(answer.text)
    assert text.startswith("未找到证书 登记册中没有验证码为 ")
    assert "Someone Else" not in text and "李晓明" not in text
    assert "No certificate on the register has the verification code" in page_text(answer_en.text)
    assert answer.headers["x-frame-options"] == "DENY"


def test_lookups_are_limited_per_client(site: Site) -> None:
    with client_for(site, rate=3) as client:
        answers = [client.get(link(site.valid)) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 200]
        page = client.get(link(site.valid))
        api = client.get(f"/api/certificates/{site.valid.short_code}")
        form = client.get("/verify")
    assert page.status_code == 429 and int(page.headers["retry-after"]) >= 1
    assert "查询过于频繁" in page_text(page.text) and "李晓明" not in page.text
    assert api.status_code == 429 and int(api.headers["retry-after"]) >= 1
    assert api.json()["errors"][0]["code"] == "api.too-many-lookups"
    assert form.status_code == 200  # the form itself is not a look-up
    assert page.headers["cache-control"] == "no-store"


def test_rate_limiter_refills_and_forgets_idle_clients() -> None:
    now = [0.0]
    limiter = RateLimiter(6, burst=2, max_clients=2, clock=lambda: now[0])
    assert [limiter.take("a") for _ in range(3)] == [0, 0, 10]  # 6 a minute: one every 10 s
    assert limiter.take("b") == 0
    now[0] = 10.0
    assert limiter.take("a") == 0 and limiter.take("a") == 10
    limiter.take("c")  # a third client: the least recently seen (b) is forgotten
    assert len(limiter._buckets) == 2 and "b" not in limiter._buckets


# ----------------------------------------------------------------------------- the form


def test_form_by_code_and_by_number_and_surname(site: Site) -> None:
    with client_for(site) as client:
        form = client.get("/verify?lang=en")
        assert form.status_code == 200
        assert '<label class="label" for="v-code">Verification code</label>' in form.text
        sent = client.post("/verify?lang=en", data={"by": "code", "code": site.valid.short_code.lower()})
        assert sent.status_code == 303
        assert sent.headers["location"] == link(site.valid) + "?lang=en"
        found = client.post("/verify", data={"by": "number", "number": site.valid.number.lower(),
                                             "surname": "李"})
        assert found.status_code == 200 and "李晓明 / LI Xiaoming" in found.text
        assert 'href="/verify?lang=en"' in found.text  # the switch keeps to this page
        found_en = client.post("/verify?lang=en", data={
            "by": "number", "number": site.valid.number, "surname": " li "})
        assert found_en.status_code == 200 and "Valid" in page_text(found_en.text)
        wrong = client.post("/verify?lang=en", data={
            "by": "number", "number": site.valid.number, "surname": "Wang"})
        assert wrong.status_code == 404
        assert (f"No certificate on the register has the number {site.valid.number} and a "
                "holder with the surname Wang.") in page_text(wrong.text)
        assert "李晓明" not in wrong.text


def test_form_errors_are_listed_and_marked(site: Site) -> None:
    with client_for(site) as client:
        empty = client.post("/verify?lang=en", data={"by": "number", "number": "", "surname": ""})
        bad = client.post("/verify", data={"by": "code", "code": "7KQ2-M9XD"})
    assert empty.status_code == 400
    summary = empty.text.split('id="errors"', 1)[1].split("</div>", 1)[0]
    assert 'href="#v-number">Enter the certificate number</a>' in summary
    assert 'href="#v-surname">Enter the holder&#39;s surname</a>' in summary
    assert 'id="v-number" value="" autocomplete="off"' in empty.text
    assert re.search(r'id="v-number"[^>]*aria-describedby="v-number-hint v-number-error"'
                     r'[^>]*aria-invalid="true"', empty.text)
    assert bad.status_code == 400
    assert "请按证书所印输入验证码：10位字母和数字，例如 7KQ2-M9XD-4T" in bad.text
    assert 'value="7KQ2-M9XD"' in bad.text  # what was typed is kept


def test_a_form_posted_without_its_length_is_read_only_up_to_the_limit(site: Site) -> None:
    """A chunked body declares no length, so the guard cannot refuse it up front: the form
    is read up to the page's limit and refused there (413), not read whole and checked."""

    def chunks() -> Iterator[bytes]:
        yield b"by=code&code="
        for _ in range(64):  # 64 MB in all, far past the limit
            yield b"A" * (1024 * 1024)

    with client_for(site) as client:
        r = client.post("/verify?lang=en", content=chunks(),
                        headers={"content-type": "application/x-www-form-urlencoded"})
        typed = client.post("/verify?lang=en", content=iter([b"by=code&code=", b"7KQ2-M9XD"]),
                            headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413
    assert "The file or form is larger than" in r.text
    assert typed.status_code == 400 and 'value="7KQ2-M9XD"' in typed.text


# ----------------------------------------------------------------------------- JSON


def test_json_for_employers_systems(site: Site) -> None:
    with client_for(site) as client:
        valid = client.get(f"/api/certificates/{site.valid.short_code}")
        revoked = client.get(f"/api/certificates/{site.revoked.short_code.replace('-', '').lower()}")
        old = client.get(f"/api/certificates/{site.superseded.short_code}")
        new = client.get(f"/api/certificates/{site.reissued.short_code}")
        missing = client.get("/api/certificates/0000000000")
        schema = client.get("/openapi.json").json()
    assert valid.status_code == 200
    assert valid.json() == {
        "number": site.valid.number, "status": "valid", "holder": "李晓明 / LI Xiaoming",
        "certificate": {"zh": "中国电机工程学会与英国工程技术学会联合证书",
                        "en": "CSEE–IET joint certificate"},
        "grade": {"code": "IEng", "name": {"zh": "主任工程师", "en": "Incorporated Engineer"}},
        "issued_on": "2026-03-14", "revoked_on": None, "reason": None, "superseded_by": None,
        "superseded_on": None, "replaces": None,
        "particulars": None,  # numbered through the library, not printed
    }
    assert (revoked.json()["status"], revoked.json()["revoked_on"], revoked.json()["reason"]) == (
        "revoked", "2026-06-01", "withdrawn")
    assert (old.json()["status"], old.json()["superseded_by"], old.json()["replaces"]) == (
        "superseded", site.reissued.number, None)
    # and back: the reissue names the certificate it was reissued in place of
    assert (new.json()["status"], new.json()["superseded_by"], new.json()["replaces"]) == (
        "valid", None, site.superseded.number)
    assert missing.status_code == 404
    assert missing.json() == {"errors": [{
        "field": "code", "message": "no issued certificate has this verification code",
        "code": "api.certificate-not-found"}]}
    operation = schema["paths"]["/api/certificates/{code}"]["get"]
    assert set(operation["responses"]) >= {"200", "404", "429"}
    status = schema["components"]["schemas"]["CertificateStatus"]["properties"]["status"]
    assert status["enum"] == ["valid", "revoked", "superseded"]
    assert not any(p.startswith(("/c/", "/verify")) for p in schema["paths"])


def test_the_access_log_keeps_no_code_that_opens_a_holders_name(
        site: Site, capfd: pytest.CaptureFixture[str]) -> None:
    """``--access-log`` wrote ``GET /c/0657G648M4``; the code shows the holder's name."""
    import httpx

    app = create_app(web_settings(MANIFEST_FILE, paths=Paths(register=site.register)),
                     secret=SECRET, converter=object(), verify_rate=1000)
    code = site.valid.short_code
    capfd.readouterr()
    with Live(app, access_log=True) as live, httpx.Client(base_url=live.url) as http:
        assert "LI Xiaoming" in http.get(link(site.valid) + "?lang=en").text
        assert http.get(f"/c/{code.lower()}/").status_code in (200, 307)
        assert http.head(f"/c/%20{code}").status_code in (200, 404)
        assert http.get(f"/api/certificates/{code}").json()["holder"]
        assert http.post("/verify?lang=en", data={"by": "number", "number": site.valid.number,
                                                  "surname": "LI"}).status_code == 200
        assert http.get(f"/verify?number={site.valid.number}&surname=LI").status_code == 200
    out, err = capfd.readouterr()
    logged = out + err
    for line in ('"GET /c/… HTTP/1.1" 200', '"HEAD /c/… HTTP/1.1"',
                 '"GET /api/certificates/… HTTP/1.1" 200', '"POST /verify HTTP/1.1" 200',
                 '"GET /verify HTTP/1.1" 200'):
        assert line in logged, line
    assert re.search(r'127\.0\.0\.1:\d+ - "GET /c/… HTTP/1\.1" 200', logged)
    for secret in (code, code.replace("-", ""), code.lower(), code.replace("-", "").lower(),
                   site.valid.number, "Xiaoming", "李晓明", "surname"):
        assert secret not in logged, secret


def test_without_a_register_there_is_no_verification(tmp_path: Path) -> None:
    app = create_app(web_settings(MANIFEST_FILE), secret=SECRET, converter=object())
    with TestClient(app) as client:
        assert client.get("/c/7KQ2M9XD4T").status_code == 404
        assert client.get("/api/certificates/7KQ2M9XD4T").status_code == 404
        assert "/api/certificates/{code}" not in client.get("/openapi.json").json()["paths"]
    result = CliRunner().invoke(main, ["serve", "--register", str(tmp_path / "none.sqlite")])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: there is no certificate register at {tmp_path / 'none.sqlite'}.")


# ----------------------------------------------------------------------------- scanned


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A running server with a new register, as ``formgen serve --register`` runs it."""
    register = tmp_path / "register.sqlite"
    Register.create(register).close()
    app = create_app(web_settings(MANIFEST_FILE, paths=Paths(register=register)), secret=SECRET,
                     converter=object())
    with Live(app) as live:
        yield live.url, register


def scan(pdf: Path, folder: Path) -> list[str]:
    """The QR codes on each page of ``pdf``, read from the page images as a phone would."""
    from PIL import Image

    pyzbar = pytest.importorskip("pyzbar.pyzbar")
    stem = folder / pdf.stem
    subprocess.run(["pdftoppm", "-r", "100", "-png", str(pdf), str(stem)], check=True)
    found = []
    for png in sorted(folder.glob(f"{pdf.stem}-*.png")):
        (code,) = pyzbar.decode(Image.open(png))
        found.append(code.data.decode())
        png.unlink()
    return found


def opened(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=20) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


@pytest.mark.needs_office
@pytest.mark.slow
def test_scanning_a_printed_certificate_opens_its_page(server: tuple[str, Path],
                                                       tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    base, register = server
    monkeypatch.setenv("FORMGEN_TODAY", TODAY)
    people = yaml.safe_load(SAMPLES_FILE.read_text(encoding="utf-8"))
    data = tmp_path / "li.yaml"
    data.write_text(yaml.safe_dump(people[:1], allow_unicode=True), "utf-8")

    def run(*args: str | Path) -> None:
        result = CliRunner().invoke(main, [str(a) for a in args])
        assert result.exit_code == 0, result.output

    run("certificates", data, "--out", tmp_path / "out", "--register", register,
        "--verify-url", base, "--manifest", MANIFEST_FILE)
    links = scan(tmp_path / "out" / "print.pdf", tmp_path)
    assert len(links) == 3 and all(u.startswith(base + "/c/") for u in links)
    joint = next(u for u in links if "中国电机工程学会与英国工程技术学会联合证书"
                 in page_text(opened(u)[1]))
    status, html = opened(joint)
    assert status == 200 and "有效" in page_text(html)
    assert "李晓明" in html and "LI Xiaoming" in html  # as printed, one line each
    with Register(register) as reg:
        number = reg.lookup(code_in_link(joint) or "").number
    status, body = opened(base + "/api/certificates/" + (code_in_link(joint) or ""))
    assert status == 200 and json.loads(body)["number"] == number

    altered = joint[:-1] + ("0" if joint[-1] != "0" else "1")
    status, html = opened(altered)
    assert status == 404 and "未找到证书" in html

    # corrected and reissued: the old certificate's code now says superseded
    people[0]["name"]["en"] = "LI Xiao-Ming"
    data.write_text(yaml.safe_dump(people[:1], allow_unicode=True), "utf-8")
    run("reissue", number, data, "--out", tmp_path / "again", "--register", register,
        "--verify-url", base, "--manifest", MANIFEST_FILE)
    (new_link,) = scan(tmp_path / "again" / "CSEE-2026-0007" / "csee_iet_joint.pdf", tmp_path)
    status, html = opened(joint + "?lang=en")
    with Register(register) as reg:
        new_number = reg.lookup(code_in_link(new_link) or "").number
    assert status == 200 and "Superseded" in html and new_number in html
    status, html = opened(new_link)
    assert status == 200 and "有效" in page_text(html) and "LI Xiao-Ming" in html

    # revoked: the same scan says so
    run("revoke", new_number, "--register", register, "--reason", "issued-in-error")
    status, html = opened(new_link)
    assert status == 200 and "已撤销" in page_text(html) and "颁发有误" in html
    status, body = opened(base + "/api/certificates/" + (code_in_link(new_link) or ""))
    assert json.loads(body)["status"] == "revoked"


def test_serve_help_names_the_register_options() -> None:
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert "--register" in result.output and "--verify-rate" in result.output
