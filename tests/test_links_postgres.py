"""The link store in a PostgreSQL database (``--database postgresql://…``): links made,
opened, saved back to, expired and withdrawn through ``formgen links`` and the web app as
on a SQLite file; the look-up limits kept there count for every server on it."""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE_FILE, WEB_SECRET, cli

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from formgen import clock
from formgen.database import connect, locate
from formgen.links.store import PAGE_HOURS, TOMBSTONE_DAYS, Vault, key_of
from formgen.links.tokens import make_short_link
from formgen.settings import Paths
from formgen.web import create_app, web_settings
from formgen.web.ratelimit import MailLimits, SharedRateLimiter

pytestmark = pytest.mark.postgres
BASE = "https://forms.example.org"


def with_password(url: str) -> str:
    """The URL with a password in it (the test server trusts every local connection)."""
    return url.replace("postgres@", "postgres:s3cret-pw@", 1)


@pytest.fixture
def site(postgres_url: str) -> Iterator[TestClient]:
    """The web app on a link store in PostgreSQL."""
    paths = Paths(database=locate(postgres_url))
    with TestClient(create_app(web_settings(paths=paths), secret=WEB_SECRET, converter=object())) as client:
        yield client


def stored_bytes(url: str) -> bytes:
    """Everything the tables links and pages hold, as bytes."""
    with connect(locate(url)) as db:
        rows = db.execute("SELECT * FROM links") + db.execute("SELECT * FROM pages")
    return b"".join(bytes(v) if isinstance(v, memoryview | bytes) else str(v).encode()
                    for row in rows for v in row if v is not None)


def test_links_made_opened_saved_back_and_withdrawn(postgres_url: str, site: TestClient) -> None:
    url = with_password(postgres_url)
    made = cli("links", EXAMPLE_FILE, "--base-url", BASE, "--days", "7", "--database", url)
    assert made.exit_code == 0, made.output
    link = made.stdout.strip().splitlines()[0].split("\t")[2]
    assert re.fullmatch(re.escape(BASE) + r"/f/[A-Za-z0-9_-]{22}", link)
    # the database is named without its password
    assert "postgres:***@127.0.0.1" in made.stderr and "s3cret-pw" not in made.output
    token = link.rsplit("/", 1)[1]
    page = site.get(f"/f/{token}?lang=en")
    assert page.status_code == 200 and 'value="李晓明"' in page.text
    saved = site.post("/?lang=en", data={"lang": "en", "link": token, "action": "save-link",
                                         "name.zh": "李晓明", "name.en": "LI Xiaoming",
                                         "job_title.en": "Chief Engineer"})
    assert "Your answers are saved to your link." in saved.text
    again = site.get(f"/f/{token}?lang=en")
    assert 'value="Chief Engineer"' in again.text
    assert "You are seeing the answers you saved to this link on" in again.text
    # the database holds ciphertext only: no name, no saved answer, not the link's key
    kept = stored_bytes(postgres_url)
    for clear in ("李晓明", "LI Xiaoming", "Chief Engineer", "13910002233", token):
        assert clear.encode() not in kept, clear
    # withdrawn through $FORMGEN_DATABASE: it opens no more, on any server of the database
    gone = cli("links", "--revoke", link, env={"FORMGEN_DATABASE": url})
    assert gone.exit_code == 0, gone.output
    withdrawn = site.get(f"/f/{token}?lang=en")
    assert withdrawn.status_code == 410 and "李晓明" not in withdrawn.text
    unknown = cli("links", "--revoke", BASE + "/f/" + "A" * 22, "--database", url)
    assert unknown.exit_code == 1
    assert ("is not a link of the link store postgresql://postgres:***@127.0.0.1:"
            in unknown.stderr)


def test_expired_entries_are_wiped_and_forgotten(postgres_url: str, site: TestClient,
                                                 record: dict[str, Any]) -> None:
    vault = Vault(locate(postgres_url))
    now = clock.now()
    old = make_short_link(vault, BASE, record, days=30, now=now - dt.timedelta(days=31))
    ancient = make_short_link(vault, BASE, record, days=1, now=now - dt.timedelta(days=TOMBSTONE_DAYS + 5))
    vault.add_page(b"k" * 16, {"lang": "en"}, now=now - dt.timedelta(hours=PAGE_HOURS + 1))
    fresh = make_short_link(vault, BASE, record, now=now)  # a write: the expired are purged
    with connect(locate(postgres_url)) as db:
        rows = {r[0]: r[1:] for r in db.execute("SELECT expires, original, saved FROM links")}
        pages = db.execute("SELECT lookup FROM pages")
    assert len(rows) == 2 and pages == []  # the tombstone's time is over; the old page is gone
    assert sorted(original is None for original, _ in rows.values()) == [False, True]
    expired = site.get(old.removeprefix(BASE) + "?lang=en")
    day = (now - dt.timedelta(days=1)).date()
    assert expired.status_code == 410
    assert f"This link expired on {day.day} {day:%B} {day.year}." in expired.text
    assert site.get(ancient.removeprefix(BASE)).status_code == 403  # forgotten: unknown
    assert site.get(fresh.removeprefix(BASE)).status_code == 200


