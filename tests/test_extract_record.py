"""One record per person, whatever mix of forms arrives: formgen's forms carry their form
key and the record as rendered, so extract joins a person's Chinese and English forms of
every document, restores what no page shows (the unit), reports what was typed over, and
keeps apart two people of the same name."""

from __future__ import annotations

import copy
import csv
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import CMES_RECORD, cli, example_dict, write_yaml
from docx import Document
from lxml import etree

from formgen.extract.document import read_document
from formgen.forms.carry import NAMESPACE

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def people() -> list[dict[str, Any]]:
    """Two people of one name (other unit, other email), one of the same surname, and a
    CMES applicant (career history, endorsement form)."""
    li = example_dict()
    other_li = copy.deepcopy(li)
    other_li.update(id="CSEE-2026-0009", unit="国家电网有限公司", email="li.xm@sgcc.example.com",
                    mobile="+86 139 2000 4455")
    same_surname = copy.deepcopy(li)
    same_surname.update(id="CSEE-2026-0008", name={"zh": "李晓红", "en": "LI Xiaohong"},
                        email="li.xiaohong@example.com", mobile="+86 139 3000 6677")
    return [li, other_li, same_surname, copy.deepcopy(CMES_RECORD)]


def type_into(path: Path, values: dict[str, str]) -> None:
    """Type over content controls as a person does in Word (python-docx saves the file)."""
    doc = Document(str(path))
    for tag, text in values.items():
        for sdt in doc.element.body.iter(f"{W}sdt"):
            found = sdt.find(f"{W}sdtPr/{W}tag")
            if found is not None and found.get(f"{W}val").split("~")[0] == tag:
                content = sdt.find(f"{W}sdtContent")
                texts = list(content.iter(f"{W}t"))
                if not texts:
                    texts = [etree.SubElement(next(content.iter(f"{W}r")), f"{W}t")]
                texts[0].text = text
                for extra in texts[1:]:
                    extra.text = ""
                break
        else:
            raise AssertionError(f"no control {tag} in {path.name}")
    doc.save(str(path))


def strip_carried(path: Path) -> None:
    """The form as a suite that drops custom XML parts and custom properties saves it."""
    with zipfile.ZipFile(path) as src:
        parts = {i.filename: src.read(i) for i in src.infolist()
                 if not i.filename.startswith("customXml/") and i.filename != "docProps/custom.xml"}
    for name in ("word/_rels/document.xml.rels", "_rels/.rels"):
        root = etree.fromstring(parts[name])
        for rel in list(root):
            if rel.get("Type", "").endswith(("/customXml", "/custom-properties")):
                root.remove(rel)
        parts[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in parts.items():
            dst.writestr(name, data)
    path.write_bytes(out.getvalue())


def render(tmp_path: Path, data: list[dict[str, Any]]) -> Path:
    out = tmp_path / "forms"
    assert cli("render", write_yaml(tmp_path / "data.yaml", data), "--out", out).exit_code == 0
    for notice in [*out.rglob("费用*"), *out.rglob("Fee*"), *out.rglob("申请材料*"), *out.rglob("Submission*")]:
        notice.unlink()
    return out


def blank_download(folder: Path, programme: str, grade: str) -> dict[str, Path]:
    """One download of blank forms: ``<doc>/<lang>`` → file."""
    assert cli("render", "--blank", "--programme", programme, "--grade", grade, "--out", folder).exit_code == 0
    found = {}
    for path in folder.rglob("*.docx"):
        doc = read_document(path.read_bytes())
        found[f"{doc.properties['formgen.document']}/{doc.properties['formgen.lang']}"] = path
    return found


def extract(tmp_path: Path, *folders: Path) -> tuple[dict[str, dict[str, Any]], list[dict[str, str]], str]:
    out = tmp_path / "intake.yaml"
    result = cli("extract", *folders, "--out", out)
    assert "0 refused" in result.output, result.output
    records = yaml.safe_load(out.read_text(encoding="utf-8"))
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)), ids  # no id given twice
    with (tmp_path / "intake.report.csv").open(encoding="utf-8-sig", newline="") as fh:
        report = list(csv.DictReader(fh))
    return {r["id"]: r for r in records}, report, result.output


