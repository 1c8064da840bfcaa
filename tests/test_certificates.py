"""``formgen certificates`` and ``formgen verify``: real templates, real LibreOffice, real PDFs.

One batch (the sample applicants, a 60-character name, four bad records and one whose
folder cannot be written) is printed once for the module; the tests read its PDFs back.
A second, small batch checks that reprinting keeps numbers and that a new holder
continues the sequence after the numbers voided.
"""

from __future__ import annotations

import copy
import csv
import datetime
import json
import multiprocessing
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from conftest import MANIFEST_FILE, SAMPLES_FILE, TODAY, cli
from pypdf import PdfReader

from formgen.certificates.context import name_size
from formgen.certificates.keys import KEY_ENV
from formgen.certificates.numbers import normalize_code
from formgen.certificates.qr import code_in_link, qr_matrix, verify_link
from formgen.certificates.register import Register
from formgen.cli import main
from formgen.exceptions import RegisterError
from formgen.main import CertificateOptions, print_certificates
from formgen.model.manifest import load_manifest
from formgen.settings import Paths, load_settings

LONG_EN = "WOLFESCHLEGELSTEINHAUSENBERGERDORFF Hubert Blaine Maximilian"
LONG_ZH = "欧阳娜娜拉提克尔巴哈尔古丽买买提阿卜杜热合曼"
CSEE_CERTS = ["ecuk_registration", "csee_iet_joint", "csee_competence"]
CMES_CERTS = ["ecuk_registration", "soe_membership", "cmes_engineer"]
# Unit, then name, both in pinyin order (CMES holders have no unit, so come first):
# 国家电网 (guo) before 中国电力建设 (zhong guo dian) before 中国南方电网 (zhong guo nan);
# 李 (li) before 欧阳 (ou yang); 刘 (liu) before 孙 (sun) before 赵 (zhao).
PRINT_ORDER = [
    ("CMES-2026-0102", CMES_CERTS),  # 刘芳 LIU Fang
    ("CMES-2026-0103", CMES_CERTS),  # 孙伟 SUN Wei
    ("CMES-2026-0101", CMES_CERTS),  # 赵立新 ZHAO Lixin
    ("CSEE-2026-0012", CSEE_CERTS),  # 国家电网有限公司, 王静怡 WANG Jingyi
    ("CSEE-2026-0007", CSEE_CERTS),  # 中国电力建设集团有限公司, 李晓明 LI Xiaoming
    ("LONG-0001", CSEE_CERTS),  # 中国电力建设集团有限公司, 欧阳娜娜…
    ("CSEE-2026-0023", CSEE_CERTS),  # 中国南方电网有限责任公司, 陈志强 CHEN Zhiqiang
]
VOIDED = (4, 5, 6)
"""The numbers VOID-0001's certificates were given, then voided (see the test)."""
BAD_ERRORS = [
    ["NOEN-0001", "name.en", "name.en is missing; the ECUK certificate is issued in English"],
    ["NOEN-0001", "name.en",
     "name.en is missing; the CSEE–IET joint certificate is issued in Chinese and English"],
    ["'=FUTURE-1", "certificate.issued_on",
     "the date of issue 1 January 2099 is in the future (today is 23 November 2026); "
     "certificates cannot be dated ahead"],
    ["NOSOE-0001", "certificate.soe_membership_number",
     "certificate.soe_membership_number is missing; the SOE membership certificate prints it"],
]
VERIFY_BASE = "https://verify.example.org"  # the manifest's



def samples() -> list[dict[str, Any]]:
    return yaml.safe_load(SAMPLES_FILE.read_text(encoding="utf-8"))


