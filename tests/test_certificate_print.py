"""Certificates on paper: QR codes that scan from a poor copy, signature labels set alike,
the holder's name in Kai legible, and every PDF PDF/A-2b by an independent validator.

The sample applicants (every certificate kind) and one CMES holder named with 龘, a dense
character, are printed once with real templates and real LibreOffice, unsigned and signed;
the tests read the PDFs back as a reader, a scanner and an archive would.
"""

from __future__ import annotations

import copy
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import MANIFEST_FILE, SAMPLES_FILE, TODAY, cli
from PIL import Image
from pypdf import PdfReader
from throwaway_pki import make_pki

from formgen.certificates.keys import KEY_ENV
from formgen.certificates.pdfa import archival_problems, read_certificate
from formgen.certificates.qr import code_in_link, verify_link
from formgen.certificates.register import Register
from formgen.certificates.signature import signature_archival_problems

VERIFY_BASE = "https://verify.csee.org.cn"  # as long as the manifest's placeholder, which certificates refuses
DENSE = "高龘"
"""A holder's name with 龘 (64 strokes): where a heavy face clogs first."""
KAI_FONT = "/usr/share/fonts/truetype/arphic/ukai.ttc"
"""AR PL UKai CN, the Kai face formgen's font configuration gives names (fonts-arphic-ukai)."""
KINDS = {  # one holder printed on each certificate kind
    "ecuk_registration": "CSEE-2026-0007",
    "csee_iet_joint": "CSEE-2026-0007",
    "csee_competence": "CSEE-2026-0007",
    "soe_membership": "CMES-2026-0101",
    "cmes_engineer": "CMES-2026-0101",
}


def _people() -> list[dict[str, Any]]:
    people: list[dict[str, Any]] = yaml.safe_load(SAMPLES_FILE.read_text(encoding="utf-8"))
    dense = copy.deepcopy(next(p for p in people if p["id"] == "CMES-2026-0101"))
    dense.update(id="DENSE-0001", name={"zh": DENSE, "en": "GAO Da"})
    dense["certificate"] = {**dense["certificate"], "ecuk_number": "654388",
                            "soe_membership_number": "SOE-88231"}
    return people + [dense]


def _print(folder: Path, *sign: Any) -> Path:
    data = folder / "applicants.yaml"
    data.write_text(yaml.safe_dump(_people(), allow_unicode=True, sort_keys=False), "utf-8")
    out = folder / "out"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(KEY_ENV, raising=False)
        mp.setenv("FORMGEN_TODAY", TODAY)
        result = cli("certificates", data, "--out", out, "--register", folder / "register.sqlite",
                     "--init-register", "--manifest", MANIFEST_FILE,
                     "--verify-url", VERIFY_BASE, *sign)
    assert result.exit_code == 0, result.output
    assert "0 record(s) failed" in result.output
    return out


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The batch's output folder, unsigned."""
    return _print(tmp_path_factory.mktemp("printed"))


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The batch's output folder, each holder's PDF signed (PAdES B-B)."""
    folder = tmp_path_factory.mktemp("signed")
    pki = make_pki(folder / "pki")
    return _print(folder, "--sign-key", pki.key, "--sign-cert", pki.cert, "--sign-chain",
                  pki.ca_cert)


def raster(pdf: Path, dpi: int, work: Path, gray: bool = False) -> Image.Image:
    """The PDF's first page as pdftoppm draws it at ``dpi``."""
    prefix = work / f"{pdf.stem}-{dpi}"
    subprocess.run(["pdftoppm", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile", "-png",
                    *(["-gray"] if gray else []), str(pdf), str(prefix)], check=True)
    return Image.open(prefix.with_suffix(".png"))


# ----------------------------------------------------------------------------- QR codes


