"""The command line: ``formgen render`` and ``formgen check`` on real templates, real DOCX."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import EXAMPLE_FILE, MANIFEST_FILE, ROOT, cli, docx_text, with_id, write_yaml

CSEE_FILES = {
    "zh": ["CPD纪录-李晓明.docx", "交叉对照表格-李晓明.docx", "报名表-李晓明.docx", "费用通知-李晓明.docx"],
    "en": ["CPD-Record-LI Xiaoming.docx", "Cross-Reference-LI Xiaoming.docx",
           "Fee-Notice-LI Xiaoming.docx", "Registration-Form-LI Xiaoming.docx"],
}
CMES_FILES = {
    "zh": ["CMES会员申请批注表-孙伟.docx", "CPD纪录-孙伟.docx", "交叉对照表格-孙伟.docx", "工作经历报告-孙伟.docx",
           "申请材料清单-孙伟.docx", "费用通知-孙伟.docx"],
    "en": ["CMES-Endorsement-Form-SUN Wei.docx", "CPD-Record-SUN Wei.docx",
           "Career-History-Report-SUN Wei.docx", "Cross-Reference-SUN Wei.docx",
           "Fee-Notice-SUN Wei.docx", "Submission-Checklist-SUN Wei.docx"],
}



def files_under(folder: Path) -> list[str]:
    """The documents written under ``folder``, the run's report (errors.csv) aside."""
    assert (folder / "errors.csv").is_file()
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if p.is_file() and p != folder / "errors.csv")


def tree(applicant_id: str, names: dict[str, list[str]], langs: tuple[str, ...] = ("zh", "en")) -> list[str]:
    return sorted(f"{applicant_id}/{lang}/{name}" for lang in langs for name in names[lang])


def make_template(path: Path, *paragraphs: str) -> Path:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


def tmp_manifest(tmp_path: Path, edit: Callable[[dict[str, Any]], None] | None = None) -> Path:
    """A copy of the shipped manifest in tmp_path, its paths made absolute, then edited."""
    data = yaml.safe_load(MANIFEST_FILE.read_text(encoding="utf-8"))
    for doc in data["documents"].values():
        doc["templates"] = {lang: str(ROOT / p) for lang, p in doc["templates"].items()}
    for kind in data.get("mail", {}).get("messages", {}).values():  # formgen send's messages
        kind["templates"] = {lang: str(ROOT / p) for lang, p in kind["templates"].items()}
    data["competences"] = str(ROOT / data.get("competences", "data/competences.yaml"))
    if edit:
        edit(data)
    target = tmp_path / "manifest" / "manifest.yaml"
    write_yaml(target, data)
    return target


# ----------------------------------------------------------------------------- render


def test_render_writes_every_document_in_both_languages(tmp_path: Path, cmes_record: dict) -> None:
    data = write_yaml(tmp_path / "two.yaml", [yaml.safe_load(EXAMPLE_FILE.read_text("utf-8")), cmes_record])
    out = tmp_path / "out"
    result = cli("render", data, "--out", out)
    assert result.exit_code == 0, result.output
    assert files_under(out) == sorted(
        tree("CSEE-2026-0007", CSEE_FILES) + tree("CMES-2026-0103", CMES_FILES)
    )
    assert result.stderr.splitlines()[-1] == f"2 record(s): 2 rendered (20 file(s)) into {out}, 0 failed"
    text = docx_text(out / "CSEE-2026-0007" / "zh" / "报名表-李晓明.docx")
    assert "李晓明" in text and "中国水利水电第八工程局有限公司" in text
    text = docx_text(out / "CMES-2026-0103" / "en" / "CMES-Endorsement-Form-SUN Wei.docx")
    assert "SUN Wei" in text and "M-2023-20015" in text


