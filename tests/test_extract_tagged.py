"""formgen's own forms come back: render, (type into the controls, save with LibreOffice),
extract, and every field the forms carry equals the record's."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import CMES_RECORD, SAMPLES_FILE, cli, example_dict, write_yaml
from docx import Document
from lxml import etree
from pydantic import TypeAdapter

from formgen.model.applicant import Applicant

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"



def records() -> list[dict[str, Any]]:
    samples = yaml.safe_load(SAMPLES_FILE.read_text(encoding="utf-8"))
    english_only = copy.deepcopy(example_dict())  # names and texts in one language only
    english_only.update(id="CSEE-2026-0500", name={"en": "ZHOU Min"}, email="zhou.min@example.com",
                        job_title={"zh": "工程师"})
    cmes = copy.deepcopy(CMES_RECORD)
    cmes.update(id="CMES-2026-0900", name={"zh": "孙伟", "en": "SUN Wei Jr"})
    return [*samples, cmes, english_only]


def render_all(tmp_path: Path, data: list[dict[str, Any]]) -> Path:
    source = write_yaml(tmp_path / "data.yaml", data)
    out = tmp_path / "forms"
    assert cli("render", source, "--out", out).exit_code == 0
    return out


def extract_all(tmp_path: Path, folder: Path) -> dict[str, dict[str, Any]]:
    out = tmp_path / "back.yaml"
    result = cli("extract", folder, "--out", out)
    assert "0 refused" in result.output, result.output
    return {r["id"]: r for r in yaml.safe_load(out.read_text(encoding="utf-8"))}


def assert_same(original: dict[str, Any], extracted: dict[str, Any]) -> None:
    """Every field the forms gave back equals the original's, read as the model reads it."""
    applicant = Applicant.model_validate(original)
    for field_name, value in extracted.items():
        annotation = Applicant.model_fields[field_name].annotation
        assert TypeAdapter(annotation).validate_python(value) == getattr(applicant, field_name), field_name


CARRIED = {  # what the forms of each programme carry, at the least
    "csee-iet": {"id", "programme", "grade", "name", "gender", "job_title", "expertise", "mobile",
                 "email", "company", "company_address", "company_phone", "english_level",
                 "english_interview", "education", "career", "description", "cpd"},
    "cmes-soe": {"id", "programme", "grade", "name", "job_title", "expertise", "company", "career",
                 "description", "cpd", "cmes", "soe"},
}


@pytest.mark.slow
def test_render_then_extract_gives_the_records_back(tmp_path: Path) -> None:
    data = records()
    back = extract_all(tmp_path, render_all(tmp_path, data))
    assert set(back) == {r["id"] for r in data}
    for original in data:
        extracted = back[original["id"]]
        assert CARRIED[original["programme"]] <= set(extracted), original["id"]
        assert_same(original, extracted)
    # a text shown in Chinese forms only as a stand-in for the English is not read as Chinese
    assert back["CSEE-2026-0500"]["name"] == {"en": "ZHOU Min"}
    assert back["CSEE-2026-0500"]["job_title"] == {"zh": "工程师"}


def _set_control(doc: Any, tag: str, text: str) -> None:
    """Type over a control's text, as a user does: the first run gets the text."""
    for sdt in doc.element.body.iter(f"{W}sdt"):
        found = sdt.find(f"{W}sdtPr/{W}tag")
        if found is not None and found.get(f"{W}val").split("~")[0] == tag:
            content = sdt.find(f"{W}sdtContent")
            runs = list(content.iter(f"{W}t"))
            if not runs:  # an empty control: the text goes into its run
                run = content.find(f"{W}r")
                runs = [etree.SubElement(run, f"{W}t")]
            runs[0].text = text
            for extra in runs[1:]:
                extra.text = ""
            return
    raise AssertionError(f"no control {tag}")


def test_values_typed_into_the_controls_come_back(tmp_path: Path) -> None:
    data = [r for r in records() if r["id"] in ("CSEE-2026-0007", "CSEE-2026-0500", "CMES-2026-0900")]
    folder = render_all(tmp_path, data)
    form = next((folder / "CSEE-2026-0007" / "zh").glob("报名表-*.docx"))
    doc = Document(str(form))
    _set_control(doc, "mobile", "+86 138 0000 1111")
    _set_control(doc, "career[1].responsibilities.zh", "负责机组安装")
    _set_control(doc, "career[3].start", "2018年3月")  # a spare row filled in
    _set_control(doc, "career[3].end", "2019年12月")
    _set_control(doc, "career[3].company.zh", "三峡集团")
    _set_control(doc, "career[3].job_title.zh", "助理工程师")
    _set_control(doc, "career[3].responsibilities.zh", "设备调试")
    doc.save(str(form))
    english = next((folder / "CSEE-2026-0007" / "en").glob("Registration-*.docx"))
    doc = Document(str(english))
    _set_control(doc, "mobile", "+86 138 0000 1111")  # in both languages' forms, or they disagree
    doc.save(str(english))
    stand_in = next((folder / "CSEE-2026-0500" / "zh").glob("报名表-*.docx"))
    doc = Document(str(stand_in))
    _set_control(doc, "name.zh", "周敏")  # the English name typed over in Chinese
    doc.save(str(stand_in))
    for form in (folder / "CMES-2026-0900").rglob("*Endorsement*.docx"):  # a rich-text control
        doc = Document(str(form))
        _set_control(doc, "cmes.membership_no", "M-2024-30001")
        doc.save(str(form))
    history = next((folder / "CMES-2026-0900" / "zh").glob("工作经历报告-*.docx"))
    doc = Document(str(history))
    _set_control(doc, "career[1].job_title.zh", "高级检验员")
    _set_control(doc, "description.zh", "参与编写两项地方标准。")
    doc.save(str(history))
    back = extract_all(tmp_path, folder)
    sun = back["CMES-2026-0900"]
    assert sun["cmes"]["membership_no"] == "M-2024-30001"
    assert sun["career"][0]["job_title"] == {"zh": "高级检验员", "en": "Inspector"}
    assert sun["description"] == {"zh": "参与编写两项地方标准。", "en": "Contributor to a provincial standard."}
    li = back["CSEE-2026-0007"]
    assert li["mobile"] == "+86 138 0000 1111"
    assert li["career"][0]["responsibilities"]["zh"] == "负责机组安装"
    assert li["career"][2] == {"start": "2018-03", "end": "2019-12", "company": {"zh": "三峡集团"},
                               "job_title": {"zh": "助理工程师"}, "responsibilities": {"zh": "设备调试"}}
    assert back["CSEE-2026-0500"]["name"] == {"zh": "周敏", "en": "ZHOU Min"}


