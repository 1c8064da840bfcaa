"""formgen extract on a folder of 200 filled forms, against the time to render them.

The forms are the fillable documents (registration form, CPD record, cross-reference
table, career history report, CMES endorsement form) of synthetic applicants, as formgen
renders them. The target: under 1 s per 10 forms; the ratio is extract's time over
render's, both in this run, since the machine is shared and noisy.

    python bench/bench_extract.py [FORMS]
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import applicants  # noqa: E402

from formgen.extract import extract  # noqa: E402
from formgen.forms.blank import is_fillable  # noqa: E402
from formgen.forms.documents import render_applicant  # noqa: E402
from formgen.model.applicant import Applicant  # noqa: E402
from formgen.model.manifest import load_manifest  # noqa: E402
from formgen.settings import Settings  # noqa: E402

TODAY = dt.date(2026, 11, 23)


def main(forms: int) -> None:
    manifest = load_manifest(Path(__file__).resolve().parent.parent / "manifest.yaml")
    fillable = [d for d in manifest.documents if manifest.documents[d].kind == "form" and is_fillable(manifest, d)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "forms"
        folder.mkdir()
        written = 0
        render_s = 0.0
        people = 0
        for record in applicants(forms):
            applicant = Applicant.model_validate(record)
            started = time.perf_counter()
            documents = render_applicant(applicant, manifest, ("zh", "en"), only=fillable, today=TODAY)
            render_s += time.perf_counter() - started
            people += 1
            for doc in documents:
                if written == forms:
                    break
                (folder / f"{applicant.id}-{doc.lang}-{doc.filename}").write_bytes(doc.docx)
                written += 1
            if written == forms:
                break
        render_per_form = render_s / written
        started = time.perf_counter()
        result = extract(Settings(manifest, pinned_today=TODAY), [folder])
        extract_s = time.perf_counter() - started
    refused = [r for r in result.reports if r.refused is not None]
    if refused:
        raise SystemExit(f"{len(refused)} forms refused: {refused[0].file}: {refused[0].refused}")
    print(f"forms: {written} of {people} applicants, records: {len(result.records)}")
    print(f"extract: {extract_s:.2f} s, {extract_s / written * 10:.3f} s per 10 forms (target: under 1 s)")
    print(f"render the same forms: {render_per_form * written:.2f} s")
    print(f"extract / render: {extract_s / (render_per_form * written):.2f}")
    if extract_s / written * 10 >= 1.0:
        raise SystemExit("extract takes 1 s or more per 10 forms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
