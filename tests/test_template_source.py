"""The templates in templates/ are what scripts/make_templates.py makes: the generator is
their source, and a template changed by hand (or a generator changed without running it)
shows here, part by part."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def test_the_templates_are_the_generators(tmp_path: Path) -> None:
    made = subprocess.run(
        [sys.executable, "-c", "import sys; from pathlib import Path; import make_templates as m; "
         f"m.main([], Path({str(tmp_path)!r}))"],
        cwd=ROOT / "scripts", env={"PYTHONPATH": str(ROOT)}, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    generated = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.docx"))
    assert len(generated) == 14
    for name in generated:
        committed = ROOT / "templates" / name
        assert committed.exists(), name
        theirs, ours = parts(committed), parts(tmp_path / name)
        assert theirs.keys() == ours.keys(), name
        changed = [part for part in ours if ours[part] != theirs[part]]
        assert not changed, f"{name}: {changed} differ: run python scripts/make_templates.py"