def test_each_persons_forms_become_one_record(tmp_path: Path) -> None:
    data = people()
    forms = render(tmp_path, data)
    li = forms / "CSEE-2026-0007"
    type_into(next((li / "zh").glob("报名表-*.docx")), {"mobile": "+86 138 0000 1111"})
    type_into(next((li / "en").glob("Registration-*.docx")), {"company_address.en": ""})  # deleted
    # the same-surname person's Chinese CPD record, saved by a suite that keeps no custom parts
    strip_carried(next((forms / "CSEE-2026-0008" / "zh").glob("*.docx")))
    # a blank download filled by hand: Chinese and English registration forms, a CPD record
    # and a cross-reference table, each language's form with that language's values only
    wang = blank_download(tmp_path / "wang", "csee-iet", "IEng")
    type_into(wang["registration_form/zh"], {"name.zh": "王强", "mobile": "+86 137 0000 1234",
                                             "email": "wang.qiang@example.com", "company.zh": "国网湖北电力"})
    type_into(wang["registration_form/en"], {"name.en": "WANG Qiang", "company.en": "State Grid Hubei"})
    type_into(wang["cpd_record/zh"], {"name.zh": "王强", "cpd[1].date": "2025年6月18日",
                                      "cpd[1].description.zh": "继电保护培训", "cpd[1].hours": "16"})
    type_into(wang["cross_reference/en"], {"competences.A1.roles.en": "Protection design."})
    for unfilled in set(wang) - {"registration_form/zh", "registration_form/en", "cpd_record/zh",
                                 "cross_reference/en"}:
        wang[unfilled].unlink()
    # two cross-reference tables of two other downloads, with no name: two people, two ids
    for n in (1, 2):
        download = blank_download(tmp_path / f"anon{n}", "csee-iet", "CEng")
        type_into(download.pop("cross_reference/zh"), {"competences.A1.roles.zh": f"职责{n}"})
        for unfilled in download.values():
            unfilled.unlink()
    back, report, output = extract(tmp_path, forms, tmp_path / "wang", tmp_path / "anon1", tmp_path / "anon2")

    assert len(back) == 4 + 1 + 2, sorted(back)
    first = back["CSEE-2026-0007"]
    assert first["mobile"] == "+86 138 0000 1111"  # typed over: wins
    assert first["unit"] == "中国电力建设集团有限公司"  # no page shows it
    assert first["name"] == {"zh": "李晓明", "en": "LI Xiaoming"}
    assert first["company_address"] == {"zh": data[0]["company_address"]["zh"]}  # the English deleted
    assert back["CSEE-2026-0009"]["unit"] == "国家电网有限公司"
    assert back["CSEE-2026-0008"]["name"] == {"zh": "李晓红", "en": "LI Xiaohong"}
    assert len(back["CSEE-2026-0008"]["cpd"]) == len(data[2]["cpd"])
    assert back[CMES_RECORD["id"]]["cmes"] == CMES_RECORD["cmes"]
    assert back[CMES_RECORD["id"]]["soe"] == CMES_RECORD["soe"]
    wangs = [r for r in back.values() if r.get("name", {}).get("zh") == "王强"]
    assert len(wangs) == 1
    assert wangs[0]["name"] == {"zh": "王强", "en": "WANG Qiang"}
    assert wangs[0]["company"] == {"zh": "国网湖北电力", "en": "State Grid Hubei"}
    assert wangs[0]["cpd"] == [{"date": "2025-06-18", "description": {"zh": "继电保护培训"}, "hours": 16.0}]
    assert wangs[0]["competences"]["A1"]["roles"] == {"en": "Protection design."}
    # the change is a finding, on the command line and in the report
    changed = [row for row in report if row["Status"] == "typed over"]
    assert sorted((Path(r["File"]).parent.name, r["Field"], r["Value"]) for r in changed) == [
        ("en", "company_address.en", f"carried: {data[0]['company_address']['en']} | typed: "),
        ("zh", "mobile", "carried: +86 139 1000 2233 | typed: +86 138 0000 1111")]
    assert "mobile: warning: typed over: the form carried “+86 139 1000 2233”, it now says “+86 138 0000 1111”" in output
    # the English form shows the mobile as carried: typed over in one form, no disagreement
    assert "the forms disagree" not in output and "fits several people" not in output


