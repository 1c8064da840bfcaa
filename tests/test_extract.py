"""``formgen extract`` on forms without tags: the society's own registration form as the
notice lays it out, filled in by hand; hostile files; folders and ZIPs; ``.doc`` files."""

from __future__ import annotations

import copy
import io
import os
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import cli
from notice_form import FILLED, notice_form

UNIT = "中国电力建设集团有限公司"



def extract(tmp_path: Path, *files: Path, settings: tuple[str, ...] = ("grade=IEng", f"unit={UNIT}")) -> tuple[Any, list[dict[str, Any]]]:
    out = tmp_path / "out.yaml"
    args: list[str | Path] = ["extract", *files, "--out", out]
    for setting in settings:
        args += ["--set", setting]
    result = cli(*args)
    records = yaml.safe_load(out.read_text(encoding="utf-8")) if out.exists() else []
    return result, records


def test_notice_form_filled_by_hand_extracts_to_a_valid_record(tmp_path: Path) -> None:
    form = notice_form(tmp_path / "forms" / "报名表-李晓明.docx")
    result, records = extract(tmp_path, form)
    assert result.exit_code == 0, result.output
    assert "1 record(s), 1 valid" in result.output
    [record] = records
    assert record["programme"] == "csee-iet"  # the notice's form is the csee-iet one
    assert record["name"] == {"zh": "李晓明", "en": "LI Xiaoming"}
    assert record["gender"] == "male"  # √男
    assert record["english_interview"] is False  # ■需要翻译
    assert record["mobile"] == "13910002233" and record["company_phone"] == "0731-85561234"
    assert record["education"] == [{
        "start": "2009-09", "end": "2013-07", "qualification": {"zh": "工学学士"},
        "course": {"zh": "电气工程及其自动化"}, "institution": {"zh": "三峡大学"}}]
    assert [(c["start"], c["end"]) for c in record["career"]] == [("2023-04", None), ("2020-01", "2023-03")]
    assert record["career"][0]["job_title"] == {"zh": "机电项目总工程师"}
    assert record["description"] == {"zh": FILLED["description"]}
    assert record["grade"] == "IEng" and record["unit"] == UNIT  # from --set
    report = (tmp_path / "out.report.csv").read_text(encoding="utf-8-sig")
    assert "报名表-李晓明.docx,career[1].end,read," in report
    assert "报名表-李晓明.docx,english_interview,read,False" in report


def test_the_same_form_in_english_wording_and_other_boxes(tmp_path: Path) -> None:
    values = copy.deepcopy(FILLED)
    values.update(name="LI Xiaoming", gender="□ Male  ☑ Female", english_interview="☑ ok ☐ with translation",
                  career=[("Apr 2023 – to date", "Sinohydro Bureau 8", "Chief Engineer", "Unit installation")],
                  education=[("2009年9月 — 2013年7月", "BEng", "Electrical Engineering", "CTGU")])
    form = notice_form(tmp_path / "form.docx", values)
    result, [record] = extract(tmp_path, form)
    assert result.exit_code == 0, result.output
    assert record["name"] == {"en": "LI Xiaoming"}
    assert record["gender"] == "female" and record["english_interview"] is True
    assert record["career"] == [{"start": "2023-04", "end": None, "company": {"en": "Sinohydro Bureau 8"},
                                 "job_title": {"en": "Chief Engineer"},
                                 "responsibilities": {"en": "Unit installation"}}]
    assert record["education"][0]["start"] == "2009-09" and record["education"][0]["end"] == "2013-07"


def test_a_missing_field_is_reported_by_name(tmp_path: Path) -> None:
    values = {k: v for k, v in FILLED.items() if k != "expertise"}
    form = notice_form(tmp_path / "form.docx", values)
    result, [record] = extract(tmp_path, form)
    assert result.exit_code == 1
    assert "form.docx, the form, expertise: warning: not filled in on the form" in result.output
    assert "), expertise: error: is missing" in result.output
    assert "expertise" not in record
    assert "form.docx,expertise,missing," in (tmp_path / "out.report.csv").read_text(encoding="utf-8-sig")


