"""``formgen certificates`` and ``formgen verify``: real templates, real LibreOffice, real PDFs.

One batch (the sample applicants, a 60-character name and three bad records) is printed
once for the module; the tests read its PDFs back. A second, small batch checks that
reprinting keeps numbers and that a new holder continues the sequence.
"""

from __future__ import annotations

import copy
import csv
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from conftest import MANIFEST_FILE, SAMPLES_FILE, TODAY
from pypdf import PdfReader

from formgen.certificates.context import name_size
from formgen.certificates.qr import qr_matrix, qr_payload
from formgen.certificates.register import Register
from formgen.cli import main
from formgen.exceptions import RegisterError
from formgen.main import print_certificates
from formgen.model.manifest import load_manifest

LONG_EN = "WOLFESCHLEGELSTEINHAUSENBERGERDORFF Hubert Blaine Maximilian"
LONG_ZH = "欧阳娜娜拉提克尔巴哈尔古丽买买提阿卜杜热合曼"
CSEE_CERTS = ["ecuk_registration", "csee_iet_joint", "csee_competence"]
CMES_CERTS = ["ecuk_registration", "soe_membership", "cmes_engineer"]
# Unit (by code point; CMES holders have none), then English name.
PRINT_ORDER = [
    ("CMES-2026-0102", CMES_CERTS),  # LIU Fang
    ("CMES-2026-0103", CMES_CERTS),  # SUN Wei
    ("CMES-2026-0101", CMES_CERTS),  # ZHAO Lixin
    ("CSEE-2026-0023", CSEE_CERTS),  # 中国南方电网有限责任公司, CHEN Zhiqiang
    ("CSEE-2026-0007", CSEE_CERTS),  # 中国电力建设集团有限公司, LI Xiaoming
    ("LONG-0001", CSEE_CERTS),  # 中国电力建设集团有限公司, WOLFESCHLEGEL…
    ("CSEE-2026-0012", CSEE_CERTS),  # 国家电网有限公司, WANG Jingyi
]
BAD_ERRORS = [
    ["NOEN-0001", "name.en", "name.en is missing; the ECUK certificate is issued in English"],
    ["NOEN-0001", "name.en",
     "name.en is missing; the CSEE–IET joint certificate is issued in Chinese and English"],
    ["'=FUTURE-1", "certificate.issued_on",
     "the date of issue 1 Jan 2099 is in the future (today is 23 Nov 2026); "
     "certificates cannot be dated ahead"],
]