def test_a_form_whose_name_fits_two_people_is_kept_apart_and_reported(tmp_path: Path) -> None:
    data = people()[:2]  # two people named 李晓明 / LI Xiaoming, of two units
    forms = render(tmp_path, data)
    cpd = next((forms / "CSEE-2026-0007" / "en").glob("CPD*.docx"))
    strip_carried(cpd)
    back, _, output = extract(tmp_path, forms)
    assert len(back) == 3
    assert "CSEE-2026-0007" in back and "CSEE-2026-0009" in back
    alone = next(r for i, r in back.items() if i not in ("CSEE-2026-0007", "CSEE-2026-0009"))
    assert alone["name"] == {"en": "LI Xiaoming"}
    assert ("the name LI Xiaoming fits several people" in output and "kept apart" in output), output


def test_a_form_without_what_it_carried_joins_by_name_across_languages(tmp_path: Path) -> None:
    """An English CPD record that lost its key and id joins the person whose Chinese forms
    carry the English name too; a same-name form whose unit differs is not joined."""
    data = people()[2:3]
    forms = render(tmp_path, data)
    for path in (forms / "CSEE-2026-0008" / "en").glob("CPD*.docx"):
        strip_carried(path)
    for path in (forms / "CSEE-2026-0008" / "zh").glob("*.docx"):
        if not path.name.startswith("报名表"):
            path.unlink()
    for path in (forms / "CSEE-2026-0008" / "en").glob("*.docx"):
        if not path.name.startswith("CPD"):
            path.unlink()
    back, _, _ = extract(tmp_path, forms)
    assert list(back) == ["CSEE-2026-0008"]
    assert len(back["CSEE-2026-0008"]["cpd"]) == len(data[0]["cpd"])


@pytest.mark.needs_office
@pytest.mark.slow
def test_forms_saved_again_by_libreoffice_still_carry_the_record(tmp_path: Path) -> None:
    from formgen.office import Converter

    data = people()
    forms = render(tmp_path, data)
    type_into(next((forms / "CSEE-2026-0009" / "en").glob("Registration-*.docx")),
              {"job_title.en": "Chief Engineer"})
    saved = tmp_path / "saved"
    jobs = []
    for path in [*(forms / "CSEE-2026-0009").rglob("*.docx"), *(forms / CMES_RECORD["id"]).rglob("*.docx")]:
        target = saved / path.relative_to(forms)
        target.parent.mkdir(parents=True, exist_ok=True)
        jobs.append((path, target))
    with Converter() as converter:
        assert not any(converter.convert_many(jobs).values())
    for source, target in jobs:
        again, before = read_document(target.read_bytes()), read_document(source.read_bytes())
        assert again.key == before.key and again.carried == before.carried, target.name
        with zipfile.ZipFile(target) as z:  # LibreOffice keeps the custom XML part itself
            assert any(NAMESPACE.encode() in z.read(n) for n in z.namelist() if n.startswith("customXml/item"))
        source.unlink()
    back, report, _ = extract(tmp_path, forms, saved)
    assert len(back) == 4
    assert back["CSEE-2026-0009"]["unit"] == "国家电网有限公司"
    assert back["CSEE-2026-0009"]["job_title"] == {"zh": data[1]["job_title"]["zh"], "en": "Chief Engineer"}
    assert back[CMES_RECORD["id"]]["soe"] == CMES_RECORD["soe"]
    changed = [(r["Field"], r["Value"]) for r in report if r["Status"] == "typed over"]
    assert changed == [("job_title.en", f"carried: {data[1]['job_title']['en']} | typed: Chief Engineer")]