@pytest.mark.needs_office
@pytest.mark.slow
@pytest.mark.parametrize("dpi", [70, 72])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_qr_code_scans_from_a_low_resolution_copy(printed: Path, tmp_path: Path, kind: str,
                                                  dpi: int) -> None:
    """A 70–72 dpi scan of every certificate kind still gives its verification address."""
    pyzbar = pytest.importorskip("pyzbar.pyzbar", reason="pyzbar and libzbar0 decode QR codes")
    pdf = printed / KINDS[kind] / f"{kind}.pdf"
    found = pyzbar.decode(raster(pdf, dpi, tmp_path))
    assert [f.type for f in found] == ["QRCODE"], f"no QR code read from {kind} at {dpi} dpi"
    link = found[0].data.decode()
    code = code_in_link(link)
    assert code is not None, link
    with Register(printed.parent / "register.sqlite") as register:
        issued = register.lookup(code)
    assert issued.certificate == kind and issued.applicant_id == KINDS[kind]
    assert link == verify_link(VERIFY_BASE, issued.short_code)


# ----------------------------------------------------------------------------- signature labels

LABELS = {  # what each certificate prints under its signature lines, left to right
    "ecuk_registration": ["Chief Executive and Registrar", "Chief Executive"],
    "csee_iet_joint": ["理事长", "主席"],
    "csee_competence": ["理事长", "发证单位（盖章）"],
    "soe_membership": ["President", "Chief Executive"],
    "cmes_engineer": ["理事长", "技术资格认证中心主任"],
}


