"""``formgen serve`` on several hosts: two real server processes, each in its own folder,
on one PostgreSQL database, behind a real HAProxy that sends requests to them in turn.

A link made or saved through one host opens on the other and through the proxy; a page's
session carries from one to the other; the same verification code gets the same answer
from both; the look-up limit holds for a client whichever host answers it; the proxy goes
on answering when a host stops.
"""

from __future__ import annotations

import datetime
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from conftest import EXAMPLE_FILE, MANIFEST_FILE, TODAY, cli
from hosts import Balancer, Host, haproxy_missing
from postgres_server import PostgresServer

from formgen.certificates.numbers import Issued, IssueRequest
from formgen.certificates.register import Register

pytestmark = [pytest.mark.postgres, pytest.mark.slow,
              pytest.mark.skipif(haproxy_missing() is not None, reason=haproxy_missing() or "")]

BASE = "https://forms.example.org"
SECRET = "the-same-secret-on-every-host-0123456789"
RATE = 5
"""Look-ups a minute per client (and at once) on the test site."""
DAY = datetime.date(2026, 3, 14)


@dataclass
class Site:
    database: str
    a: Host
    b: Host
    proxy: Balancer
    certificate: Issued
    folder: Path

    def host_args(self) -> list[str]:
        return host_args(self.database, self.folder / "register.sqlite")


def host_args(database: str, register: Path) -> list[str]:
    return ["--database", database, "--register", str(register), "--manifest", str(MANIFEST_FILE),
            "--trusted-proxy", "127.0.0.1", "--verify-rate", str(RATE)]


HOST_ENV = {"FORMGEN_TODAY": TODAY, "LANG": "C.UTF-8", "FORMGEN_SECRET": SECRET}


def issue_one(register: Path) -> Issued:
    with Register.create(register) as reg:
        (issued,) = reg.issue([IssueRequest("CSEE-2026-0007", "李晓明 / LI Xiaoming",
                                            "csee_iet_joint", "csee-iet", "IEng", "CSEE-IET", DAY)],
                              on=DAY)
        reg.confirm([issued.number], on=DAY)
        return reg.lookup(issued.number)