def test_the_properties_give_the_record_where_the_custom_xml_part_is_gone(tmp_path: Path) -> None:
    forms = render(tmp_path, people()[:1])
    path = next((forms / "CSEE-2026-0007" / "zh").glob("报名表-*.docx"))
    before = read_document(path.read_bytes())
    with zipfile.ZipFile(path) as src:
        parts = {i.filename: src.read(i) for i in src.infolist() if not i.filename.startswith("customXml/")}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name, part in parts.items():
            dst.writestr(name, part)
    after = read_document(out.getvalue())
    assert before.carried is not None and after.carried == before.carried
    assert after.key == before.key
    assert after.carried["unit"] == "中国电力建设集团有限公司"
    assert after.carried["name"] == {"zh": "李晓明", "en": "LI Xiaoming"}


@pytest.mark.needs_office
@pytest.mark.slow
def test_the_record_survives_doc_odt_and_rtf(tmp_path: Path) -> None:
    """Saved by LibreOffice as .doc, .odt or .rtf and back as DOCX, a form still carries its
    key and the whole record (in its custom properties)."""
    import shutil
    import subprocess

    forms = render(tmp_path, people()[1:2])
    form = next((forms / "CSEE-2026-0009" / "zh").glob("报名表-*.docx"))
    before = read_document(form.read_bytes())
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice is not None
    profile = f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}"
    for fmt in ("doc", "odt", "rtf"):
        there, back = tmp_path / fmt, tmp_path / f"{fmt}-back"
        for source, target, out in ((form, fmt, there), (there / f"{form.stem}.{fmt}", "docx:MS Word 2007 XML", back)):
            subprocess.run([soffice, "--headless", profile, "--convert-to", target, "--outdir", str(out), str(source)],
                           check=True, capture_output=True, timeout=180)
        again = read_document((back / form.name).read_bytes())
        assert again.key == before.key, fmt
        assert again.carried == before.carried, fmt
        assert again.carried is not None and again.carried["unit"] == "国家电网有限公司"


def test_a_form_carrying_no_record_it_could_be_is_read_by_what_it_shows(tmp_path: Path) -> None:
    """A carried record nested past any record's depth, or not JSON at all, is not taken:
    the form is read by its controls, and nothing breaks."""
    forms = render(tmp_path, people()[:1])
    for path in list(forms.rglob("*.docx")):
        if not path.name.startswith("报名表"):
            path.unlink()
    form = next(forms.rglob("报名表-*.docx"))
    for n, carried in enumerate(('{"a":' * 100000 + "1" + "}" * 100000, "not json", '{"a":{"b":{"c":{"d":{"e":{"f":{}}}}}}}')):
        with zipfile.ZipFile(form) as src:
            parts = {i.filename: src.read(i) for i in src.infolist() if i.filename != "docProps/custom.xml"}
        item = next(name for name, data in parts.items() if name.startswith("customXml/item") and NAMESPACE.encode() in data)
        root = etree.fromstring(parts[item])
        root.find(f"{{{NAMESPACE}}}record").text = carried
        parts[item] = etree.tostring(root)
        hostile = tmp_path / f"hostile{n}" / form.name
        hostile.parent.mkdir()
        with zipfile.ZipFile(hostile, "w") as dst:
            for name, data in parts.items():
                dst.writestr(name, data)
        assert read_document(hostile.read_bytes()).carried is None
        out = tmp_path / f"back{n}.yaml"
        result = cli("extract", hostile, "--out", out)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        back = yaml.safe_load(out.read_text(encoding="utf-8"))
        assert [r["name"] for r in back] == [{"zh": "李晓明"}]  # what the Chinese form shows


