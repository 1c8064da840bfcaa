"""``formgen pack``: one ZIP per applicant, real LibreOffice, real PDFs.

Conversions are slow, so a few applicants are packed once per module and the tests read
that output; the tests that must run ``formgen pack`` again work on copies.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import (
    CMES_RECORD,
    EXAMPLE_FILE,
    MANIFEST_FILE,
    TODAY,
    cli,
    docx_text,
    with_id,
    write_yaml,
)

from formgen.forms.naming import pack_filename
from formgen.load import load_files
from formgen.model.applicant import Applicant
from formgen.paths import safe_filename

CSEE_ID, CMES_ID = "CSEE-2026-0007", "CMES-2026-0103"
CSEE_ZIP, CMES_ZIP = f"{CSEE_ID}-李晓明.zip", f"{CMES_ID}-孙伟.zip"
CSEE_DOCS = {
    "zh": ["报名表-李晓明", "CPD纪录-李晓明", "交叉对照表格-李晓明", "费用通知-李晓明"],
    "en": ["Registration-Form-LI Xiaoming", "CPD-Record-LI Xiaoming", "Cross-Reference-LI Xiaoming",
           "Fee-Notice-LI Xiaoming"],
}
CMES_DOCS = {
    "zh": ["CPD纪录-孙伟", "交叉对照表格-孙伟", "工作经历报告-孙伟", "CMES会员申请批注表-孙伟", "费用通知-孙伟",
           "申请材料清单-孙伟"],
    "en": ["CPD-Record-SUN Wei", "Cross-Reference-SUN Wei", "Career-History-Report-SUN Wei",
           "CMES-Endorsement-Form-SUN Wei", "Fee-Notice-SUN Wei", "Submission-Checklist-SUN Wei"],
}
FORMULA_IDS = ["=HYPERLINK(\"http://x\")", "+86-1", "-5", "@SUM(A1)"]



def example() -> dict[str, Any]:
    return yaml.safe_load(EXAMPLE_FILE.read_text(encoding="utf-8"))


def failing_records() -> list[dict[str, Any]]:
    """Records that fail validation, so they cost no conversion."""
    records = [with_id(example(), i, email="not-an-email") for i in FORMULA_IDS]
    no_id = example()
    del no_id["id"]
    records.append(no_id)
    records.append(with_id(example(), "../..", unit="中国电力建设集团有限公司"))
    return records


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two applicants packed (csee-iet IEng, cmes-soe IEng), six records that fail."""
    folder = tmp_path_factory.mktemp("batch")
    data = write_yaml(folder / "applicants.yaml", [example(), *failing_records(), dict(CMES_RECORD)])
    out = folder / "out"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FORMGEN_TODAY", TODAY)
        result = cli("pack", data, "--out", out, "--workers", "2")
    return {"data": data, "out": out, "result": result}


