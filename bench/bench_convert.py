"""Micro benchmark: the warm LibreOffice pool against plain ``soffice --convert-to``.

    .venv/bin/python bench/bench_convert.py [--docs 40] [--workers 2] [--rounds 3]

Both sides start from nothing (fresh profiles, cold processes) and convert the same
one-page bilingual DOCX files. The floor is one ``soffice --headless --convert-to pdf``
call per worker, run in parallel, each with its own profile and its share of the files.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from formgen.fonts import fonts_conf  # noqa: E402
from formgen.office.converter import Converter  # noqa: E402
from formgen.office.process import soffice_path  # noqa: E402


def make_form(path: Path, n: int) -> None:
    doc = Document()
    doc.add_heading(f"国际工程师资质认证申请表 / Application form No. {n}", level=1)
    fields = [
        ("申请人姓名 / Name", f"张三{n} / ZHANG San {n}"),
        ("工作单位 / Employer", "国家电网有限公司 / State Grid Corporation of China"),
        ("申请级别 / Grade", "特许工程师 / Chartered Engineer"),
        ("联系电话 / Telephone", "010-63416782"),
        ("电子邮箱 / Email", "applicant@example.org"),
    ]
    table = doc.add_table(rows=len(fields), cols=2)
    table.style = "Table Grid"
    for row, (label, value) in zip(table.rows, fields, strict=True):
        row.cells[0].text, row.cells[1].text = label, value
    for _ in range(4):
        doc.add_paragraph(
            "本人承诺所填信息真实有效。I confirm that the information given is true and complete. "
            "申请人须在截止日期前提交全部材料。"
        )
    for run in (r for p in doc.paragraphs for r in p.runs):
        fonts = OxmlElement("w:rFonts")
        fonts.set(qn("w:eastAsia"), "宋体")
        run._element.get_or_add_rPr().insert(0, fonts)
    doc.save(str(path))


def private_env(root: Path) -> dict[str, str]:
    env = dict(os.environ, HOME=str(root / "home"), TMPDIR=str(root / "tmp"))
    env["FONTCONFIG_FILE"] = str(fonts_conf())
    for d in ("home", "tmp"):
        (root / d).mkdir(parents=True, exist_ok=True)
    return env


def run_floor(docs: list[Path], out: Path, workers: int, scratch: Path) -> float:
    chunks = [docs[i::workers] for i in range(workers)]
    started = time.perf_counter()
    procs = []
    for i, chunk in enumerate(chunks):
        root = scratch / f"floor{i}"
        cmd = [
            soffice_path(),
            "--headless",
            f"-env:UserInstallation={(root / 'profile').as_uri()}",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            *map(str, chunk),
        ]
        procs.append(
            subprocess.Popen(
                cmd, env=private_env(root), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        )
    for p in procs:
        p.wait()
    elapsed = time.perf_counter() - started
    assert len(list(out.glob("*.pdf"))) == len(docs), "the floor did not convert every file"
    return elapsed


def run_pool(docs: list[Path], out: Path, workers: int) -> float:
    started = time.perf_counter()
    with Converter(workers=workers) as conv:
        results = conv.convert_many([(d, out / d.with_suffix(".pdf").name) for d in docs])
    elapsed = time.perf_counter() - started
    assert all(e is None for e in results.values()), results
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=40)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="formgen-bench-") as tmp:
        base = Path(tmp)
        src = base / "docx"
        src.mkdir()
        docs = [src / f"form{i:03d}.docx" for i in range(args.docs)]
        for i, d in enumerate(docs):
            make_form(d, i)
        pool_times, floor_times = [], []
        for r in range(args.rounds):
            for name, times in (("pool", pool_times), ("floor", floor_times)):
                out = base / f"{name}{r}"
                out.mkdir()
                if name == "pool":
                    times.append(run_pool(docs, out, args.workers))
                else:
                    times.append(run_floor(docs, out, args.workers, base / f"s{r}"))
                shutil.rmtree(out)
            print(f"round {r + 1}: pool {pool_times[-1]:.2f} s, floor {floor_times[-1]:.2f} s")
        pool, floor = statistics.median(pool_times), statistics.median(floor_times)
        print(
            f"{args.docs} documents, {args.workers} workers (median of {args.rounds}): "
            f"pool {pool:.2f} s ({pool / args.docs * 1000:.0f} ms/doc), "
            f"soffice --convert-to {floor:.2f} s; ratio {pool / floor:.2f}"
        )
        # Steady state: what each further document costs once the pool is warm.
        with Converter(workers=args.workers) as conv:
            conv.convert_many([(docs[0], base / "warm0.pdf"), (docs[1], base / "warm1.pdf")])
            out = base / "warm"
            out.mkdir()
            started = time.perf_counter()
            conv.convert_many([(d, out / d.with_suffix(".pdf").name) for d in docs])
            warm = time.perf_counter() - started
        print(f"warm pool, start-up excluded: {warm:.2f} s ({warm / args.docs * 1000:.0f} ms/doc)")


if __name__ == "__main__":
    main()
