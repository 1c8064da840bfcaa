"""A programme added to the manifest appears in the CLI, the documents and the web page
without a change to the code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from conftest import MANIFEST_FILE, ROOT, TEST_DATA, docx_text
from fastapi.testclient import TestClient

from formgen.cli import main
from formgen.web import create_app, web_settings

THIRD = TEST_DATA / "third-programme"


@pytest.fixture
def manifest_path(tmp_path: Path) -> Path:
    """manifest.yaml with the third programme added, its registration form and certificates."""
    manifest: dict[str, Any] = yaml.safe_load(MANIFEST_FILE.read_text(encoding="utf-8"))
    manifest["programmes"].update(yaml.safe_load((THIRD / "programme.yaml").read_text("utf-8")))
    manifest["documents"]["registration_form"]["needed_by"]["programmes"].append("cces-ice")
    manifest["certificates"]["cces-ice"] = {"number_prefix": "CCES-ICE"}
    for doc in manifest["documents"].values():
        doc["templates"] = {lang: str(ROOT / path) for lang, path in doc["templates"].items()}
    manifest["competences"] = str(ROOT / manifest["competences"])
    path = tmp_path / "manifest.yaml"
    path.write_text(yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def test_cli_validates_the_third_programme(manifest_path: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["validate", "--manifest", str(manifest_path), str(THIRD / "applicant.yaml")]
    )
    assert result.exit_code == 0, result.output
    assert "1 record(s): 1 valid, 0 with errors" in result.output

    record = yaml.safe_load((THIRD / "applicant.yaml").read_text("utf-8"))
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(
        [{**record, "id": "X-1", "programme": "nope"},
         {**record, "id": "X-2", "grade": "EngTech"},
         {**record, "id": "X-3", "unit": ""}],
        allow_unicode=True), "utf-8")
    result = CliRunner().invoke(main, ["validate", "--manifest", str(manifest_path), str(bad)])
    assert result.exit_code == 1
    assert "programme: error: 'nope' is not one of: csee-iet, cmes-soe, cces-ice" in result.output
    assert "grade: error: 'EngTech' is not a grade of cces-ice; it offers CEng, IEng" in result.output
    assert ("unit: error: is missing; cces-ice applicants are nominated by a unit of the quota "
            "table") in result.output


def test_documents_name_the_third_programme(manifest_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, [
        "render", "--manifest", str(manifest_path), str(THIRD / "applicant.yaml"), "--out", str(out),
    ])
    assert result.exit_code == 0, result.output
    zh = docx_text(next((out / "CCES-2026-0001" / "zh").glob("报名表-*.docx")))
    en = docx_text(next((out / "CCES-2026-0001" / "en").glob("Registration-Form-*.docx")))
    assert "土木工程师国际资质认证" in zh and "☑特许土木工程师" in zh.replace(" ", "").replace("\u00a0", "")
    assert "International Civil Engineer Registration" in en and "Chartered Civil Engineer" in en
    assert "EngTech" not in en  # the programme offers CEng and IEng only
    fee = docx_text(next((out / "CCES-2026-0001" / "zh").glob("费用通知-*.docx")))
    assert "6,500元" in fee


def test_web_page_offers_the_third_programme(manifest_path: Path, tmp_path: Path) -> None:
    app = create_app(web_settings(manifest_path), secret="s" * 32, converter=object())
    with TestClient(app) as client:
        page = client.get("/?lang=en").text
        assert 'value="cces-ice:CEng"' in page and "CCES–ICE · Chartered Civil Engineer (CEng)" in page
        assert 'value="cces-ice:EngTech"' not in page
        assert "中国建筑集团有限公司" in page  # its quota's units are offered
        record = yaml.safe_load((THIRD / "applicant.yaml").read_text("utf-8"))
        form = {
            "programme_grade": "cces-ice:CEng", "unit": record["unit"], "id": "",
            "name.zh": "周建国", "name.en": "ZHOU Jianguo", "gender": "male",
            "mobile": record["mobile"], "email": record["email"],
            "company_phone": record["company_phone"], "english_interview": "true",
            **{f"{key}.{lang}": record[key][lang] for key in (
                "job_title", "expertise", "company", "company_address", "english_level")
               for lang in ("zh", "en")},
            **{f"education[1].{k}": v for k, v in record["education"][0].items() if not isinstance(v, dict)},
            **{f"education[1].{k}.{lang}": v[lang] for k, v in record["education"][0].items()
               if isinstance(v, dict) for lang in ("zh", "en")},
            **{f"career[1].{k}": v for k, v in record["career"][0].items() if not isinstance(v, dict)},
            **{f"career[1].{k}.{lang}": v[lang] for k, v in record["career"][0].items()
               if isinstance(v, dict) for lang in ("zh", "en")},
            "action": "check", "lang": "en",
        }
        answer = client.post("/?lang=en", data={k: str(v) for k, v in form.items()})
        assert answer.status_code == 200, answer.text
        assert "Your details are complete" in answer.text
