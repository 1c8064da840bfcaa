"""DOCX → PDF with real LibreOffice: text, fonts, faults, threads, safety, clean-up."""

from __future__ import annotations

import contextlib
import copy
import hashlib
import http.client
import http.server
import io
import math
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import zipfile
from pathlib import Path

import pytest
from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches
from PIL import Image

from formgen.exceptions import ConversionError
from formgen.fonts import FONTS_CONF
from formgen.office.converter import Converter, convert_files

RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


# ---------------------------------------------------------------- helpers


def make_docx(path: Path, lines: list[str], east_asia: str | None = None) -> Path:
    """A one-page document; with ``east_asia``, its runs ask for that CJK font."""
    doc = Document()
    for line in lines:
        run = doc.add_paragraph().add_run(line)
        rpr = run._element.get_or_add_rPr()
        if east_asia:
            fonts = OxmlElement("w:rFonts")
            fonts.set(qn("w:ascii"), "Times New Roman")
            fonts.set(qn("w:hAnsi"), "Times New Roman")
            fonts.set(qn("w:eastAsia"), east_asia)
            rpr.insert(0, fonts)
        lang = OxmlElement("w:lang")
        lang.set(qn("w:val"), "en-GB")
        lang.set(qn("w:eastAsia"), "zh-CN")
        rpr.append(lang)
    doc.save(str(path))
    return path


def pdftext(pdf: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True)
    assert out.returncode == 0, out.stderr
    return [line.strip() for line in out.stdout.decode().splitlines() if line.strip()]


def pdffonts(pdf: Path) -> list[tuple[str, bool]]:
    """(font name, embedded) for each font of the PDF."""
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
    fonts = []
    for line in out.stdout.splitlines()[2:]:
        cols = line.split()
        # name type [encoding...] emb sub uni object-id gen: emb is 5th from the end
        fonts.append((cols[0], cols[-5] == "yes"))
    return fonts


def page_image(pdf: Path) -> str:
    png = subprocess.run(
        ["pdftoppm", "-r", "100", "-gray", "-f", "1", "-l", "1", str(pdf)],
        capture_output=True,
        check=True,
    ).stdout
    return hashlib.sha256(png).hexdigest()


def running(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] != "Z"


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if ".part" in p.name or p.name.startswith(".~lock")]


@pytest.fixture(scope="module")
def converter():
    with Converter(workers=2, timeout=30) as conv:
        yield conv


@pytest.fixture(scope="module")
def impatient():
    """One LibreOffice whose limit per document a test sets (from how fast this machine is at the moment)."""
    with Converter(workers=1, timeout=600) as conv:
        yield conv


# ---------------------------------------------------------------- text and fonts

ZH = ["申请人姓名：张三", "中国电机工程学会 国际工程师资质认证", "罕用字：𠀾"]
EN = ["International Professional Engineer Registration", "Applicant: ZHANG San"]


@pytest.mark.needs_office
def test_english_and_chinese_text(converter, tmp_path):
    en = make_docx(tmp_path / "en.docx", EN)
    zh = make_docx(tmp_path / "申请表.docx", ZH, east_asia="SimSun")
    converter.convert(en, tmp_path / "en.pdf")
    converter.convert(zh, tmp_path / "申请表.pdf")
    assert pdftext(tmp_path / "en.pdf") == EN
    assert pdftext(tmp_path / "申请表.pdf") == ZH
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("family", "expected"),
    [
        ("SimSun", "NotoSerifCJK"),
        ("宋体", "NotoSerifCJK"),
        ("NSimSun", "NotoSerifCJK"),
        ("宋体-简", "NotoSerifCJK"),
        ("SimHei", "NotoSansCJK"),
        ("黑体", "NotoSansCJK"),
        ("Microsoft YaHei", "NotoSansCJK"),
        ("微软雅黑", "NotoSansCJK"),
    ],
)
@pytest.mark.needs_office
def test_chinese_fonts_become_noto_and_are_embedded(converter, tmp_path, family, expected):
    docx = make_docx(tmp_path / "f.docx", ZH, east_asia=family)
    converter.convert(docx, tmp_path / "f.pdf")
    fonts = pdffonts(tmp_path / "f.pdf")
    cjk = [name for name, _ in fonts if "CJK" in name]
    assert cjk and all(expected in name for name in cjk), fonts
    assert all(embedded for _, embedded in fonts), fonts
    assert pdftext(tmp_path / "f.pdf") == ZH


