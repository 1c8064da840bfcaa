"""Benchmark: ``formgen validate`` on 10,000, 50,000 and 100,000 applicants, from JSON, YAML
and XLSX.

Each file holds copies of ``data/applicant-example.yaml``, each with its own id and e-mail
address (as issue 19 measured it): a JSON list, a YAML list as PyYAML writes it (``yaml``),
the same as PyYAML writes it unless told to keep Unicode (``yaml-escaped``: every Chinese
character an escape such as ``\\u674E``, long texts over lines), a YAML list of copies of
the example file itself, its comments and ``{zh: …, en: …}`` flows kept (``yaml-example``),
and workbooks with sheet
``applicants`` and the education, career, cpd and competences sheets: ``xlsx`` its values
all texts, inline and in UTF-8; ``xlsx-openpyxl`` as a user's script writes the records with
openpyxl (true and false, days and numbers as themselves, every character not ASCII as a
reference such as ``&#26446;``): openpyxl writes one applicant, whose rows are repeated;
``xlsx-sorted`` as ``xlsx``, its cpd sheet sorted the other way (the last applicant's rows
first, as a sheet sorted by date or by hand may come: its rows are filed by id); ``csv``
a CSV file of the applicants with a file of each group's rows beside it
(``applicants.education.csv`` …).
``formgen validate`` runs in a child process; for each format and size the benchmark prints
the wall seconds, the CPU seconds (the child and its worker processes) and the peak memory
(resident, of the child or of any one of its workers, whichever is larger), then the ratio
of the time at 100,000 to the time at 10,000 (10 when time grows linearly).

Targets, at 100,000 applicants: under 20 s and under 1 GB (1,024 MB). The benchmark prints
every figure, then exits with status 1 when a target is missed.

Usage: python bench/bench_scale.py [--format FORMAT ...] [SIZE ...]   (formats default to
json yaml yaml-escaped yaml-example xlsx xlsx-openpyxl xlsx-sorted csv, sizes to 10000 50000
100000; the targets are checked at the largest)
"""

from __future__ import annotations

import json
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import yaml
from openpyxl.utils import get_column_letter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from common import Run, run_child  # noqa: E402
from conftest import write_openpyxl as records_with_openpyxl  # noqa: E402

from formgen.load import records_to_rows  # noqa: E402

SIZES = (10_000, 50_000, 100_000)
FORMATS = ("json", "yaml", "yaml-escaped", "yaml-example", "xlsx", "xlsx-openpyxl", "xlsx-sorted", "csv")
TODAY = "2026-11-23"
LIMIT_S = 20.0
LIMIT_MB = 1024.0
FORMGEN = Path(sys.executable).with_name("formgen")
ID, EMAIL, ROW = "@@ID@@", "@@EMAIL@@", "@@ROW@@"


def example() -> dict[str, Any]:
    """The contract's example, its dates as text (as in JSON)."""
    import datetime as dt

    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value.isoformat() if isinstance(value, dt.date) else value

    data = yaml.safe_load((ROOT / "data" / "applicant-example.yaml").read_text(encoding="utf-8"))
    return plain({**data, "id": ID, "email": EMAIL})


def _fill(template: str, i: int) -> str:
    return template.replace(ID, f"CSEE-2026-{i:06d}").replace(EMAIL, f"applicant{i}@example.com")


def write_json(path: Path, count: int) -> None:
    template = json.dumps(example(), ensure_ascii=False)
    with path.open("w", encoding="utf-8") as f:
        f.write("[\n")
        for i in range(count):
            f.write(("," if i else "") + _fill(template, i) + "\n")
        f.write("]\n")


def _write_items(path: Path, template: str, count: int) -> None:
    """``count`` copies of the list item ``template``, each with its own id and e-mail."""
    with path.open("w", encoding="utf-8") as f:
        for i in range(count):
            f.write(_fill(template, i))


def write_yaml(path: Path, count: int, unicode: bool = True) -> None:
    _write_items(path, yaml.safe_dump([example()], allow_unicode=unicode, sort_keys=False), count)