@pytest.fixture(scope="module")
def site(postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    postgres_server.wait_ready()
    database = postgres_server.new_database()
    folder = tmp_path_factory.mktemp("hosts")
    certificate = issue_one(folder / "register.sqlite")
    args = host_args(database, folder / "register.sqlite")
    with Host(folder / "a", *args, env=HOST_ENV) as a, Host(folder / "b", *args, env=HOST_ENV) as b, \
            Balancer(folder / "proxy", [a, b]) as proxy:
        yield Site(database, a, b, proxy, certificate, folder)


def client(url: str, address: str = "10.0.0.1") -> httpx.Client:
    """A client at ``address`` (as the proxy passes it on, which both hosts believe)."""
    return httpx.Client(base_url=url, headers={"X-Forwarded-For": address}, timeout=30)


def test_a_link_saved_through_one_host_opens_on_the_other(site: Site) -> None:
    made = cli("links", EXAMPLE_FILE, "--base-url", BASE, "--database", site.database)
    assert made.exit_code == 0, made.output
    token = made.stdout.split("\t")[2].strip().rsplit("/", 1)[1]
    with client(site.a.url) as a, client(site.b.url) as b, client(site.proxy.url) as proxy:
        assert 'value="李晓明"' in b.get(f"/f/{token}?lang=en").text
        saved = a.post("/?lang=en", follow_redirects=True, data={
            "lang": "en", "link": token, "action": "save-link", "name.zh": "李晓明",
            "name.en": "LI Xiaoming", "job_title.en": "Chief Engineer"})
        assert "Your answers are saved to your link." in saved.text
        again = b.get(f"/f/{token}?lang=en")
        assert 'value="Chief Engineer"' in again.text
        assert "You are seeing the answers you saved to this link on" in again.text
        for _ in range(4):  # round robin: both hosts, through the proxy
            page = proxy.get(f"/f/{token}?lang=en")
            assert page.status_code == 200 and 'value="Chief Engineer"' in page.text


def test_a_page_session_carries_from_host_to_host(site: Site) -> None:
    from conftest import example_dict
    from test_web import form_fields

    from formgen.links.tokens import json_safe

    with client(site.a.url) as a, client(site.b.url) as b:
        r = a.post("/?lang=zh", data=form_fields(json_safe(example_dict()), action="check"))
        assert r.status_code == 303
        b.cookies.update(a.cookies)  # the browser's session cookie, sent to whichever host
        page = b.get(r.headers["location"])
        assert page.status_code == 200 and 'value="李晓明"' in page.text
        assert "资料已填写完整" in page.text


def test_the_same_code_gets_the_same_answer_from_every_host(site: Site) -> None:
    code = site.certificate.short_code.replace("-", "")
    answers = []
    for url, address in ((site.a.url, "10.0.1.1"), (site.b.url, "10.0.1.2"),
                         (site.proxy.url, "10.0.1.3"), (site.proxy.url, "10.0.1.3")):
        with client(url, address) as c:
            r = c.get(f"/api/certificates/{code}")
            assert r.status_code == 200, r.text
            answers.append(r.json())
    assert all(answer == answers[0] for answer in answers)
    assert answers[0]["number"] == site.certificate.number and answers[0]["status"] == "valid"
    assert answers[0]["holder"] == "李晓明 / LI Xiaoming"


def test_the_lookup_limit_holds_whichever_host_answers(site: Site) -> None:
    code = site.certificate.short_code.replace("-", "")
    with client(site.proxy.url, "10.0.2.1") as proxy:
        for n in range(RATE):  # in turn: host A, host B, host A…
            assert proxy.get(f"/api/certificates/{code}").status_code == 200, n
        refused = proxy.get(f"/api/certificates/{code}")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60 // RATE
    for url in (site.a.url, site.b.url):  # each host, asked directly, counts the same bucket
        with client(url, "10.0.2.1") as c:
            assert c.get(f"/api/certificates/{code}").status_code == 429
    with client(site.proxy.url, "10.0.2.2") as other:  # another client is not held back
        assert other.get(f"/api/certificates/{code}").status_code == 200


def test_the_proxy_answers_while_a_host_is_stopped(site: Site) -> None:
    made = cli("links", EXAMPLE_FILE, "--base-url", BASE, "--database", site.database)
    token = made.stdout.split("\t")[2].strip().rsplit("/", 1)[1]
    with Host(site.folder / "c", *site.host_args(), env=HOST_ENV) as c, \
            Balancer(site.folder / "proxy2", [site.b, c]) as proxy, client(proxy.url) as browser:
        assert browser.get(f"/f/{token}").status_code == 200
        c.stop()
        for _ in range(4):  # at once: a request that meets host C goes to host B
            page = browser.get(f"/f/{token}")
            assert page.status_code == 200 and 'value="李晓明"' in page.text
        # HAProxy's health checks take host C out: "Server hosts/host2 is DOWN"
        deadline = time.monotonic() + 60
        while "host2 is DOWN" not in proxy.log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "host2 is DOWN" in proxy.log.read_text(), proxy.log.read_text()
        for _ in range(4):  # and after
            page = browser.get(f"/f/{token}")
            assert page.status_code == 200 and 'value="李晓明"' in page.text


def test_a_register_in_postgresql_answers_the_same_code_on_every_host(
        site: Site, postgres_server: PostgresServer, tmp_path: Path) -> None:
    database = postgres_server.new_database()
    register = tmp_path / "register.sqlite"
    issued = issue_one(register)
    moved = cli("register", "migrate", "--register", register, "--to", database)
    assert moved.exit_code == 0, moved.output
    key = tmp_path / "register.key"
    shutil.move(register, tmp_path / "moved.sqlite")  # the hosts read PostgreSQL only
    args = ["--database", database, "--register-key", str(key), "--manifest", str(MANIFEST_FILE),
            "--trusted-proxy", "127.0.0.1"]
    code = issued.short_code.replace("-", "")
    with Host(tmp_path / "a", *args, env=HOST_ENV) as a, Host(tmp_path / "b", *args, env=HOST_ENV) as b, \
            Balancer(tmp_path / "proxy", [a, b]) as proxy:
        answers = []
        for url in (a.url, b.url, proxy.url, proxy.url):
            with client(url, "10.0.3.1") as c:
                r = c.get(f"/api/certificates/{code}")
                assert r.status_code == 200, r.text
                answers.append(r.json())
        page = httpx.get(f"{proxy.url}/c/{code}?lang=en", timeout=30)
    assert all(answer == answers[0] for answer in answers)
    assert answers[0]["number"] == issued.number and answers[0]["status"] == "valid"
    assert page.status_code == 200 and issued.number in page.text