@pytest.mark.needs_office
def test_simplified_chinese_glyphs(converter, tmp_path):
    # 骨 and 直 are drawn differently in Chinese (SC) and Japanese; the fonts carry both.
    sample = ["骨直化"]
    simsun = make_docx(tmp_path / "simsun.docx", sample, east_asia="SimSun")
    noto_sc = make_docx(tmp_path / "sc.docx", sample, east_asia="Noto Serif CJK SC")
    japanese = make_docx(tmp_path / "ja.docx", sample, east_asia="Noto Serif CJK JP")
    data = japanese.read_bytes()
    with zipfile.ZipFile(japanese) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["word/document.xml"] = parts["word/document.xml"].replace(
        b'w:eastAsia="zh-CN"', b'w:eastAsia="ja-JP"'
    )
    with zipfile.ZipFile(japanese, "w") as z:
        for name, content in parts.items():
            z.writestr(name, content)
    assert japanese.read_bytes() != data
    jobs = [(p, p.with_suffix(".pdf")) for p in (simsun, noto_sc, japanese)]
    assert all(e is None for e in converter.convert_many(jobs).values())
    a, b, c = (page_image(pdf) for _, pdf in jobs)
    assert a == b
    assert a != c


# ---------------------------------------------------------------- bad input


@pytest.mark.needs_office
def test_corrupt_docx_gives_error_and_the_next_file_converts(converter, tmp_path):
    good = make_docx(tmp_path / "good.docx", EN)
    not_zip = tmp_path / "not_zip.docx"
    not_zip.write_bytes(b"this is not a Word file" * 50)
    truncated = tmp_path / "truncated.docx"
    truncated.write_bytes(good.read_bytes()[:2000])
    broken_xml = tmp_path / "broken_xml.docx"  # a valid package LibreOffice cannot read
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(broken_xml, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            dst.writestr(item, b"<w:document><<<" if item.filename == "word/document.xml" else data)
    for bad in (not_zip, truncated, broken_xml):
        with pytest.raises(ConversionError, match=f"could not convert .*{bad.name} to PDF"):
            converter.convert(bad, tmp_path / f"{bad.stem}.pdf")
        assert not (tmp_path / f"{bad.stem}.pdf").exists()
    converter.convert(good, tmp_path / "good.pdf")
    assert pdftext(tmp_path / "good.pdf") == EN
    assert leftovers(tmp_path) == []


def test_missing_input_and_missing_folder(converter, tmp_path):
    with pytest.raises(ConversionError, match="does not exist"):
        converter.convert(tmp_path / "nope.docx", tmp_path / "nope.pdf")
    good = make_docx(tmp_path / "good.docx", EN)
    with pytest.raises(ConversionError, match="does not exist"):
        converter.convert(good, tmp_path / "no" / "such" / "dir.pdf")


@pytest.mark.needs_office
def test_batch_reports_each_file(converter, tmp_path):
    jobs = [
        (make_docx(tmp_path / f"d{i}.docx", [f"Document {i}"]), tmp_path / f"d{i}.pdf")
        for i in range(4)
    ]
    bad = tmp_path / "bad.docx"
    bad.write_bytes(b"garbage")
    jobs.insert(2, (bad, tmp_path / "bad.pdf"))
    seen = []
    results = converter.convert_many(jobs, on_done=lambda d, e: seen.append((d, e)))
    assert list(results) == [d for d, _ in jobs]
    assert isinstance(results[bad], ConversionError) and "bad.docx" in str(results[bad])
    assert all(results[d] is None for d, _ in jobs if d != bad)
    assert sorted(str(d) for d, _ in seen) == sorted(str(d) for d, _ in jobs)
    for i in range(4):
        assert pdftext(tmp_path / f"d{i}.pdf") == [f"Document {i}"]


# ---------------------------------------------------------------- faults


@pytest.mark.needs_office
@pytest.mark.slow
def test_killed_libreoffice_mid_batch_is_restarted(converter, tmp_path):
    jobs = [
        (make_docx(tmp_path / f"k{i}.docx", [f"Page {i}", "第二行"]), tmp_path / f"k{i}.pdf")
        for i in range(10)
    ]
    killed: list[int] = []

    def on_done(docx, error):
        if len(killed) == 0 and docx.name in ("k2.docx", "k3.docx"):
            for pid in converter.pids():  # every LibreOffice of the pool, some mid-document
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

    results = converter.convert_many(jobs, on_done=on_done)
    assert killed
    assert set(converter.pids()).isdisjoint(killed)
    assert all(e is None for e in results.values()), results
    for i in range(10):
        assert pdftext(tmp_path / f"k{i}.pdf") == [f"Page {i}", "第二行"]
    assert leftovers(tmp_path) == []


@pytest.mark.needs_office
@pytest.mark.slow
def test_hung_libreoffice_is_killed_and_the_document_retried(impatient, tmp_path):
    first = make_docx(tmp_path / "first.docx", ["first"])
    second = make_docx(tmp_path / "second.docx", ["second"])
    started = time.monotonic()
    impatient.convert(first, tmp_path / "first.pdf")
    # a few times what a document takes as the first of a new LibreOffice, as the retry
    # will be: seconds on a quiet machine, more on a busy one
    impatient.timeout = max(2, math.ceil(4 * (time.monotonic() - started)))
    (hung,) = impatient.pids()
    os.kill(hung, signal.SIGSTOP)  # LibreOffice stops answering
    impatient.convert(second, tmp_path / "second.pdf")
    assert hung not in impatient.pids()
    assert not running(hung)  # killed, not left stopped
    assert pdftext(tmp_path / "second.pdf") == ["second"]
    assert leftovers(tmp_path) == []


@pytest.mark.needs_office
@pytest.mark.slow
def test_document_too_slow_twice_gives_error_and_batch_goes_on(tmp_path):
    slow = tmp_path / "slow.docx"
    doc = Document()
    table = doc.add_table(rows=1, cols=6)
    for cell in table.rows[0].cells:
        cell.text = "工程师 engineer"
    for _ in range(3000):
        table._tbl.append(copy.deepcopy(table.rows[0]._tr))
    doc.save(str(slow))
    quick = make_docx(tmp_path / "quick.docx", ["quick"])
    # The limit is set from this machine's speed at the moment: a few times what a quick
    # document takes as the first of a new LibreOffice (the quick one after the slow one
    # was given up meets a new LibreOffice too); a 3000-row table takes LibreOffice some
    # thirty times as long (seconds on a quiet machine, minutes on a busy one).
    with Converter(workers=1, timeout=600) as hasty:
        started = time.monotonic()
        hasty.convert(quick, tmp_path / "warm.pdf")
        limit = max(2, math.ceil(4 * (time.monotonic() - started)))
        hasty.timeout = limit
        results = hasty.convert_many([(slow, tmp_path / "slow.pdf"), (quick, tmp_path / "q.pdf")])
    (tmp_path / "warm.pdf").unlink()
    error = results[slow]
    assert isinstance(error, ConversionError)
    assert "could not convert" in str(error) and "slow.docx" in str(error)
    assert f"did not answer within {limit} s" in str(error)
    assert results[quick] is None and pdftext(tmp_path / "q.pdf") == ["quick"]
    assert not (tmp_path / "slow.pdf").exists()
    assert leftovers(tmp_path) == []


# ---------------------------------------------------------------- threads


@pytest.mark.needs_office
def test_concurrent_conversions_from_many_threads(converter, tmp_path):
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for k in range(2):
                docx = make_docx(tmp_path / f"t{n}_{k}.docx", [f"Thread {n} doc {k}", "并发"])
                converter.convert(docx, tmp_path / f"t{n}_{k}.pdf")
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    for n in range(6):
        for k in range(2):
            assert pdftext(tmp_path / f"t{n}_{k}.pdf") == [f"Thread {n} doc {k}", "并发"]
    assert len(converter.pids()) <= 2


# ---------------------------------------------------------------- safety


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Answers every GET with a small picture and keeps its path in ``hits``."""

    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        _Recorder.hits.append(self.path)
        png = io.BytesIO()
        Image.new("RGB", (8, 8), "red").save(png, "PNG")
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(png.getvalue())

    do_HEAD = do_GET

    def log_message(self, *args: object) -> None:
        pass


def _external_image_docx(path: Path, url: str) -> Path:
    """A DOCX whose picture is not embedded but linked (TargetMode="External")."""
    png = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(png, "PNG")
    doc = Document()
    doc.add_paragraph("External image")
    doc.add_picture(png, width=Inches(1))
    blip = doc.element.body.xpath(".//a:blip")[0]
    embedded = blip.get(f"{{{RELS}}}embed")
    reltype = doc.part.rels[embedded].reltype
    doc.part.drop_rel(embedded)
    del blip.attrib[f"{{{RELS}}}embed"]
    blip.set(f"{{{RELS}}}link", doc.part.relate_to(url, reltype, is_external=True))
    doc.save(str(path))
    return path


@pytest.mark.parametrize("isolate_network", [False, True], ids=["settings", "netns"])
@pytest.mark.needs_office
def test_no_network_request_for_linked_images(tmp_path, isolate_network):
    # One request at a time, in the server's thread: once shutdown() returns, every
    # request the server took has been answered and recorded.
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    _Recorder.hits = []
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/x.png"
        probe = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=30)
        probe.request("GET", "/x.png?probe")  # the log sees a request that is made
        assert probe.getresponse().status == 200
        probe.close()
        assert _Recorder.hits == ["/x.png?probe"]
        _Recorder.hits = []
        docx = _external_image_docx(tmp_path / "linked.docx", url)
        with zipfile.ZipFile(docx) as z:  # the link really is there
            assert url.encode() in z.read("word/_rels/document.xml.rels")
        local_png = tmp_path / "local.png"  # and a link to a file on this machine
        Image.new("RGB", (40, 40), "green").save(local_png)
        local = _external_image_docx(tmp_path / "local.docx", local_png.as_uri())
        # Isolation off checks the LibreOffice settings alone; on is the default.
        with Converter(workers=1, timeout=30, isolate_network=isolate_network) as conv:
            conv.convert(docx, tmp_path / "linked.pdf")
            conv.convert(local, tmp_path / "local.pdf")
        # The converter is closed: its LibreOffice has exited and can ask for nothing more.
    finally:
        server.shutdown()
        thread.join(30)
    try:
        # A connection LibreOffice opened that the server had not taken yet is still waiting.
        server.socket.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            waiting, _ = server.socket.accept()
            waiting.close()
            _Recorder.hits.append("(a connection not yet answered)")
    finally:
        server.server_close()
    assert _Recorder.hits == []
    assert pdftext(tmp_path / "linked.pdf") == ["External image"]
    for pdf in ("linked.pdf", "local.pdf"):  # no picture was fetched or read
        images = subprocess.run(["pdfimages", "-list", str(tmp_path / pdf)], capture_output=True)
        assert len(images.stdout.decode().splitlines()) == 2, images.stdout


def _macro_odt(path: Path, marker: Path) -> Path:
    """An ODF text document whose Basic macro runs on load and writes ``marker``."""
    ns = (
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:script="urn:oasis:names:tc:opendocument:xmlns:script:1.0" '
        'xmlns:xlink="http://www.w3.org/1999/xlink" '
        'xmlns:dom="http://www.w3.org/2001/xml-events" '
        'xmlns:ooo="http://openoffice.org/2004/office"'
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} '
        'office:version="1.3"><office:scripts><office:event-listeners>'
        '<script:event-listener script:language="ooo:script" script:event-name="dom:load" '
        'xlink:type="simple" xlink:href="vnd.sun.star.script:Standard.Module1.Main'
        '?language=Basic&amp;location=document"/></office:event-listeners></office:scripts>'
        "<office:body><office:text><text:p>Macro inside</text:p></office:text></office:body>"
        "</office:document-content>"
    )
    entries = [
        "content.xml",
        "Basic/script-lc.xml",
        "Basic/Standard/script-lb.xml",
        "Basic/Standard/Module1.xml",
    ]
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
        '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
        '<manifest:file-entry manifest:full-path="/" manifest:version="1.3" '
        'manifest:media-type="application/vnd.oasis.opendocument.text"/>'
        + "".join(
            f'<manifest:file-entry manifest:full-path="{e}" manifest:media-type="text/xml"/>'
            for e in entries
        )
        + "</manifest:manifest>"
    )
    library = 'xmlns:library="http://openoffice.org/2000/library"'
    module = textwrap.dedent(f"""\
        Sub Main
          Open &quot;{marker}&quot; For Output As #1
          Print #1, &quot;macro ran&quot;
          Close #1
        End Sub
        """)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        z.writestr("META-INF/manifest.xml", manifest)
        z.writestr("content.xml", content)
        z.writestr(
            "Basic/script-lc.xml",
            f'<?xml version="1.0" encoding="UTF-8"?>'
            f'<library:libraries {library} xmlns:xlink="http://www.w3.org/1999/xlink">'
            '<library:library library:name="Standard" library:link="false"/>'
            "</library:libraries>",
        )
        z.writestr(
            "Basic/Standard/script-lb.xml",
            f'<?xml version="1.0" encoding="UTF-8"?>'
            f'<library:library {library} library:name="Standard" library:readonly="false"'
            ' library:passwordprotected="false"><library:element library:name="Module1"/>'
            "</library:library>",
        )
        z.writestr(
            "Basic/Standard/Module1.xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<script:module xmlns:script="http://openoffice.org/2000/script" '
            'script:name="Module1" script:language="StarBasic" '
            f'script:moduleType="normal">{module}</script:module>',
        )
    return path


@pytest.mark.needs_office
def test_macros_do_not_run(tmp_path):
    marker = tmp_path / "macro-ran.txt"
    odt = _macro_odt(tmp_path / "macro.odt", marker)
    with Converter(workers=1) as own:
        own.convert(odt, tmp_path / "macro.pdf")
    # The converter is closed: its LibreOffice has exited, so a macro that had not
    # written the file by now never will.
    assert pdftext(tmp_path / "macro.pdf") == ["Macro inside"]
    assert not marker.exists()


@pytest.mark.needs_office
def test_environment_is_private(converter, tmp_path):
    converter.convert(make_docx(tmp_path / "a.docx", ["a"]), tmp_path / "a.pdf")
    pid = converter.pids()[0]
    environ = dict(
        item.split("=", 1)
        for item in Path(f"/proc/{pid}/environ").read_text().split("\0")
        if "=" in item
    )
    home = Path(environ["HOME"])
    assert home != Path.home() and home.name == "home" and home.parent.name.startswith("formgen-")
    assert environ["FONTCONFIG_FILE"] == str(FONTS_CONF)
    cmdline = Path(f"/proc/{pid}/cmdline").read_text().split("\0")
    assert any(a.startswith("-env:UserInstallation=file://" + str(home.parent)) for a in cmdline)
    assert leftovers(tmp_path) == []


# ---------------------------------------------------------------- clean-up


@pytest.mark.needs_office
@pytest.mark.slow
def test_close_stops_processes_and_removes_profiles(tmp_path):
    docx = make_docx(tmp_path / "a.docx", ["a"])
    results = convert_files([(docx, tmp_path / "a.pdf")], workers=1)
    assert results == {docx: None}
    conv = Converter(workers=1, recycle_after=2)
    conv.convert(docx, tmp_path / "b.pdf")
    first = conv.pids()
    conv.convert(docx, tmp_path / "b.pdf")
    assert conv.pids() == first
    conv.convert(docx, tmp_path / "b.pdf")  # the third document gets a fresh process
    pids = conv.pids()
    assert pids and pids != first and not any(running(p) for p in first)
    roots = [s.process.root for s in conv._slots if s.process]
    assert pids and roots and all(r.is_dir() for r in roots)
    conv.close()
    assert not any(running(p) for p in pids)
    assert not any(r.exists() for r in roots)
    with pytest.raises(ConversionError, match="closed"):
        conv.convert(docx, tmp_path / "c.pdf")


_SCRIPT = """
import sys, time
from pathlib import Path
from docx import Document
from formgen.office.converter import Converter
folder = Path(sys.argv[1])
doc = Document(); doc.add_paragraph("x"); doc.save(str(folder / "x.docx"))
conv = Converter(workers=1)
conv.convert(folder / "x.docx", folder / "x.pdf")
print(*conv.pids(), flush=True)
time.sleep(60)
"""


@pytest.mark.needs_office
@pytest.mark.slow
def test_no_libreoffice_left_when_the_program_is_interrupted(tmp_path):
    """Ctrl-C, SIGTERM and SIGKILL of a program using a converter (run side by side)."""
    signals = {"ctrl-c": signal.SIGINT, "sigterm": signal.SIGTERM, "sigkill": signal.SIGKILL}
    procs = {}
    for name in signals:
        (tmp_path / name).mkdir()
        procs[name] = subprocess.Popen(
            [sys.executable, "-c", _SCRIPT, str(tmp_path / name)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    try:
        pids = {}
        for name, proc in procs.items():
            assert proc.stdout is not None and proc.stderr is not None
            pids[name] = [int(p) for p in proc.stdout.readline().split()]
            assert pids[name], proc.stderr.read()
        for name, proc in procs.items():
            proc.send_signal(signals[name])
        for proc in procs.values():  # waits for the exits: long bounds for a busy machine
            proc.wait(120)
        deadline = time.monotonic() + 60
        left = dict(pids)
        while left and time.monotonic() < deadline:
            left = {n: p for n, p in left.items() if any(running(pid) for pid in p)}
            time.sleep(0.1)
        assert left == {}
    finally:
        for proc in procs.values():
            proc.kill()
            proc.wait()


@pytest.mark.needs_office
@pytest.mark.slow
def test_a_libreoffice_that_does_not_start_in_time_is_started_once_more(tmp_path, monkeypatch):
    """On a fresh or busy machine the first start can pass its time limit: the document is
    not refused for it, a second LibreOffice is started."""
    from formgen.office.process import soffice_path

    real = soffice_path()
    first_start = tmp_path / "first-start"
    wrapper = tmp_path / "soffice"
    wrapper.write_text(textwrap.dedent(f"""\
        #!/bin/sh
        if [ ! -e {first_start} ]; then touch {first_start}; exec sleep 120; fi
        exec {real} "$@"
        """), encoding="utf-8")
    wrapper.chmod(0o755)
    monkeypatch.setenv("FORMGEN_SOFFICE", str(wrapper))
    soffice_path.cache_clear()
    try:
        docx = make_docx(tmp_path / "a.docx", ["started"])
        with Converter(workers=1, startup_timeout=10) as conv:
            conv.convert(docx, tmp_path / "a.pdf")
    finally:
        soffice_path.cache_clear()
    assert first_start.exists()  # the first start was made, and did not answer
    assert pdftext(tmp_path / "a.pdf") == ["started"]
