"""Signatories and seals: names and titles from the manifest under the signature lines, and
signature and seal pictures drawn over them (or the lines left blank for ink)."""

from __future__ import annotations

import math
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from conftest import MANIFEST_FILE, ROOT, SAMPLES_FILE, TODAY
from PIL import Image, ImageDraw

from formgen.certificates.keys import KEY_ENV
from formgen.cli import main

pytestmark = pytest.mark.needs_office


def cli(*args: str | Path) -> Any:
    return CliRunner().invoke(main, [str(a) for a in args], env={"FORMGEN_TODAY": TODAY})


def manifest_with(folder: Path, **pictures: Path) -> Path:
    """The project's manifest, templates resolved, with the CSEE and IET presidents' names
    and, if given, CSEE's president's signature and seal."""
    data = yaml.safe_load(MANIFEST_FILE.read_text(encoding="utf-8"))
    for doc in data["documents"].values():
        doc["templates"] = {k: str(ROOT / v) for k, v in doc["templates"].items()}
    data["competences"] = str(ROOT / data["competences"])
    csee = data["signatories"]["CSEE"]
    csee["officers"]["president"]["name"] = {"zh": "王建国", "en": "WANG Jianguo"}
    data["signatories"]["IET"]["officers"]["president"]["name"] = {"zh": "Alex Morgan",
                                                                   "en": "Alex Morgan"}
    if "signature" in pictures:
        csee["officers"]["president"]["signature"] = str(pictures["signature"])
    if "seal" in pictures:
        csee["seal"] = str(pictures["seal"])
    path = folder / "manifest.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return path


def one_csee_holder(folder: Path) -> Path:
    records = yaml.safe_load(SAMPLES_FILE.read_text(encoding="utf-8"))[:1]
    path = folder / "one.yaml"
    path.write_text(yaml.safe_dump(records, allow_unicode=True), "utf-8")
    return path


def render(pdf: Path, folder: Path) -> Image.Image:
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-singlefile", str(pdf), str(folder / "page")],
                   check=True)
    return Image.open(folder / "page.png").convert("RGB")


def _pixels(image: Image.Image) -> list[tuple[int, int, int]]:
    """The pixels of the signature lines' part of the page (between details and footer)."""
    w, h = image.size
    data = image.crop((0, int(h * 0.62), w, int(h * 0.82))).tobytes()
    return [(data[i], data[i + 1], data[i + 2]) for i in range(0, len(data), 3)]


def red_pixels(image: Image.Image) -> int:
    return sum(1 for r, g, b in _pixels(image) if r > 180 and g < 80 and b < 80)


def dark_blue_pixels(image: Image.Image) -> int:
    return sum(1 for r, g, b in _pixels(image) if b > 90 and r < 70 and g < 80 and b - r > 40)


@pytest.fixture(autouse=True)
def _no_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)


@pytest.fixture(scope="module")
def pictures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pictures")
    signature = Image.new("RGB", (600, 200), "white")
    draw = ImageDraw.Draw(signature)
    draw.line([(20 + x * 5, 100 + 40 * math.sin(x / 6)) for x in range(110)], fill=(20, 30, 140),
              width=8)
    signature.save(folder / "signature.jpg", quality=92)
    seal = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    ImageDraw.Draw(seal).ellipse((10, 10, 390, 390), outline=(220, 20, 20, 255), width=24)
    seal.save(folder / "seal.png")
    Image.new("RGB", (100, 100), "white").save(folder / "seal.gif")
    Image.new("RGB", (20, 20), "white").save(folder / "tiny.png")
    return {p.stem + p.suffix: p for p in folder.iterdir()}


@pytest.mark.slow
def test_names_titles_and_pictures(tmp_path: Path, pictures: dict[str, Path]) -> None:
    data = one_csee_holder(tmp_path)
    plain, drawn = tmp_path / "plain", tmp_path / "drawn"
    (tmp_path / "m1").mkdir()
    result = cli("certificates", "--verify-url", "https://verify.example.org", "--init-register", data, "--out", plain, "--register", tmp_path / "a.sqlite",
                 "--manifest", manifest_with(tmp_path / "m1"))
    assert result.exit_code == 0, result.output
    text = subprocess.run(["pdftotext", str(plain / "CSEE-2026-0007" / "csee_iet_joint.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    for words in ("王建国 WANG Jianguo", "理事长 President", "Alex Morgan", "主席 President"):
        assert words in text
    competence = subprocess.run(
        ["pdftotext", str(plain / "CSEE-2026-0007" / "csee_competence.pdf"), "-"],
        capture_output=True, text=True, check=True).stdout
    assert "发证单位（盖章）" in competence and "王建国" in competence

    (tmp_path / "m2").mkdir()
    manifest = manifest_with(tmp_path / "m2", signature=pictures["signature.jpg"],
                             seal=pictures["seal.png"])
    result = cli("certificates", "--verify-url", "https://verify.example.org", "--init-register", data, "--out", drawn, "--register", tmp_path / "b.sqlite",
                 "--manifest", manifest)
    assert result.exit_code == 0, result.output
    (tmp_path / "r1").mkdir()
    (tmp_path / "r2").mkdir()
    blank = render(plain / "CSEE-2026-0007" / "csee_competence.pdf", tmp_path / "r1")
    inked = render(drawn / "CSEE-2026-0007" / "csee_competence.pdf", tmp_path / "r2")
    # The seal is bright red, the signature dark blue; the blank lines have neither.
    assert red_pixels(blank) == 0
    assert red_pixels(inked) > 200
    assert dark_blue_pixels(inked) > dark_blue_pixels(blank) + 50
    # The CSEE-IET joint certificate has no seal line: the signature only, no seal.
    (tmp_path / "r3").mkdir()
    joint = render(drawn / "CSEE-2026-0007" / "csee_iet_joint.pdf", tmp_path / "r3")
    assert red_pixels(joint) == 0


@pytest.mark.parametrize(("name", "expected"), [
    ("seal.gif", "the picture {path} is not PNG or JPEG (GIF); signature and seal pictures "
                 "must be PNG or JPEG"),
    ("tiny.png", "the picture {path} is 20 × 20 pixels; each side must be 50 to 5000 pixels"),
])
def test_bad_pictures_stop_before_numbering(tmp_path: Path, pictures: dict[str, Path],
                                            name: str, expected: str) -> None:
    manifest = manifest_with(tmp_path, seal=pictures[name])
    register = tmp_path / "r.sqlite"
    assert cli("register", "init", register).exit_code == 0
    result = cli("certificates", "--verify-url", "https://verify.example.org", one_csee_holder(tmp_path), "--out", tmp_path / "out",
                 "--register", register, "--manifest", manifest)
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == "Error: " + expected.format(
        path=pictures[name])
    exported = cli("register", "export", "--out", tmp_path / "events.csv", "--register", register)
    assert exported.exit_code == 0, exported.output
    rows = (tmp_path / "events.csv").read_text(encoding="utf-8-sig").splitlines()[1:]
    assert [row.split(",")[6] for row in rows] == ["created", "head"]  # nothing numbered


def test_unknown_officer_is_a_manifest_error(tmp_path: Path) -> None:
    manifest = manifest_with(tmp_path)
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    del data["signatories"]["IET"]["officers"]["president"]
    manifest.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    result = cli("certificates", "--verify-url", "https://verify.example.org", "--init-register", one_csee_holder(tmp_path), "--out", tmp_path / "out",
                 "--register", tmp_path / "r.sqlite", "--manifest", manifest)
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        "Error: certificate csee_iet_joint is signed by the president of IET, who is not under "
        "signatories.IET.officers in the manifest")