def read_zip(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        return {info.filename: z.read(info) for info in z.infolist()}


def pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def pdf_fonts(data: bytes, tmp: Path) -> list[list[str]]:
    path = tmp / "f.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout
    return [line.split() for line in out.splitlines()[2:]]


def errors_csv(out: Path) -> list[list[str]]:
    raw = (out / "errors.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads the Chinese
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


# ----------------------------------------------------------------------------- one batch


@pytest.mark.needs_office
def test_batch_result(batch: dict[str, Any]) -> None:
    result, data = batch["result"], batch["data"]
    assert result.exit_code == 1, result.output  # some records failed
    assert "Traceback" not in result.output
    assert result.stderr.splitlines()[-1] == (
        f"8 record(s) in: 2 pack(s) written, 0 already up to date, 6 failed (see {batch['out'] / 'errors.csv'})"
    )
    assert f"{data}, record 2 (=HYPERLINK(\"http://x\")), email: error: 'not-an-email' is not an email address" in result.stderr


@pytest.mark.needs_office
def test_one_zip_per_applicant(batch: dict[str, Any]) -> None:
    out = batch["out"]
    assert sorted(p.name for p in out.iterdir()) == sorted([CSEE_ZIP, CMES_ZIP, "errors.csv"])


@pytest.mark.parametrize(("zip_name", "docs"), [(CSEE_ZIP, CSEE_DOCS), (CMES_ZIP, CMES_DOCS)])
@pytest.mark.needs_office
def test_zip_holds_docx_and_pdf_of_each_needed_document(batch: dict[str, Any], zip_name: str, docs: dict) -> None:
    files = read_zip(batch["out"] / zip_name)
    expected = {"pack.json"} | {
        f"{lang}/{name}.{ext}" for lang, names in docs.items() for name in names for ext in ("docx", "pdf")
    }
    assert set(files) == expected
    for name, data in files.items():
        if name.endswith(".pdf"):
            assert data.startswith(b"%PDF-")


@pytest.mark.parametrize("zip_name", [CSEE_ZIP, CMES_ZIP])
@pytest.mark.needs_office
def test_pack_json_lists_every_file_with_its_sha256(batch: dict[str, Any], zip_name: str) -> None:
    files = read_zip(batch["out"] / zip_name)
    meta = json.loads(files.pop("pack.json").decode("utf-8"))
    listed = {entry["path"]: entry for entry in meta["files"]}
    assert set(listed) == set(files)
    for path, data in files.items():
        assert listed[path]["sha256"] == hashlib.sha256(data).hexdigest()
        assert listed[path]["bytes"] == len(data)
    assert meta["id"] in (CSEE_ID, CMES_ID)
    assert meta["pack"] == "application"
    assert len(meta["fingerprint"]) == 64


@pytest.mark.needs_office
def test_pack_json_names_the_applicant(batch: dict[str, Any]) -> None:
    meta = json.loads(read_zip(batch["out"] / CSEE_ZIP)["pack.json"])
    assert meta["name"] == {"zh": "李晓明", "en": "LI Xiaoming"}
    assert (meta["programme"], meta["grade"]) == ("csee-iet", "IEng")


@pytest.mark.parametrize(("zip_name", "docs"), [(CSEE_ZIP, CSEE_DOCS), (CMES_ZIP, CMES_DOCS)])
@pytest.mark.needs_office
def test_zip_names_are_utf8_flagged_and_safe(
    batch: dict[str, Any], zip_name: str, docs: dict[str, list[str]]
) -> None:
    with zipfile.ZipFile(batch["out"] / zip_name) as z:
        infos = z.infolist()
    chinese = [i for i in infos if not i.filename.isascii()]
    assert len(chinese) == 2 * len(docs["zh"])  # DOCX and PDF of each Chinese document
    for info in chinese:
        assert info.flag_bits & 0x800, info.filename
    for info in infos:
        assert not info.filename.startswith("/")
        assert ".." not in info.filename.split("/")
        assert "\\" not in info.filename
        assert info.filename == "pack.json" or info.filename.split("/")[0] in ("zh", "en")


@pytest.mark.needs_office
def test_docx_in_the_pack_holds_the_applicant(batch: dict[str, Any]) -> None:
    files = read_zip(batch["out"] / CSEE_ZIP)
    zh = docx_text(files["zh/报名表-李晓明.docx"])
    assert "李晓明" in zh and "三峡大学" in zh and "li.xiaoming@example.com" in zh
    en = docx_text(files["en/Registration-Form-LI Xiaoming.docx"])
    assert "LI Xiaoming" in en and "China Three Gorges University" in en
    cmes = read_zip(batch["out"] / CMES_ZIP)
    assert "M-2023-20015" in docx_text(cmes["zh/CMES会员申请批注表-孙伟.docx"])


@pytest.mark.parametrize(
    ("zip_name", "pdf", "words"),
    [
        (CSEE_ZIP, "zh/报名表-李晓明.pdf", ["李晓明", "中国水利水电第八工程局有限公司"]),
        (CSEE_ZIP, "en/Registration-Form-LI Xiaoming.pdf", ["LI Xiaoming"]),
        (CMES_ZIP, "zh/CMES会员申请批注表-孙伟.pdf", ["孙伟", "M-2023-20015"]),
        (CMES_ZIP, "zh/CPD纪录-孙伟.pdf", ["孙伟", "无损检测培训"]),
    ],
)
@pytest.mark.needs_office
def test_pdf_text_and_fonts(batch: dict[str, Any], tmp_path: Path, zip_name: str, pdf: str, words: list[str]) -> None:
    data = read_zip(batch["out"] / zip_name)[pdf]
    text = pdf_text(data)
    for word in words:
        assert word in text.replace(" ", "").replace("\n", "") or word in text, word
    fonts = pdf_fonts(data, tmp_path)
    assert fonts, "the PDF has no fonts"
    names = [f[0] for f in fonts]
    if "/zh/" in f"/{pdf}":
        assert any("NotoSansCJK" in n or "NotoSerifCJK" in n for n in names), names
    for row in fonts:
        emb = row[-5]  # columns: name type [encoding…] emb sub uni object ID
        assert emb == "yes", row


@pytest.mark.needs_office
def test_every_chinese_pdf_uses_noto_cjk(batch: dict[str, Any], tmp_path: Path) -> None:
    for zip_name in (CSEE_ZIP, CMES_ZIP):
        for name, data in read_zip(batch["out"] / zip_name).items():
            if name.endswith(".pdf") and name.startswith("zh/"):
                fonts = pdf_fonts(data, tmp_path)
                cjk = [f for f in fonts if "CJK" in f[0]]
                assert cjk and all(f[0].split("+")[-1].startswith("Noto") for f in cjk), (name, fonts)
                assert all(f[-5] == "yes" for f in fonts), (name, fonts)


@pytest.mark.needs_office
def test_errors_csv(batch: dict[str, Any]) -> None:
    rows = errors_csv(batch["out"])
    assert rows[0] == ["record", "field", "message"]
    data = batch["data"]
    assert rows[1:] == [
        ["'=HYPERLINK(\"http://x\")", "email", "'not-an-email' is not an email address"],
        ["'+86-1", "email", "'not-an-email' is not an email address"],
        ["'-5", "email", "'not-an-email' is not an email address"],
        ["'@SUM(A1)", "email", "'not-an-email' is not an email address"],
        [f"{data} record 6", "id", "is missing"],
        ["../..", "id", "'../..' cannot be used as a folder name"],
    ]


@pytest.mark.needs_office
def test_every_record_is_in_a_pack_or_in_errors_csv(batch: dict[str, Any]) -> None:
    records = load_files([batch["data"]])
    packed = {json.loads(read_zip(p)["pack.json"])["id"] for p in batch["out"].glob("*.zip")}
    failed = {row[0].removeprefix("'") for row in errors_csv(batch["out"])[1:]}
    for raw in records:
        key = raw.record_id or f"{raw.file} {raw.where}"
        assert (key in packed) != (key in failed), key
    assert len(packed) + len(failed) == len(records)


@pytest.mark.needs_office
def test_no_work_files_left(batch: dict[str, Any]) -> None:
    leftovers = [p.name for p in batch["out"].iterdir() if p.name.startswith(".")]
    assert leftovers == []


# ----------------------------------------------------------------------------- reruns


@pytest.mark.needs_office
@pytest.mark.slow
def test_rerun_skips_unchanged_and_remakes_changed(batch: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(batch["out"], out)
    stamps = {p.name: p.stat().st_mtime_ns for p in out.glob("*.zip")}

    again = cli("pack", batch["data"], "--out", out)
    assert again.exit_code == 1  # the failing records fail again
    assert again.stderr.splitlines()[-1] == (
        f"8 record(s) in: 0 pack(s) written, 2 already up to date, 6 failed (see {out / 'errors.csv'})"
    )
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.zip")} == stamps

    changed = yaml.safe_load(batch["data"].read_text(encoding="utf-8"))
    changed = [r for r in changed if r.get("id") in (CSEE_ID, CMES_ID)]
    changed[1]["cmes"]["membership_no"] = "M-2026-77777"
    data = write_yaml(tmp_path / "changed.yaml", changed)
    third = cli("pack", data, "--out", out)
    assert third.exit_code == 0, third.output
    assert third.stderr.splitlines()[-1] == "2 record(s) in: 1 pack(s) written, 1 already up to date, 0 failed"
    assert (out / CSEE_ZIP).stat().st_mtime_ns == stamps[CSEE_ZIP]
    assert (out / CMES_ZIP).stat().st_mtime_ns != stamps[CMES_ZIP]
    files = read_zip(out / CMES_ZIP)
    assert "M-2026-77777" in docx_text(files["zh/CMES会员申请批注表-孙伟.docx"])
    assert "M-2026-77777" in pdf_text(files["zh/CMES会员申请批注表-孙伟.pdf"])
    assert "M-2023-20015" not in pdf_text(files["zh/CMES会员申请批注表-孙伟.pdf"])
    assert errors_csv(out) == [["record", "field", "message"]]


def test_unreadable_pack_has_no_fingerprint(tmp_path: Path) -> None:
    """So a damaged pack never counts as up to date."""
    from formgen.packs.archive import read_fingerprint

    damaged = tmp_path / "x.zip"
    damaged.write_bytes(b"PK\x03\x04 not really a zip")
    assert read_fingerprint(damaged) is None
    no_meta = tmp_path / "y.zip"
    with zipfile.ZipFile(no_meta, "w") as z:
        z.writestr("zh/a.docx", b"x")
    assert read_fingerprint(no_meta) is None


# ----------------------------------------------------------------------------- safe names


@pytest.mark.parametrize(
    ("applicant_id", "name_zh", "expected"),
    [
        ("CSEE-1", "李/晓明", "CSEE-1-李_晓明.zip"),
        ("CSEE-2", "../../李晓明", "CSEE-2-李晓明.zip"),
        ("CSEE-3", "李:晓明", "CSEE-3-李_晓明.zip"),
        ("CON", "李晓明", "CON-李晓明.zip"),
        ("A1", "CON", "A1-_CON.zip"),
        ("A2", "NUL.txt", "A2-_NUL.txt.zip"),
        ("../../etc/passwd", "李..明", "etc_passwd-李.明.zip"),
        ("C:\\Windows\\x", "<李>|?*", "C_Windows_x-李.zip"),
    ],
)
def test_pack_file_names_are_safe(example_record: dict, applicant_id: str, name_zh: str, expected: str) -> None:
    record = with_id(example_record, applicant_id)
    record["name"]["zh"] = name_zh
    name = pack_filename(Applicant.model_validate(record))
    assert name == expected
    assert "/" not in name and "\\" not in name and ".." not in name and ":" not in name
    assert safe_filename(name) == name


def test_id_that_cleans_to_nothing_is_reported(tmp_path: Path, example_record: dict) -> None:
    data = write_yaml(tmp_path / "a.yaml", [with_id(example_record, "/../"), with_id(example_record, ":::")])
    out = tmp_path / "out"
    result = cli("pack", data, "--out", out)
    assert result.exit_code == 1
    assert f"{data}, record 1 (/../), id: error: '/../' cannot be used as a folder name" in result.stderr
    assert f"{data}, record 2 (:::), id: error: ':::' cannot be used as a folder name" in result.stderr
    assert errors_csv(out)[1:] == [
        ["/../", "id", "'/../' cannot be used as a folder name"],
        [":::", "id", "':::' cannot be used as a folder name"],
    ]
    assert sorted(p.name for p in out.iterdir()) == ["errors.csv"]


def test_errors_csv_cells_never_run_as_formulas(tmp_path: Path, example_record: dict) -> None:
    record = with_id(example_record, "=1+1", programme="-cmd|' /C calc'!A0")
    data = write_yaml(tmp_path / "a.yaml", [record, with_id(example_record, "@x", grade="+IEng")])
    out = tmp_path / "out"
    assert cli("pack", data, "--out", out).exit_code == 1
    rows = errors_csv(out)[1:]
    assert rows == [
        ["'=1+1", "programme", "'-cmd|' /C calc'!A0' is not one of: csee-iet, cmes-soe"],
        ["'@x", "grade", "'+IEng' is not one of: CEng, IEng, EngTech"],
    ]
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@"))


def test_output_folder_under_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "plain-file"
    blocker.write_text("not a folder")
    result = cli("pack", EXAMPLE_FILE, "--out", blocker / "packs")
    assert result.exit_code == 1
    assert result.stderr == f"Error: cannot create the output folder {blocker / 'packs'}: Not a directory\n"


def test_output_is_an_existing_file(tmp_path: Path) -> None:
    blocker = tmp_path / "plain-file"
    blocker.write_text("not a folder")
    result = cli("pack", EXAMPLE_FILE, "--out", blocker)
    assert result.exit_code == 2
    assert f"Directory '{blocker}' is a file." in result.stderr


def test_unknown_pack_name(tmp_path: Path) -> None:
    result = cli("pack", EXAMPLE_FILE, "--out", tmp_path / "out", "--pack", "everything")
    assert result.exit_code == 1
    assert result.stderr == "Error: unknown pack 'everything'; the manifest has: application\n"


# ----------------------------------------------------------------------------- interrupted


def _wait_for_zip(out: Path, proc: subprocess.Popen[bytes], limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"formgen pack ended before it could be interrupted: {proc.stderr.read().decode()}")
        if out.is_dir() and any(p.suffix == ".zip" for p in out.iterdir()):
            return
        time.sleep(0.02)
    pytest.fail("no pack was written in time")


def _started(pid: int) -> str | None:
    """Start time of a live (not zombie) process, so a reused pid is never mistaken for it."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] == "Z" else fields[19]


def _office_of(run_pid: int) -> dict[int, str]:
    """LibreOffice processes started by the run ``run_pid`` (their pipe name carries it).

    Called while ``run_pid`` is not yet reaped, so no other process can hold that pid.
    """
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if f"formgen_{run_pid}_".encode() in cmdline:
            started = _started(int(entry.name))
            if started is not None:
                found[int(entry.name)] = started
    return found


def _still_running(processes: dict[int, str], wait: float = 10) -> list[int]:
    """Those of ``processes`` still alive after ``wait`` seconds; they are then ended."""
    deadline = time.monotonic() + wait
    while True:
        alive = [pid for pid, started in processes.items() if _started(pid) == started]
        if not alive or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    for pid in alive:  # do not leave them running, even when the test fails
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return alive


@pytest.mark.needs_office
@pytest.mark.slow
def test_interrupted_batch_leaves_only_complete_zips_and_resumes(tmp_path: Path, example_record: dict) -> None:
    records = []
    for i, (applicant_id, name) in enumerate(
        [("P-1", "张一"), ("P-2", "王二"), ("CON", "../李:四"), ("P-4", "赵/五")], start=1
    ):
        record = with_id(example_record, applicant_id)
        record["name"] = {"zh": name, "en": f"Person {i}"}
        records.append(record)
    data = write_yaml(tmp_path / "four.yaml", records)
    out = tmp_path / "out"
    formgen = Path(sys.executable).with_name("formgen")
    args = [str(formgen), "pack", str(data), "--out", str(out), "--lang", "zh", "--workers", "1"]
    env = {**os.environ, "FORMGEN_TODAY": TODAY}
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for_zip(out, proc)
        os.kill(proc.pid, signal.SIGKILL)
        office = _office_of(proc.pid)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    zips = sorted(p for p in out.iterdir() if ".zip" in p.name)
    complete = [p for p in zips if p.suffix == ".zip"]
    assert 1 <= len(complete) < 4, [p.name for p in zips]
    for path in complete:
        assert not path.name.startswith(".")
        files = read_zip(path)
        meta = json.loads(files["pack.json"])
        assert {e["path"] for e in meta["files"]} == set(files) - {"pack.json"}

    assert office, "the killed run had no LibreOffice running"
    assert _still_running(office) == []  # LibreOffice does not outlive the run
    result = cli("pack", data, "--out", out, "--lang", "zh", "--workers", "1")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[-1] == (
        f"4 record(s) in: {4 - len(complete)} pack(s) written, {len(complete)} already up to date, 0 failed"
    )
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["P-1-张一.zip", "P-2-王二.zip", "CON-李_四.zip", "P-4-赵_五.zip", "errors.csv"]
    )
    for path in out.glob("*.zip"):
        assert path.resolve().parent == out.resolve()
        files = read_zip(path)
        assert all(name.startswith("zh/") for name in files if name != "pack.json")
        assert len(files) == 9  # four documents as DOCX and PDF, and pack.json
    files = read_zip(out / "CON-李_四.zip")
    assert json.loads(files["pack.json"])["name"]["zh"] == "../李:四"
    assert "../李:四" in docx_text(files["zh/报名表-李_四.docx"])
    assert not list(out.glob(".*"))  # the rerun cleared the killed run's work files


# ----------------------------------------------------------------------------- threads


@pytest.mark.slow
def test_documents_rendered_at_the_same_time_are_intact(example_record: dict) -> None:
    """Packs render in parallel threads; each DOCX must still be a sound ZIP of its own data."""
    import datetime as dt
    from concurrent.futures import ThreadPoolExecutor

    from conftest import MANIFEST_FILE

    from formgen.forms.documents import render_applicant
    from formgen.model.manifest import load_manifest

    manifest = load_manifest(MANIFEST_FILE)
    people = []
    for i in range(8):
        record = with_id(example_record, f"T-{i}")
        record["name"] = {"zh": f"测试{i}" * (i + 1), "en": f"Tester {i}" * (i + 1)}
        people.append(Applicant.model_validate(record))

    def render(person: Applicant) -> list[tuple[str, bytes]]:
        out = []
        for _ in range(5):
            for doc in render_applicant(person, manifest, ["zh", "en"], today=dt.date(2026, 11, 23)):
                out.append((person.name.get(doc.lang), doc.docx))
        return out

    with ThreadPoolExecutor(4) as pool:
        results = [item for batch in pool.map(render, people) for item in batch]
    for name, data in results:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            assert z.testzip() is None
        assert name in docx_text(data)


@pytest.mark.needs_office
@pytest.mark.slow
def test_a_pack_that_cannot_be_written_fails_alone_and_counts_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from formgen.main import build_packs

    monkeypatch.setenv("FORMGEN_TODAY", TODAY)
    data = write_yaml(tmp_path / "applicants.yaml", [example(), dict(CMES_RECORD)])
    out = tmp_path / "out"
    (out / CSEE_ZIP).mkdir(parents=True)  # a folder stands where the ZIP would go
    steps: list[int] = []
    totals: list[int] = []
    from formgen.settings import load_settings

    settings = load_settings(MANIFEST_FILE, workers=1)
    result = build_packs(settings, [data], out, progress=steps.append, on_total=totals.append)
    assert result.failed_ids == [CSEE_ID]
    assert [p.record_id for p in result.errors] == [CSEE_ID]
    assert result.errors[0].message.english.startswith(f"cannot write {out.resolve() / CSEE_ZIP}")
    assert list(result.written) == [CMES_ID]
    assert totals == [2] and sum(steps) == 2


def test_a_change_to_a_manifest_of_any_name_remakes_the_packs(tmp_path: Path) -> None:
    from formgen.model.manifest import load_manifest
    from formgen.packs.archive import fingerprint

    root = Path(__file__).resolve().parent.parent
    for folder in ("templates", "data"):
        shutil.copytree(root / folder, tmp_path / folder)
    manifest_file = tmp_path / "programmes.yaml"
    text = (root / "manifest.yaml").read_text(encoding="utf-8")
    manifest_file.write_text(text, encoding="utf-8")
    applicant = Applicant.model_validate(example())
    before = fingerprint(applicant, load_manifest(manifest_file), "application", ["zh", "en"], TODAY)
    manifest_file.write_text(text.replace("amount: 8000", "amount: 8800"), encoding="utf-8")
    os.utime(manifest_file, ns=(time.time_ns() + 10**9,) * 2)
    after = fingerprint(applicant, load_manifest(manifest_file), "application", ["zh", "en"], TODAY)
    assert before != after
