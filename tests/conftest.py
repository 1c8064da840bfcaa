"""Shared fixtures: sample records, writers for YAML/JSON/CSV/XLSX data files, DOCX text.

Markers (declared in pyproject.toml): ``needs_office`` tests convert with LibreOffice and
read the PDFs back with poppler-utils, ``browser`` tests drive headless Chromium through
Playwright (``FORMGEN_CHROMIUM`` names another Chromium than Debian's), ``slow`` tests take
more than 2 s each; ``make test-fast`` leaves all three out. A test whose tools are missing
is skipped, saying what to install.
"""

from __future__ import annotations

import copy
import csv
import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from postgres_server import PostgresServer, postgres_missing

from formgen.load import ReadWhole, Source, records_to_rows
from formgen.load.streams import Group

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_FILE = ROOT / "data" / "applicant-example.yaml"
SAMPLES_FILE = ROOT / "data" / "applicants.yaml"
SAMPLES_XLSX = ROOT / "data" / "applicants.xlsx"
MANIFEST_FILE = ROOT / "manifest.yaml"
TEST_DATA = Path(__file__).resolve().parent / "data"
TODAY = "2026-11-23"
CHROMIUM = Path(os.environ.get("FORMGEN_CHROMIUM") or "/usr/bin/chromium")
POPPLER = ("pdftotext", "pdffonts", "pdftoppm")

CMES_RECORD: dict[str, Any] = {
    "id": "CMES-2026-0103",
    "programme": "cmes-soe",
    "grade": "IEng",
    "name": {"zh": "孙伟", "en": "SUN Wei"},
    "gender": "male",
    "job_title": {"zh": "设备检验工程师", "en": "Equipment Inspection Engineer"},
    "expertise": {"zh": "起重设备检验", "en": "Lifting equipment inspection"},
    "mobile": "+86 139 5100 7788",
    "email": "sun.wei@example.com",
    "company": {"zh": "江苏省特种设备安全监督检验研究院", "en": "Jiangsu Special Equipment Inspection Institute"},
    "company_address": {"zh": "江苏省南京市鼓楼区", "en": "Gulou District, Nanjing, Jiangsu"},
    "company_phone": "025-8666 0000",
    "english_level": {"zh": "大学英语四级", "en": "CET-4"},
    "english_interview": False,
    "education": [
        {
            "start": "2011-09",
            "end": "2014-07",
            "qualification": {"zh": "大专", "en": "Higher Diploma"},
            "course": {"zh": "机电一体化技术", "en": "Mechatronics"},
            "institution": {"zh": "南京工业职业技术学院", "en": "Nanjing Institute of Industry Technology"},
        }
    ],
    "career": [
        {
            "start": "2014-08",
            "end": None,
            "company": {"zh": "江苏省特种设备安全监督检验研究院", "en": "Jiangsu Special Equipment Inspection Institute"},
            "job_title": {"zh": "检验员", "en": "Inspector"},
            "responsibilities": {"zh": "桥式起重机定期检验", "en": "Periodic inspection of cranes"},
        }
    ],
    "description": {"zh": "参与编写地方标准。", "en": "Contributor to a provincial standard."},
    "cpd": [
        {"date": "2026-02-14", "description": {"zh": "无损检测培训", "en": "NDT training"},
         "organizer": {"zh": "中国特种设备检测研究院", "en": "CSEI"}, "hours": 48, "initials": "QL"},
        {"date": "2025-02-14", "description": {"zh": "测量仪器培训", "en": "Survey instruments"},
         "organizer": {"zh": "中国机械工程学会", "en": "CMES"}, "hours": 48, "initials": "QL"},
        {"date": "2024-02-14", "description": {"zh": "特种设备法规培训", "en": "Regulations training"},
         "organizer": {"zh": "江苏省市场监督管理局", "en": "Jiangsu AMR"}, "hours": 48, "initials": "QL"},
    ],
    "cmes": {"membership_no": "M-2023-20015", "member_grade": "member"},
    "soe": {"membership": "associate_member", "division": "BES"},
}


# ----------------------------------------------------------------------------- markers


def office_missing() -> str | None:
    """Why LibreOffice conversions cannot run here, or None when they can."""
    from formgen.exceptions import ConversionError
    from formgen.office.process import soffice_path, uno_python

    try:
        soffice_path()
        uno_python()
    except ConversionError as e:
        return f"needs LibreOffice: install libreoffice-writer-nogui and python3-uno (scripts/setup-system.sh); {e}"
    missing = [tool for tool in POPPLER if shutil.which(tool) is None]
    if missing:
        return f"needs poppler-utils (scripts/setup-system.sh) to read PDFs back; missing: {', '.join(missing)}"
    from formgen.fonts import require_families

    try:
        require_families()
    except ConversionError as e:
        return f"needs the fonts of formgen/fonts.toml (scripts/setup-system.sh); {e}"
    return None


