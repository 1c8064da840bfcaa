"""The web app under hostile input: uploads and API bodies are read in a child process
with its own limits, every refusal is a 4xx naming its limit, the app goes on answering
others meanwhile, every answer (a 500 too) carries the security headers, and PDF requests
without LibreOffice get a 503."""

from __future__ import annotations

import json
import multiprocessing
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import WEB_SECRET, Live, example_dict
from test_web import form_fields

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from formgen.web import create_app
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
    app = create_app(secret=SECRET, converter=object(), link_store=store,
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
    app = create_app(secret=SECRET, converter=object(), link_store=store,
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
    app = create_app(secret=SECRET, converter=object(), link_store=store)

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


def test_without_libreoffice_pdfs_get_a_503(store: Path, record: dict, no_libreoffice: None) -> None:
    with TestClient(create_app(secret=SECRET, link_store=store)) as c:
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
