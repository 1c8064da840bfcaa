"""Requests another site makes a browser send: a POST with a foreign ``Origin`` or a
``Sec-Fetch-Site`` other than ``same-origin`` is refused with 403 before anything is read
or changed, with a page in the page's language or JSON; the site's own requests, scripts
without either header and the test client pass."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import Live

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from formgen.links.store import Vault
from formgen.links.tokens import make_short_link
from formgen.settings import Paths
from formgen.web import create_app, web_settings
from formgen.web.security import SECURITY_HEADERS

BASE = "https://forms.example.org"
EVIL = {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}
REFUSED_EN = ("This was sent to us from another website, so it was refused and nothing was "
              "changed. If you filled in the form on this site, go back to it and send it again.")
REFUSED_ZH = "这是从其他网站发送过来的，因此已被拒绝，没有任何内容被更改。如果您是在本网站填写的表格，请返回表格重新提交。"
API_REFUSED = ("refused: the request was sent from another website (its Origin or Sec-Fetch-Site "
               "header says so); nothing was changed")


def saved_job_title(client: TestClient, token: str) -> str | None:
    page = client.get(f"/f/{token}?lang=en").text
    if "You are seeing the answers you saved to this link on" not in page:
        return None
    return "Chief Engineer" if 'value="Chief Engineer"' in page else "something else"


def test_a_cross_site_save_to_a_link_is_refused_and_changes_nothing(
        client: TestClient, store: Path, record: dict[str, Any]) -> None:
    """The attack of the report: it answered 303 and replaced the link's saved record."""
    token = make_short_link(Vault(store), BASE, record).rsplit("/", 1)[1]
    data = {"action": "save-link", "link": token, "name.en": "v"}
    r = client.post("/?lang=en", data=data, headers=EVIL, follow_redirects=False)
    assert r.status_code == 403
    assert "<h1>Refused</h1>" in r.text and REFUSED_EN in r.text
    assert r.headers["content-type"].startswith("text/html")
    assert all(r.headers.get(k) == v for k, v in SECURITY_HEADERS.items())
    assert saved_job_title(client, token) is None  # nothing was saved to the link
    zh = client.post("/", data=data, headers=EVIL, follow_redirects=False)
    assert zh.status_code == 403 and "<h1>请求被拒绝</h1>" in zh.text and REFUSED_ZH in zh.text
    # the same request from the site itself is saved, as before
    own = client.post("/?lang=en", data={**data, "name.zh": "李晓明", "job_title.en": "Chief Engineer"},
                      headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"})
    assert own.status_code == 200 and "Your answers are saved to your link." in own.text
    assert saved_job_title(client, token) == "Chief Engineer"


@pytest.mark.parametrize("headers", [
    {"Origin": "http://evil.example"},  # an older browser: Origin only
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},  # another host of the same site is another origin
    {"Origin": "null", "Sec-Fetch-Site": "cross-site"},  # a sandboxed frame, a data: page
    {"Origin": "http://testserver.evil.example"},
    {"Origin": "http://testserver:8080"},
    {"Origin": "https://testserver", "Sec-Fetch-Site": "cross-site"},
    {"Origin": "http://evil.example", "Sec-Fetch-Site": "same-origin"},
])
def test_every_state_changing_post_refuses_another_site(
        client: TestClient, record: dict[str, Any], headers: dict[str, str]) -> None:
    for path in ("/?lang=en", "/upload?lang=en"):
        r = client.post(path, data={"action": "check"}, headers=headers)
        assert r.status_code == 403, (path, headers)
        assert REFUSED_EN in r.text
    for path in ("/api/render?doc=registration_form", "/api/pack"):
        r = client.post(path, json=record, headers=headers)
        assert r.status_code == 403, (path, headers)
        assert r.json() == {"errors": [{"field": "", "message": API_REFUSED, "code": "api.cross-site"}]}
        assert all(r.headers.get(k) == v for k, v in SECURITY_HEADERS.items())


@pytest.mark.parametrize("headers", [
    {},  # a script, or a browser too old to say
    {"Sec-Fetch-Site": "same-origin"},
    {"Sec-Fetch-Site": "none"},  # typed or bookmarked by the user
    {"Origin": "http://testserver"},
    {"Origin": "http://TestServer:80", "Sec-Fetch-Site": "same-origin"},
    {"Origin": "null", "Sec-Fetch-Site": "same-origin"},  # the site's own form, no referrer
])
def test_the_sites_own_requests_and_scripts_pass(
        client: TestClient, record: dict[str, Any], headers: dict[str, str]) -> None:
    r = client.post("/?lang=en", data={"action": "check"}, headers=headers)
    assert r.status_code == 200 and "<h1>Refused</h1>" not in r.text
    r = client.post("/api/render?doc=registration_form", json=record, headers=headers)
    assert r.status_code == 200, r.text


def test_pages_and_look_ups_are_not_refused(client: TestClient) -> None:
    """Reading changes nothing: a link from another site opens the page."""
    assert client.get("/?lang=en", headers=EVIL).status_code == 200
    assert client.head("/", headers=EVIL).status_code == 200


def own_then_refused(http: httpx.Client, url: str, record: dict[str, Any]) -> None:
    """A same-origin POST accepted, then a cross-site form POST and a foreign-origin API
    POST refused, on one connection."""
    own = {"Origin": url, "Sec-Fetch-Site": "same-origin"}
    assert http.post("/?lang=en", data={"action": "check"}, headers=own).status_code == 303
    r = http.post("/?lang=en", data={"action": "check"}, headers=EVIL)
    assert r.status_code == 403 and REFUSED_EN in r.text
    r = http.post("/api/render?doc=registration_form", json=record,
                  headers={"Origin": "http://localhost:1"})
    assert r.status_code == 403 and r.json()["errors"][0]["code"] == "api.cross-site"


def test_a_real_browser_request_behind_a_real_server(store: Path, record: dict[str, Any]) -> None:
    """Through uvicorn, as a browser sends them: the Host header is the server's own."""
    app = create_app(web_settings(paths=Paths(link_store=store)), converter=object())
    with Live(app) as live, httpx.Client(base_url=live.url) as http:
        own_then_refused(http, live.url, record)


@pytest.mark.slow
def test_refused_requests_get_their_answers_one_after_another(store: Path, record: dict[str, Any]) -> None:
    """A cross-site request is refused without being acted on, but its body is read first:
    a server that closes a connection with the body unread makes the client's system reset
    it, and the client then often sees the reset instead of the 403 (before the body was
    read first, this test failed about one run in three)."""
    app = create_app(web_settings(paths=Paths(link_store=store)), converter=object())
    with Live(app) as live, httpx.Client(base_url=live.url) as http:
        for _ in range(50):  # each refusal on a connection kept open by an accepted request
            own_then_refused(http, live.url, record)
