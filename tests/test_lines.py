"""Values of several lines in formgen's fillable forms: each sits in one content control,
its lines separated by ``<w:br/>`` in the control's run, as Word writes a line typed with
Shift+Enter, so that a reader of the form (``formgen extract``) finds the value with its
lines; a value of one line keeps its plain-text control. (How they print is in
tests/test_paper.py.)"""

from __future__ import annotations

import copy
import zipfile
from io import BytesIO
from pathlib import Path

import pytest
import yaml
from lxml import etree

from formgen.extract.document import read_document
from formgen.forms.documents import render_document
from formgen.model.applicant import Applicant
from formgen.model.manifest import load_manifest
from formgen.model.tags import lines_bookmark, parse_text_bookmark

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = load_manifest(ROOT / "manifest.yaml")
SAMPLES = {r["id"]: r for r in yaml.safe_load((ROOT / "data" / "applicants.yaml").read_text("utf-8"))}
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TEXT = {"zh": "授权发明专利5项\n发表SCI论文8篇", "en": "5 invention patents\n8 SCI papers"}
DUTIES = {"zh": "负责机组安装\n负责质量控制", "en": "Unit installation\nQuality control"}


def applicant() -> Applicant:
    data = copy.deepcopy(SAMPLES["CMES-2026-0101"])
    data["description"] = TEXT
    data["career"][0]["responsibilities"] = DUTIES
    return Applicant.model_validate(data)


def controls(docx: bytes) -> dict[str, etree._Element]:
    body = etree.fromstring(zipfile.ZipFile(BytesIO(docx)).read("word/document.xml"))
    return {sdt.find(f"{W}sdtPr/{W}tag").get(f"{W}val"): sdt for sdt in body.iter(f"{W}sdt")}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("doc_id", ["registration_form", "career_history"])
def test_a_value_of_several_lines_is_one_control_with_breaks_in_its_run(doc_id, lang):
    docx = render_document(applicant(), doc_id, lang, MANIFEST).docx
    found = controls(docx)
    for path, value in ((f"description.{lang}", TEXT[lang]), (f"career[1].responsibilities.{lang}", DUTIES[lang])):
        control = found[path]
        [run] = control.iter(f"{W}r")
        assert [child.tag[len(W):] for child in run] == ["t", "br", "t"]
        assert "\n".join(t.text for t in run.iter(f"{W}t")) == value
        assert control.find(f"{W}sdtPr/{W}text") is None  # rich text: LibreOffice prints the break
        start = control.getprevious()
        assert start.tag == f"{W}bookmarkStart" and start.get(f"{W}name") == lines_bookmark(path)
        assert parse_text_bookmark(start.get(f"{W}name")) == path
        assert control.getnext().get(f"{W}id") == start.get(f"{W}id")
    # a value of one line stays in a plain-text control, whose title LibreOffice keeps
    assert found[f"job_title.{lang}"].find(f"{W}sdtPr/{W}text") is not None
    read = {c.tag: c.text for c in read_document(docx).controls}
    assert read[f"description.{lang}"] == TEXT[lang]
    assert read[f"career[1].responsibilities.{lang}"] == DUTIES[lang]


def test_each_value_of_several_lines_has_a_bookmark_of_its_own():
    docx = render_document(applicant(), "registration_form", "zh", MANIFEST).docx
    body = etree.fromstring(zipfile.ZipFile(BytesIO(docx)).read("word/document.xml"))
    ids = [m.get(f"{W}id") for m in body.iter(f"{W}bookmarkStart")]
    assert len(ids) == len(set(ids))
    assert {lines_bookmark("description.zh"), lines_bookmark("career[1].responsibilities.zh")} <= {
        m.get(f"{W}name") for m in body.iter(f"{W}bookmarkStart")}


def test_fields_that_take_several_lines_let_word_start_a_new_line():
    """Blank forms: the controls of the fields that may run to several lines take line
    breaks in Word (w:multiLine); the others are plain one-line controls."""
    from formgen.forms.blank import render_blank

    docx = render_blank(MANIFEST, "csee-iet", "IEng", "registration_form", "en").docx
    found = controls(docx)
    multi = {tag for tag, sdt in found.items()
             if (text := sdt.find(f"{W}sdtPr/{W}text")) is not None and text.get(f"{W}multiLine") == "1"}
    assert {"description.en", "company_address.en", "career[1].responsibilities.en"} <= multi
    assert not multi & {"name.en", "email", "career[1].company.en", "education[1].start"}


@pytest.mark.parametrize(("path", "name"), [
    ("description.zh", "fgl_description__zh"),
    ("career[12].responsibilities.en", "fgl_career_12__responsibilities__en"),
    ("competences.B2.education_base.zh", "fgl_competences__B2__education_base__zh"),
])
def test_a_lines_bookmark_names_its_path(path, name):
    assert lines_bookmark(path) == name
    assert parse_text_bookmark(name) == path
    assert len(name) <= 40


def test_a_bookmark_that_is_no_path_is_not_read_as_one():
    assert parse_text_bookmark("fgl_nothing") is None
    assert parse_text_bookmark("fgl_") is None
    assert parse_text_bookmark("fg_description__zh") is None  # a box's bookmark, not a value's