def cli(*args: str | Path) -> Any:
    return CliRunner().invoke(main, [str(a) for a in args])


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


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The sample applicants, a 60-character name and three bad records, printed once."""
    folder = tmp_path_factory.mktemp("certificates")
    people = samples()
    li, wang, chen, cmes = people[0], people[1], people[2], people[3]
    data = write_yaml(folder / "applicants.yaml", people + [
        record(li, "LONG-0001", name={"zh": LONG_ZH, "en": LONG_EN}),
        record(wang, "NOEN-0001", name={"zh": "王小二"}),
        record(chen, "=FUTURE-1", certificate={"issued_on": "2099-01-01"}),
        record(cmes, "RAIL-0001", soe={"membership": "member", "division": "RAIL"}),
    ])
    out, register = folder / "out", folder / "register.sqlite"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FORMGEN_TODAY", TODAY)
        result = cli("certificates", data, "--out", out, "--register", register,
                     "--manifest", MANIFEST_FILE)
    rows = read_csv(out / "register.csv")
    return {"result": result, "out": out, "register": register, "rows": rows,
            "by_number": {r[0]: r for r in rows[1:]}}


def numbers_of(rows: list[list[str]], applicant_id: str) -> dict[str, str]:
    return {r[3]: r[0] for r in rows[1:] if r[1] == applicant_id}


# ----------------------------------------------------------------------------- the batch


@pytest.mark.needs_office
def test_summary_outputs_and_exit_code(batch: dict[str, Any]) -> None:
    result, out = batch["result"], batch["out"]
    assert result.exit_code == 1, result.output  # three records failed; the others printed
    assert f"10 record(s) in: 21 certificate(s) written for 7 holder(s) into {out}; " \
           f"3 record(s) failed (see {out / 'errors.csv'})" in result.stderr
    for applicant_id, certs in PRINT_ORDER:
        for cert in certs:
            pdf = out / applicant_id / f"{cert}.pdf"
            assert len(PdfReader(pdf).pages) == 1, pdf
    assert not any((out / bad).exists() for bad in ("NOEN-0001", "=FUTURE-1", "RAIL-0001"))
    assert not [p for p in out.rglob("*") if p.name.startswith((".tmp", ".certificates"))]
    assert batch["rows"][0] == ["number", "id", "name", "certificate", "issued_on"]
    assert len(batch["rows"]) == 1 + 21


@pytest.mark.needs_office
def test_errors_csv_lists_every_failed_record(batch: dict[str, Any]) -> None:
    rows = read_csv(batch["out"] / "errors.csv")
    assert rows[0] == ["record", "field", "message"]
    for expected in BAD_ERRORS:
        assert expected in rows
    rail = [r for r in rows if r[0] == "RAIL-0001"]
    assert rail and rail[0][1] == "soe.division"
    assert {r[0] for r in rows[1:]} == {"NOEN-0001", "'=FUTURE-1", "RAIL-0001"}


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
    assert csee == [f"CSEE-IET-2026-{i:06d}" for i in range(1, 13)]
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
            "20 November 2026"]),
        ("CSEE-2026-0007", "csee_iet_joint", [
            "李晓明", "LI Xiaoming", "国际工程师资质认证证书", "主任工程师（IEng）",
            "an Incorporated Engineer", "中国电机工程学会", "英国工程技术学会",
            "Chinese Society for Electrical Engineering", "2026年11月20日"]),
        ("CSEE-2026-0007", "csee_competence", [
            "李晓明", "工程能力评价证书", "主任工程师（IEng）", "中国电机工程学会", "2026年11月20日"]),
        ("CSEE-2026-0023", "csee_iet_joint", ["陈志强", "CHEN Zhiqiang", "技术工程师（EngTech）"]),
        ("CMES-2026-0102", "ecuk_registration", [
            "LIU Fang", "an Incorporated Engineer", "Society of Operations Engineers (SOE)",
            "Institute of Road Transport Engineers (IRTE)", "23 November 2026"]),
        ("CMES-2026-0102", "soe_membership", [
            "LIU Fang", "Certificate of Membership", "a Member", "Society of Operations Engineers",
            "Institute of Road Transport Engineers (IRTE)", "Road transport",
            "Society of Operations Engineers Hong Kong Branch", "23 November 2026"]),
        ("CMES-2026-0102", "cmes_engineer", [
            "刘芳", "机械工程师资格证书", "中国机械工程学会", "英国营运工程师学会",
            "技术工程师（IEng）", "陆路运输", "SOE IRTE", "2026年11月23日"]),
        ("CMES-2026-0103", "soe_membership", [
            "SUN Wei", "an Associate Member", "Bureau of Engineer Surveyors (BES)"]),
        ("CMES-2026-0103", "cmes_engineer", ["孙伟", "专业技师（EngTech）", "工程测量"]),
        ("CMES-2026-0101", "ecuk_registration", [
            "ZHAO Lixin", "a Chartered Engineer", "CEng", "Institution of Plant Engineers"]),
    ],
)
@pytest.mark.needs_office
def test_certificate_text(batch: dict[str, Any], applicant_id: str, cert: str,
                          expected: list[str]) -> None:
    text = pdf_text(batch["out"] / applicant_id / f"{cert}.pdf")
    number = numbers_of(batch["rows"], applicant_id)[cert]
    with Register(batch["register"]) as reg:
        code = reg.lookup(number).short_code
    for item in [*expected, number, code, f"Verify: formgen verify {code}"]:
        assert flat(item) in flat(text), f"{item!r} not on the {cert} of {applicant_id}"


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

    if shutil.which("pdftoppm") is None:
        pytest.skip("needs pdftoppm (poppler-utils)")
    subprocess.run(["pdftoppm", "-r", "100", "-png", str(batch["out"] / "print.pdf"),
                    str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 21
    with Register(batch["register"]) as reg:
        for png in pages:
            found = pyzbar.decode(Image.open(png))
            assert len(found) == 1, png.name
            payload = found[0].data.decode()
            issued = reg.verify_payload(payload)
            assert payload == qr_payload(issued)
    single = batch["out"] / "CMES-2026-0103" / "soe_membership.pdf"
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(single), str(tmp_path / "one")],
                   check=True)
    number = numbers_of(batch["rows"], "CMES-2026-0103")["soe_membership"]
    decoded = pyzbar.decode(Image.open(next(tmp_path.glob("one-*.png"))))
    assert decoded[0].data.decode().split("|")[1] == number


def test_qr_matrix_has_a_quiet_zone() -> None:
    matrix = qr_matrix("FORMGEN-CERT|CSEE-IET-2026-000001|7KQ2-M9XD-4T")
    assert len(matrix) == len(matrix[0])
    assert not any(matrix[0]) and not any(row[0] for row in matrix)


# ----------------------------------------------------------------------------- reprinting


@pytest.mark.needs_office
@pytest.mark.slow
def test_reprint_keeps_numbers_and_new_batch_continues(batch: dict[str, Any],
                                                       tmp_path: Path) -> None:
    people = samples()
    data = write_yaml(tmp_path / "again.yaml", [
        people[0], record(people[2], "NEW-0001", name={"zh": "周新", "en": "ZHOU Xin"})])
    out = tmp_path / "out"
    result = cli("certificates", data, "--out", out, "--register", batch["register"],
                 "--manifest", MANIFEST_FILE)
    assert result.exit_code == 0, result.output
    rows = read_csv(out / "register.csv")
    assert numbers_of(rows, "CSEE-2026-0007") == numbers_of(batch["rows"], "CSEE-2026-0007")
    assert numbers_of(rows, "NEW-0001") == {
        "ecuk_registration": "CSEE-IET-2026-000013",
        "csee_iet_joint": "CSEE-IET-2026-000014",
        "csee_competence": "CSEE-IET-2026-000015",
    }
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
        "Holder: 李晓明 / LI Xiaoming (CSEE-2026-0007)\n"
        "Certificate: ECUK certificate; Incorporated Engineer (IEng); programme csee-iet\n"
        "Issued on: 20 Nov 2026\n"
    )
    for code in (number, issued.short_code, issued.short_code.replace("-", "").lower(),
                 qr_payload(issued)):
        result = cli("verify", code, "--register", batch["register"],
                     "--manifest", MANIFEST_FILE)
        assert result.exit_code == 0, result.output
        assert result.stdout == expected


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
    with sqlite3.connect(altered) as db:
        db.execute("UPDATE certificates SET name = 'Someone Else' WHERE number = ?", (number,))
    assert refused(number, altered) == (
        f"Not genuine: certificate {number} is not genuine: its register record does not "
        "match its verification code\n")
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
    result = cli("certificates", data, "--out", out, "--register", register,
                 "--manifest", MANIFEST_FILE)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"Error: {register} is not a certificate register (corrupt or not SQLite)")
    assert not out.exists() or not any(out.iterdir())


def test_locked_register_stops_before_anything_is_written(tmp_path: Path) -> None:
    data = write_yaml(tmp_path / "one.yaml", samples()[:1])
    register = tmp_path / "register.sqlite"
    Register(register).close()
    holder = sqlite3.connect(register, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    out = tmp_path / "out"
    try:
        with pytest.raises(RegisterError, match="is locked by another process"):
            print_certificates([data], out, register=register, register_timeout=0.2,
                               manifest=load_manifest(MANIFEST_FILE))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert not out.exists() or not any(out.iterdir())
