"""Fonts: one list, installed by the setup script, fontconfig drawing every template font
with its listed family, a missing family caught (by ``formgen check``, by the converter,
by the commands that convert), and characters no font has reported by validation."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
import yaml
from conftest import cli

from formgen import fonts
from formgen.exceptions import ConversionError
from formgen.forms.check import template_paths
from formgen.forms.typefaces import template_fonts
from formgen.model.manifest import load_manifest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(
    shutil.which("fc-match") is None, reason="needs fontconfig (scripts/setup-system.sh)"
)



def test_fonts_conf_is_written_from_the_list() -> None:
    assert fonts.FONTS_CONF.read_text("utf-8") == fonts.fonts_conf_text(fonts.families()), (
        "formgen/fonts.conf is not the list's: run python scripts/make_fonts_conf.py"
    )


def test_the_setup_script_installs_every_package_of_the_list(tmp_path: Path) -> None:
    # Stand-ins that say nothing is installed and that we are not root: the script then
    # names every package it would install, and installs nothing.
    for name, body in (("dpkg-query", "exit 1"), ("id", "echo 1000")):
        tool = tmp_path / name
        tool.write_text(f"#!/bin/sh\n{body}\n")
        tool.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    done = subprocess.run(["bash", str(ROOT / "scripts" / "setup-system.sh")], env=env,
                          capture_output=True, text=True)
    assert done.returncode == 1
    named = done.stderr.splitlines()[0].split(": ", 1)[1].split()
    assert {f.package for f in fonts.families()} <= set(named)
    assert "fontconfig" in named


@pytest.mark.slow  # every template read and fc-match run once per font: about 2 s
def test_every_template_font_is_drawn_by_its_family() -> None:
    asked = set().union(*map(template_fonts, template_paths(load_manifest(ROOT / "manifest.yaml"))))
    for font in ("Times New Roman", "SimSun", "SimHei", "KaiTi", "Courier New"):
        assert font in asked
    listed = {font for f in fonts.families() for font in f.draws}
    resolved = fonts.resolve(sorted(asked | listed))
    assert [r for r in resolved if not r.ok] == []
    drawn = {r.font: r.drawn_by for r in resolved}
    assert drawn["Times New Roman"] == "Liberation Serif"
    assert drawn["Arial"] == "Liberation Sans"
    assert drawn["Courier New"] == "Liberation Mono"
    assert drawn["宋体"] == drawn["SimSun"] == "Noto Serif CJK SC"
    assert drawn["黑体"] == drawn["SimHei"] == "Noto Sans CJK SC"
    assert drawn["楷体"] == drawn["KaiTi"] == "AR PL UKai CN"


def test_no_other_installed_font_is_seen() -> None:
    seen = fonts.installed_families()
    assert "dejavu serif" not in seen  # installed here, yet never a stand-in
    assert {f.name.casefold() for f in fonts.families()} <= seen


@pytest.mark.slow  # formgen check reads every template's fonts: about 2 s
def test_check_reports_what_draws_each_font() -> None:
    result = cli("check", "--manifest", ROOT / "manifest.yaml")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"fonts (fontconfig file {fonts.FONTS_CONF}):"
    assert any(line.startswith("  Times New Roman → Liberation Serif (") for line in lines)
    assert any(line.startswith("  KaiTi → AR PL UKai CN (") for line in lines)


# ---------------------------------------------------------------- a machine without Liberation


@pytest.fixture
def without_liberation(tmp_path: Path) -> dict[str, str]:
    """The environment of a machine whose fonts are Noto CJK only: formgen's configuration
    with its font folder replaced by one holding the Noto CJK files alone."""
    folder = tmp_path / "fonts"
    folder.mkdir()
    noto = set()
    for family in ("Noto Serif CJK SC", "Noto Sans CJK SC"):
        listing = subprocess.run(["fc-list", "-f", "%{file}\n", family], capture_output=True, text=True,
                                 env=fonts.fontconfig_environment(fonts.FONTS_CONF), check=True)
        noto |= set(listing.stdout.split())
    assert len(noto) >= 2
    for file in noto:
        (folder / Path(file).name).symlink_to(file)
    conf = tmp_path / "fonts.conf"
    conf.write_text(fonts.fonts_conf_text(fonts.families(), dirs=[str(folder)]), "utf-8")
    return {"FORMGEN_FONTS_CONF": str(conf), "XDG_CACHE_HOME": str(tmp_path / "cache")}


@pytest.mark.slow  # formgen check reads every template's fonts: about 2 s
def test_check_fails_naming_the_package_when_liberation_is_missing(without_liberation: dict[str, str]) -> None:
    result = cli("check", "--manifest", ROOT / "manifest.yaml", env=without_liberation)
    assert result.exit_code == 1
    times = [line for line in result.stderr.splitlines() if line.startswith("font Times New Roman ")]
    assert len(times) == 1
    assert times[0].endswith(
        "fontconfig draws it with Noto Serif CJK SC, not Liberation Serif; "
        "install the Debian package fonts-liberation2 (sudo apt-get install fonts-liberation2)"
    )
    kai = [line for line in result.stderr.splitlines() if line.startswith("font KaiTi ")]
    assert kai and kai[0].endswith("(sudo apt-get install fonts-arphic-ukai)")


def test_the_converter_refuses_to_start_without_them(
    without_liberation: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from formgen.office.converter import Converter

    for name, value in without_liberation.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConversionError) as caught:
        Converter(workers=1)
    text = str(caught.value)
    assert text.startswith("the fonts Liberation Serif, Liberation Sans, Liberation Mono, Carlito,")
    assert text.endswith(
        "install the Debian package(s) fonts-liberation2, fonts-crosextra-carlito, "
        "fonts-crosextra-caladea, fonts-arphic-ukai, fonts-dejavu-core, fonts-opensymbol: "
        "sudo apt-get install fonts-liberation2 fonts-crosextra-carlito fonts-crosextra-caladea "
        "fonts-arphic-ukai fonts-dejavu-core fonts-opensymbol"
    )


def test_render_to_pdf_stops_before_drawing_anything(
    without_liberation: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = cli("render", ROOT / "data" / "applicant-example.yaml", "--out", out, "--format", "pdf",
                 env=without_liberation)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith("Error: the fonts Liberation Serif, ")
    assert not out.exists()  # not even an empty folder


def test_certificates_without_them_make_no_register(
    without_liberation: dict[str, str], tmp_path: Path
) -> None:
    register = tmp_path / "register.sqlite"
    result = cli("certificates", ROOT / "data" / "applicant-example.yaml", "--out", tmp_path / "out",
                 "--register", register, "--init-register", "--verify-url", "http://localhost:8000",
                 env=without_liberation)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith("Error: the fonts Liberation Serif, ")
    assert not register.exists() and not (tmp_path / "out").exists()


@pytest.mark.slow  # formgen check reads every template's fonts: about 2 s
def test_a_configuration_that_does_not_exist_is_named(tmp_path: Path) -> None:
    result = cli("check", "--manifest", ROOT / "manifest.yaml",
                 env={"FORMGEN_FONTS_CONF": str(tmp_path / "none.conf")})
    assert result.exit_code == 1
    assert (f"the fontconfig file {tmp_path / 'none.conf'} does not exist (FORMGEN_FONTS_CONF names it)"
            in result.stderr.splitlines())


# ---------------------------------------------------------------- characters no font has


def write_applicant(tmp_path: Path, **changes: object) -> Path:
    records = yaml.safe_load((ROOT / "data" / "applicant-example.yaml").read_text("utf-8"))
    record = records[0] if isinstance(records, list) else records
    for path, value in changes.items():
        target = record
        *parents, last = path.split("__")
        for key in parents:
            target = target[key]
        target[last] = value
    data = tmp_path / "a.yaml"
    data.write_text(yaml.safe_dump([record], allow_unicode=True), "utf-8")
    return data


def test_a_character_no_font_has_is_a_warning_naming_field_and_code(tmp_path: Path) -> None:
    data = write_applicant(tmp_path, name__zh="张𪚥", company__en="Sinohydro \ue000 Co.")
    result = cli("validate", data)
    lines = result.stderr.splitlines()
    assert result.exit_code == 0, result.output
    assert any(line.endswith(
        "name.zh: warning: has the character 𪚥 (U+2A6A5), which no installed font can draw: "
        "it would print as an empty box") for line in lines), lines
    assert any(line.endswith(
        "company.en: warning: has the character \ue000 (U+E000), which no installed font can draw: "
        "it would print as an empty box") for line in lines), lines
    strict = cli("validate", "--strict", data)
    assert strict.exit_code == 1


def test_rare_characters_a_font_has_pass(tmp_path: Path) -> None:
    # 㐀 (U+3400, extension A) and 鿏 are in Noto CJK; a zero-width space needs no glyph
    data = write_applicant(tmp_path, name__zh="张㐀鿏", company__en="Sinohydro\u200b Co.")
    result = cli("validate", data)
    assert "no installed font can draw" not in result.stderr


# ---------------------------------------------------------------- what LibreOffice draws with


@pytest.mark.needs_office
def test_pdfs_are_drawn_only_with_the_listed_families(tmp_path: Path) -> None:
    from docx.oxml.ns import qn

    from formgen.office.converter import Converter

    document = docx.Document()
    for font, text in (("Times New Roman", "Times"), ("Arial", "Arial"), ("Courier New", "Courier"),
                       ("SimSun", "宋体文字"), ("SimHei", "黑体文字"), ("KaiTi", "楷体文字"),
                       ("DejaVu Serif", "not in the list"), ("Times New Roman", "☐ ☑")):
        run = document.add_paragraph().add_run(text)
        run.font.name = font
        run.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
    document.save(tmp_path / "fonts.docx")
    with Converter(workers=1) as converter:
        converter.convert(tmp_path / "fonts.docx", tmp_path / "fonts.pdf")
    listing = subprocess.run(["pdffonts", str(tmp_path / "fonts.pdf")], capture_output=True,
                             text=True, check=True).stdout.splitlines()[2:]
    embedded = {line.split()[0].split("+", 1)[-1] for line in listing}
    # PostScript names: LiberationSerif, NotoSerifCJKjp-Regular-VKana (the collection's), UKaiCN …
    allowed = ("LiberationSerif", "LiberationSans", "LiberationMono", "NotoSerifCJK", "NotoSansCJK",
               "UKaiCN", "DejaVuSans", "OpenSymbol")
    assert embedded and all(name.startswith(allowed) for name in embedded), embedded
    assert not any(name.startswith("DejaVuSerif") for name in embedded)
    for family in ("LiberationSerif", "LiberationSans", "LiberationMono", "UKaiCN", "DejaVuSans"):
        assert any(name.startswith(family) for name in embedded), (family, embedded)