def drawn_text(pdf: Path) -> list[tuple[str, str, float, float, float]]:
    """Each piece of text on the first page as drawn: (text, font without its subset
    prefix, size in points, x and baseline y in points)."""
    pieces: list[tuple[str, str, float, float, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if not text.strip() or not isinstance(font, dict):
            return
        a, b, c, d, e, f = tm
        m = [a * cm[0] + b * cm[2], a * cm[1] + b * cm[3], c * cm[0] + d * cm[2],
             c * cm[1] + d * cm[3], e * cm[0] + f * cm[2] + cm[4], e * cm[1] + f * cm[3] + cm[5]]
        name = str(font.get("/BaseFont", "")).split("+")[-1]
        pieces.append((text.strip(), name, round(size * m[3], 2), round(m[4], 1), round(m[5], 1)))

    PdfReader(pdf).pages[0].extract_text(visitor_text=visit)
    return pieces


@pytest.mark.needs_office
@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_signature_labels_are_set_alike(printed: Path, kind: str) -> None:
    """"发证单位（盖章）" is set as "理事长" is: same face, weight, size and baseline."""
    pieces = drawn_text(printed / KINDS[kind] / f"{kind}.pdf")
    found = []
    for label in LABELS[kind]:
        drawn = [p for p in pieces if p[0] == label]
        assert len(drawn) == 1, f"{label!r} drawn {len(drawn)} times on the {kind}"
        found.append(drawn[0])
    (left, *others) = found
    for other in others:
        assert other[1:3] == left[1:3], f"{other[0]!r} is set in {other[1:3]}, {left[0]!r} in {left[1:3]}"
        assert other[4] == left[4], f"{other[0]!r} stands at y {other[4]}, {left[0]!r} at {left[4]}"
        assert other[3] > left[3] + 100, f"{other[0]!r} is not in a column right of {left[0]!r}"
    assert left[2] == 9.5 and "Bold" not in left[1], left


# ----------------------------------------------------------------------------- the name in Kai


def _tight(image: Image.Image) -> Image.Image:
    """Black and white, cropped to the ink."""
    bw = image.convert("L").point(lambda v: 0 if v < 128 else 255)
    box = bw.point(lambda v: 255 - v).getbbox()
    assert box is not None, "no ink"
    return bw.crop(box)


def _ink_and_crossings(glyph: Image.Image) -> tuple[float, int]:
    """The share of the glyph's box that is ink, and how many strokes a reader crosses
    going along every row and every column of pixels (strokes run together: fewer)."""
    w, h = glyph.size
    px = glyph.load()
    dark = [[px[x, y] == 0 for x in range(w)] for y in range(h)]
    ink = sum(map(sum, dark)) / (w * h)
    lines = dark + [[dark[y][x] for y in range(h)] for x in range(w)]
    crossings = sum(d and (i == 0 or not line[i - 1]) for line in lines for i, d in enumerate(line))
    return ink, crossings


@pytest.mark.needs_office
@pytest.mark.slow
def test_dense_name_in_kai_keeps_its_strokes_apart(printed: Path, tmp_path: Path) -> None:
    """龘 at print resolution (300 dpi) is as open as the Kai face draws it, not a blot."""
    from PIL import ImageDraw, ImageFont

    pdf = printed / "DENSE-0001" / "cmes_engineer.pdf"
    (name,) = [p for p in drawn_text(pdf) if p[0] == DENSE]
    assert "Kai" in name[1], name
    words = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout
    line = next(w for w in words.splitlines() if f">{DENSE}</word>" in w)
    x0, y0, x1, y1 = (float(v) for v in re.findall(r'"([\d.]+)"', line))
    scale = 300 / 72
    page = raster(pdf, 300, tmp_path, gray=True)
    cell = page.crop((round((x0 + x1) / 2 * scale), round(y0 * scale),
                      round(x1 * scale), round(y1 * scale)))  # the second character
    ink, crossings = _ink_and_crossings(_tight(cell))

    face = ImageFont.truetype(KAI_FONT, round(name[2] * scale))
    drawn = Image.new("L", (2 * face.size, 2 * face.size), 255)
    ImageDraw.Draw(drawn).text((face.size // 2, face.size // 2), "龘", font=face, fill=0)
    own_ink, own_crossings = _ink_and_crossings(_tight(drawn))
    assert ink < 0.45, f"龘 is {ink:.0%} ink"
    assert ink < own_ink * 1.2, f"龘 is {ink:.0%} ink, the Kai face's own {own_ink:.0%}"
    assert crossings > own_crossings * 0.85, \
        f"{crossings} strokes crossed in 龘, {own_crossings} in the Kai face's own"


# ----------------------------------------------------------------------------- PDF/A-2b

def _pdfa_report(path: Path) -> Any:
    pdfa = pytest.importorskip("pikepdf.pdfa", reason="pikepdf[pdfa] validates PDF/A")
    return pdfa.validate_written(path, "2b")


@pytest.mark.needs_office
@pytest.mark.slow
def test_print_and_unsigned_certificates_pass_pikepdfs_pdfa_validator(printed: Path) -> None:
    """pikepdf's allowlist validator (built from veraPDF's rules) approves print.pdf and
    every holder's PDF as PDF/A-2b: formgen's own facts are in predefined properties."""
    files = [printed / "print.pdf", *sorted(printed.glob("*/*.pdf"))]
    assert len(files) == 1 + 7 * 3
    for path in files:
        report = _pdfa_report(path)
        assert report.passed, f"{path.name}: {[str(f) for f in report.findings]}"
        assert archival_problems(PdfReader(path)) == [], path


@pytest.mark.needs_office
@pytest.mark.slow
def test_signed_certificates_are_pdfa_2b(signed: Path) -> None:
    """A signed PDF breaks no rule pikepdf checks; pikepdf does not check a signature's
    form field at all (it says so), and formgen checks that part by veraPDF's rules. The
    same file without its signature field is approved outright."""
    pdfa = pytest.importorskip("pikepdf.pdfa", reason="pikepdf[pdfa] validates PDF/A")
    import pikepdf
    files = sorted(signed.glob("*/*.pdf"))
    assert len(files) == 7 * 3
    for path in files:
        report = _pdfa_report(path)
        assert report.violations == (), f"{path.name}: {[str(f) for f in report.violations]}"
        unchecked = {(f.rule, f.message) for f in report.unsupported}
        assert unchecked == {("pikepdf:schema-Catalog",
                              "interactive forms (/AcroForm) are not supported")}, unchecked
        assert archival_problems(PdfReader(path)) == [], path
        assert signature_archival_problems(path.read_bytes()) == [], path
        with pikepdf.open(path) as pdf:
            del pdf.Root["/AcroForm"]
            page = pdf.pages[0]
            del page["/Annots"]
            del pdf.Root["/Extensions"]["/ESIC"]  # PAdES's extension, with the signature
            bare = pdfa.check(pdf, "2b")
        assert bare.passed, f"{path.name} without its signature: {[str(f) for f in bare.findings]}"
    # formgen's own checks of the signature's parts can fail
    with pikepdf.open(files[0]) as pdf:
        pdf.Root.AcroForm.NeedAppearances = True
        pdf.pages[0].Annots[0].F = 2
        pdf.Root.AcroForm.Fields[0].AA = pikepdf.Dictionary()
        altered = signed / "altered.pdf"
        pdf.save(altered)
    assert archival_problems(PdfReader(altered)) == [
        "page 1: a /Widget annotation is not printed or is hidden (F 2)",
        "page 1: a form field's widget has actions",
        "the form leaves its appearances to the viewer (NeedAppearances)",
        "form field FormgenSignature has actions",
    ]
    assert signature_archival_problems(altered.read_bytes()) == [
        "signature FormgenSignature: its byte range does not cover the whole file"]


@pytest.mark.needs_office
@pytest.mark.slow
def test_certificate_facts_read_back_from_the_metadata(signed: Path) -> None:
    """``formgen verify`` finds the number and code in the predefined XMP properties."""
    path = signed / "CSEE-2026-0007" / "csee_competence.pdf"
    facts = read_certificate(PdfReader(path))
    assert facts["holder"] == "李晓明"
    assert facts["number"].startswith("CSEE-IET-2026-")
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{2}", facts["code"])
    assert facts["number"] in flat_text(path) and facts["code"] in flat_text(path)
    xmp = PdfReader(path).trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert "formgen.invalid" not in xmp and "pdfaExtension" not in xmp


def flat_text(path: Path) -> str:
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("legacy", [False, True], ids=["predefined", "formgen-namespace"])
def test_facts_read_back_from_new_and_older_pdfs(tmp_path: Path, legacy: bool) -> None:
    """The facts are read from the predefined properties, and from the ``formgen``
    namespace that PDFs printed before kept them in."""
    import datetime as dt

    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject

    from formgen.certificates.pdfa import LEGACY_NS, Described, xmp_packet

    about = Described(issuer="Chinese Society for Electrical Engineering", holder="李晓明",
                      number="CSEE-IET-2026-000006", code="68BJ-K6W7-JA")
    packet = xmp_packet("title", "test", dt.datetime(2026, 11, 20, tzinfo=dt.UTC),
                        None if legacy else about).decode()
    if legacy:
        packet = packet.replace("</rdf:RDF>", (
            f'<rdf:Description rdf:about="" xmlns:formgen="{LEGACY_NS}">'
            "<formgen:holder>李晓明</formgen:holder><formgen:number>CSEE-IET-2026-000006"
            "</formgen:number><formgen:code>68BJ-K6W7-JA</formgen:code></rdf:Description>"
            "</rdf:RDF>"))
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    metadata = DecodedStreamObject()
    metadata.set_data(packet.encode())
    metadata[NameObject("/Type")] = NameObject("/Metadata")
    writer._root_object[NameObject("/Metadata")] = writer._add_object(metadata)
    writer.write(tmp_path / "one.pdf")
    facts = read_certificate(PdfReader(tmp_path / "one.pdf"))
    assert {k: facts[k] for k in ("holder", "number", "code")} == {
        "holder": "李晓明", "number": "CSEE-IET-2026-000006", "code": "68BJ-K6W7-JA"}
