""""Email me this link": an applicant has their own saved link sent to the address they
type, through a real SMTP server in its own process (aiosmtpd), in the page's language;
limited per address and per client; refused from another site; the address kept nowhere."""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import WEB_SECRET, Live, cli, kept_bytes
from sendkit import free_port, plain_text, write_manifest

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from formgen.links.store import Vault
from formgen.links.tokens import make_short_link
from formgen.send.single import mailer_from
from formgen.settings import Paths
from formgen.web import create_app, web_settings

BASE = "https://forms.example.org"
ADDRESS = "li.xiaoming.home@example.com"
SENT_EN = "We sent your link to li.xiaoming.home@example.com. The address was not kept."
LINK = re.compile(re.escape(BASE) + r"/f/[A-Za-z0-9_-]{22}\b")


def app_for(tmp_path: Path, store: Path, smtp: str | None, **limits: int) -> Any:
    manifest = write_manifest(tmp_path / "m", **({"smtp": smtp} if smtp else {}))
    settings = web_settings(manifest, paths=Paths(link_store=store))
    mailer = mailer_from(settings.manifest, base_url=BASE, environ={})
    return create_app(settings, secret=WEB_SECRET, converter=object(), mailer=mailer, **limits)


@pytest.fixture
def server(servers: Any) -> Any:
    return servers("--refuse", "nobody@example.com=550")


@pytest.fixture
def mail_client(tmp_path: Path, store: Path, server: Any) -> Iterator[TestClient]:
    with TestClient(app_for(tmp_path, store, server.url, mail_per_address=2,
                            mail_per_client=4)) as c:
        yield c


def saved_link(client: TestClient, store: Path, record: dict[str, Any], lang: str = "en") -> str:
    """A staff link, with the applicant's answers saved to it; its token."""
    token = make_short_link(Vault(store), BASE, record).rsplit("/", 1)[1]
    saved = client.post(f"/?lang={lang}", data={
        "lang": lang, "link": token, "action": "save-link", "name.zh": "李晓明",
        "name.en": "LI Xiaoming", "job_title.en": "Chief Engineer"})
    assert saved.status_code == 200
    return token


def email(client: TestClient, token: str, address: str, lang: str = "en", **headers: str) -> Any:
    return client.post(f"/email-link?lang={lang}", data={"link": token, "lang": lang,
                                                          "email": address}, headers=headers)


@pytest.mark.slow  # the first message loads the catalogues and the message templates
def test_the_link_arrives_in_the_pages_language_and_opens_the_saved_answers(
        mail_client: TestClient, store: Path, record: dict[str, Any], server: Any) -> None:
    token = make_short_link(Vault(store), BASE, record).rsplit("/", 1)[1]
    fresh = mail_client.get(f"/f/{token}?lang=en")
    assert 'action="/email-link' not in fresh.text  # offered once the answers are saved
    saved = mail_client.post("/?lang=en", data={
        "lang": "en", "link": token, "action": "save-link", "name.zh": "李晓明",
        "name.en": "LI Xiaoming", "job_title.en": "Chief Engineer"})
    assert "Your answers are saved to your link." in saved.text
    assert '<h2 id="email-link-title">Email me this link</h2>' in saved.text
    assert '<label for="mail-to">Email address</label>' in saved.text
    assert 'aria-describedby="mail-to-hint"' in saved.text and 'autocomplete="email"' in saved.text

    r = email(mail_client, token, ADDRESS)
    assert r.status_code == 200
    assert "<h1>Your link is on its way</h1>" in r.text and SENT_EN in r.text
    (rcpt, message, _), = server.received()
    assert rcpt == [ADDRESS]
    assert message["To"].addresses[0].addr_spec == ADDRESS
    assert message["Subject"] == ("International Professional Engineer Registration: please "
                                  "check and complete your forms (CSEE-2026-0007)")
    assert message["Content-Language"] == "en"
    text = plain_text(message)
    assert text.startswith("Dear LI Xiaoming,") and "李晓明" not in text
    assert LINK.findall(text) == [f"{BASE}/f/{token}"]
    # the link in the message opens, through the app, the answers saved to it
    opened = mail_client.get(LINK.findall(text)[0].removeprefix(BASE) + "?lang=en")
    assert opened.status_code == 200 and 'value="Chief Engineer"' in opened.text
    assert "You are seeing the answers you saved to this link on" in opened.text

    zh = email(mail_client, token, "li.xiaoming.office@example.com", lang="zh")
    assert zh.status_code == 200 and "<h1>您的链接已发出</h1>" in zh.text
    assert "您的链接已发送到 li.xiaoming.office@example.com。我们没有保存这个地址。" in zh.text
    message = server.received()[1][1]
    assert message["Subject"] == "工程能力评价/国际工程师资质认证：请核对并填写您的申请表（CSEE-2026-0007）"
    assert message["Content-Language"] == "zh-CN"
    text = plain_text(message)
    assert text.startswith("李晓明，您好：") and "Dear" not in text
    assert LINK.findall(text) == [f"{BASE}/f/{token}"]