def write_yaml_escaped(path: Path, count: int) -> None:
    write_yaml(path, count, unicode=False)


def write_yaml_example(path: Path, count: int) -> None:
    """The contract's example file itself, again and again, each copy an item of the list
    (its lines indented under ``- ``, its comments and ``{zh: …, en: …}`` flows kept)."""
    text = (ROOT / "data" / "applicant-example.yaml").read_text(encoding="utf-8")
    record = yaml.safe_load(text)
    text = text.replace(record["id"], ID).replace(record["email"], EMAIL)
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if line.strip() and not line.startswith("#"))
    template = "".join(("- " if i == first else "  " if line else "") + line + "\n"
                       for i, line in enumerate(lines))
    _write_items(path, template, count)


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


_column = get_column_letter


def _row(number: int | str, values: list[Any]) -> str:
    cells = []
    for i, value in enumerate(values, start=1):
        ref = f"{_column(i)}{number}"
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        if isinstance(value, (int, float)):
            cells.append(f'<c r="{ref}"><v>{value}</v></c>')
        else:
            cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>')
    return f'<row r="{number}">' + "".join(cells) + "</row>"


def _write_copies(part: Any, templates: list[str], count: int, reverse: bool = False) -> None:
    """The rows of ``count`` applicants from row 2: each of one applicant's rows (``templates``)
    with the applicant's id, e-mail and row number; the last applicant's first if ``reverse``."""
    number = 2
    for i in reversed(range(count)) if reverse else range(count):
        block = []
        for template in templates:
            block.append(_fill(template, i).replace(ROW, str(number)))
            number += 1
        part.write("".join(block).encode())


