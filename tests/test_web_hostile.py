"""The web app under hostile input: uploads and API bodies are read in a child process
with its own limits, every refusal is a 4xx naming its limit, the app goes on answering
others meanwhile, every answer (a 500 too) carries the security headers, and PDF requests
without LibreOffice get a 503."""

from __future__ import annotations

import json
import multiprocessing
import select
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import WEB_SECRET, Live, example_dict
from test_web import form_fields

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from formgen.settings import Paths
from formgen.web import create_app, web_settings
from formgen.web.parsing import ParseLimits
from formgen.web.security import SECURITY_HEADERS

SECRET = WEB_SECRET


def upload(client: Any, name: str, data: bytes, lang: str = "en") -> httpx.Response:
    return client.post(f"/upload?lang={lang}", files={"file": (name, data, "application/octet-stream")})


def has_security_headers(response: httpx.Response) -> bool:
    return response.headers.get("cache-control") == "no-store" and all(
        response.headers.get(name) == value for name, value in SECURITY_HEADERS.items())


def laughs(levels: int) -> bytes:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, levels + 1)]
    return ("\n".join(lines) + f"\nid: *l{levels}\n").encode()


# ----------------------------------------------------------------------------- refusals


def test_an_alias_bomb_upload_is_refused_with_its_limit(client: TestClient) -> None:
    """The 1 KB file that held the server for 107 s and 5.6 GB."""
    r = upload(client, "bomb.yaml", laughs(9))
    assert r.status_code == 400
    assert "its aliases (*name) add more than 100,000 values; refused" in r.text
    assert has_security_headers(r)
    r = upload(client, "bomb.yaml", laughs(3))  # within the file's limit, past the record's
    assert r.status_code == 400
    assert "record 1: holds more than 10,000 values (aliases counted in full); refused" in r.text


