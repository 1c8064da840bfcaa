"""The package's shape: stages and features import only downwards, no cycles, small modules."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import grimp

PACKAGE = Path(__file__).resolve().parent.parent / "formgen"
MAX_MODULE_LINES = 420


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Groups of modules that import each other, directly or through others (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_import_cycles() -> None:
    assert _cycles(grimp.build_graph("formgen")) == []


def test_layers_hold() -> None:
    """The import-linter contracts in pyproject.toml: no module imports a layer above it."""
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint is not None, "import-linter is not installed (pip install -e '.[dev]')"
    result = subprocess.run([lint, "--no-cache"], capture_output=True, text=True,
                            cwd=PACKAGE.parent)
    assert result.returncode == 0, result.stdout[-3000:]


def test_modules_stay_small() -> None:
    long = {
        str(path.relative_to(PACKAGE.parent)): count
        for path in PACKAGE.rglob("*.py")
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_a_model_module_imports_no_stage_above_it() -> None:
    """Importing the data model (as the web's record check, a script or a test does) loads
    neither LibreOffice's converter, the certificates, the web app nor the renderer: the
    package's own ``__init__`` imports its library calls only when they are used."""
    code = (
        "import json, sys, formgen.model.applicant\n"
        "print(json.dumps([formgen.__file__, sorted(m for m in sys.modules if m.startswith('formgen'))]))"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(PACKAGE.parent), os.environ.get("PYTHONPATH")) if p)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=PACKAGE.parent, env=env, check=True)
    init, loaded = json.loads(result.stdout)
    assert Path(init).resolve() == PACKAGE / "__init__.py"
    above = ("formgen.office", "formgen.certificates", "formgen.web", "formgen.forms")
    assert [m for m in loaded if m.startswith(above)] == []