def write_xlsx(path: Path, count: int, reversed_sheets: tuple[str, ...] = ()) -> None:
    main, groups = records_to_rows([example()])
    sheets = [("applicants", main), *((g, rows) for g, rows in groups.items() if rows)]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        names = []
        for n, (title, rows) in enumerate(sheets, start=1):
            columns = list(dict.fromkeys(k for row in rows for k in row))
            templates = [_row(ROW, [row.get(c) for c in columns]) for row in rows]
            with z.open(f"xl/worksheets/sheet{n}.xml", "w") as part:
                part.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_MAIN}">'
                           f"<sheetData>{_row(1, columns)}".encode())
                _write_copies(part, templates, count, title in reversed_sheets)
                part.write(b"</sheetData></worksheet>")
            names.append(title)
        z.writestr("[Content_Types].xml", (
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
            'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
            + "".join(f'<Override PartName="/xl/worksheets/sheet{n}.xml" '
                      f'ContentType="{_CT}.worksheet+xml"/>' for n in range(1, len(names) + 1))
            + "</Types>"))
        z.writestr("_rels/.rels", (
            f'<?xml version="1.0"?><Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
            f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        z.writestr("xl/workbook.xml", (
            f'<?xml version="1.0"?><workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
            + "".join(f'<sheet name="{t}" sheetId="{n}" r:id="rId{n}"/>'
                      for n, t in enumerate(names, start=1)) + "</sheets></workbook>"))
        z.writestr("xl/_rels/workbook.xml.rels", (
            f'<?xml version="1.0"?><Relationships xmlns="{_PKG}">'
            + "".join(f'<Relationship Id="rId{n}" Type="{_REL}/worksheet" '
                      f'Target="worksheets/sheet{n}.xml"/>' for n in range(1, len(names) + 1))
            + "</Relationships>"))


def write_openpyxl(path: Path, count: int) -> None:
    import re

    data = yaml.safe_load((ROOT / "data" / "applicant-example.yaml").read_text(encoding="utf-8"))
    one = records_with_openpyxl(path.with_name("one.xlsx"), [{**data, "id": ID, "email": EMAIL}])
    with zipfile.ZipFile(one) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            part = src.read(info).decode("utf-8")
            if not info.filename.startswith("xl/worksheets/sheet"):
                out.writestr(info, part)
                continue
            start, end = part.index('<row r="2"'), part.rindex("</row>") + len("</row>")
            templates = [re.sub(r' r="([A-Z]*)[0-9]+"', rf' r="\g<1>{ROW}"', row)
                         for row in re.findall(r'<row r="[0-9]+".*?</row>', part[start:end])]
            with out.open(info.filename, "w") as sheet_part:
                sheet_part.write(part[:start].encode())
                _write_copies(sheet_part, templates, count)
                sheet_part.write(part[end:].encode())
    one.unlink()


def write_csv(path: Path, count: int) -> None:
    """The applicants in ``path`` and their groups' rows in ``<stem>.<group>.csv`` beside it."""
    import csv
    import io

    main, groups = records_to_rows([example()])
    for file, rows in [(path, main), *((path.with_name(f"{path.stem}.{g}.csv"), rows)
                                       for g, rows in groups.items() if rows)]:
        columns = list(dict.fromkeys(k for row in rows for k in row))
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(columns)
        header = text.getvalue()
        templates = []
        for row in rows:
            text.seek(0)
            text.truncate()
            writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
            templates.append(text.getvalue())
        with file.open("w", encoding="utf-8", newline="") as f:
            f.write(header)
            for i in range(count):
                f.write("".join(_fill(t, i) for t in templates))


def write_sorted(path: Path, count: int) -> None:
    write_xlsx(path, count, reversed_sheets=("cpd",))


WRITERS = {"json": write_json, "yaml": write_yaml, "yaml-escaped": write_yaml_escaped,
           "yaml-example": write_yaml_example,
           "xlsx": write_xlsx, "xlsx-openpyxl": write_openpyxl, "xlsx-sorted": write_sorted,
           "csv": write_csv}


def validate(path: Path, count: int) -> Run:
    run = run_child([str(FORMGEN), "validate", str(path)], TODAY)
    lines = run.stderr.splitlines()
    summary = lines[-1] if lines else ""
    if not summary.startswith(f"{count:,} record(s): {count:,} valid, 0 with errors"):
        raise SystemExit(f"formgen validate {path.name}: {summary}")
    return run


def main(sizes: list[int], formats: tuple[str, ...] = FORMATS) -> int:
    results: dict[tuple[str, int], Run] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in formats:
            for count in sizes:
                path = Path(tmp) / f"applicants-{count}.{kind.split('-')[0]}"
                WRITERS[kind](path, count)
                size_mb = path.stat().st_size / 1e6
                run = results[kind, count] = validate(path, count)
                path.unlink()
                print(f"{kind:>13} {count:>7,} applicants ({size_mb:6.1f} MB): {run.wall:6.1f} s, "
                      f"CPU {run.cpu:6.1f} s, peak {run.peak_mb:6.0f} MB", flush=True)
    largest, smallest = max(sizes), min(sizes)
    missed = []
    for kind in formats:
        run = results[kind, largest]
        if largest != smallest:
            ratio = run.wall / results[kind, smallest].wall
            print(f"{kind:>13}: time at {largest:,} / at {smallest:,} = {ratio:.1f} "
                  f"(linear: {largest / smallest:.0f})")
        met = run.wall < LIMIT_S and run.peak_mb < LIMIT_MB
        print(f"{kind:>13} at {largest:,}: {run.wall:.1f} s, {run.peak_mb:.0f} MB "
              f"(under {LIMIT_S:.0f} s and {LIMIT_MB:.0f} MB: {'yes' if met else 'NO'})")
        if not met:
            missed.append(kind)
    if missed:
        print(f"targets missed: {', '.join(missed)}")
        return 1
    return 0


def _arguments(args: list[str]) -> tuple[list[int], tuple[str, ...]]:
    sizes, formats = [], []
    while args:
        arg = args.pop(0)
        if arg == "--format":
            formats.append(args.pop(0))
        else:
            sizes.append(int(arg))
    return sizes or list(SIZES), tuple(formats) or FORMATS


if __name__ == "__main__":
    sys.exit(main(*_arguments(sys.argv[1:])))