def test_files_for_download_are_kept_sealed_handed_over_and_wiped(postgres_url: str,
                                                                 site: TestClient) -> None:
    from formgen.links.downloads import make_download_links

    vault = Vault(locate(postgres_url))
    now = clock.now()
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 20 + b"%%EOF\n"
    [link] = make_download_links(vault, BASE, [("证书-李晓明.pdf", pdf)], days=7, now=now)
    [old] = make_download_links(vault, BASE, [("old.pdf", pdf)], days=1, now=now - dt.timedelta(days=2))
    got = site.get(link.removeprefix(BASE))
    assert got.status_code == 200 and got.content == pdf
    assert got.headers["content-disposition"].endswith(
        "filename*=UTF-8''%E8%AF%81%E4%B9%A6-%E6%9D%8E%E6%99%93%E6%98%8E.pdf")
    token = link.rsplit("/", 1)[1]
    changed = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    assert site.get(f"/d/{changed}").status_code == 404
    make_download_links(vault, BASE, [("x.pdf", b"x")], now=now)  # a write: the expired are wiped
    with connect(locate(postgres_url)) as db:
        rows = db.execute("SELECT name, data FROM files")
    kept = b"".join(bytes(v) for row in rows for v in row if v is not None)
    assert len(rows) == 3 and sum(data is None for _, data in rows) == 1
    assert pdf[:100] not in kept and "李晓明".encode() not in kept
    gone = site.get(old.removeprefix(BASE) + "?lang=en")
    assert gone.status_code == 410 and "This link has expired" in gone.text
    key = key_of(token)
    assert key is not None and vault.revoke_file(key)
    assert site.get(link.removeprefix(BASE)).status_code == 410


def test_a_page_between_submit_and_redirect_is_kept_in_the_database(
        postgres_url: str, site: TestClient, record: dict[str, Any]) -> None:
    from test_web import form_fields

    r = site.post("/?lang=zh", data=form_fields(record, action="check"),
                  follow_redirects=False)
    assert r.status_code == 303
    page = site.get(r.headers["location"])
    assert page.status_code == 200 and 'value="李晓明"' in page.text
    with connect(locate(postgres_url)) as db:
        assert db.one("SELECT count(*) FROM pages") == (1,)
    assert "李晓明".encode() not in stored_bytes(postgres_url)
    assert site.get("/health").text == "ok"


def test_link_store_option_wins_over_the_database(postgres_url: str, tmp_path: Path) -> None:
    store = tmp_path / "links.sqlite"
    made = cli("links", EXAMPLE_FILE, "--base-url", BASE, "--link-store", store,
               env={"FORMGEN_DATABASE": postgres_url})
    assert made.exit_code == 0, made.output
    assert f"kept encrypted in {store}" in made.stderr
    token = made.stdout.split("\t")[2].strip().rsplit("/", 1)[1]
    key = key_of(token)
    assert key is not None
    with connect(locate(postgres_url)) as db:
        assert "links" not in db.tables()  # the database was not touched
    assert Vault(store).link(key) is not None and Vault(locate(postgres_url)).link(key) is None


@pytest.mark.slow  # waits for the connection to fail
def test_a_database_that_cannot_be_reached_is_said_plainly(tmp_path: Path) -> None:
    url = "postgresql://postgres:pw@127.0.0.1:1/nowhere?connect_timeout=2"
    made = cli("links", EXAMPLE_FILE, "--base-url", BASE, "--database", url)
    assert made.exit_code == 1
    assert made.stderr.startswith(
        "Error: The link store postgresql://postgres:***@127.0.0.1:1/nowhere?connect_timeout=2 "
        "cannot be used: ")
    assert "Traceback" not in made.output and "pw@" not in made.output
    served = cli("serve", "--database", url)
    assert served.exit_code == 1
    assert served.stderr.startswith(
        "Error: the database postgresql://postgres:***@127.0.0.1:1/nowhere?connect_timeout=2 "
        "cannot be reached: ")
    served = cli("serve", "--database", "mysql://127.0.0.1/x")
    assert served.exit_code == 2
    assert "must be a PostgreSQL URL (postgresql://…) or a SQLite file's path" in served.stderr


def test_lookup_limits_in_the_database_hold_for_every_server(postgres_url: str) -> None:
    where = locate(postgres_url)
    # two servers' limiters on one database: 2 at once, then one every 10 seconds
    first, second = (SharedRateLimiter(where, "verify", 6, burst=2) for _ in range(2))
    assert first.take("10.0.0.1") == 0 and second.take("10.0.0.1") == 0
    waits = [first.take("10.0.0.1"), second.take("10.0.0.1")]
    assert all(1 <= w <= 10 for w in waits), waits
    assert second.take("10.0.0.2") == 0  # another client has its own bucket
    # another bucket counts apart
    assert SharedRateLimiter(where, "mail-client", 6, burst=1).take("10.0.0.1") == 0
    # the mail limits too, with the key every server derives from the shared secret
    a, b = (MailLimits.hourly(1, 5, database=where, key=b"k" * 32) for _ in range(2))
    assert a.take("10.0.0.3", "li@example.org") == 0
    assert b.take("10.0.0.4", "LI@example.org") > 0  # the same address, through the other


@pytest.mark.slow  # waits for the connection to fail
def test_lookup_limits_fall_back_to_the_host_when_the_database_is_gone() -> None:
    limiter = SharedRateLimiter(locate("postgresql://postgres@127.0.0.1:1/x?connect_timeout=1"),
                                "verify", 6, burst=1)
    assert limiter.take("10.0.0.1") == 0
    assert limiter.take("10.0.0.1") >= 1