def test_names_in_two_languages_join_when_something_else_agrees(tmp_path: Path) -> None:
    """Blank forms of two downloads: 王强 in Chinese and WANG Qiang in English, with one
    email, are one person; 赵磊 and ZHAO Lei with nothing else in common are kept apart
    (汪磊 would spell the same) and reported."""
    a = blank_download(tmp_path / "a", "csee-iet", "IEng")
    b = blank_download(tmp_path / "b", "csee-iet", "IEng")
    c = blank_download(tmp_path / "c", "csee-iet", "IEng")
    d = blank_download(tmp_path / "d", "csee-iet", "IEng")
    type_into(a["registration_form/zh"], {"name.zh": "王强", "email": "wang.qiang@example.com"})
    type_into(b["registration_form/en"], {"name.en": "Qiang WANG", "email": "Wang.Qiang@example.com"})
    type_into(c["cpd_record/zh"], {"name.zh": "赵磊", "cpd[1].date": "2025年6月18日", "cpd[1].hours": "8"})
    type_into(d["cpd_record/en"], {"name.en": "ZHAO Lei", "cpd[1].date": "18 Jun 2025", "cpd[1].hours": "8"})
    keep = {a["registration_form/zh"], b["registration_form/en"], c["cpd_record/zh"], d["cpd_record/en"]}
    for download in (a, b, c, d):
        for path in download.values():
            if path not in keep:
                path.unlink()
    back, _, output = extract(tmp_path, tmp_path / "a", tmp_path / "b", tmp_path / "c", tmp_path / "d")
    names = sorted((r["name"].get("zh", ""), r["name"].get("en", "")) for r in back.values())
    assert names == [("", "ZHAO Lei"), ("王强", "Qiang WANG"), ("赵磊", "")]
    assert "the name ZHAO Lei is spelled as the name of the person of" in output or \
        "the name 赵磊 is spelled as the name of the person of" in output, output


def test_forms_of_three_blank_downloads_of_one_name_are_one_person(tmp_path: Path) -> None:
    """A CPD record from one download, a cross-reference table from another and the
    registration forms from a third, all 王芳: nothing says they are two people."""
    downloads = [blank_download(tmp_path / name, "csee-iet", "IEng") for name in ("a", "b", "c")]
    filled = {
        downloads[0]["cpd_record/zh"]: {"name.zh": "王芳", "cpd[1].date": "2025年6月18日", "cpd[1].hours": "8"},
        downloads[1]["cross_reference/zh"]: {"name.zh": "王芳", "competences.A1.roles.zh": "负责设计"},
        downloads[2]["registration_form/zh"]: {"name.zh": "王芳", "email": "wang.fang@example.com"},
        downloads[2]["registration_form/en"]: {"name.en": "WANG Fang"},
    }
    for path, values in filled.items():
        type_into(path, values)
    for download in downloads:
        for path in download.values():
            if path not in filled:
                path.unlink()
    back, _, output = extract(tmp_path, *(tmp_path / name for name in ("a", "b", "c")))
    assert len(back) == 1, output
    (wang,) = back.values()
    assert wang["name"] == {"zh": "王芳", "en": "WANG Fang"}
    assert wang["competences"]["A1"]["roles"] == {"zh": "负责设计"}
    assert wang["cpd"][0]["hours"] == 8


def test_forms_of_two_versions_disagree_until_someone_types_the_value(tmp_path: Path) -> None:
    """Two downloads of one application made before and after its mobile changed: the
    forms disagree, and are reported; the number typed over either settles it."""
    first, second = example_dict(), example_dict()
    second["mobile"] = "+86 139 9999 0000"
    old = render(tmp_path / "old", [first])
    new = render(tmp_path / "new", [second])
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    forms = {  # in the order they are read: the two disagreeing first
        "1.docx": next((old / "CSEE-2026-0007" / "zh").glob("报名表-*.docx")),
        "2.docx": next((new / "CSEE-2026-0007" / "zh").glob("CPD*.docx")),
        "3.docx": next((new / "CSEE-2026-0007" / "en").glob("Registration-*.docx")),
    }
    for name, form in forms.items():
        (inbox / name).write_bytes(form.read_bytes())
    back, _, output = extract(tmp_path, inbox)
    assert "mobile: error: the forms disagree" in output, output
    type_into(inbox / "3.docx", {"mobile": "+86 138 1234 5678"})
    back, report, output = _extract_again(tmp_path, inbox)
    assert back["CSEE-2026-0007"]["mobile"] == "+86 138 1234 5678"
    assert "the forms disagree" not in output
    assert [(r["Field"], r["Value"]) for r in report if r["Status"] == "typed over"] == [
        ("mobile", "carried: +86 139 9999 0000 | typed: +86 138 1234 5678")]


def _extract_again(tmp_path: Path, inbox: Path) -> tuple[dict[str, dict[str, Any]], list[dict[str, str]], str]:
    again = tmp_path / "again"
    again.mkdir()
    return extract(again, inbox)