@pytest.mark.parametrize("levels", [5_000, 20_000])
def test_deep_nesting_is_a_4xx_with_headers(client: TestClient, record: dict, levels: int) -> None:
    """5,000 to 20,000 levels gave a 500 without security headers from /api/render and /upload."""
    nested = "[" * levels + "]" * levels
    body = json.dumps(record)[:-1] + f', "name": {nested}}}'
    r = client.post("/api/render?doc=registration_form", content=body.encode(),
                    headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.json()["errors"][0]["message"] == "nests values more than 16 levels deep; refused"
    assert has_security_headers(r)
    for name, data in (("deep.json", body.encode()), ("deep.yaml", f"id: x\nname: {nested}\n".encode())):
        r = upload(client, name, data)
        assert r.status_code == 400, name
        assert "nests values more than 16 levels deep; refused" in r.text
        assert has_security_headers(r)


def test_an_api_body_with_too_many_values_is_refused(client: TestClient, record: dict) -> None:
    record["cpd"] = [record["cpd"][0]] * 2000
    r = client.post("/api/render?doc=registration_form", json=record)
    assert r.status_code == 400
    assert r.json()["errors"] == [{
        "field": "", "code": "record.too-many-values",
        "message": "holds more than 10,000 values (aliases counted in full); refused"}]


def test_a_long_name_through_the_api_is_a_field_error(client: TestClient, record: dict) -> None:
    """A 100,000-character name took 6.5 s per DOCX."""
    record["name"] = {"zh": "李" * 100_000, "en": "LI"}
    r = client.post("/api/render?doc=registration_form", json=record)
    assert r.status_code == 422
    assert r.json()["errors"] == [{
        "field": "name.zh", "code": "field.too-wide",
        "message": "is 200,000 characters wide; 60 fit in its place on the form "
                   "(a Chinese character counts as two)"}]


def test_a_padded_xlsx_bomb_upload_is_refused_naming_the_limit(client: TestClient, tmp_path: Path) -> None:
    from test_limits import padded_bomb

    path = padded_bomb(tmp_path, example_dict(), bomb_mb=20, padding_mb=1.4)
    assert path.stat().st_size < 2 * 1024 * 1024
    r = upload(client, "bomb.xlsx", path.read_bytes())
    assert r.status_code == 400
    assert "xl/worksheets/sheet1.xml unpacks to 20 MB; at most 16 MB are read" in r.text


# ----------------------------------------------------------------------------- the child's limits


def test_a_read_that_passes_its_memory_is_refused(store: Path) -> None:
    app = create_app(web_settings(paths=Paths(link_store=store)), secret=SECRET, converter=object(),
                     parse_limits=ParseLimits(memory=8 * 1024 * 1024))
    data = ("\n".join(f"k{i}: [{', '.join(['x'] * 50)}]" for i in range(4000)) + "\nid: x\n").encode()
    assert len(data) < 2 * 1024 * 1024
    with TestClient(app) as c:
        r = upload(c, "big.yaml", data)
    assert r.status_code == 413
    assert "needs more than 8 MB of memory to read; refused" in r.text
    assert has_security_headers(r)


def _slow_yaml() -> bytes:
    """Almost 2 MB of YAML, broken at its very end: libyaml fails fast, and the pure-Python
    parser, which words the error, takes seconds to get there."""
    rows = "".join(f"- {{a: {i}, b: [1, 2, 3], c: {{d: e}}}}\n" for i in range(50_000))
    return (rows[: 1_900_000].rsplit("\n", 1)[0] + "\n- [unclosed\n").encode()


@pytest.mark.slow  # the read is allowed 2 s before it is stopped
def test_the_app_answers_others_while_a_hostile_upload_is_read(store: Path) -> None:
    """A read that passes its time is killed and refused with 413; meanwhile the page and
    the API answer as usual: the event loop only waits for the child."""
    app = create_app(web_settings(paths=Paths(link_store=store)), secret=SECRET, converter=object(),
                     parse_limits=ParseLimits(seconds=2.0))
    answers: list[tuple[str, int]] = []
    with Live(app) as live, httpx.Client(base_url=live.url, timeout=60) as web:
        web.get("/")  # the fork server is started
        hostile: dict[str, httpx.Response] = {}
        sender = threading.Thread(target=lambda: hostile.setdefault("r", upload(web, "slow.yaml", _slow_yaml())))
        sender.start()
        deadline = time.monotonic() + 30
        while not any(p.name == "formgen-parse" for p in multiprocessing.active_children()):
            assert time.monotonic() < deadline, "the upload was never read"
            time.sleep(0.01)
        while sender.is_alive():
            for path in ("/", "/openapi.json"):
                answers.append(("before" if sender.is_alive() else "after", web.get(path).status_code))
        sender.join()
    assert ("before", 200) in answers and all(status == 200 for _, status in answers)
    r = hostile["r"]
    assert r.status_code == 413
    assert "takes more than 2 seconds to read; refused" in r.text


# ----------------------------------------------------------------------------- errors and PDFs


def test_a_500_carries_the_security_headers(store: Path) -> None:
    app = create_app(web_settings(paths=Paths(link_store=store)), secret=SECRET, converter=object())

    async def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/api/broken", broken)
    app.add_api_route("/broken", broken)
    with TestClient(app, raise_server_exceptions=False) as c:
        api = c.get("/api/broken")
        page = c.get("/broken?lang=en")
    assert api.status_code == 500 and has_security_headers(api)
    assert api.json() == {"errors": [{"field": "", "code": "api.server-error", "message":
                                      "something went wrong on the server; nothing you sent was kept. Try again later"}]}
    assert page.status_code == 500 and has_security_headers(page)
    assert "Something went wrong on this site; nothing you sent was kept." in page.text
    assert "a bug" not in page.text + api.text


@pytest.fixture
def no_libreoffice(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """FORMGEN_SOFFICE names no program (the path is looked up once, so afresh here)."""
    from formgen.office.process import soffice_path

    monkeypatch.setenv("FORMGEN_SOFFICE", "/nowhere/soffice")
    soffice_path.cache_clear()
    yield
    soffice_path.cache_clear()


@pytest.mark.slow
def test_without_libreoffice_pdfs_get_a_503(store: Path, record: dict, no_libreoffice: None) -> None:
    with TestClient(create_app(web_settings(paths=Paths(link_store=store)), secret=SECRET)) as c:
        docx = c.post("/api/render?doc=registration_form&format=docx", json=record)
        pdf = c.post("/api/render?doc=registration_form&format=pdf", json=record)
        pack = c.post("/api/pack", json=record)
        page = c.post("/?lang=en", data=form_fields(record, action="document", doc="registration_form",
                                                     format="pdf", doc_lang="en"))
    assert docx.status_code == 200
    for r in (pdf, pack):
        assert r.status_code == 503 and has_security_headers(r)
        assert r.json()["errors"][0]["message"] == (
            "PDF documents cannot be made on this site right now; try again later, or ask for DOCX")
    assert page.status_code == 503 and has_security_headers(page)
    assert "PDF documents cannot be made on this site right now." in page.text


# ----------------------------------------------------------------------------- slow bodies


def _raw_request(port: int, head: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(head.encode("latin-1"))
    return sock


def _answer_while_trickling(sock: socket.socket, every: float, give_up: float) -> tuple[bytes, float]:
    """Send one byte of the body every ``every`` seconds until the server answers; then
    read the answer to the end (the server closes). Returns the answer and when it began,
    in seconds since the call."""
    start = time.monotonic()
    answer = b""
    while True:
        assert time.monotonic() - start < give_up, "no answer: the body never timed out"
        readable, _, _ = select.select([sock], [], [], every)
        if readable:
            break
        try:
            sock.sendall(b"x")
        except OSError:  # the server closed while we sent: read what it said
            break
    began = time.monotonic() - start
    sock.settimeout(10)
    try:
        while chunk := sock.recv(65536):  # ends when the server closes the connection
            answer += chunk
    except ConnectionResetError:  # a byte of ours reached the closed socket: it is closed
        pass
    return answer, began


@pytest.mark.slow
def test_slow_bodies_time_out_and_stall_nobody(store: Path) -> None:
    """Ten connections declaring 100,000 bytes and sending one byte every 0.5 s (the report:
    still open after 40 s) are each answered 408 once the body's time is up, and closed;
    meanwhile the site answers others at once."""
    app = create_app(web_settings(paths=Paths(link_store=store)), secret=SECRET, converter=object(),
                     body_timeout=3.0)
    head = ("POST /api/render?doc=registration_form HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
    with Live(app) as live:
        socks = [_raw_request(live.port, head) for _ in range(10)]
        with ThreadPoolExecutor(10) as pool:
            answers = [pool.submit(_answer_while_trickling, s, 0.5, 20) for s in socks]
            with httpx.Client(base_url=live.url, timeout=5) as web:
                while not all(a.done() for a in answers):
                    began = time.monotonic()
                    assert web.get("/").status_code == 200
                    assert time.monotonic() - began < 3, "a slow body stalled the others"
            results = [a.result() for a in answers]
        for sock in socks:
            sock.close()
    for answer, began in results:
        status, _, rest = answer.partition(b"\r\n")
        assert status == b"HTTP/1.1 408 Request Timeout", answer[:200]
        assert 2.5 < began < 10
        headers, _, body = rest.partition(b"\r\n\r\n")
        assert b"connection: close" in headers.lower()
        assert json.loads(body) == {"errors": [{
            "field": "", "code": "api.too-slow",
            "message": "the request body did not arrive within 3 seconds; it was not read"}]}


@pytest.mark.slow
def test_a_form_whose_body_never_comes_gets_a_page_saying_so(store: Path) -> None:
    app = create_app(web_settings(paths=Paths(link_store=store)), secret=SECRET, converter=object(),
                     body_timeout=1.0)
    with Live(app) as live:
        for lang, words in (("en", "What you sent did not arrive within 1 seconds, so it was not read."),
                            ("zh", "您发送的内容未能在1秒内送达，因此未被读取。")):
            sock = _raw_request(live.port, f"POST /?lang={lang} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                "Content-Type: application/x-www-form-urlencoded\r\n"
                                "Content-Length: 50\r\n\r\naction=ch")
            answer, began = _answer_while_trickling(sock, 5.0, 10)  # nothing more is sent
            sock.close()
            assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
            assert words in answer.decode("utf-8")
            assert b"x-frame-options: DENY" in answer


def test_a_body_nobody_reads_does_not_hold_the_connection(store: Path) -> None:
    """An answer given before the body was read (a 404, a 403, an early 413) closes the
    connection instead of waiting for the rest."""
    app = create_app(web_settings(paths=Paths(link_store=store)), secret=SECRET, converter=object())
    with Live(app) as live:
        for path, status in (("/nowhere", b"404"), ("/api/render", b"413")):
            length = 100_000 if status == b"404" else 10**9
            sock = _raw_request(live.port, f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                f"Content-Length: {length}\r\n\r\nab")
            answer, _ = _answer_while_trickling(sock, 0.5, 10)
            sock.close()
            assert answer.split(b" ", 2)[1] == status, answer[:200]


def test_bodies_have_thirty_seconds_by_default(client: TestClient) -> None:
    from formgen.web.security import GuardMiddleware

    [guard] = [m for m in client.app.user_middleware if m.cls is GuardMiddleware]  # type: ignore[attr-defined]
    assert guard.kwargs["body_timeout"] == 30.0