def record(base: dict[str, Any], new_id: str, **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(base)
    out["id"] = new_id
    out.update(changes)
    return out


def write_yaml(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text(yaml.safe_dump(records, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def pdf_text(path: Path) -> str:
    if shutil.which("pdftotext"):
        return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                              check=True).stdout
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), f"{path.name} has no UTF-8 byte-order mark"
    return list(csv.reader(raw.decode("utf-8-sig").splitlines()))


@pytest.fixture(autouse=True)
def _no_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)


def new_register(path: Path) -> Path:
    result = cli("register", "init", path)
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The sample applicants, a 60-character name, four bad records and one whose folder
    cannot be written, printed once."""
    folder = tmp_path_factory.mktemp("certificates")
    people = samples()
    li, wang, chen, cmes = people[0], people[1], people[2], people[3]
    data = write_yaml(folder / "applicants.yaml", people + [
        record(li, "LONG-0001", name={"zh": LONG_ZH, "en": LONG_EN}),
        record(wang, "NOEN-0001", name={"zh": "王小二"}),
        record(chen, "=FUTURE-1", certificate={"issued_on": "2099-01-01", "ecuk_number": "654399"}),
        record(cmes, "RAIL-0001", soe={"membership": "member", "division": "RAIL"}),
        record(cmes, "NOSOE-0001", certificate={"ecuk_number": "654398"}),
        record(wang, "VOID-0001"),
    ])
    out = folder / "out"
    out.mkdir()
    (out / "VOID-0001").write_text("a file where VOID-0001's folder would go")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(KEY_ENV, raising=False)
        register = new_register(folder / "register.sqlite")
        mp.setenv("FORMGEN_TODAY", TODAY)
        result = cli("certificates", "--verify-url", "https://verify.example.org", data, "--out", out, "--register", register,
                     "--manifest", MANIFEST_FILE, "--by", "Wang Min")
    events = read_csv(out / "register.csv")
    rows = [events[0][:5]] + [r[:5] for r in events[1:] if r[6] == "printed"]
    return {"result": result, "out": out, "register": register, "rows": rows, "events": events,
            "by_number": {r[0]: r for r in rows[1:]}}


def numbers_of(rows: list[list[str]], applicant_id: str) -> dict[str, str]:
    return {r[3]: r[0] for r in rows[1:] if r[1] == applicant_id}


def code_of(register: Path, number: str) -> str:
    with Register(register) as reg:
        return reg.lookup(number).short_code


# ----------------------------------------------------------------------------- the batch


@pytest.mark.needs_office
def test_summary_outputs_and_exit_code(batch: dict[str, Any]) -> None:
    result, out = batch["result"], batch["out"]
    assert result.exit_code == 1, result.output  # five records failed; the others printed
    assert f"12 record(s) in: 21 certificate(s) written for 7 holder(s) into {out}; " \
           f"5 record(s) failed (see {out / 'errors.csv'})" in result.stderr
    for applicant_id, certs in PRINT_ORDER:
        for cert in certs:
            pdf = out / applicant_id / f"{cert}.pdf"
            assert len(PdfReader(pdf).pages) == 1, pdf
    assert not any((out / bad).exists() for bad in ("NOEN-0001", "=FUTURE-1", "RAIL-0001",
                                                     "NOSOE-0001"))
    assert (out / "VOID-0001").is_file()
    assert not [p for p in out.rglob("*") if p.name.startswith((".tmp", ".certificates"))]
    assert batch["events"][0] == ["number", "id", "name", "certificate", "issued_on", "status",
                                  "event", "at", "by", "detail"]
    assert len(batch["rows"]) == 1 + 21
    actions = [r[6] for r in batch["events"][1:]]
    assert actions == ["numbered"] * 24 + ["printed"] * 21 + ["voided"] * 3
    assert {r[8] for r in batch["events"][1:]} == {"Wang Min"}


@pytest.mark.needs_office
def test_numbers_of_certificates_never_written_are_void(batch: dict[str, Any]) -> None:
    """VOID-0001's certificates were numbered and printed but could not be written: their
    numbers are void, never given to anyone, and do not verify."""
    voided = [r for r in batch["events"][1:] if r[6] == "voided"]
    # VOID-0001 is 王静怡 of 国家电网 (guo, the first unit in pinyin order), after
    # CSEE-2026-0012 (the same person and unit, a smaller id): numbers 4 to 6.
    assert [(r[0], r[1], r[5], r[9]) for r in voided] == [
        (f"CSEE-IET-2026-{i:06d}", "VOID-0001", "void", "not written") for i in VOIDED]
    errors = [r for r in read_csv(batch["out"] / "errors.csv") if r[0] == "VOID-0001"]
    assert len(errors) == 1 and errors[0][2].startswith(
        f"cannot write {batch['out'].resolve() / 'VOID-0001'}")
    result = cli("verify", "CSEE-IET-2026-000004", "--register", batch["register"])
    assert result.exit_code == 1
    assert result.stderr == "Not genuine: certificate CSEE-IET-2026-000004 was never issued\n"


@pytest.mark.needs_office
def test_errors_csv_lists_every_failed_record(batch: dict[str, Any]) -> None:
    rows = read_csv(batch["out"] / "errors.csv")
    assert rows[0] == ["record", "field", "message"]
    for expected in BAD_ERRORS:
        assert expected in rows
    rail = [r for r in rows if r[0] == "RAIL-0001"]
    assert rail and rail[0][1] == "soe.division"
    assert {r[0] for r in rows[1:]} == {"NOEN-0001", "'=FUTURE-1", "RAIL-0001", "NOSOE-0001",
                                        "VOID-0001"}


@pytest.mark.needs_office
def test_print_pdf_pages_are_in_unit_then_name_order(batch: dict[str, Any]) -> None:
    reader = PdfReader(batch["out"] / "print.pdf")
    assert len(reader.pages) == 21
    printed = []
    for page in reader.pages:
        found = re.findall(r"(?:CSEE-IET|CMES-SOE)-2026-\d{6}", page.extract_text())
        row = batch["by_number"][found[0]]
        printed.append((row[1], row[3]))
    assert printed == [(i, c) for i, certs in PRINT_ORDER for c in certs]


@pytest.mark.needs_office
def test_numbers_per_programme_and_year(batch: dict[str, Any]) -> None:
    numbers = [r[0] for r in batch["rows"][1:]]
    csee = sorted(n for n in numbers if n.startswith("CSEE-IET-2026-"))
    cmes = sorted(n for n in numbers if n.startswith("CMES-SOE-2026-"))
    assert csee == [f"CSEE-IET-2026-{i:06d}" for i in range(1, 16) if i not in VOIDED]
    assert cmes == [f"CMES-SOE-2026-{i:06d}" for i in range(1, 10)]
    issued = {r[1]: r[4] for r in batch["rows"][1:]}
    assert issued["CSEE-2026-0007"] == "2026-11-20"  # certificate.issued_on
    assert issued["CSEE-2026-0012"] == TODAY  # none given: today


@pytest.mark.parametrize(
    ("applicant_id", "cert", "expected"),
    [
        ("CSEE-2026-0007", "ecuk_registration", [
            "LI Xiaoming", "Certificate of Registration", "an Incorporated Engineer", "IEng",
            "Engineering Council", "The Institution of Engineering and Technology (IET)",
            "20 November 2026", "REGISTRATION NUMBER GRADE DATE OF REGISTRATION 654321 IEng",
            "Certificate No.",
            "Verification code", "Verify at"]),
        ("CSEE-2026-0007", "csee_iet_joint", [
            "李晓明", "LI Xiaoming", "国际工程师资质认证证书", "主任工程师（IEng）",
            "an Incorporated Engineer", "中国电机工程学会", "英国工程技术学会",
            "Chinese Society for Electrical Engineering", "2026年11月20日",
            "证书编号 Certificate No.", "验证码 Verification code", "核验网址 Verify at",
            "可核验本证书是否真实有效", "check that this certificate is genuine and still valid"]),
        ("CSEE-2026-0007", "csee_competence", [
            "李晓明", "工程能力评价证书", "主任工程师（IEng）", "中国电机工程学会", "2026年11月20日",
            "证书编号：", "验证码：", "核验网址：", "可核验本证书是否真实有效"]),
        ("CSEE-2026-0023", "csee_iet_joint", ["陈志强", "CHEN Zhiqiang", "技术工程师（EngTech）"]),
        ("CMES-2026-0102", "ecuk_registration", [
            "LIU Fang", "an Incorporated Engineer", "Society of Operations Engineers (SOE)",
            "Institute of Road Transport Engineers (IRTE)", "23 November 2026"]),
        ("CMES-2026-0102", "soe_membership", [
            "LIU Fang", "Certificate of Membership", "a Member", "Society of Operations Engineers",
            "Institute of Road Transport Engineers (IRTE)", "Road transport",
            "Society of Operations Engineers Hong Kong Branch", "23 November 2026",
            "MEMBERSHIP NUMBER CLASS OF MEMBERSHIP DATE OF ELECTION 512202 Member"]),
        ("CMES-2026-0102", "cmes_engineer", [
            "刘芳", "机械工程师资格证书", "中国机械工程学会", "英国营运工程师学会",
            "技术工程师（IEng）", "陆路运输", "SOE IRTE", "2026年11月23日"]),
        ("CMES-2026-0103", "soe_membership", [
            "SUN Wei", "an Associate Member", "Bureau of Engineer Surveyors (BES)"]),
        ("CMES-2026-0103", "cmes_engineer", ["孙伟", "技术工程师（IEng）", "工程测量"]),
        ("CMES-2026-0101", "ecuk_registration", [
            "ZHAO Lixin", "a Chartered Engineer", "CEng", "Institution of Plant Engineers",
            "REGISTRATION NUMBER GRADE DATE OF REGISTRATION 654331 CEng"]),
    ],
)
@pytest.mark.needs_office
def test_certificate_text(batch: dict[str, Any], applicant_id: str, cert: str,
                          expected: list[str]) -> None:
    text = pdf_text(batch["out"] / applicant_id / f"{cert}.pdf")
    number = numbers_of(batch["rows"], applicant_id)[cert]
    code = code_of(batch["register"], number)
    link = f"verify.example.org/c/{code.replace('-', '')}"
    for item in [*expected, number, code, link]:
        assert flat(item) in flat(text), f"{item!r} not on the {cert} of {applicant_id}"
    assert "formgen" not in text and "https://" not in text  # no command, the short link
    if cert in ("csee_competence", "cmes_engineer"):  # Chinese only
        assert "Verification code" not in text and "Certificate No." not in text


@pytest.mark.needs_office
def test_registration_number_is_the_holders_own(batch: dict[str, Any]) -> None:
    """The ECUK certificate prints the holder's Engineering Council number as its
    registration number; formgen's number is the certificate number."""
    text = pdf_text(batch["out"] / "CSEE-2026-0023" / "ecuk_registration.pdf")
    number = numbers_of(batch["rows"], "CSEE-2026-0023")["ecuk_registration"]
    assert flat("REGISTRATION NUMBER GRADE DATE OF REGISTRATION 654323 EngTech") in flat(text)
    assert flat(f"Certificate No. {number}") in flat(text)
    assert text.count(number) == 1  # only as the certificate number


@pytest.mark.needs_office
def test_long_name_shrinks_to_one_line(batch: dict[str, Any]) -> None:
    assert len(LONG_EN) == 60
    for cert, names in [("ecuk_registration", [LONG_EN]), ("csee_iet_joint", [LONG_ZH, LONG_EN]),
                        ("csee_competence", [LONG_ZH])]:
        pdf = batch["out"] / "LONG-0001" / f"{cert}.pdf"
        assert len(PdfReader(pdf).pages) == 1
        lines = [line.strip() for line in pdf_text(pdf).splitlines()]
        for name in names:
            assert name in lines, f"{name} is not whole on one line of the {cert}"
    assert name_size(LONG_EN, "en") < name_size("LI Xiaoming", "en") == 30


@pytest.mark.needs_office
@pytest.mark.slow
def test_qr_codes_hold_the_payload(batch: dict[str, Any], tmp_path: Path) -> None:
    pyzbar = pytest.importorskip("pyzbar.pyzbar")
    from PIL import Image

    subprocess.run(["pdftoppm", "-r", "100", "-png", str(batch["out"] / "print.pdf"),
                    str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 21
    with Register(batch["register"]) as reg:
        for png in pages:
            found = pyzbar.decode(Image.open(png))
            assert len(found) == 1, png.name
            assert found[0].quality >= 1
            link = found[0].data.decode()
            code = code_in_link(link)
            assert code is not None, link
            issued = reg.lookup(code)
            assert link == verify_link(VERIFY_BASE, issued.short_code)
            assert issued.status == "valid"
    single = batch["out"] / "CMES-2026-0103" / "soe_membership.pdf"
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(single), str(tmp_path / "one")],
                   check=True)
    number = numbers_of(batch["rows"], "CMES-2026-0103")["soe_membership"]
    (decoded,) = pyzbar.decode(Image.open(next(tmp_path.glob("one-*.png"))))
    assert normalize_code(code_in_link(decoded.data.decode()) or "") == \
        code_of(batch["register"], number).replace("-", "")


def test_qr_matrix_has_a_quiet_zone() -> None:
    matrix = qr_matrix(verify_link(VERIFY_BASE, "7KQ2-M9XD-4T"))
    assert len(matrix) == len(matrix[0])
    assert not any(matrix[0]) and not any(row[0] for row in matrix)
    assert len(matrix) == 29 + 8  # version 3 (29 modules) and the quiet zone: small, easy to scan


# ----------------------------------------------------------------------------- reprinting


@pytest.mark.needs_office
@pytest.mark.slow
def test_reprint_keeps_numbers_and_new_batch_continues(batch: dict[str, Any],
                                                       tmp_path: Path) -> None:
    people = samples()
    data = write_yaml(tmp_path / "again.yaml", [
        people[0], record(people[2], "NEW-0001", name={"zh": "周新", "en": "ZHOU Xin"})])
    out = tmp_path / "out"
    result = cli("certificates", "--verify-url", "https://verify.example.org", data, "--out", out, "--register", batch["register"],
                 "--manifest", MANIFEST_FILE)
    assert result.exit_code == 0, result.output
    events = read_csv(out / "register.csv")
    reprinted = [r[:5] for r in events if r[6] == "reprinted"]
    printed = [r[:5] for r in events if r[6] == "printed"]
    assert numbers_of([[], *reprinted], "CSEE-2026-0007") == numbers_of(batch["rows"], "CSEE-2026-0007")
    assert numbers_of([[], *printed], "NEW-0001") == {  # after the numbers voided, not them
        "ecuk_registration": "CSEE-IET-2026-000016",
        "csee_iet_joint": "CSEE-IET-2026-000017",
        "csee_competence": "CSEE-IET-2026-000018",
    }
    assert sorted(r[6] for r in events[1:]) == ["numbered"] * 3 + ["printed"] * 3 + ["reprinted"] * 3
    assert len(PdfReader(out / "print.pdf").pages) == 6
    assert (out / "errors.csv").read_bytes() == "\ufeffrecord,field,message\r\n".encode()


# ----------------------------------------------------------------------------- verify


@pytest.mark.needs_office
def test_verify_genuine(batch: dict[str, Any]) -> None:
    number = numbers_of(batch["rows"], "CSEE-2026-0007")["ecuk_registration"]
    with Register(batch["register"]) as reg:
        issued = reg.lookup(number)
    expected = (
        f"Genuine: certificate {number}, verification code {issued.short_code}\n"
        "Holder: LI Xiaoming (CSEE-2026-0007)\n"  # as the English certificate prints it
        "Certificate: ECUK certificate; Incorporated Engineer (IEng); programme csee-iet\n"
        "Issued on: 20 November 2026\n"
        # what the ECUK certificate prints, as its page shows it (no professional sector)
        "What the certificate prints (compare the paper line by line):\n"
        "  This is to certify that\n"
        "    LI Xiaoming\n"
        "  has been entered on the Register of the Engineering Council as\n"
        "    an Incorporated Engineer\n"
        "  Registration number\n"
        "    654321\n"
        "  Grade\n"
        "    IEng\n"
        "  Date of registration\n"
        "    20 November 2026\n"
        "  Certificate No.\n"
        f"    {number}\n"
    )
    legacy_qr = f"FORMGEN-CERT|{number}|{issued.short_code}"  # on certificates printed before
    for code in (number, issued.short_code, issued.short_code.replace("-", "").lower(),
                 verify_link(VERIFY_BASE, issued.short_code), legacy_qr):
        result = cli("verify", code, "--register", batch["register"],
                     "--manifest", MANIFEST_FILE)
        assert result.exit_code == 0, result.output
        assert result.stdout == expected
    competence = numbers_of(batch["rows"], "CSEE-2026-0007")["csee_competence"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LANG", "zh_CN.UTF-8")
        result = cli("verify", competence, "--register", batch["register"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[4:] == [  # a Chinese certificate, in Chinese
        "证书所印内容（请与纸质证书逐行核对）：",
        "  兹证明", "    李晓明",
        "  评价级别", "    主任工程师（IEng）",
        "  发证日期", "    2026年11月20日",
        "  证书编号", f"    {competence}",
    ]


@pytest.mark.needs_office
def test_verify_refuses_forged_altered_and_unknown(batch: dict[str, Any],
                                                    tmp_path: Path) -> None:
    register = batch["register"]
    number = numbers_of(batch["rows"], "CMES-2026-0101")["soe_membership"]

    def refused(code: str, reg: Path = register) -> str:
        result = cli("verify", code, "--register", reg, "--manifest", MANIFEST_FILE)
        assert result.exit_code == 1, result.output
        assert result.stdout == ""
        return result.stderr

    assert refused("0000-0000-00") == "Not genuine: no certificate has the code 0000-0000-00\n"
    assert refused("CMES-SOE-2026-999999") == (
        "Not genuine: no certificate has the code CMES-SOE-2026-999999\n")
    assert refused("hello") == (
        "Not genuine: 'hello' is not a certificate number or verification code "
        "(they look like CMES-SOE-2026-000123 or 7KQ2-M9XD-4T)\n")
    assert refused(f"FORMGEN-CERT|{number}|0000-0000-00") == (
        f"Not genuine: the QR code for certificate {number} is not genuine: "
        "its verification code does not match\n")
    altered = tmp_path / "altered.sqlite"
    shutil.copy(register, altered)
    shutil.copy(register.with_suffix(".key"), altered.with_suffix(".key"))
    shutil.copy(register.with_suffix(".head"), altered.with_suffix(".head"))
    with sqlite3.connect(altered) as db:
        db.execute("UPDATE certificates SET name = 'Someone Else' WHERE number = ?", (number,))
    assert refused(number, altered) == (
        f"Error: the register {altered} fails its audit, so nothing in it can be vouched for: "
        f"certificate {number} is not genuine: its register record does not match its "
        "verification code\n")
    result = cli("verify", number, "--register", tmp_path / "missing.sqlite")
    assert result.exit_code == 1
    assert "there is no certificate register at" in result.stderr
    assert not (tmp_path / "missing.sqlite").exists()


# ----------------------------------------------------------------------------- the register


def test_corrupt_register_stops_before_anything_is_written(tmp_path: Path) -> None:
    data = write_yaml(tmp_path / "one.yaml", samples()[:1])
    register = tmp_path / "register.sqlite"
    register.write_bytes(b"this is not a database" * 100)
    out = tmp_path / "out"
    result = cli("certificates", "--verify-url", "https://verify.example.org", data, "--out", out, "--register", register,
                 "--manifest", MANIFEST_FILE)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"Error: {register} is not a certificate register (corrupt or not SQLite); a new "
        "register is made with: formgen register init NEW-FILE")
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize("made", [False, True], ids=["missing", "empty"])
def test_no_register_is_made_unless_asked(tmp_path: Path, made: bool) -> None:
    data = write_yaml(tmp_path / "one.yaml", samples()[:1])
    register = tmp_path / "build" / "register.sqlite"
    if made:
        register.parent.mkdir()
        register.touch()
    out = tmp_path / "out"
    result = cli("certificates", "--verify-url", "https://verify.example.org", data, "--out", out, "--register", register,
                 "--manifest", MANIFEST_FILE)
    assert result.exit_code == 1
    assert f"formgen register init {register}" in result.stderr
    assert not out.exists()
    assert register.exists() is made and (not made or register.stat().st_size == 0)
    assert not register.with_suffix(".key").exists()


@pytest.mark.needs_office
def test_init_register_flag_makes_it_first(tmp_path: Path) -> None:
    data = write_yaml(tmp_path / "one.yaml", samples()[:1])
    register = tmp_path / "build" / "register.sqlite"
    out = tmp_path / "out"
    result = cli("certificates", data, "--out", out, "--register", register, "--init-register",
                 "--verify-url", "https://certs.example.com/check/", "--manifest", MANIFEST_FILE)
    assert result.exit_code == 0, result.output
    with Register(register) as reg:
        (one,) = [i for i in reg.rows() if i.certificate == "ecuk_registration"]
        assert one.status == "valid"
    text = pdf_text(out / "CSEE-2026-0007" / "ecuk_registration.pdf")
    assert f"certs.example.com/check/c/{one.short_code.replace('-', '')}" in flat(text)


def test_bad_verify_url_or_none_stops_before_any_number(tmp_path: Path) -> None:
    data = write_yaml(tmp_path / "one.yaml", samples()[:1])
    register = new_register(tmp_path / "register.sqlite")
    out = tmp_path / "out"
    result = cli("certificates", data, "--out", out, "--register", register,
                 "--verify-url", "ftp://x.org", "--manifest", MANIFEST_FILE)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: 'ftp://x.org' is not a verification address: give an http:// or https:// "
        "address with no query, e.g. https://verify.example.org\n")
    manifest = yaml.safe_load(MANIFEST_FILE.read_text(encoding="utf-8"))
    del manifest["certificates"]["csee-iet"]["verify_url"]
    for doc in manifest["documents"].values():
        doc["templates"] = {k: str(MANIFEST_FILE.parent / v) for k, v in doc["templates"].items()}
    manifest["competences"] = str(MANIFEST_FILE.parent / manifest["competences"])
    other = tmp_path / "manifest.yaml"
    other.write_text(yaml.safe_dump(manifest, allow_unicode=True), "utf-8")
    result = cli("certificates", data, "--out", out, "--register", register, "--manifest", other)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: no verification address for the certificates of csee-iet: set certificates: "
        "csee-iet: verify_url in the manifest, or give --verify-url\n")
    with Register(register) as reg:
        assert reg.rows() == []


def _print_as_nobody(data: str, out: str, register: str, queue: Any) -> None:
    """In a forked child: become an ordinary user (nobody), then print."""
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)
    result = CliRunner().invoke(main, ["certificates", "--verify-url", "https://verify.example.org", data, "--out", out, "--register",
                                       register, "--manifest", str(MANIFEST_FILE)])
    queue.put((result.exit_code, result.stderr, repr(result.exception)))


