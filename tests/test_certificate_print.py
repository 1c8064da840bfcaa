"""Certificates on paper: QR codes that scan from a poor copy, signature labels set alike,
the holder's name in Kai legible, and every PDF PDF/A-2b by an independent validator.

The sample applicants (every certificate kind) and one CMES holder named with 龘, a dense
character, are printed once with real templates and real LibreOffice, unsigned and signed;
the tests read the PDFs back as a reader, a scanner and an archive would.
"""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import MANIFEST_FILE, SAMPLES_FILE, TODAY, cli
from PIL import Image
from throwaway_pki import make_pki

from formgen.certificates.keys import KEY_ENV
from formgen.certificates.qr import code_in_link, verify_link
from formgen.certificates.register import Register

pytestmark = [pytest.mark.needs_office, pytest.mark.slow]

VERIFY_BASE = "https://verify.example.org"  # the manifest's
DENSE = "高龘"
"""A holder's name with 龘 (64 strokes): where a heavy face clogs first."""
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
                     "--init-register", "--manifest", MANIFEST_FILE, *sign)
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