def test_render_one_language_and_one_document(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = cli("render", EXAMPLE_FILE, "--out", out, "--lang", "en", "--doc", "fee_notice", "--format", "docx")
    assert result.exit_code == 0, result.output
    assert files_under(out) == ["CSEE-2026-0007/en/Fee-Notice-LI Xiaoming.docx"]


def test_render_two_documents(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = cli("render", EXAMPLE_FILE, "--out", out, "--doc", "cpd_record", "--doc", "registration_form",
                 "--lang", "zh")
    assert result.exit_code == 0, result.output
    assert files_under(out) == ["CSEE-2026-0007/zh/CPD纪录-李晓明.docx", "CSEE-2026-0007/zh/报名表-李晓明.docx"]


def test_render_unknown_document(tmp_path: Path) -> None:
    result = cli("render", EXAMPLE_FILE, "--out", tmp_path / "out", "--doc", "passport")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: unknown document 'passport'; the manifest has: registration_form, ")
    assert not (tmp_path / "out").exists()


def test_render_unknown_language(tmp_path: Path) -> None:
    result = cli("render", EXAMPLE_FILE, "--out", tmp_path / "out", "--lang", "fr")
    assert result.exit_code == 2
    assert "'fr' is not one of 'zh', 'en'" in result.stderr


def test_failed_record_writes_nothing_others_are_rendered(tmp_path: Path, example_record: dict, cmes_record: dict) -> None:
    bad = with_id(example_record, "CSEE-2026-0099", email="nobody")
    data = write_yaml(tmp_path / "d.yaml", [bad, cmes_record])
    out = tmp_path / "out"
    result = cli("render", data, "--out", out)
    assert result.exit_code == 1
    assert files_under(out) == tree("CMES-2026-0103", CMES_FILES)
    assert not (out / "CSEE-2026-0099").exists()
    assert f"{data}, record 1 (CSEE-2026-0099), email: error: 'nobody' is not an email address" in result.stderr
    assert result.stderr.splitlines()[-1] == f"2 record(s): 1 rendered (12 file(s)) into {out}, 1 failed (see {out / 'errors.csv'})"


def test_render_from_csv_and_xlsx(tmp_path: Path, example_record: dict) -> None:
    from conftest import write_csv, write_xlsx

    csv_file = write_csv(tmp_path / "a.csv", [example_record])[0]
    xlsx_file = write_xlsx(tmp_path / "b.xlsx", [with_id(example_record, "CSEE-2026-0008")])
    out = tmp_path / "out"
    result = cli("render", csv_file, xlsx_file, "--out", out, "--doc", "registration_form", "--lang", "zh")
    assert result.exit_code == 0, result.output
    first = docx_text(out / "CSEE-2026-0007" / "zh" / "报名表-李晓明.docx")
    second = docx_text(out / "CSEE-2026-0008" / "zh" / "报名表-李晓明.docx")
    assert first.replace("0007", "0008") == second


AWKWARD = {
    ("company_address", "zh"): 'A & B <c> "d" \'e\' &amp; ]]>',
    ("company_address", "en"): "Line one\nLine two\n\nLine four",
    ("name", "zh"): "李𠀾明",
    ("expertise", "zh"): "𠀾𠀿 水电 ✓ ☐ — “引号” ‘单’",
    ("description", "en"): "{{7*7}} {% if true %}yes{% endif %} {# note #} {{ a.id }}",
    ("job_title", "en"): "{% for x in range(3) %}{{x}}{% endfor %}",
}


def test_awkward_values_appear_exactly(tmp_path: Path, example_record: dict) -> None:
    for (field, lang), value in AWKWARD.items():
        example_record[field][lang] = value
    data = write_yaml(tmp_path / "a.yaml", example_record)
    out = tmp_path / "out"
    result = cli("render", data, "--out", out, "--doc", "registration_form")
    assert result.exit_code == 0, result.output
    zh = docx_text(out / "CSEE-2026-0007" / "zh" / "报名表-李𠀾明.docx")
    en = docx_text(out / "CSEE-2026-0007" / "en" / "Registration-Form-LI Xiaoming.docx")
    for (field, lang), value in AWKWARD.items():
        if field == "company_address" or field == "expertise" or field == "name":
            assert value in (zh if lang == "zh" else en), (field, lang)
        else:
            assert value in en, field
    assert "49" not in en.split("Personal description")[-1]
    assert "012" not in en


def test_awkward_values_make_a_valid_docx(tmp_path: Path, example_record: dict) -> None:
    import zipfile

    from lxml import etree

    example_record["company"]["zh"] = '<w:p>&"\'</w:p>]]><!--x-->'
    data = write_yaml(tmp_path / "a.yaml", example_record)
    out = tmp_path / "out"
    assert cli("render", data, "--out", out).exit_code == 0
    for path in out.rglob("*.docx"):
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if name.endswith(".xml"):
                    etree.fromstring(z.read(name))  # well-formed, or this raises
    assert '<w:p>&"\'</w:p>]]><!--x-->' in docx_text(out / "CSEE-2026-0007" / "zh" / "报名表-李晓明.docx")


def test_unsafe_id_stays_inside_the_output_folder(tmp_path: Path, example_record: dict) -> None:
    data = write_yaml(tmp_path / "a.yaml", with_id(example_record, "../../etc/CON"))
    out = tmp_path / "deep" / "out"
    result = cli("render", data, "--out", out, "--doc", "fee_notice", "--lang", "en")
    assert result.exit_code == 0, result.output
    written = [p for p in tmp_path.rglob("*.docx")]
    assert len(written) == 1
    assert out.resolve() in written[0].resolve().parents
    assert written[0].relative_to(out.resolve()).as_posix() == "etc_CON/en/Fee-Notice-LI Xiaoming.docx"


@pytest.mark.parametrize(("applicant_id", "folder"), [("CON", "_CON"), ("a:b", "a_b"), ("nul.txt", "_nul.txt")])
def test_reserved_and_unsafe_ids_give_safe_folders(
    tmp_path: Path, example_record: dict, applicant_id: str, folder: str
) -> None:
    data = write_yaml(tmp_path / "a.yaml", with_id(example_record, applicant_id))
    out = tmp_path / "out"
    assert cli("render", data, "--out", out, "--doc", "fee_notice", "--lang", "en").exit_code == 0
    assert files_under(out) == [f"{folder}/en/Fee-Notice-LI Xiaoming.docx"]


def test_id_with_nothing_left_for_a_folder(tmp_path: Path, example_record: dict) -> None:
    data = write_yaml(tmp_path / "a.yaml", with_id(example_record, "../.."))
    result = cli("render", data, "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert f"{data}, record 1 (../..), id: error: '../..' cannot be used as a folder name" in result.stderr


def test_output_folder_under_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    result = cli("render", EXAMPLE_FILE, "--out", blocker / "out")
    assert result.exit_code == 1
    assert result.stderr == f"Error: cannot create the output folder {blocker / 'out'}: Not a directory\n"
    assert "Traceback" not in result.output


def test_template_with_unknown_variable_fails_loudly(tmp_path: Path) -> None:
    template = make_template(tmp_path / "t" / "fee.docx", "Fee for {{ a.name }}", "{{ a.nonexistent }}")

    def edit(data: dict[str, Any]) -> None:
        data["documents"]["fee_notice"]["templates"]["en"] = str(template)

    manifest = tmp_manifest(tmp_path, edit)
    out = tmp_path / "out"
    result = cli("render", EXAMPLE_FILE, "--out", out, "--manifest", manifest, "--doc", "fee_notice")
    assert result.exit_code == 1
    assert (
        f"{EXAMPLE_FILE}, record 1 (CSEE-2026-0007): error: {template}, body: uses a variable "
        "the data does not have: 'dict object' has no attribute 'nonexistent'"
    ) in result.stderr.splitlines()
    assert result.stderr.splitlines()[-1] == f"1 record(s): 0 rendered (0 file(s)) into {out}, 1 failed (see {out / 'errors.csv'})"
    assert "Traceback" not in result.output
    assert not list(out.rglob("*.docx"))


def test_template_with_unknown_top_level_name(tmp_path: Path) -> None:
    template = make_template(tmp_path / "t" / "fee.docx", "{{ applicant_name }}")

    def edit(data: dict[str, Any]) -> None:
        data["documents"]["fee_notice"]["templates"]["zh"] = str(template)

    result = cli("render", EXAMPLE_FILE, "--out", tmp_path / "out", "--manifest", tmp_manifest(tmp_path, edit),
                 "--doc", "fee_notice", "--lang", "zh")
    assert result.exit_code == 1
    assert "uses a variable the data does not have: 'applicant_name' is undefined" in result.stderr


@pytest.mark.parametrize(
    ("variable", "complaint"),
    [
        ("FORMGEN_SOFFICE", "which is not an executable program"),
        # soffice is looked for first, so this one needs a LibreOffice to get as far as the bridge
        pytest.param("FORMGEN_UNO_PYTHON", "which cannot 'import uno'", marks=pytest.mark.needs_office),
    ],
)
def test_pdf_with_libreoffice_set_to_a_missing_program(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, complaint: str
) -> None:
    """A setting that points nowhere is reported, never passed over for another LibreOffice."""
    from formgen.office.process import soffice_path, uno_python

    missing = tmp_path / "not-installed"
    monkeypatch.setenv(variable, str(missing))
    out = tmp_path / "out"
    soffice_path.cache_clear()
    uno_python.cache_clear()
    try:
        result = cli("render", EXAMPLE_FILE, "--out", out, "--doc", "fee_notice", "--lang", "en", "--format", "pdf")
    finally:
        soffice_path.cache_clear()
        uno_python.cache_clear()
    assert result.exit_code == 1
    assert f"{EXAMPLE_FILE}, record 1 (CSEE-2026-0007): error: {variable} is set to {missing}, {complaint}" \
        in result.stderr.splitlines()
    assert result.stderr.splitlines()[-1] == f"1 record(s): 0 rendered (0 file(s)) into {out}, 1 failed (see {out / 'errors.csv'})"
    assert "Traceback" not in result.output
    assert not list(out.rglob("*.pdf"))


def test_missing_manifest(tmp_path: Path) -> None:
    result = cli("render", EXAMPLE_FILE, "--out", tmp_path / "out", "--manifest", tmp_path / "none.yaml")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {tmp_path / 'none.yaml'}: cannot read the manifest: No such file or directory\n"
    )


# ----------------------------------------------------------------------------- check


@pytest.mark.slow  # formgen check reads every template's fonts: about 2 s
def test_check_passes_on_the_shipped_manifest() -> None:
    result = cli("check", "--manifest", MANIFEST_FILE)
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("document(s), all templates in order\n")
    assert [line.split(":")[0] for line in result.stderr.splitlines()] == ["Warning", "Warning"]
    assert "is a placeholder (https://verify.example.org)" in result.stderr  # see test_verify_address


@pytest.mark.slow  # formgen check reads every template's fonts: about 2 s
def test_check_reports_template_problems(tmp_path: Path) -> None:
    missing = tmp_path / "t" / "missing.docx"
    unknown = make_template(tmp_path / "t" / "unknown.docx", "{{ a.name }} {{ a.nonexistent }} {{ a.cmes.colour }}")
    zh = make_template(tmp_path / "t" / "zh.docx", "{{ a.name }} {{ a.email }} {{ a.mobile }}")
    en = make_template(tmp_path / "t" / "en.docx", "{{ a.name }} {{ a.email }} {{ a.company }}")

    def edit(data: dict[str, Any]) -> None:
        docs = data["documents"]
        docs["registration_form"]["templates"]["zh"] = str(missing)
        docs["cpd_record"]["templates"] = {"zh": str(unknown), "en": str(unknown)}
        docs["fee_notice"]["templates"] = {"zh": str(zh), "en": str(en)}

    result = cli("check", "--manifest", tmp_manifest(tmp_path, edit))
    assert result.exit_code == 1
    warnings = 2  # the manifest's placeholder verification addresses (test_verify_address)
    assert result.stderr.splitlines()[warnings:] == [
        f"registration_form (zh): template {missing} does not exist",
        "cpd_record (zh): unknown.docx, body: uses 'a.cmes.colour', which the data does not have",
        "cpd_record (zh): unknown.docx, body: uses 'a.nonexistent', which the data does not have",
        "cpd_record (en): unknown.docx, body: uses 'a.cmes.colour', which the data does not have",
        "cpd_record (en): unknown.docx, body: uses 'a.nonexistent', which the data does not have",
        "fee_notice: the zh and en templates use different variables (only in zh: a.mobile; only in en: a.company)",
        "6 problem(s) in the templates",
    ]


@pytest.mark.slow  # formgen check reads every template's fonts: about 2 s
def test_check_reports_a_template_with_a_syntax_error(tmp_path: Path) -> None:
    broken = make_template(tmp_path / "t" / "broken.docx", "{{ a.name ")

    def edit(data: dict[str, Any]) -> None:
        data["documents"]["fee_notice"]["templates"]["en"] = str(broken)

    result = cli("check", "--manifest", tmp_manifest(tmp_path, edit))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[2].startswith(f"fee_notice (en): {broken}: template syntax error in ")


@pytest.mark.parametrize("command", ["validate", "render", "pack", "check"])
def test_help(command: str) -> None:
    result = cli(command, "--help")
    assert result.exit_code == 0
    assert "Usage: " in result.output


def formgen_process(*args: Any, env: dict[str, str] | None = None) -> Any:
    """formgen run as its own process, so that what Python prints at import reaches stderr
    as a user sees it (no test runner catching warnings)."""
    import os
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-c", "import sys; from formgen.cli import main; sys.exit(main())",
         *map(str, args)],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "default", **(env or {})})


@pytest.mark.slow
def test_verify_prints_no_library_warning(tmp_path: Path) -> None:
    """Every `formgen verify FILE.pdf` printed cryptography's CryptographyDeprecationWarning
    about DSA, raised by pyHanko's imports, with the library's file path."""
    from pypdf import PdfWriter

    pdf = tmp_path / "unsigned.pdf"
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.write(pdf)
    for env, line in (({"LANG": "C.UTF-8"}, "Not genuine: the PDF is not signed"),
                      ({"LANG": "zh_CN.UTF-8"}, "验证未通过：该 PDF 没有签名")):
        done = formgen_process("verify", pdf, env=env)
        assert done.returncode == 1
        assert (done.stdout, done.stderr) == ("", line + "\n")
