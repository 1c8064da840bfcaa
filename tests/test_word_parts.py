"""Every part of a template that Word lets staff type into is rendered and checked: the
compiled renderer against docxtpl's own render, part by part, on docxtpl's test templates
and on a template with Word's kinds of edits (split runs with proofing marks and a
bookmark, tracked changes, a comment, a footnote, an endnote, the document properties,
a new header); and ``formgen check`` naming the part of an unknown variable."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import docx
import pytest
import yaml
from click.testing import CliRunner
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from lxml import etree

from formgen.cli import main as cli_main
from formgen.exceptions import TemplateError
from formgen.forms.engine import CompiledTemplate, make_environment
from formgen.forms.lines import bookmark_ids, print_lines

ROOT = Path(__file__).resolve().parent.parent
DOCXTPL = Path(__file__).parent / "data" / "docxtpl"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
ENDNOTES_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.endnotes+xml"
NS = f'xmlns:w="{W}" xmlns:r="{R}"'

# ---------------------------------------------------------------- a template edited in Word


def _notes(kind: str, text: str) -> str:
    """footnotes.xml or endnotes.xml: Word's two separators, then note 1 holding ``text``."""
    tag = kind[:-1]  # footnote / endnote
    separators = "".join(
        f'<w:{tag} w:type="{t}" w:id="{i}"><w:p><w:r><w:{t}/></w:r></w:p></w:{tag}>'
        for i, t in ((-1, "separator"), (0, "continuationSeparator"))
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:{kind} {NS}>{separators}'
        f'<w:{tag} w:id="1"><w:p><w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p></w:{tag}>'
        f"</w:{kind}>"
    )


BODY = (
    # a placeholder Word split over runs, with proofing marks and a bookmark inside
    '<w:p><w:r><w:t xml:space="preserve">Name: {{ na</w:t></w:r><w:proofErr w:type="spellStart"/>'
    '<w:bookmarkStart w:id="7" w:name="who"/><w:r><w:rPr><w:b/></w:rPr><w:t>me.e</w:t></w:r>'
    '<w:bookmarkEnd w:id="7"/><w:proofErr w:type="spellEnd"/><w:r><w:t xml:space="preserve">n }}</w:t></w:r>'
    # a footnote and an endnote on it
    '<w:r><w:footnoteReference w:id="1"/></w:r><w:r><w:endnoteReference w:id="1"/></w:r></w:p>'
    # tracked changes: an insertion holding a placeholder, a deletion
    '<w:p><w:ins w:id="11" w:author="Staff" w:date="2026-01-05T10:00:00Z"><w:r>'
    '<w:t xml:space="preserve">Id: {{ id }}</w:t></w:r></w:ins><w:del w:id="12" w:author="Staff" '
    'w:date="2026-01-05T10:00:00Z"><w:r><w:delText>old words</w:delText></w:r></w:del></w:p>'
    # a comment on a placeholder; the comment's own text is a note to staff, never printed
    '<w:p><w:commentRangeStart w:id="0"/><w:r><w:t>{{ unit }}</w:t></w:r><w:commentRangeEnd w:id="0"/>'
    '<w:r><w:commentReference w:id="0"/></w:r></w:p>'
)
COMMENTS = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:comments {NS}>'
    '<w:comment w:id="0" w:author="Staff" w:date="2026-01-05T10:00:00Z" w:initials="S">'
    "<w:p><w:r><w:t>{{ unit }} is the unit's full name</w:t></w:r></w:p></w:comment></w:comments>"
)
PROPERTIES = {"title": "Form of {{ name.en }}", "subject": "{{ programme }}",
              "keywords": "{{ id }}, registration", "comments": "For {{ unit }}"}
CONTEXT = {"name": {"en": "LI Xiaoming", "zh": "李晓明"}, "id": "CSEE-2026-0007",
           "unit": "国网湖南省电力有限公司", "programme": "csee-iet"}