@pytest.mark.needs_office
@pytest.mark.slow
def test_forms_saved_again_by_libreoffice_come_back(tmp_path: Path) -> None:
    from formgen.office import Converter

    data = records()
    folder = render_all(tmp_path, data)
    saved = tmp_path / "saved"
    jobs = []
    for path in folder.rglob("*.docx"):
        target = saved / path.relative_to(folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        jobs.append((path, target))
    with Converter() as converter:
        assert not any(converter.convert_many(jobs).values())
    shutil.rmtree(folder)
    back = extract_all(tmp_path, saved)
    for original in data:
        extracted = back[original["id"]]
        assert CARRIED[original["programme"]] <= set(extracted), original["id"]
        assert_same(original, extracted)


def _without_controls(docx: bytes, *, unbold: str = "") -> bytes:
    """The same document with every content control unwrapped and no bookmarks: the form
    as it printed before it had controls. ``unbold``: the text of a bold run to print in
    regular weight (a fault the comparison must see)."""
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(docx)) as src:
        parts = {i.filename: src.read(i) for i in src.infolist()}
    root = etree.fromstring(parts["word/document.xml"])
    for sdt in list(root.iter(f"{W}sdt")):
        parent, content = sdt.getparent(), sdt.find(f"{W}sdtContent")
        position = parent.index(sdt)
        for child in reversed(list(content)):
            parent.insert(position, child)
        parent.remove(sdt)
    for mark in list(root.iter(f"{W}bookmarkStart", f"{W}bookmarkEnd")):
        mark.getparent().remove(mark)
    for text in root.iter(f"{W}t"):
        if unbold and text.text == unbold:
            for bold in text.getparent().iter(f"{W}b"):
                bold.getparent().remove(bold)
    parts["word/document.xml"] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in parts.items():
            dst.writestr(name, data)
    return out.getvalue()


@pytest.mark.needs_office
@pytest.mark.slow
def test_controls_print_exactly_as_the_forms_without_them(tmp_path: Path) -> None:
    from print_compare import print_differences

    from formgen.office import Converter

    data = [r for r in records() if r["id"] in ("CSEE-2026-0007", "CMES-2026-0900", "CSEE-2026-0500")]
    folder = render_all(tmp_path, data)
    blank = tmp_path / "blank"
    for programme, grade in (("cmes-soe", "IEng"), ("csee-iet", "CEng")):
        assert cli("render", "--blank", "--programme", programme, "--grade", grade,
                   "--out", blank / programme).exit_code == 0
    forms = [p for p in [*folder.rglob("*.docx"), *blank.rglob("*.docx")]
             if not p.name.startswith(("费用", "Fee", "申请材料", "Submission"))]
    endorsement = next(p for p in forms if p.name.startswith("CMES-Endorsement"))
    faulty = endorsement.with_name("unbold-" + endorsement.name)
    faulty.write_bytes(_without_controls(endorsement.read_bytes(), unbold="M-2023-20015"))
    jobs = [(faulty, faulty.with_suffix(".pdf"))]
    for path in forms:
        plain = path.with_name("plain-" + path.name)
        plain.write_bytes(_without_controls(path.read_bytes()))
        jobs += [(path, path.with_suffix(".pdf")), (plain, plain.with_suffix(".pdf"))]
    with Converter() as converter:
        assert not any(converter.convert_many(jobs).values())
    assert len(forms) >= 20
    for number, path in enumerate(forms):
        plain = path.with_name("plain-" + path.stem + ".pdf")
        assert print_differences(path.with_suffix(".pdf"), plain, tmp_path / "png" / str(number)) == [], path.name
    # the comparison sees a value that lost its bold, as LibreOffice drew plain-text controls
    plain = endorsement.with_name("plain-" + endorsement.stem + ".pdf")
    found = print_differences(faulty.with_suffix(".pdf"), plain, tmp_path / "png" / "faulty")
    assert any("other fonts" in f for f in found) and any("pixels of ink" in f for f in found), found