def test_read_only_output_folder_issues_no_number(tmp_path: Path) -> None:
    """``--out`` an existing folder that cannot be written: refused before any number is
    issued, without a traceback (as an ordinary user: root writes anywhere)."""
    import formgen.main  # noqa: F401  (loaded before the child gives up root's files)

    folder = Path(tempfile.mkdtemp(prefix="formgen-ro-"))
    try:
        data = write_yaml(folder / "one.yaml", samples()[:1])
        register = new_register(folder / "register.sqlite")
        out = folder / "out"
        out.mkdir()
        out.chmod(0o555)
        if os.geteuid() == 0:
            for path in (folder, data, register, register.with_suffix(".key"), out):
                os.chown(path, 65534, 65534)
            fork = multiprocessing.get_context("fork")
            queue = fork.Queue()
            child = fork.Process(target=_print_as_nobody,
                                 args=(str(data), str(out), str(register), queue))
            child.start()
            exit_code, stderr, exception = queue.get(timeout=60)
            child.join(30)
        else:
            result = cli("certificates", "--verify-url", "https://verify.example.org", data, "--out", out, "--register", register,
                         "--manifest", MANIFEST_FILE)
            exit_code, stderr, exception = result.exit_code, result.stderr, repr(result.exception)
        assert exit_code == 1, exception
        assert stderr == f"Error: cannot write to {out}: Permission denied\n"
        with Register(register) as reg:
            assert reg.rows() == []
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_locked_register_stops_before_anything_is_written(tmp_path: Path) -> None:
    data = write_yaml(tmp_path / "one.yaml", samples()[:1])
    register = new_register(tmp_path / "register.sqlite")
    holder = sqlite3.connect(register, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    out = tmp_path / "out"
    try:
        with pytest.raises(RegisterError, match="is locked by another process"):
            print_certificates(load_settings(MANIFEST_FILE, paths=Paths(register=register)),
                               [data], out, CertificateOptions(register_timeout=0.2,
                                                                verify_url="https://verify.example.org"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert not out.exists() or not any(out.iterdir())


# ----------------------------------------------------------------------------- holders' numbers


@pytest.mark.parametrize("fmt", ["yaml", "json", "csv", "xlsx"])
def test_holder_numbers_in_every_format_checked_for_shape(tmp_path: Path, fmt: str) -> None:
    from conftest import write_csv, write_json, write_xlsx

    people = samples()
    records = [
        record(people[3], "GOOD-1", certificate={"ecuk_number": " 654 331 ",
                                                 "soe_membership_number": "m-512201"}),
        record(people[3], "BAD-1", certificate={"ecuk_number": "CEng-12",
                                                "soe_membership_number": "member 7"}),
        record(people[0], "BAD-2", certificate={"ecuk_number": "1234"}),
    ]
    path = tmp_path / f"people.{fmt}"
    records = json.loads(json.dumps(records, default=str))  # dates as text, as in a JSON file
    {"yaml": write_yaml, "json": write_json, "xlsx": write_xlsx}.get(fmt, write_csv)(path, records)
    result = cli("validate", path, "--manifest", MANIFEST_FILE)
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert [line.split(": error: ")[1] for line in lines] == [
        "'CEng-12' is not an Engineering Council registration number (5 to 8 digits, e.g. 654321)",
        "'member 7' is not an SOE membership number (4 to 8 digits, with or without a letter "
        "prefix, e.g. 512201 or M512201)",
        "'1234' is not an Engineering Council registration number (5 to 8 digits, e.g. 654321)",
    ]
    assert [line.split(": error: ")[0].rsplit(", ", 1)[1] for line in lines] == [
        "certificate.ecuk_number", "certificate.soe_membership_number", "certificate.ecuk_number"]
    assert "GOOD-1" not in result.stderr
    from formgen.main import check_data

    _, report = check_data(load_settings(MANIFEST_FILE), [path])
    (good,) = [v.applicant for v in report.valid]
    assert (good.certificate.ecuk_number, good.certificate.soe_membership_number) == (
        "654331", "M-512201")


def test_a_certificate_that_prints_a_holder_number_needs_it() -> None:
    from formgen.certificates.plan import plan_holder
    from formgen.model.applicant import Applicant

    manifest = load_manifest(MANIFEST_FILE)
    person = samples()[3]
    person["certificate"] = {}
    doc_ids, _, problems = plan_holder(Applicant.model_validate(person), manifest,
                                       datetime.date(2026, 11, 23))
    assert doc_ids == CMES_CERTS
    assert [(f, m.english) for f, m in problems] == [
        ("certificate.ecuk_number",
         "certificate.ecuk_number is missing; the ECUK certificate prints it"),
        ("certificate.soe_membership_number",
         "certificate.soe_membership_number is missing; the SOE membership certificate prints it"),
    ]