def test_unreadable_and_ambiguous_values_are_reported(tmp_path: Path) -> None:
    values = copy.deepcopy(FILLED)
    values.update(gender="☑男 Male ☑女 Female",
                  education=[("2009年13月-2013.07", "工学学士", "电气工程", "三峡大学")])
    form = notice_form(tmp_path / "form.docx", values)
    result, [record] = extract(tmp_path, form)
    assert result.exit_code == 1
    assert "form.docx, the form, gender: error: the form gives two values: male, female" in result.output
    assert ("form.docx, the form, education[1].start: warning: '2009年13月-2013.07' cannot be read as "
            "this field's value") in result.output
    assert record["education"][0]["start"] == "2009年13月-2013.07"  # kept as written, for staff


def _docx_with(part: str, data: bytes, base: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(buffer, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, data if info.filename == part else src.read(info))
        if part not in src.namelist():
            dst.writestr(part, data)
    return buffer.getvalue()


def test_hostile_files_are_refused_and_the_rest_go_on(tmp_path: Path) -> None:
    good = notice_form(tmp_path / "in" / "good.docx")
    base = good.read_bytes()
    folder = tmp_path / "in"
    (folder / "renamed.docx").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    (folder / "macros.docx").write_bytes(_docx_with("word/vbaProject.bin", b"\x00" * 64, good))
    document = zipfile.ZipFile(good).read("word/document.xml")
    xxe = document.replace(b"?>", b'?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>', 1)
    (folder / "entities.docx").write_bytes(_docx_with("word/document.xml", xxe, good))
    (folder / "corrupt.docx").write_bytes(base[: len(base) // 2])
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"<a/>" + b" " * 60_000_000)
        z.writestr("[Content_Types].xml", b"<Types/>")
    (folder / "bomb.docx").write_bytes(bomb.getvalue())
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    (folder / "encrypted.docx").write_bytes(ole)
    (folder / "~$good.docx").write_bytes(b"lock file")
    result, records = extract(tmp_path, folder)
    out = result.output
    assert result.exit_code == 1
    assert "renamed.docx, the form: error: not read: this is a PDF file, not a Word document, whatever its name says" in out
    assert ("macros.docx, the form: error: not read: the document contains macros; macros are not "
            "accepted: save it as a plain .docx and send it again") in out
    assert "entities.docx, the form: error: not read: the document declares XML entities or a DTD (in word/document.xml)" in out
    assert "corrupt.docx, the form: error: not read: the file is damaged and cannot be read" in out
    assert "bomb.docx, the form: error: not read: the archive unpacks to far more data than it holds" in out
    assert "encrypted.docx, the form: error: not read: the file is damaged and cannot be read" in out
    assert "~$good" not in out
    assert "7 file(s), 6 refused: 1 record(s), 1 valid" in out
    assert [r["name"]["zh"] for r in records] == ["李晓明"]


def test_encrypted_office_file_is_refused(tmp_path: Path) -> None:
    olefile = pytest.importorskip("olefile")
    assert olefile  # an encrypted DOCX is an OLE file with an EncryptedPackage stream
    from formgen.extract.safety import Refused, check

    fixture = _ole_with_stream("EncryptedPackage")
    with pytest.raises(Refused) as caught:
        check("secret.docx", fixture)
    assert caught.value.reason.english == (
        "the file is encrypted (protected by a password); save it without a password and send it again")


def _ole_with_stream(name: str) -> bytes:
    """A minimal compound file holding one stream (what Word makes of an encrypted DOCX)."""
    sector = 512
    header = bytearray(sector)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    header[0x18:0x1A] = (0x3E).to_bytes(2, "little")
    header[0x1A:0x1C] = (3).to_bytes(2, "little")
    header[0x1C:0x1E] = (0xFFFE).to_bytes(2, "little")
    header[0x1E:0x20] = (9).to_bytes(2, "little")
    header[0x20:0x22] = (6).to_bytes(2, "little")
    header[0x2C:0x30] = (1).to_bytes(4, "little")  # one FAT sector
    header[0x30:0x34] = (1).to_bytes(4, "little")  # directory at sector 1
    header[0x38:0x3C] = (4096).to_bytes(4, "little")
    header[0x3C:0x40] = (0xFFFFFFFE).to_bytes(4, "little")
    header[0x44:0x48] = (0xFFFFFFFE).to_bytes(4, "little")
    difat = [0] + [0xFFFFFFFF] * 108
    header[0x4C:0x200] = b"".join(v.to_bytes(4, "little") for v in difat)
    fat = [0xFFFFFFFD, 0xFFFFFFFE, 0xFFFFFFFE] + [0xFFFFFFFF] * 125
    fat_sector = b"".join(v.to_bytes(4, "little") for v in fat)

    def entry(entry_name: str, kind: int, child: int, start: int, size: int) -> bytes:
        raw = entry_name.encode("utf-16-le") + b"\x00\x00"
        e = bytearray(128)
        e[0:len(raw)] = raw
        e[0x40:0x42] = len(raw).to_bytes(2, "little")
        e[0x42] = kind
        e[0x43] = 1
        e[0x44:0x48] = (0xFFFFFFFF).to_bytes(4, "little")
        e[0x48:0x4C] = (0xFFFFFFFF).to_bytes(4, "little")
        e[0x4C:0x50] = child.to_bytes(4, "little")
        e[0x74:0x78] = start.to_bytes(4, "little")
        e[0x78:0x7C] = size.to_bytes(4, "little")
        return bytes(e)

    directory = (entry("Root Entry", 5, 1, 0xFFFFFFFE, 0) + entry(name, 2, 0xFFFFFFFF, 2, 4096)
                 + bytes(256))
    return bytes(header) + fat_sector + directory + b"\x00" * 4096


def test_forms_in_a_zip_and_a_folder(tmp_path: Path) -> None:
    first = notice_form(tmp_path / "a" / "one.docx").read_bytes()
    other = copy.deepcopy(FILLED)
    other.update(name="王静怡", email="wang.jingyi@example.com", gender="☐男 Male ☑女 Female")
    second = notice_form(tmp_path / "a" / "two.docx", other).read_bytes()
    bundle = tmp_path / "mail" / "forms.zip"
    bundle.parent.mkdir()
    with zipfile.ZipFile(bundle, "w") as z:
        z.writestr("报名表/王静怡.docx", second)
        z.writestr("notes.txt", "not a form")
    result, records = extract(tmp_path, bundle, tmp_path / "a" / "one.docx")
    assert result.exit_code == 0, result.output
    assert "forms.zip/报名表/王静怡.docx: registration_form (zh), read by labels" in result.output
    assert sorted(r["name"]["zh"] for r in records) == ["李晓明", "王静怡"]
    assert first


@pytest.mark.needs_office
def test_a_doc_file_is_read_through_libreoffice(tmp_path: Path) -> None:
    from formgen.office.process import soffice_path

    form = notice_form(tmp_path / "make" / "form.docx")
    # Word 97 format, saved by LibreOffice (by way of ODT: this LibreOffice drops the
    # tables of a python-docx file saved straight to .doc)
    for target, source in (("odt", form), ("doc", tmp_path / "make" / "form.odt")):
        subprocess.run([soffice_path(), "--headless", f"-env:UserInstallation=file://{tmp_path}/p",
                        "--convert-to", target, "--outdir", str(tmp_path / "make"), str(source)],
                       check=True, capture_output=True, timeout=120, env={**os.environ, "HOME": str(tmp_path)})
    doc = tmp_path / "in" / "报名表.doc"
    doc.parent.mkdir()
    (tmp_path / "make" / "form.doc").rename(doc)
    result, [record] = extract(tmp_path, doc)
    assert result.exit_code == 0, result.output
    assert "报名表.doc: registration_form (zh), read by labels" in result.output
    assert record["name"] == {"zh": "李晓明", "en": "LI Xiaoming"}
    assert record["career"][1]["end"] == "2023-03"