def browser_missing() -> str | None:
    """Why a headless browser cannot run here, or None when it can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "needs Playwright: install the dev extras (make setup)"
    if not os.access(CHROMIUM, os.X_OK):
        return f"needs Chromium at {CHROMIUM}: install chromium (WITH_BROWSER=1 scripts/setup-system.sh)"
    return None


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for this test process (tests marked ``postgres``)."""
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A new empty PostgreSQL database of its own for one test."""
    postgres_server.wait_ready()
    return postgres_server.new_database()


@pytest.hookimpl(trylast=True)  # after -m has deselected, so unselected tools are never probed
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip ``needs_office`` and ``browser`` tests, with the reason, when their tools are missing."""
    checks = {"needs_office": office_missing, "browser": browser_missing,
              "postgres": postgres_missing}
    reasons: dict[str, str | None] = {}
    for item in items:
        missing = []
        for marker, check in checks.items():
            if item.get_closest_marker(marker) is None:
                continue
            if marker not in reasons:
                reasons[marker] = check()
            reason = reasons[marker]
            if reason:
                missing.append(reason)
        if missing:
            item.add_marker(pytest.mark.skip(reason="; ".join(missing)))


@pytest.fixture(autouse=True)
def formgen_today(monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs on the same day, so the date rules give the same answers."""
    monkeypatch.setenv("FORMGEN_TODAY", TODAY)
    return TODAY


@pytest.fixture(autouse=True)
def english_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs in the C.UTF-8 locale (installed everywhere, and English to formgen),
    whatever the machine's, so the command line, errors.csv and errors speak English unless
    a test chooses otherwise; programs started from tests (Chromium) keep UTF-8 file names."""
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


@pytest.fixture
def example_record() -> dict[str, Any]:
    """The contract file (applicant-example.yaml) as a plain dict with text values."""
    return example_dict()


@pytest.fixture
def cmes_record() -> dict[str, Any]:
    """A valid cmes-soe IEng applicant."""
    return copy.deepcopy(CMES_RECORD)


def example_dict() -> dict[str, Any]:
    data = yaml.safe_load(EXAMPLE_FILE.read_text(encoding="utf-8"))
    return _plain(data)


def _plain(value: Any) -> Any:
    """Dates as ISO text, so a record survives JSON and CSV unchanged."""
    import datetime as dt

    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def with_id(record: dict[str, Any], new_id: str, **changes: Any) -> dict[str, Any]:
    """A copy of ``record`` with another id (and any top-level changes)."""
    out = copy.deepcopy(record)
    out["id"] = new_id
    out.update(changes)
    return out


# ----------------------------------------------------------------------------- writers


def write_yaml(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def write_json(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return None
    return str(value)


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    columns: list[str] = []
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    return columns


def write_csv_rows(path: Path, rows: list[dict[str, Any]], encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = _columns(rows)
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if _cell(row.get(c)) is None else _cell(row.get(c)) for c in columns])
    return path


def write_csv(
    path: Path, records: list[dict[str, Any]], style: str = "dotted", encoding: str = "utf-8"
) -> list[Path]:
    """The main CSV plus one file per group: ``<main>.<group>.csv`` (dotted) or ``<group>.csv``."""
    main, groups = records_to_rows(records)
    written = [write_csv_rows(path, main, encoding)]
    for group, rows in groups.items():
        if not rows:
            continue
        name = f"{path.stem}.{group}.csv" if style == "dotted" else f"{group}.csv"
        written.append(write_csv_rows(path.with_name(name), rows, encoding))
    return written


def write_openpyxl(path: Path, records: list[dict[str, Any]], write_only: bool = True) -> Path:
    """The records as a user's script writes them with openpyxl: each value as itself (true
    and false, days, numbers); in ``write_only`` mode texts inline, every character not
    ASCII a reference. (``bench/bench_scale.py`` writes its workbooks so too.)"""
    import openpyxl

    main, groups = records_to_rows(records)
    workbook = openpyxl.Workbook(write_only=write_only)
    if not write_only:
        workbook.remove(workbook.active)
    for title, rows in [("applicants", main), *groups.items()]:
        if rows:
            sheet = workbook.create_sheet(title)
            columns = list(dict.fromkeys(key for row in rows for key in row))
            sheet.append(columns)
            for row in rows:
                sheet.append([row.get(column) for column in columns])
    workbook.save(path)
    return path


def write_xlsx(path: Path, records: list[dict[str, Any]], text_cells: bool = True) -> Path:
    """Sheet ``applicants`` with dotted columns and one sheet per group, as staff keep it."""
    import openpyxl

    main, groups = records_to_rows(records)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "applicants"

    def fill(ws: Any, rows: list[dict[str, Any]]) -> None:
        columns = _columns(rows)
        ws.append(columns)
        for row in rows:
            ws.append([_cell(row.get(c)) for c in columns])
        if text_cells:
            for column in ws.iter_cols():
                for c in column:
                    c.number_format = "@"

    fill(sheet, main)
    for group, rows in groups.items():
        if rows:
            fill(workbook.create_sheet(group), rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


# ----------------------------------------------------------------------------- documents


def paragraph_text(paragraph: Any) -> str:
    """A paragraph's text as a reader sees it (a python-docx Paragraph or its ``w:p``):
    python-docx's ``paragraph.text`` leaves out the text inside content controls, which
    holds every value of a fillable form."""
    from docx.oxml.ns import qn

    p = getattr(paragraph, "_p", paragraph)
    return "".join(r.text for r in p.iter(qn("w:r")))


def cell_text(cell: Any) -> str:
    """A table cell's text, its paragraphs a line each (see ``paragraph_text``)."""
    return "\n".join(paragraph_text(p) for p in cell.paragraphs)


def docx_text(source: Path | bytes) -> str:
    """All text of a DOCX: body paragraphs, table cells (nested too), headers and footers."""
    import io

    import docx

    document = docx.Document(io.BytesIO(source) if isinstance(source, bytes) else str(source))
    parts: list[str] = []

    seen: set[int] = set()
    keep: list[Any] = []  # keeps the lxml proxies alive, so their ids stay unique

    def walk(container: Any) -> None:
        for paragraph in container.paragraphs:
            parts.append(paragraph_text(paragraph))
        for table in container.tables:
            for row in table.rows:
                for cell in row.cells:
                    if id(cell._tc) in seen:  # a merged cell shows up once per grid column
                        continue
                    seen.add(id(cell._tc))
                    keep.append(cell._tc)
                    walk(cell)

    walk(document)
    for section in document.sections:
        for part in (section.header, section.footer):
            if not part.is_linked_to_previous:
                walk(part)
    return "\n".join(parts)


WEB_SECRET = "test-secret-for-links-0123456789"
"""The links' secret of the web app the ``client`` fixture runs."""


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A new store of short links and saved pages."""
    return tmp_path / "store" / "links.sqlite"


def kept_bytes(store: Path) -> bytes:
    """Everything the store's folder holds, as bytes (to look for clear text in it)."""
    return b"".join(p.read_bytes() for p in store.parent.iterdir())


@pytest.fixture
def client(store: Path) -> Iterator[Any]:
    """The web app, without LibreOffice (no PDFs), on ``store``, through its test client."""
    from fastapi.testclient import TestClient

    from formgen.settings import Paths
    from formgen.web import create_app, web_settings

    with TestClient(create_app(web_settings(paths=Paths(link_store=store)), secret=WEB_SECRET,
                               converter=object())) as c:
        yield c


@pytest.fixture(scope="module")
def page_client() -> Iterator[Any]:
    """The web app with its LibreOffice, one for a test module, on ``TODAY``: for pages that
    read uploaded forms."""
    from fastapi.testclient import TestClient

    from formgen.web.app import create_app

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FORMGEN_TODAY", TODAY)
        with TestClient(create_app(secret="a-test-secret-of-some-length")) as c:
            yield c


def upload(client: Any, name: str, data: bytes, lang: str = "zh") -> Any:
    """The page's answer to ``data`` uploaded as the file ``name``."""
    return client.post(f"/upload?lang={lang}", files={"file": (name, data, "application/octet-stream")})


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Any]:
    """Start real SMTP servers in their own processes (``servers(*args)``, the arguments of
    tests/smtp_server.py; see tests/sendkit.py), each stopped after the test."""
    from sendkit import start_server

    started: list[Any] = []

    def start(*args: str) -> Any:
        server = start_server(tmp_path, *args)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def record() -> dict[str, Any]:
    """The contract's example applicant as the web app's JSON takes it."""
    from formgen.links.tokens import json_safe

    return json_safe(example_dict())


def cli(*args: Any, env: dict[str, str] | None = None, stdin: str | None = None) -> Any:
    """formgen's command line run in-process (click's CliRunner), each argument as text."""
    from click.testing import CliRunner

    from formgen.cli import main

    return CliRunner().invoke(main, [str(a) for a in args], env=env, input=stdin)


class Live:
    """The app on a real uvicorn server on 127.0.0.1, in a thread."""

    def __init__(self, app: Any, access_log: bool = False):
        from formgen.web.server import bind, server

        sock = bind("127.0.0.1", 0)
        self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = server(app, "127.0.0.1", self.port, access_log=access_log)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)

    def __enter__(self) -> Live:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


def read_as_validation_reads(source: Source) -> list[Any]:
    """The records of ``source`` as validation reads them: each way of reading it in turn
    (:meth:`Source.passes`, the group sheets the first found out of order for the pass
    that files those alone), until one does not ask for the next (ReadWhole), each group
    of items made its records."""
    out_of_order: frozenset[str] = frozenset()
    for stream, cut, named in source.passes():
        if named and not out_of_order:
            continue
        try:
            out: list[Any] = []
            for item in source.records(stream, cut, out_of_order if named else frozenset()):
                if isinstance(item, Group):
                    read = item.records()
                    if read is None:
                        raise ReadWhole()
                    out.extend(read[0])
                else:
                    out.append(item)
            return out
        except ReadWhole as e:
            if cut:
                out_of_order = e.out_of_order
            continue
    raise AssertionError("no way of reading the file was left")