def word_edited_template(path: Path, footnote: str = "Footnote for {{ name.zh }}",
                         endnote: str = "Endnote: {{ programme }}",
                         header: str = "Header of the new section: {{ id }}") -> Path:
    """A template with Word's kinds of edits, placeholders in every part staff type into."""
    document = docx.Document()
    for name, value in PROPERTIES.items():
        setattr(document.core_properties, name, value)
    body = document.element.body
    for paragraph in reversed(etree.fromstring(f"<w:body {NS}>{BODY}</w:body>")):
        body.insert(0, paragraph)
    section = document.add_section()  # a new section with a header of its own
    section.header.is_linked_to_previous = False
    section.header.paragraphs[0].text = header
    document.add_paragraph("Second section")
    buffer = io.BytesIO()
    document.save(buffer)
    parts = {
        "word/footnotes.xml": ("footnotes", _notes("footnotes", footnote)),
        "word/endnotes.xml": ("endnotes", _notes("endnotes", endnote)),
        "word/comments.xml": ("comments", COMMENTS),
    }
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "[Content_Types].xml":
                overrides = "".join(
                    f'<Override PartName="/{name}" ContentType="application/vnd.openxmlformats-'
                    f'officedocument.wordprocessingml.{kind}+xml"/>' for name, (kind, _) in parts.items()
                )
                data = data.replace(b"</Types>", overrides.encode() + b"</Types>")
            elif info.filename == "word/_rels/document.xml.rels":
                rels = "".join(
                    f'<Relationship Id="rIdEdit{i}" Type="{R}/{kind}" Target="{name[5:]}"/>'
                    for i, (name, (kind, _)) in enumerate(parts.items())
                )
                data = data.replace(b"</Relationships>", rels.encode() + b"</Relationships>")
            dst.writestr(info, data)
        for name, (_, xml) in parts.items():
            dst.writestr(name, xml)
    return path


# ---------------------------------------------------------------- comparing the two renders


def parts_of(data: bytes) -> dict[str, bytes]:
    """Each XML part, canonical (attribute order, quoting, declarations do not count)."""
    out = {}
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if name.endswith((".xml", ".rels")):
                root = etree.fromstring(z.read(name))
                if name.endswith(".rels"):  # their order and layout are no content
                    root.text = None
                    for e in root:
                        e.tail = None
                    root[:] = sorted(root, key=lambda e: etree.tostring(e))
                if name == "[Content_Types].xml":  # the type each part gets, however written
                    out[name] = repr(sorted(content_types(root, z.namelist()).items())).encode()
                    continue
                if name == "docProps/core.xml":  # an empty property is no property
                    root[:] = [e for e in root if e.text or len(e)]
                out[name] = etree.tostring(root, method="c14n")
    return out


def content_types(root: Any, names: list[str]) -> dict[str, str]:
    """The content type of each part, from [Content_Types].xml's defaults and overrides."""
    tag = "{http://schemas.openxmlformats.org/package/2006/content-types}"
    defaults = {e.get("Extension").lower(): e.get("ContentType") for e in root.iter(f"{tag}Default")}
    overrides = {e.get("PartName"): e.get("ContentType") for e in root.iter(f"{tag}Override")}
    return {
        name: overrides.get(f"/{name}") or defaults.get(name.rsplit(".", 1)[-1].lower(), "")
        for name in names if not name.endswith("/") and name != "[Content_Types].xml"
    }


def docxtpl_render(path: Path, context: dict[str, Any]) -> bytes:
    """docxtpl's own render, with formgen's Jinja settings. docxtpl leaves the endnotes and
    the keywords alone; here they are rendered the way it renders the footnotes and the
    title, which is what formgen's renderer is to do."""
    env = make_environment()
    tpl = DocxTemplate(path)
    tpl.render(context, env)
    for part in tpl.docx.part.package.iter_parts():
        if part.content_type == ENDNOTES_TYPE:
            xml = tpl.patch_xml(part.blob.decode("utf-8"))
            part._blob = tpl.render_xml_part(xml, part, context, env).encode("utf-8")
    keywords = tpl.docx.core_properties.keywords
    tpl.docx.core_properties.keywords = env.from_string(keywords).render(context)
    buffer = io.BytesIO()
    tpl.save(buffer)
    return buffer.getvalue()


DOCXTPL_CASES = {  # docxtpl's templates, with the contexts of its own tests
    "footnotes_tpl": {"a_jinja_variable": "A Jinja variable!"},
    "doc_properties_tpl": {"test": "HelloWorld"},
    "header_footer_tpl": {"title": "Header and footer test", "company_name": "The World Wide company",
                          "date": "2016-03-17", "mysubdoc": "no sub-document"},
    "header_footer_entities_tpl": {"title": "Header and footer test"},
    "header_footer_tpl_utf8": {"title": "헤더와 푸터", "company_name": "세계적 회사", "date": "2016-03-17",
                               "mysubdoc": "no sub-document"},
    "comments_tpl": {},
    "word2016_tpl": {"test_space": "          ", "test_tabs": 5 * "\t", "test_space_r": "  ",
                     "test_tabs_r": "\t"},
    "order_tpl": {"customer_name": "Eric", "in_europe": True, "is_paid": False,
                  "company_name": "The World Wide company", "total_price": "100,000,000.00",
                  "items": [{"desc": "Python interpreters", "qty": 2, "price": "FREE"},
                            {"desc": "Guido", "qty": 1, "price": "100,000,000.00"}]},
}