def test_each_address_and_each_client_is_limited(
        mail_client: TestClient, store: Path, record: dict[str, Any], server: Any) -> None:
    token = saved_link(mail_client, store, record)
    assert [email(mail_client, token, ADDRESS).status_code for _ in range(2)] == [200, 200]
    third = email(mail_client, token, ADDRESS)
    assert third.status_code == 429 and int(third.headers["Retry-After"]) > 0
    assert "<h1>Too many messages</h1>" in third.text
    assert "Your link has been sent too many times just now, so it was not sent again." in third.text
    assert f"/f/{token}" in third.text  # the link itself is still shown
    # another address from the same client: its fourth request goes, its fifth does not
    assert email(mail_client, token, "second@example.com").status_code == 200
    fifth = email(mail_client, token, "third@example.com")
    assert fifth.status_code == 429 and "Retry-After" in fifth.headers
    assert [r[0] for r in server.received()] == [[ADDRESS], [ADDRESS], ["second@example.com"]]


def test_a_cross_site_post_is_refused_and_sends_nothing(
        mail_client: TestClient, store: Path, record: dict[str, Any], server: Any) -> None:
    token = saved_link(mail_client, store, record)
    r = email(mail_client, token, ADDRESS, Origin="http://evil.example",
              **{"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403 and "<h1>Refused</h1>" in r.text
    assert server.received() == []


def test_what_is_typed_is_checked_and_a_refused_address_is_said(
        mail_client: TestClient, store: Path, record: dict[str, Any], server: Any) -> None:
    token = saved_link(mail_client, store, record)
    empty = email(mail_client, token, "  ")
    assert empty.status_code == 400
    assert '<h2 id="errors-title">There is a problem</h2>' in empty.text
    assert '<li><a href="#mail-to">Enter your email address</a></li>' in empty.text
    bad = email(mail_client, token, "li.xiaoming at example")
    assert bad.status_code == 400 and "<title>Error: Email me this link</title>" in bad.text
    assert "Enter an email address in the correct format, like name@example.com" in bad.text
    assert 'value="li.xiaoming at example"' in bad.text and 'aria-invalid="true"' in bad.text
    assert 'aria-describedby="mail-to-hint mail-to-error"' in bad.text
    for hostile in ("li@example.com\r\nBcc: all@example.com", "li@example.com, all@example.com",
                    '"li"@example.com', "li@@example.com"):
        assert email(mail_client, token, hostile).status_code == 400, hostile
    zh = email(mail_client, token, "", lang="zh")
    assert "请填写您的电子邮箱地址" in zh.text
    refused = email(mail_client, token, "nobody@example.com")
    assert refused.status_code == 400
    assert "The mail server did not accept this address. Check it, or enter another one" in refused.text
    assert server.received() == []
    gone = email(mail_client, "A" * 22, ADDRESS)
    assert gone.status_code == 403 and "<h1>This link cannot be emailed</h1>" in gone.text


def test_a_server_that_cannot_be_reached_gets_a_clear_page_with_the_link(
        tmp_path: Path, store: Path, record: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "formgen.web.mail")
    with TestClient(app_for(tmp_path, store, f"smtp://127.0.0.1:{free_port()}")) as client:
        token = saved_link(client, store, record)
        r = email(client, token, ADDRESS)
    assert r.status_code == 502 and "<h1>Your link was not sent</h1>" in r.text
    assert "Your link could not be emailed just now: the mail server could not be reached or did not take the message." in r.text
    assert f'href="/f/{token}?lang=en"' in r.text and f"{BASE}/f/{token}" in r.text
    # the operator learns why from the log, which does not name the address
    (logged,) = [r.getMessage() for r in caplog.records if r.name == "formgen.web.mail"]
    assert logged.startswith("a link emailed from the web page was not sent: ")
    assert ADDRESS not in logged


def test_without_a_mail_server_the_form_is_not_offered(
        client: TestClient, store: Path, record: dict[str, Any]) -> None:
    token = saved_link(client, store, record)
    assert 'action="/email-link' not in client.get(f"/f/{token}?lang=en").text
    r = email(client, token, ADDRESS)
    assert r.status_code == 503 and "<h1>Sending by email is not set up</h1>" in r.text
    assert "This site cannot send email, so your link was not sent." in r.text
    assert f'href="/f/{token}?lang=en"' in r.text


def test_the_address_is_kept_nowhere(
        tmp_path: Path, store: Path, record: dict[str, Any], server: Any,
        caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)
    app = app_for(tmp_path, store, server.url)
    with Live(app, access_log=True) as live, httpx.Client(base_url=live.url) as http:
        token = make_short_link(Vault(store), BASE, record).rsplit("/", 1)[1]
        http.post("/?lang=en", data={"lang": "en", "link": token, "action": "save-link",
                                     "name.zh": "李晓明", "name.en": "LI Xiaoming"})
        r = http.post("/email-link?lang=en", data={"link": token, "lang": "en", "email": ADDRESS})
        assert r.status_code == 200 and SENT_EN in r.text
        refused = http.post("/email-link", data={"link": token, "email": "nobody@example.com"})
        assert refused.status_code == 400
    assert len(server.received()) == 1
    out, err = capfd.readouterr()
    logged = out + err + caplog.text
    assert "POST /email-link" in logged  # the access log was on
    for clear in (ADDRESS, "li.xiaoming.home", "nobody@example.com"):
        assert clear not in logged, clear
        assert clear.encode() not in kept_bytes(store), clear


def test_serve_names_what_is_missing_to_send(tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path / "m")
    unset = {"FORMGEN_BASE_URL": None, "FORMGEN_SMTP_PASSWORD": None, "FORMGEN_SMTP_URL": None}
    no_base = cli("serve", "--smtp", "smtp://127.0.0.1:1", "--manifest", manifest, env=unset)
    assert no_base.exit_code == 1
    assert ("emailing links from the web page needs the site's public address: give "
            "--base-url or FORMGEN_BASE_URL") in no_base.stderr
    no_password = cli("serve", "--smtp", "smtp://127.0.0.1:1", "--base-url", BASE,
                      "--smtp-user", "office", "--manifest", manifest, env=unset)
    assert no_password.exit_code == 1
    assert ("the mail server's login office needs its password in FORMGEN_SMTP_PASSWORD "
            "(never on the command line)") in no_password.stderr
    bad = cli("serve", "--smtp", "http://127.0.0.1:1", "--base-url", BASE, "--manifest",
              manifest, env=unset)
    assert bad.exit_code == 1 and "http://127.0.0.1:1" in bad.stderr
    assert "Traceback" not in no_base.output + no_password.output + bad.output


def test_starttls_and_login_with_the_password_from_the_environment(
        tmp_path: Path, store: Path, record: dict[str, Any], servers: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from sendkit import tls_files

    ca, cert, key = tls_files(tmp_path / "tls")
    server = servers("--tls", str(cert), str(key), "--login", "office", "s3cret")
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    settings = web_settings(write_manifest(tmp_path / "m", smtp=server.url, starttls=True,
                                           user="office"), paths=Paths(link_store=store))

    def client_with(password: str) -> TestClient:
        mailer = mailer_from(settings.manifest, base_url=BASE,
                             environ={"FORMGEN_SMTP_PASSWORD": password})
        return TestClient(create_app(settings, secret=WEB_SECRET, converter=object(), mailer=mailer))

    with client_with("nope") as wrong:
        token = saved_link(wrong, store, record)
        refused = email(wrong, token, ADDRESS)
    assert refused.status_code == 502 and "<h1>Your link was not sent</h1>" in refused.text
    with client_with("s3cret") as right:
        assert email(right, token, ADDRESS).status_code == 200
    assert [r[0] for r in server.received()] == [[ADDRESS]]


def test_a_broken_message_template_gets_a_page_with_the_link_and_a_log_line(
        tmp_path: Path, store: Path, record: dict[str, Any], server: Any,
        caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "messages"
    folder.mkdir()
    (folder / "link.subject.txt").write_text("Your link", encoding="utf-8")
    (folder / "link.txt").write_text("{{ link.url }} {{ no_such_thing }}", encoding="utf-8")
    (folder / "link.html").write_text("<p>{{ link.url }}</p>", encoding="utf-8")
    stem = str(folder / "link")
    manifest = write_manifest(tmp_path / "m", smtp=server.url,
                              messages={"link": {"templates": {"zh": stem, "en": stem}}})
    settings = web_settings(manifest, paths=Paths(link_store=store))
    mailer = mailer_from(settings.manifest, base_url=BASE, environ={})
    with TestClient(create_app(settings, secret=WEB_SECRET, converter=object(),
                               mailer=mailer)) as client:
        token = saved_link(client, store, record)
        r = email(client, token, ADDRESS)
    assert r.status_code == 500 and "<h1>Your link was not sent</h1>" in r.text
    assert "The message could not be written from the answers on this link." in r.text
    assert f"{BASE}/f/{token}" in r.text
    assert server.received() == []
    (logged,) = [r.getMessage() for r in caplog.records if r.name == "formgen.web.mail"]
    assert "no_such_thing" in logged and ADDRESS not in logged
