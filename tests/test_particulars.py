"""The verification page and its JSON show what each certificate prints, in the paper's
words, order and languages, and nothing else of its holder.

Real certificates of every kind are printed (``formgen certificates``: docxtpl, then
LibreOffice); each one's page is compared with its PDF, and its template's labelled
details (rendered as DOCX) with its page, both ways.
"""

from __future__ import annotations

import html
import io
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import MANIFEST_FILE, SAMPLES_FILE, TODAY, cli
from docx import Document as read_docx
from fastapi.testclient import TestClient

from formgen.certificates.batch import batch_template
from formgen.certificates.context import certificate_context
from formgen.certificates.keys import KEY_ENV
from formgen.certificates.numbers import IssueRequest
from formgen.certificates.printed import Printed, keep, recorded
from formgen.certificates.register import Register
from formgen.exceptions import VerificationError
from formgen.main import check_data
from formgen.settings import Paths, load_settings
from formgen.web import create_app, web_settings

BASE = "https://certs.csee.example/check"
KINDS = {"ecuk_registration", "csee_iet_joint", "csee_competence", "soe_membership",
         "cmes_engineer"}


@pytest.fixture(autouse=True)
def _no_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def client_for(register: Path) -> TestClient:
    app = create_app(web_settings(MANIFEST_FILE, paths=Paths(register=register)),
                     secret="particulars-test-secret-0123456789", converter=object(),
                     verify_rate=1000)
    return TestClient(app, follow_redirects=False)


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One CSEE holder and one CMES holder printed: every certificate kind, the ECUK
    certificate of both programmes."""
    folder = tmp_path_factory.mktemp("particulars")
    people = yaml.safe_load(SAMPLES_FILE.read_text(encoding="utf-8"))
    chosen = [p for p in people if p["id"] in ("CSEE-2026-0007", "CMES-2026-0101")]
    data = folder / "two.yaml"
    data.write_text(yaml.safe_dump(chosen, allow_unicode=True, sort_keys=False), "utf-8")
    register = folder / "register.sqlite"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(KEY_ENV, raising=False)
        result = cli("certificates", data, "--out", folder / "out", "--register", register,
                     "--init-register", "--verify-url", BASE, "--manifest", MANIFEST_FILE,
                     env={"FORMGEN_TODAY": TODAY})
    assert result.exit_code == 0, result.output
    with Register(register, read_only=True) as reg:
        issued = [i for i in reg.rows() if i.status == "valid"]
    return {"folder": folder, "data": data, "register": register, "issued": issued,
            "people": chosen}


def rendered_details(doc_id: str, applicant_id: str, data: Path, register: Path) -> list[
        tuple[str, str]]:
    """(label, value) of the labelled details row of the certificate's template, rendered
    as DOCX for this holder with the context the run used."""
    settings = load_settings(MANIFEST_FILE)
    manifest = settings.manifest
    _, report = check_data(settings, [data])
    applicant = next(v.applicant for v in report.valid if v.applicant.id == applicant_id)
    with Register(register, read_only=True) as reg:
        issued = next(i for i in reg.rows()
                      if i.applicant_id == applicant_id and i.certificate == doc_id)
    lang = next(iter(manifest.documents[doc_id].templates))
    context = certificate_context(applicant, doc_id, issued, manifest, BASE)
    docx = batch_template(manifest.template_path(doc_id, lang)).render([context])
    pairs = []
    for table in read_docx(io.BytesIO(docx)).tables:
        for cell in table.rows[0].cells:
            styles = {p.style.name: p.text for p in cell.paragraphs if p.style is not None}
            if "Cert Label" in styles:
                pairs.append((styles["Cert Label"], styles["Cert Value"]))
    return pairs


@pytest.mark.needs_office
@pytest.mark.slow
def test_every_particular_on_the_page_is_on_the_paper_and_back(printed: dict[str, Any]) -> None:
    out, register = printed["folder"] / "out", printed["register"]
    seen_kinds = set()
    with client_for(register) as client:
        for issued in printed["issued"]:
            code = issued.short_code.replace("-", "")
            answer = client.get(f"/api/certificates/{code}")
            assert answer.status_code == 200
            particulars = answer.json()["particulars"]
            assert particulars, issued.certificate
            paper = flat(pdf_text(out / issued.applicant_id / f"{issued.certificate}.pdf"))
            page = html.unescape(client.get(f"/c/{code}?lang=en").text)
            for p in particulars:  # the page on the paper, word for word
                # (the details row prints its labels in small capitals)
                assert flat(p["label"]).casefold() in paper.casefold(), (issued.certificate, p["label"])
                for line in p["value"]:
                    assert flat(line) in paper, (issued.certificate, line)
                    assert f">{line}</span>" in page, (issued.certificate, line)
                assert f">{p['label']}</dt>" in page
            shown = {p["label"]: p["value"] for p in particulars}
            details = rendered_details(issued.certificate, issued.applicant_id,
                                       printed["data"], register)
            assert details, issued.certificate
            for label, value in details:  # the paper's labelled details on the page
                assert label in shown, (issued.certificate, label)
                assert value in shown[label], (issued.certificate, label, value)
            seen_kinds.add(issued.certificate)
    assert seen_kinds == KINDS


@pytest.mark.needs_office
@pytest.mark.slow
def test_what_the_soe_and_ecuk_certificates_print_is_on_their_pages(
        printed: dict[str, Any]) -> None:
    by_kind = {(i.applicant_id, i.certificate): i for i in printed["issued"]}
    soe = by_kind[("CMES-2026-0101", "soe_membership")]
    ecuk = by_kind[("CMES-2026-0101", "ecuk_registration")]
    joint = by_kind[("CSEE-2026-0007", "csee_iet_joint")]
    with client_for(printed["register"]) as client:
        def rows(issued: Any) -> list[tuple[str, list[str]]]:
            found = client.get(f"/api/certificates/{issued.short_code}").json()
            return [(p["label"], p["value"]) for p in found["particulars"]]

        assert rows(soe) == [
            ("This is to certify that", ["ZHAO Lixin"]),
            ("Class of membership", ["Member"]),
            ("Membership number", ["512201"]),
            ("and is registered in its professional sector",
             ["Institution of Plant Engineers (IPlantE)", "Plant engineering"]),
            ("Date of election", ["23 November 2026"]),
            ("Certificate No.", [soe.number]),
        ]
        assert rows(ecuk)[3:5] == [("Registration number", ["654331"]), ("Grade", ["CEng"])]
        assert rows(joint) == [
            ("兹证明 This is to certify that", ["李晓明", "LI Xiaoming"]),
            ("级别 Grade", ["主任工程师 IEng"]),
            ("颁发日期 Date of issue", ["2026年11月20日", "20 November 2026"]),
            ("证书编号 Certificate No.", [joint.number]),
        ]
        zh = client.get(f"/c/{soe.short_code}").text  # a Chinese page, the paper's English
        en = client.get(f"/c/{soe.short_code}?lang=en").text
    for page in (zh, en):
        assert '<dt lang="en">Class of membership</dt>' in page
        assert '<span class="line" lang="en">Member</span>' in page
        assert "Chartered Engineer" not in page and "特许工程师" not in page  # not printed on it
    assert "请按证书所印文字，将以上各行与所见证书逐行核对" in zh
    assert "Compare each line with the certificate you were shown, in the words it prints" in en


@pytest.mark.needs_office
@pytest.mark.slow
def test_the_holders_other_data_stays_off_the_page(printed: dict[str, Any]) -> None:
    people = {p["id"]: p for p in printed["people"]}
    with client_for(printed["register"]) as client:
        for issued in printed["issued"]:
            person = people[issued.applicant_id]
            page = client.get(f"/c/{issued.short_code}?lang=en").text
            answer = client.get(f"/api/certificates/{issued.short_code}").text
            hidden = [person["id"], person["email"], str(person["mobile"]),
                      *person["company"].values(), *person["job_title"].values()]
            if person.get("unit"):
                hidden.append(person["unit"])
            if issued.certificate != "ecuk_registration":
                hidden.append(person["certificate"]["ecuk_number"])
            if issued.certificate != "soe_membership" and "soe_membership_number" in person[
                    "certificate"]:
                hidden.append(person["certificate"]["soe_membership_number"])
            for text in hidden:
                assert text not in page and text not in answer, (issued.certificate, text)


@pytest.mark.needs_office
@pytest.mark.slow
def test_a_certificate_that_would_print_other_particulars_is_not_printed_again(
        printed: dict[str, Any], tmp_path: Path) -> None:
    cmes = [dict(p) for p in printed["people"] if p["id"] == "CMES-2026-0101"]
    cmes[0]["certificate"] = {**cmes[0]["certificate"], "soe_membership_number": "512299"}
    data = tmp_path / "changed.yaml"
    data.write_text(yaml.safe_dump(cmes, allow_unicode=True, sort_keys=False), "utf-8")
    soe = next(i for i in printed["issued"]
               if (i.applicant_id, i.certificate) == ("CMES-2026-0101", "soe_membership"))
    result = cli("certificates", data, "--out", tmp_path / "out", "--register",
                 printed["register"], "--verify-url", BASE, "--manifest", MANIFEST_FILE,
                 env={"FORMGEN_TODAY": TODAY})
    assert result.exit_code == 1
    assert (f"certificate {soe.number} would now print other particulars than it was issued "
            f"with: reissue it (formgen reissue {soe.number})") in result.stderr
    with client_for(printed["register"]) as client:
        found = client.get(f"/api/certificates/{soe.short_code}").json()
    assert ["512201"] in [p["value"] for p in found["particulars"]]


@pytest.mark.needs_office
@pytest.mark.slow
def test_the_audit_checks_what_a_real_run_kept(printed: dict[str, Any], tmp_path: Path) -> None:
    register = tmp_path / "register.sqlite"
    for suffix in (".sqlite", ".key", ".head"):
        shutil.copy(printed["register"].with_suffix(suffix), register.with_suffix(suffix))
    register.with_suffix(".key").chmod(0o600)
    assert cli("register", "audit", "--register", register).exit_code == 0
    soe = next(i for i in printed["issued"] if i.certificate == "soe_membership")
    db = sqlite3.connect(register)
    db.execute("DROP TRIGGER particulars_kept")  # an insider with write access
    db.execute("DELETE FROM particulars WHERE number = ?", (soe.number,))
    db.commit()
    db.close()
    result = cli("register", "audit", "--register", register)
    assert result.exit_code == 1
    assert result.stderr == (
        f"the register {register} fails its audit:\n  - certificate {soe.number}: the "
        "register's record of what it prints is missing, though every certificate numbered "
        "from event 2 on has one: it was deleted\n")


# ----------------------------------------------------------------------------- the record


def test_an_altered_record_of_particulars_is_not_found(tmp_path: Path) -> None:
    path = tmp_path / "register.sqlite"
    with Register.create(path) as reg:
        (issued,) = reg.issue([IssueRequest("CMES-2026-0101", "ZHAO Lixin", "soe_membership",
                                            "cmes-soe", "CEng", "CMES-SOE", reg_day())])
        assert keep(reg, [("CMES-2026-0101", issued.number,
                           [Printed("Class of membership", ("Member",))])]) == {}
        reg.confirm([issued.number])
        assert recorded(reg, issued.number) == [Printed("Class of membership", ("Member",))]
        changed = keep(reg, [("CMES-2026-0101", issued.number,
                              [Printed("Class of membership", ("Fellow",))])])
        assert changed["CMES-2026-0101"].english == (
            f"certificate {issued.number} would now print other particulars than it was "
            f"issued with: reissue it (formgen reissue {issued.number})")
    with client_for(path) as client:
        before = client.get(f"/c/{issued.short_code}?lang=en")
        assert before.status_code == 200 and '<span class="line" lang="en">Member</span>' in before.text
    db = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match="never changed"):
        db.execute("UPDATE particulars SET printed = replace(printed, 'Member', 'Fellow')")
    db.execute("DROP TRIGGER particulars_fixed")  # an insider with write access
    db.execute("UPDATE particulars SET printed = replace(printed, 'Member', 'Fellow')")
    db.commit()
    db.close()
    with Register(path, read_only=True) as reg, pytest.raises(VerificationError) as e:
        recorded(reg, issued.number)
    assert e.value.message.english == (
        f"certificate {issued.number} is not genuine: the register's record of what it prints "
        "does not match its seal")
    with client_for(path) as client:
        after = client.get(f"/c/{issued.short_code}?lang=en")
        api = client.get(f"/api/certificates/{issued.short_code}")
    # the register fails its audit (formgen register audit), which names the certificate
    assert after.status_code == 503 and "Fellow" not in after.text
    assert "The register fails its audit" in after.text
    assert api.status_code == 503
    assert api.json()["errors"][0]["message"] == (
        f"the register {path} fails its audit, so nothing in it can be vouched for: "
        f"certificate {issued.number} is not genuine: the register's record of what it prints "
        "does not match its seal")


def reg_day() -> Any:
    import datetime
    return datetime.date(2026, 11, 20)


def test_check_names_a_particular_that_is_not_a_template_over_the_context() -> None:
    from formgen.certificates.context import CONTEXT_KEYS
    from formgen.certificates.printed import problems
    from formgen.model.manifest import Particular, load_manifest

    manifest = load_manifest(MANIFEST_FILE)
    assert problems(manifest, CONTEXT_KEYS) == []
    soe = manifest.documents["soe_membership"].model_copy(update={"particulars": [
        Particular(label="Class of membership", value="{{ holdr.membership.name.en }}"),
        Particular(label="Certificate No.", value="{{ cert.number "),
    ]})
    ecuk = manifest.documents["ecuk_registration"].model_copy(update={"particulars": []})
    changed = manifest.model_copy(update={"documents": {
        **manifest.documents, "soe_membership": soe, "ecuk_registration": ecuk}})
    assert [p.english for p in problems(changed, CONTEXT_KEYS)] == [
        "ecuk_registration: the certificate lists no particulars (particulars: in the manifest), "
        "so its verification page could show nothing of what it prints",
        "soe_membership: the particular 'Class of membership' is not a template over the "
        "certificate's context: 'holdr' is undefined",
        "soe_membership: the particular 'Certificate No.' is not a template over the "
        "certificate's context: unexpected end of template, expected 'end of print statement'.",
    ]


@pytest.mark.parametrize("insider", [
    ["DROP TRIGGER particulars_kept", "DELETE FROM particulars"],
    ["DELETE FROM meta WHERE key = 'particulars_since'"],
    ["UPDATE meta SET value = '99 ' || substr(value, instr(value, ' ') + 1) "
     "WHERE key = 'particulars_since'"],
    ["DROP TABLE particulars"],
])
def test_particulars_taken_out_show_as_an_altered_register(tmp_path: Path,
                                                          insider: list[str]) -> None:
    path = tmp_path / "register.sqlite"
    with Register.create(path) as reg:
        (old,) = reg.issue([IssueRequest("CSEE-2026-0007", "LI Xiaoming", "ecuk_registration",
                                         "csee-iet", "IEng", "CSEE-IET", reg_day())])
        reg.confirm([old.number])  # numbered before the register kept particulars
        (new,) = reg.issue([IssueRequest("CMES-2026-0101", "ZHAO Lixin", "soe_membership",
                                         "cmes-soe", "CEng", "CMES-SOE", reg_day())])
        keep(reg, [("CMES-2026-0101", new.number, [Printed("Class of membership", ("Member",))])])
        reg.confirm([new.number])
        assert recorded(reg, old.number) is None
    db = sqlite3.connect(path)
    for statement in insider:
        db.execute(statement)
    db.commit()
    db.close()
    with Register(path, read_only=True) as reg, pytest.raises(VerificationError) as e:
        recorded(reg, new.number)
    assert e.value.code == "verify.particulars-altered"
    with client_for(path) as client:  # the register fails its audit
        assert client.get(f"/c/{new.short_code}?lang=en").status_code == 503
        assert client.get(f"/api/certificates/{new.short_code}").status_code == 503