@pytest.mark.parametrize("name", [*DOCXTPL_CASES, "word_edited"])
def test_the_compiled_renderer_gives_docxtpls_document_part_by_part(name: str, tmp_path: Path) -> None:
    if name == "word_edited":
        path, context = word_edited_template(tmp_path / "edited.docx"), CONTEXT
    else:
        path, context = DOCXTPL / f"{name}.docx", DOCXTPL_CASES[name]
    fast = parts_of(CompiledTemplate(path).render(context))
    plain = parts_of(docxtpl_render(path, context))
    assert fast.keys() == plain.keys()
    for part in plain:
        assert fast[part] == plain[part], part


def rendered_text(data: bytes) -> dict[str, str]:
    """The text of each rendered XML part (inserted and deleted text included)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {
            name: "".join(etree.fromstring(z.read(name)).itertext())
            for name in z.namelist() if name.endswith(".xml")
        }


def test_every_part_staff_type_into_is_filled_in(tmp_path: Path) -> None:
    text = rendered_text(CompiledTemplate(word_edited_template(tmp_path / "t.docx")).render(CONTEXT))
    assert "Name: LI Xiaoming" in text["word/document.xml"]
    assert "Id: CSEE-2026-0007" in text["word/document.xml"]
    assert "old words" in text["word/document.xml"]  # the deletion is still tracked
    assert "Footnote for 李晓明" in text["word/footnotes.xml"]
    assert "Endnote: csee-iet" in text["word/endnotes.xml"]
    headers = [t for name, t in text.items() if name.startswith("word/header")]
    assert "Header of the new section: CSEE-2026-0007" in headers
    properties = text["docProps/core.xml"]
    for filled in ("Form of LI Xiaoming", "csee-iet", "CSEE-2026-0007, registration",
                   "For 国网湖南省电力有限公司"):
        assert filled in properties
    # Word comments are notes to staff, kept as written (docxtpl keeps them too)
    assert text["word/comments.xml"] == "{{ unit }} is the unit's full name"
    left = [name for name, t in text.items() if "{{" in t and name != "word/comments.xml"]  # nothing raw
    assert left == []


def test_a_missing_variable_names_the_part_it_is_in(tmp_path: Path) -> None:
    path = word_edited_template(tmp_path / "t.docx", endnote="{{ a.pet }}")
    with pytest.raises(TemplateError) as caught:
        CompiledTemplate(path).render(CONTEXT)
    assert str(caught.value) == (
        f"{path}, endnotes: uses a variable the data does not have: 'a' is undefined"
    )


def test_an_image_placeholder_fails_naming_the_template_and_variable(tmp_path: Path) -> None:
    path = DOCXTPL / "footnotes_tpl.docx"
    image = InlineImage(DocxTemplate(path), str(DOCXTPL / "python_logo.png"), width=Mm(20))
    with pytest.raises(TemplateError) as caught:
        CompiledTemplate(path).render({"a_jinja_variable": image})
    assert str(caught.value) == (
        f"{path}, footnotes: 'a_jinja_variable' is an image (InlineImage); "
        "formgen's templates take text only"
    )


# ---------------------------------------------------------------- formgen check


@pytest.mark.slow  # formgen check reads every template's fonts: about 2 s
@pytest.mark.parametrize(("edit", "part"), [
    ({"footnote": "{{ a.pet }}"}, "footnotes"),
    ({"endnote": "{{ a.pet }}"}, "endnotes"),
    ({"header": "{{ a.pet }}"}, "header word/header1.xml"),
])
def test_check_names_an_unknown_variable_in_each_part(edit: dict[str, str], part: str, tmp_path: Path) -> None:
    template = word_edited_template(tmp_path / "edited.docx", **edit)
    result = check_with_template(tmp_path, template)
    assert result.exit_code == 1
    assert f"fee_notice (en): edited.docx, {part}: uses 'a.pet', which the data does not have" in (
        result.stderr.splitlines()
    )


@pytest.mark.slow  # formgen check reads every template's fonts: about 2 s
def test_check_names_an_unknown_variable_in_the_title(tmp_path: Path) -> None:
    document = docx.Document()
    document.core_properties.title = "Fee notice of {{ a.pet }}"
    document.add_paragraph("{{ a.name }}")
    document.save(tmp_path / "titled.docx")
    result = check_with_template(tmp_path, tmp_path / "titled.docx")
    assert result.exit_code == 1
    assert ("fee_notice (en): titled.docx, document properties (File › Properties): uses 'a.pet', "
            "which the data does not have") in result.stderr.splitlines()


def check_with_template(tmp_path: Path, template: Path) -> Any:
    """``formgen check`` on the shipped manifest with ``template`` as the English fee notice."""
    data = yaml.safe_load((ROOT / "manifest.yaml").read_text(encoding="utf-8"))
    for doc in data["documents"].values():
        doc["templates"] = {lang: str(ROOT / p) for lang, p in doc["templates"].items()}
    data["competences"] = str(ROOT / data.get("competences", "data/competences.yaml"))
    data["documents"]["fee_notice"]["templates"]["en"] = str(template)
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return CliRunner().invoke(cli_main, ["check", "--manifest", str(manifest)])


# ---------------------------------------------------------------- a value of several lines

LINES = "5 invention patents\n8 SCI papers"
LINES_BODY = (
    # a value in a paragraph of its own, in a plain-text control and in a rich-text one
    '<w:p><w:r><w:t>{{ text }}</w:t></w:r></w:p>'
    '<w:p><w:sdt><w:sdtPr><w:alias w:val="description.en"/><w:tag w:val="description.en"/>'
    '<w:text w:multiLine="1"/></w:sdtPr><w:sdtContent><w:r><w:t>{{ text }}</w:t></w:r>'
    '</w:sdtContent></w:sdt></w:p>'
    '<w:p><w:sdt><w:sdtPr><w:tag w:val="career[2].responsibilities.en"/></w:sdtPr>'
    '<w:sdtContent><w:r><w:t>{{ text }}</w:t></w:r></w:sdtContent></w:sdt></w:p>'
    # a control of one line stays a plain-text control
    '<w:p><w:sdt><w:sdtPr><w:tag w:val="email"/><w:text/></w:sdtPr><w:sdtContent><w:r>'
    '<w:t>{{ email }}</w:t></w:r></w:sdtContent></w:sdt></w:p>'
)


def _lines_template(path: Path) -> Path:
    document = docx.Document()
    body = document.element.body
    for paragraph in reversed(etree.fromstring(f"<w:body {NS}>{LINES_BODY}</w:body>")):
        body.insert(0, paragraph)
    document.save(str(path))
    return path


def test_a_line_break_in_a_value_is_a_break_in_its_run_as_docxtpl_makes_it(tmp_path: Path) -> None:
    """docxtpl writes a value's line break as ``<w:br/>`` in the value's run; so does the
    compiled renderer. The one difference: a plain-text control holding a break becomes a
    rich-text control in a bookmark (LibreOffice prints no break in a plain-text control)."""
    path = _lines_template(tmp_path / "lines.docx")
    context = {"text": LINES, "email": "li@example.com"}
    fast = CompiledTemplate(path).render(context)
    plain = docxtpl_render(path, context)
    with zipfile.ZipFile(io.BytesIO(plain)) as z:
        theirs = z.read("word/document.xml").decode("utf-8")
    ours = parts_of(fast)
    assert ours["word/document.xml"] != parts_of(plain)["word/document.xml"]
    plain = buffer_of(plain, theirs)  # docxtpl's document, then the one step
    assert parts_of(plain) == ours

    body = etree.fromstring(zipfile.ZipFile(io.BytesIO(fast)).read("word/document.xml"))
    ns = {"w": W}
    paragraphs = body.findall(".//w:body/w:p", ns)
    for p in paragraphs[:3]:  # each value: one run, its two lines either side of a break
        [run] = p.findall(".//w:r", ns)
        assert [child.tag.split("}")[1] for child in run] == ["t", "br", "t"]
        assert [t.text for t in run.findall("w:t", ns)] == ["5 invention patents", "8 SCI papers"]
    assert paragraphs[0].find("w:sdt", ns) is None
    marks = [m.get(f"{{{W}}}name") for m in body.iter(f"{{{W}}}bookmarkStart")]
    assert marks == ["fgl_description__en"]  # a rich-text control in the template is left as it is
    assert [p.find(".//w:sdtPr/w:text", ns) is None for p in paragraphs[1:4]] == [True, True, False]


def buffer_of(data: bytes, document_xml: str) -> bytes:
    """``data`` with its document part replaced by what ``print_lines`` makes of it."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if info.filename == "word/document.xml":
                dst.writestr(info.filename, print_lines(document_xml, bookmark_ids()))
            else:
                dst.writestr(info, src.read(info.filename))
    return out.getvalue()


def test_a_line_ended_as_on_windows_is_a_line_break_too(tmp_path: Path) -> None:
    """docxtpl leaves a ``\\r`` in the text (XML reads it as a space: "5 invention patents
    8 SCI papers" on one line); the compiled renderer makes ``\\r\\n`` and ``\\r`` the line
    break ``\\n`` makes."""
    path = _lines_template(tmp_path / "lines.docx")
    want = parts_of(CompiledTemplate(path).render({"text": LINES, "email": "li@example.com"}))
    for ending in ("\r\n", "\r"):
        context = {"text": LINES.replace("\n", ending), "email": "li@example.com"}
        assert parts_of(CompiledTemplate(path).render(context)) == want
        assert parts_of(docxtpl_render(path, context))["word/document.xml"] != want["word/document.xml"]
