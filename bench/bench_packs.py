"""Benchmark: 200 applicants' full packs.

Prints docs/s for the DOCX stage (against plain docxtpl rendering of the same documents)
and for the whole run, and the whole run's time as a ratio to converting the same DOCX
files with plain ``soffice --headless --convert-to pdf`` (one call per core, many files
per call), measured in the same process. Usage: python bench/bench_packs.py [APPLICANTS]
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import applicants, soffice_floor, write_yaml  # noqa: E402
from docxtpl import DocxTemplate  # noqa: E402

from formgen.forms.context import build_context  # noqa: E402
from formgen.forms.documents import render_applicant  # noqa: E402
from formgen.forms.engine import make_environment  # noqa: E402
from formgen.main import build_packs  # noqa: E402
from formgen.model.applicant import Applicant  # noqa: E402
from formgen.model.manifest import load_manifest  # noqa: E402
from formgen.settings import Settings  # noqa: E402

TODAY = dt.date(2026, 11, 23)


def main(count: int) -> None:
    manifest = load_manifest()
    records = applicants(count)
    people = [Applicant.model_validate(r) for r in records]

    started = time.perf_counter()
    rendered = [d for a in people for d in render_applicant(a, manifest, ["zh", "en"], today=TODAY)]
    compiled_s = time.perf_counter() - started
    docs = len(rendered)

    sample = rendered[: min(100, docs)]
    started = time.perf_counter()
    for doc, a in zip(sample, [a for a in people for _ in range(99)], strict=False):
        tpl = DocxTemplate(manifest.template_path(doc.doc_id, doc.lang))
        tpl.render(build_context(a, doc.lang, manifest, doc.doc_id, TODAY), make_environment(), autoescape=True)
        tpl.save(io.BytesIO())
    plain_s = time.perf_counter() - started

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data = write_yaml(records, folder)
        docx_dir = folder / "docx"
        docx_dir.mkdir()
        files = []
        for i, doc in enumerate(rendered):
            path = docx_dir / f"{i:05d}.docx"
            path.write_bytes(doc.docx)
            files.append(path)

        started = time.perf_counter()
        result = build_packs(Settings(manifest, pinned_today=TODAY), [data], folder / "packs")
        run_s = time.perf_counter() - started
        if result.failed_ids:
            raise SystemExit(f"{len(result.failed_ids)} packs failed: {result.errors[:3]}")

        floor_s = soffice_floor(files)

    print(f"applicants: {count}, documents: {docs}")
    print(f"DOCX stage: {docs / compiled_s:8.1f} docs/s   (plain docxtpl: {len(sample) / plain_s:.1f} docs/s, "
          f"{(docs / compiled_s) / (len(sample) / plain_s):.1f}x)")
    print(f"whole run:  {docs / run_s:8.1f} docs/s   ({run_s:.1f} s for {count} packs, DOCX + PDF + ZIP)")
    print(f"soffice floor: {floor_s:.1f} s for the same {docs} DOCX files")
    print(f"whole run / floor: {run_s / floor_s:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
