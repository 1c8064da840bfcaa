"""Data files read a record at a time (``formgen validate``): the report is the one the whole
read gives, problem for problem, in every format and for every kind of broken file, with
the records examined here or in worker processes; a file refused part way has its records
dropped; the refusal past the record limit comes before the file is read further."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import datetime as dt
import json
import pickle
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import (
    EXAMPLE_FILE,
    SAMPLES_FILE,
    SAMPLES_XLSX,
    TEST_DATA,
    read_as_validation_reads,
    with_id,
    write_csv,
    write_csv_rows,
    write_openpyxl,
    write_xlsx,
)
from conftest import cli as run_cli

from formgen.exceptions import DataFileError
from formgen.load import BATCH, ReadWhole, jsonstream, sources, streams
from formgen.load.sheetstream import SheetGroup, xlsx_stream
from formgen.model.manifest import load_manifest
from formgen.validate import check_files, stream, validate_files

MANIFEST = load_manifest()
QUOTA = 10
"""The example applicant's unit's places (the shipped manifest's quota table)."""
TODAY = dt.date(2026, 11, 23)


@pytest.fixture(autouse=True)
def small_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pieces of text, groups of YAML items and batches far smaller than the records, so
    that every boundary is crossed many times."""
    monkeypatch.setattr(streams, "CHUNK", 97)
    monkeypatch.setattr(jsonstream, "CHUNK", 97)
    monkeypatch.setattr(streams, "YAML_ITEMS", 3)
    monkeypatch.setattr(jsonstream, "JSON_ITEMS", 3)
    monkeypatch.setattr(stream, "BATCH", 4)
    monkeypatch.setattr(stream, "POOL_AFTER", 5)


def summary(report: Any) -> tuple[Any, ...]:
    return ([p.text("en") for p in report.problems], report.record_count, report.valid_count,
            report.failed_records, report.unreadable_files,
            [(r.file, r.record_id, r.kind) for r in report.failed])


def same_report(paths: list[Path], workers: int = 1) -> Any:
    _, whole = validate_files(paths, MANIFEST, TODAY, keep_applicants=False)
    streamed = check_files(paths, MANIFEST, TODAY, workers=workers)
    assert summary(streamed) == summary(whole)
    return streamed


def records(count: int, example: dict[str, Any]) -> list[dict[str, Any]]:
    return [with_id(example, f"A-{i:03d}", email=f"a{i}@example.com") for i in range(count)]


@pytest.mark.parametrize("workers", [1, 2])
def test_every_format_gives_the_report_of_the_whole_read(
    tmp_path: Path, example_record: dict, workers: int
) -> None:
    batch = records(23, example_record)
    batch[5]["email"] = "nobody"
    batch[9]["id"] = batch[2]["id"]  # an id used twice
    batch.insert(12, "not a record")  # type: ignore[arg-type]
    as_json = tmp_path / "a.json"
    as_json.write_text(json.dumps(batch, ensure_ascii=False, indent=1), encoding="utf-8")
    as_yaml = tmp_path / "a.yaml"
    as_yaml.write_text("# a comment first\n\n" + yaml.safe_dump(batch, allow_unicode=True),
                       encoding="utf-8")
    as_xlsx = write_xlsx(tmp_path / "a.xlsx", [r for r in batch if isinstance(r, dict)])
    as_csv = write_csv(tmp_path / "a.csv", [r for r in batch if isinstance(r, dict)])
    in_gb18030 = write_csv(tmp_path / "gb" / "b.csv", [r for r in batch if isinstance(r, dict)],
                           style="plain", encoding="gb18030")
    report = same_report([as_json, as_yaml, as_xlsx, SAMPLES_FILE, SAMPLES_XLSX, EXAMPLE_FILE,
                          TEST_DATA / "bad" / "records.yaml", as_csv[0], *in_gb18030], workers)
    assert report.record_count == 24 + 24 + 23 + 6 + 6 + 1 + 4 + 23 + 23
    assert any(p.code == "record.duplicate-id" for p in report.problems)


YAML_CASES = {
    "anchors across records": "- &a {id: A-1}\n- *a\n- {id: A-3}\n- {id: A-4}\n- {id: A-5}\n",
    "a quoted text across an item line": "- id: A-1\n- id: 'A-2\n- x'\n- id: A-3\n- id: A-4\n- id: A-5\n",
    "a document marker": "---\n- id: A-1\n- id: A-2\n- id: A-3\n- id: A-4\n",
    "a marker between": "- id: A-1\n- id: A-2\n- id: A-3\n- id: A-4\n...\n",
    "a mapping": "applicants:\n- id: A-1\n- id: A-2\n- id: A-3\n- id: A-4\n",
    "a mapping, its list indented": "# c\napplicants:  # the list\n\n  - id: A-1\n    name: {zh: 李}\n"
                                    "  # c\n  - id: A-2\n  - id: A-3\n  -\n    id: A-4\n",
    "a mapping with CR LF": "applicants:\r\n  - id: A-1\r\n  - id: A-2\r\n  - id: A-3\r\n",
    "a mapping, a key after its list": "applicants:\n  - id: A-1\n  - id: A-2\n  - id: A-3\n"
                                       "  - id: A-4\nunit: x\n",
    "a mapping, its list at the key": "applicants:\n- id: A-1\n- id: A-2\n- id: A-3\n- id: A-4\nunit: x\n",
    "a mapping given twice": "applicants:\n- id: A-1\n- id: A-2\n- id: A-3\napplicants:\n- id: A-4\n",
    "a mapping, items oddly indented": "applicants:\n  - id: A-1\n  - id: A-2\n   - id: A-3\n  - id: A-4\n",
    "a mapping, nothing below": "applicants:\n",
    "a mapping, an empty list": "applicants: []\n",
    "a mapping, a text below": "applicants:\n  nobody\n",
    "a mapping, a deep item": "applicants:\n  - id: A-1\n  - id: A-2\n  - id: A-3\n  - id: A-4\n"
                              "  - id: " + "[" * 40 + "]" * 40 + "\n",
    "broken late": "- id: A-1\n- id: A-2\n- id: A-3\n- id: A-4\n- id: [A-5\n",
    "a key twice late": "- id: A-1\n- id: A-2\n- id: A-3\n- id: A-4\n- {id: A-5, id: A-6}\n",
    "a tag late": "- id: A-1\n- id: A-2\n- id: A-3\n- id: A-4\n- id: !!python/name:os.system\n",
    "text after the list": "- id: A-1\n- id: A-2\n- id: A-3\n- id: A-4\nid: A-5\n",
    "only comments": "# nothing\n\n# here\n",
    "empty": "",
    "not a list": "just text\n",
    "deep late": "- id: A-1\n- id: A-2\n- id: A-3\n- id: A-4\n- id: " + "[" * 40 + "]" * 40 + "\n",
    "a string past a piece": "- id: A-1\n  name: {en: '" + "x" * 500 + "'}\n- id: A-2\n",
}


@pytest.mark.parametrize("text", YAML_CASES.values(), ids=YAML_CASES.keys())
def test_yaml_files_give_the_report_of_the_whole_read(tmp_path: Path, text: str) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(text, encoding="utf-8")
    same_report([path, EXAMPLE_FILE])


JSON_CASES = {
    "empty list": "[]",
    "spaces": "  \n [ \n ] \n",
    "trailing comma": '[{"id": "A-1"}, {"id": "A-2"},\n ]',
    "no comma": '[{"id": "A-1"}\n {"id": "A-2"}]',
    "extra data": '[{"id": "A-1"}]\n x',
    "unclosed": '[{"id": "A-1"},\n{"id": "A-2"}',
    "unclosed string": '[{"id": "A-1"},\n{"id": "A-2',
    "a key twice late": '[{"id": "A-1"},\n{"id": "A-2"},\n{"id": "A-3",\n "id": "A-4"}]',
    "a mapping": '{"applicants": [{"id": "A-1"}, {"id": "A-2"}]}',
    "a mapping, indented": '{\n  "applicants": [\n    {"id": "A-1"},\n    {"id": "A-2"},\n'
                           '    {"id": "A-3"},\n    {"id": "A-4"}\n  ]\n}\n',
    "a mapping, a key after": '{"applicants": [{"id": "A-1"}, {"id": "A-2"}], "unit": "x"}',
    "a mapping given twice": '{"applicants": [{"id": "A-1"}], "applicants": [{"id": "A-2"}]}',
    "a mapping, a key before": '{"unit": "x", "applicants": [{"id": "A-1"}]}',
    "a mapping, not closed": '{"applicants": [{"id": "A-1"}, {"id": "A-2"}]',
    "a mapping, extra data": '{"applicants": [{"id": "A-1"}]} x',
    "a mapping, an empty list": '{"applicants": []}',
    "a mapping, broken late": '{"applicants": [{"id": "A-1"}, {"id": "A-2"}, {"id": tru}]}',
    "one record": '{"id": "A-1"}',
    "numbers across pieces": "[" + ", ".join(["12345678901234567890"] * 30) + "]",
    "literals across pieces": "[" + ", ".join(["true", "null", "false"] * 20) + "]",
    "a long text": '[{"id": "A-1", "name": {"en": "' + "x" * 1000 + '"}}, {"id": "A-2"}]',
    "escapes across pieces": '[{"id": "A-1", "x": "' + "\\u00e9\\n" * 100 + '"}]',
    "too many digits": '[{"id": "A-1"}, {"id": ' + "9" * 5000 + "}]",
    "deep": '[{"id": "A-1"}, {"id": ' + "[" * 5000 + "]" * 5000 + "}]",
    "a bad token late": '[{"id": "A-1"},\n{"id": "A-2"},\n{"id": tru}]',
    "not json": "nonsense",
}


@pytest.mark.parametrize("text", JSON_CASES.values(), ids=JSON_CASES.keys())
def test_json_files_give_the_report_of_the_whole_read(tmp_path: Path, text: str) -> None:
    path = tmp_path / "a.json"
    path.write_text(text, encoding="utf-8")
    same_report([path, EXAMPLE_FILE])


@pytest.mark.parametrize("workers", [1, 2])
def test_a_key_twice_found_in_a_worker_refuses_the_file(tmp_path: Path, workers: int) -> None:
    """A JSON list's items are parsed where they are examined: a key given twice in an item
    read by a worker process refuses the file, naming the line, as the whole read does."""
    items = [f'{{"id": "A-{i}"}}' for i in range(1, 20)]
    items[16] = '{"id": "A-17",\n "id": "A-18"}'
    path = tmp_path / "a.json"
    path.write_text("[\n" + ",\n".join(items) + "\n]\n", encoding="utf-8")
    report = same_report([path, EXAMPLE_FILE], workers=workers)
    assert report.unreadable_files == [str(path)]
    assert [p.text("en") for p in report.problems][:1] == [
        f"{path}: error: the key 'id' is given twice (lines 18 and 19)"]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_file_refused_part_way_takes_no_places(tmp_path: Path, example_record: dict, workers: int) -> None:
    """The places a file's applicants take in their unit's quota count only once the file
    is read to its end: a file refused after some applicants takes none."""
    first, broken, last = (tmp_path / f"{name}.json" for name in "abc")
    batch = records(30, example_record)
    first.write_text(json.dumps(batch[:12], ensure_ascii=False, indent=1), encoding="utf-8")
    broken.write_text(json.dumps(batch[12:24], ensure_ascii=False, indent=1)[:-1], encoding="utf-8")
    last.write_text(json.dumps(batch[24:], ensure_ascii=False, indent=1), encoding="utf-8")
    report = same_report([first, broken, last], workers=workers)
    over = [p.text("en") for p in report.problems if p.code == "rule.over-quota"]
    assert len(over) == 12 + 6 - QUOTA
    assert over[-1] == (f"{last}, record 6 (A-029), unit: warning: 中国电力建设集团有限公司 is over "
                        f"its quota of {QUOTA} places (this is applicant 18)")
    assert report.unreadable_files == [str(broken)]


def test_gb18030_files_stream(tmp_path: Path, example_record: dict) -> None:
    path = tmp_path / "a.json"
    path.write_bytes(json.dumps(records(9, example_record), ensure_ascii=False).encode("gb18030"))
    assert same_report([path]).record_count == 9
    path.write_bytes(b"[\xff\xfe]")
    assert same_report([path]).unreadable_files == [str(path)]


def read_csv_rows(path: Path) -> list[list[str]]:
    import csv

    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def write_rows(path: Path, rows: list[list[Any]]) -> Path:
    import csv

    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


CSV_CHANGES = ["as written", "career reversed", "cpd shuffled with strays", "id twice",
               "an empty group file", "a group file of spaces", "a multi-line text, CR LF",
               "broken late", "header only"]


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("change", CSV_CHANGES)
def test_csv_files_give_the_report_of_the_whole_read(
    tmp_path: Path, example_record: dict, change: str, workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CSV file and its group files are read a row at a time, the group files' rows in
    the applicants' order read alongside, in another order filed by id: the records and the
    report are the whole read's, refusals included."""
    import random

    batch = records(9, example_record)
    if change == "id twice":
        batch[6]["id"] = batch[2]["id"]
    main, *groups = write_csv(tmp_path / "a.csv", batch)
    by_name = {p.name: p for p in groups}
    career, cpd = by_name["a.career.csv"], by_name["a.cpd.csv"]
    if change == "career reversed":
        rows = read_csv_rows(career)
        write_rows(career, [rows[0], *rows[:0:-1]])
    elif change == "cpd shuffled with strays":
        rows = read_csv_rows(cpd)
        strays = [["NOBODY", *rows[1][1:]], ["", *rows[2][1:]], ["  A-001 ", *rows[3][1:]]]
        body = rows[1:] + strays
        random.Random(7).shuffle(body)
        write_rows(cpd, [rows[0], *body])
    elif change == "an empty group file":
        cpd.write_text("", encoding="utf-8")
    elif change == "a group file of spaces":
        cpd.write_text(" \n\n  ", encoding="utf-8")
    elif change == "a multi-line text, CR LF":
        rows = read_csv_rows(main)
        rows[3][rows[0].index("description.en")] = "two\r\nlines, \"quoted\""
        with main.open("w", encoding="utf-8", newline="") as f:
            import csv

            csv.writer(f, lineterminator="\r\n").writerows(rows)
    elif change == "broken late":
        with main.open("a", encoding="utf-8") as f:
            f.write('A-999,"never closed\n')
    elif change == "header only":
        write_csv_rows(main, [{"id": None, "programme": None}])
    report = filed_and_report(monkeypatch, main, workers, change)
    if change == "id twice":  # the whole read gives the rows to the last of the two
        with pytest.raises(ReadWhole):
            filed_records(main)
        assert read_whole(main)
    elif not report.unreadable_files:
        assert filed_records(main) == sources([main])[0].whole()
        assert not read_whole(main)


def filed_and_report(monkeypatch: pytest.MonkeyPatch, path: Path, workers: int, change: str) -> Any:
    """The streamed report of ``path`` (the whole read's), having checked that its group
    files were filed by id exactly when their rows are in another order."""
    found: list[Any] = []
    times = filed_times(monkeypatch, lambda: found.append(same_report([path], workers)))
    # an id given twice looks like rows out of order: the file of its rows is filed, then
    # every group file, then it is read whole
    assert times == {"career reversed": 1, "cpd shuffled with strays": 1, "id twice": 2}.get(change, 0)
    return found[0]


def _reordered(good: Path, path: Path, sheet: str, order: Any) -> Path:
    """The workbook with the data rows of ``sheet`` put in another order."""
    import openpyxl

    workbook = openpyxl.load_workbook(good)
    rows = [list(r) for r in workbook[sheet].iter_rows(values_only=True)]
    workbook.remove(workbook[sheet])
    ws = workbook.create_sheet(sheet)
    for row in [rows[0], *order(rows[1:])]:
        ws.append(row)
    workbook.save(path)
    return path


@pytest.mark.parametrize(
    "change",
    ["reversed", "orphan first", "orphan last", "id twice", "id twice without rows"],
)
def test_workbooks_with_group_rows_in_any_order(tmp_path: Path, example_record: dict, change: str) -> None:
    """Group rows out of the applicants' order make the workbook be read again, its group
    rows filed by id first."""
    batch = records(7, example_record)
    if change == "id twice":
        batch[5]["id"] = batch[1]["id"]
    if change == "id twice without rows":
        batch[5] = {"id": batch[1]["id"], "programme": "csee-iet"}
    good = write_xlsx(tmp_path / "good.xlsx", batch)
    if change == "reversed":
        path = _reordered(good, tmp_path / "a.xlsx", "career", lambda rows: rows[::-1])
    elif change.startswith("orphan"):
        def order(rows: list[Any]) -> list[Any]:
            stray = [*rows[0][:1], *rows[0][1:]]
            stray[0] = "NOBODY"
            return [stray, *rows] if change == "orphan first" else [*rows, stray]
        path = _reordered(good, tmp_path / "a.xlsx", "cpd", order)
    else:
        path = good
    same_report([path, EXAMPLE_FILE])
    same_report([path], workers=2)
    # group rows in another order are filed by id, in bounded memory; an id given to two
    # applicants with rows has the workbook read whole, which gives them to the last
    assert read_whole(path) == change.startswith("id twice")


def read_whole(path: Path) -> bool:
    """Whether the streamed read of ``path`` (a workbook, or a CSV file) ended in reading
    it whole."""
    import formgen.load

    reader = "read_csv" if path.suffix == ".csv" else "xlsx_records"
    whole = getattr(formgen.load, reader)
    calls: list[str] = []

    def counted(*args: Any) -> Any:
        calls.append(args[0])
        return whole(*args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(formgen.load, reader, counted)
        check_files([path], MANIFEST, TODAY, workers=1)
    return bool(calls)


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("seed", range(6))
def test_workbooks_sorted_another_way_are_filed_by_id(
    tmp_path: Path, example_record: dict, seed: int, workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Staff sort a sheet by date or by name: its rows, shuffled, with rows of no id and of
    ids nobody has among them, give the whole read's report without the whole read."""
    import random

    chance = random.Random(seed)
    batch = records(9, example_record)
    for record in batch[::3]:  # some applicants have no rows of a group
        record.pop("cpd", None)
    good = write_xlsx(tmp_path / "good.xlsx", batch)

    def shuffled(rows: list[Any]) -> list[Any]:
        strays = []
        for given in chance.sample(["NOBODY", "NOBODY ELSE", None, "  A-001  "], 3):
            stray = list(chance.choice(rows))
            stray[0] = given
            strays.append(stray)
        rows = [*rows, *strays]
        chance.shuffle(rows)
        return rows

    path = good
    sheets = chance.sample(["education", "career", "cpd", "competences"], 2)
    for sheet in sheets:
        path = _reordered(path, tmp_path / f"{sheet}.xlsx", sheet, shuffled)
    # the first sheet found out of order is filed, then every one once the second is found
    filed = filed_sheets(monkeypatch, lambda: same_report([path, EXAMPLE_FILE], workers=workers))
    assert len(filed) == 2 and len(filed[0]) == 1 and filed[0][0] in sheets, filed
    assert filed[1] == ("education", "career", "cpd", "competences"), filed
    assert not read_whole(path)
    # each row with its applicant, in its sheet's order; the rows for nobody in theirs
    assert filed_records(path) == sources([path])[0].whole()


def filed_records(path: Path) -> list[Any]:
    """The records of the workbook at ``path`` read with its group rows filed by id."""
    out: list[Any] = []
    for item in sources([path])[0].records(stream=True, cut=False):
        out.extend(item.records()[0] if isinstance(item, streams.Group) else [item])
    return out


def filed_times(monkeypatch: pytest.MonkeyPatch, run: Any) -> int:
    """How many times ``run`` filed a workbook's group rows by id."""
    from formgen.load import sheetstream

    times: list[bool] = []
    filed = sheetstream.RowFile

    def counted() -> Any:
        times.append(True)
        return filed()

    monkeypatch.setattr(sheetstream, "RowFile", counted)
    run()
    monkeypatch.setattr(sheetstream, "RowFile", filed)
    return len(times)


def filed_sheets(monkeypatch: pytest.MonkeyPatch, run: Any) -> list[tuple[str, ...]]:
    """The group sheets (or files) filed by id, each time ``run`` filed any."""
    from formgen.load import sheetstream

    filed: list[tuple[str, ...]] = []
    files: list[Any] = []
    file_rows = sheetstream._FiledGroup

    def counted(group: str, title: str, rows: Any, file: Any) -> Any:
        if not files or files[-1] is not file:
            files.append(file)
            filed.append(())
        filed[-1] = (*filed[-1], title)
        return file_rows(group, title, rows, file)

    monkeypatch.setattr(sheetstream, "_FiledGroup", counted)
    run()
    monkeypatch.setattr(sheetstream, "_FiledGroup", file_rows)
    return filed


@pytest.mark.parametrize("workers", [1, 2])
def test_only_the_sheet_sorted_another_way_is_filed(
    tmp_path: Path, example_record: dict, workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A workbook whose cpd sheet is sorted another way has that sheet filed by id, and
    its other group sheets read alongside the applicants: the whole read's report."""
    good = write_xlsx(tmp_path / "good.xlsx", records(9, example_record))
    path = _reordered(good, tmp_path / "a.xlsx", "cpd", lambda rows: rows[::-1])
    filed = filed_sheets(monkeypatch, lambda: same_report([path, EXAMPLE_FILE], workers=workers))
    assert filed == [("cpd",)]
    assert not read_whole(path)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_text_that_does_not_read_in_a_sorted_workbook_has_every_sheet_filed(
    tmp_path: Path, example_record: dict, workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cpd sheet, its first two applicants' rows the other way round, is filed alone,
    its texts left as written; a text of a later applicant that does not read (an entity of
    HTML) has the workbook read again with every group sheet filed, by the reader that
    replaces texts as it reads them: the whole read's refusal, in its words."""
    import re
    import zipfile

    good = write_xlsx(tmp_path / "good.xlsx", records(9, example_record))
    sorted_path = _reordered(good, tmp_path / "sorted.xlsx", "cpd",
                             lambda rows: [*rows[2:4], *rows[:2], *rows[4:]])
    path = tmp_path / "a.xlsx"
    with zipfile.ZipFile(sorted_path) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":  # the seventh applicant's row
                row = re.search(rb'<row r="8".*?</row>', data)
                assert row is not None and b"LI Xiaoming" in row.group()
                data = data.replace(row.group(), row.group().replace(b"LI Xiaoming", b"LI&nbsp;X"))
            out.writestr(info, data)
    filed = filed_sheets(monkeypatch, lambda: same_report([path, EXAMPLE_FILE], workers=workers))
    assert filed == [("cpd",), ("education", "career", "cpd", "competences")]
    report = same_report([path], workers=workers)
    assert [p.code for p in report.problems if p.severity == "error"] == ["file.xlsx-sheet-not-xml"]


def test_a_group_row_waiting_past_its_limit_has_the_rows_filed(
    tmp_path: Path, example_record: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows in the applicants' order after many applicants without any are read the same
    when the read in order gives up waiting for their applicant and files them."""
    from formgen.load import sheetstream

    batch = records(8, example_record)
    for record in batch[:6]:
        record.pop("career", None)
    path = write_xlsx(tmp_path / "late.xlsx", batch)
    assert filed_times(monkeypatch, lambda: same_report([path], workers=1)) == 0
    monkeypatch.setattr(sheetstream, "AHEAD_WAIT", 2)
    # the read in order gives up, and the rows are filed once
    assert filed_times(monkeypatch, lambda: same_report([path], workers=1)) == 1
    assert not read_whole(path)


def test_a_workbook_is_read_whole_when_its_rows_cannot_be_filed(
    tmp_path: Path, example_record: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No folder for the file of rows (a temporary folder that is gone): the workbook is
    read whole, as before filing, and gives the same report."""
    import tempfile

    batch = records(5, example_record)
    good = write_xlsx(tmp_path / "good.xlsx", batch)
    path = _reordered(good, tmp_path / "a.xlsx", "cpd", lambda rows: rows[::-1])
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "gone"))
    same_report([path], workers=1)
    assert read_whole(path)


def test_a_file_refused_part_way_has_its_records_dropped(tmp_path: Path, example_record: dict) -> None:
    batch = [with_id(example_record, f"A-{i}", email="nobody") for i in range(20)]
    path = tmp_path / "a.json"
    path.write_text(json.dumps(batch, ensure_ascii=False)[:-1] + ", x]", encoding="utf-8")
    report = same_report([path, EXAMPLE_FILE], workers=2)
    assert [p.code for p in report.problems if p.severity == "error"] == ["file.not-json"]
    assert report.record_count == 1


@pytest.mark.parametrize("suffix", ["json", "yaml", "xlsx"])
def test_the_record_limit_refuses_before_the_rest_is_read(
    tmp_path: Path, example_record: dict, suffix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """100,001 applicants were refused only once all were read (2.07 GB): the record past
    the limit ends the read, and what comes after it is never read."""
    batch = records(12, example_record)
    path = tmp_path / f"a.{suffix}"
    if suffix == "json":
        path.write_text(json.dumps(batch, ensure_ascii=False)[:-1] + ", nonsense", encoding="utf-8")
    elif suffix == "yaml":
        path.write_text(yaml.safe_dump(batch, allow_unicode=True) + "- [broken\n", encoding="utf-8")
    else:
        write_xlsx(path, batch)
    limits = dataclasses.replace(BATCH, records=10)
    read = []
    for source in sources([path], limits):
        with pytest.raises(DataFileError) as e:
            for item in source.records(stream=True):
                if isinstance(item, (streams.Group, jsonstream.JsonGroup)):  # items read apart
                    group = item.records()
                    assert group is not None
                    read.extend(group[0])
                else:
                    read.append(item)
    assert len(read) == (10 if suffix == "xlsx" else 9)  # YAML, JSON: the group past it is not read
    assert e.value.reason.english == "holds more than 10 applicants; split it into several files"


@pytest.mark.parametrize("lang", ["C.UTF-8", "zh_CN.UTF-8"])
def test_validate_speaks_as_before(tmp_path: Path, example_record: dict, lang: str) -> None:
    batch = records(30, example_record)
    batch[3]["email"] = "nobody"
    path = tmp_path / "a.yaml"
    path.write_text(yaml.safe_dump(batch, allow_unicode=True), encoding="utf-8")
    result = run_cli("validate", path, env={"LANG": lang})
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    if lang == "C.UTF-8":
        assert any(line.startswith(f"{path}, record 4 (A-003), email: error:") for line in lines)
        assert lines[-1].startswith("30 record(s): 29 valid, 1 with errors; 1 error(s)")
    else:
        assert any(line.startswith(f"{path}，第4条记录（A-003），email：错误：") for line in lines)
        assert lines[-1].startswith("共30条记录：29条有效，1条有错误；1个错误")


def test_a_zip_that_is_no_workbook_streams_its_refusal(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("x.txt", "x")
    same_report([path, EXAMPLE_FILE])


def read_both_ways(path: Path, text: str, rng: Any, breaks: list[str]) -> None:
    """Write ``text`` (broken at a random place, three times in ten, by one of ``breaks``)
    to ``path``, and check that the stream reads what the whole read does, or refuses it
    in the same words."""
    from formgen.load import load_files

    if rng.random() < 0.3:
        at = rng.randint(0, len(text))
        text = text[:at] + rng.choice(breaks) + text[at + 1:]
    path.write_text(text, encoding="utf-8")
    try:
        streamed: Any = [r.data for r in jsonstream.read_json_list(path, BATCH)]
    except DataFileError as e:
        streamed = e.reason.english
    whole = load_files([path])
    expected = whole[0].refused.english if whole and whole[0].whole_file else [r.data for r in whole]
    assert streamed == expected, text[:300]


@pytest.mark.parametrize("chunk", [1, 7, 97, 4096])
def test_json_pieces_of_any_size(tmp_path: Path, chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 50,000-applicant list was refused at its end ("Expecting ',' delimiter") when its
    last item ended within a few characters of what had been read: the place of the item
    was kept from before the text was moved. Lists broken anywhere give the whole read's
    message."""
    import random


    monkeypatch.setattr(streams, "CHUNK", chunk)
    monkeypatch.setattr(jsonstream, "CHUNK", chunk)
    rng = random.Random(chunk)
    path = tmp_path / "r.json"
    for _ in range(40):
        items = [{"id": "A" * rng.randint(0, 40), "n": rng.randint(0, 10 ** rng.randint(0, 25)),
                  "x": [True, None, 1.5e3] * rng.randint(0, 3)} for _ in range(rng.randint(0, 30))]
        text = json.dumps(items, indent=rng.choice([None, 1])) + rng.choice(["", "\n", " \n "])
        read_both_ways(path, text, rng, ["", ",", "]", "x", '"', " "])


def _laid_out(items: list[Any], layout: str) -> str:
    """``items`` as a JSON list written in one of the ways files lay their items out."""
    one = [json.dumps(item, ensure_ascii=False) for item in items]
    if layout == "indent 2":
        return json.dumps(items, indent=2, ensure_ascii=False)
    if layout == "indent 4, tabs and CRLF":
        return json.dumps(items, indent="\t").replace("\n", "\r\n")
    if layout == "one per line":
        return "[\n" + ",\n".join(one) + "\n]\n"
    if layout == "comma first":
        return "[\n" + "\n,".join(one) + "\n]"
    if layout == "nested at the items' indentation":  # an inner object on a line like an item's
        return "[\n" + ",\n".join(t.replace('[{', '[\n{', 1) for t in one) + "]"
    return json.dumps(items)  # on one line


LAYOUTS = ["indent 2", "indent 4, tabs and CRLF", "one per line", "comma first",
           "nested at the items' indentation", "one line"]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_items_cut_at_their_lines_read_as_the_scanner_reads_them(
    tmp_path: Path, layout: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A JSON list whose items each start a line is cut at those lines rather than scanned
    item by item; whatever the layout, and wherever the file is broken, the records and
    refusals are those of the whole read."""
    import random


    monkeypatch.setattr(jsonstream, "MOST_CUT", 500)
    rng = random.Random(layout)
    path = tmp_path / "r.json"
    cut_seen = False
    for _ in range(60):
        items = [{"id": f"A-{i}", "n": rng.randint(0, 10 ** 6), "rows": [{"x": "{"}] * rng.randint(0, 2),
                  "text": rng.choice(["", "a\nb", '"{', "\\", "x" * rng.randint(0, 400)])}
                 for i in range(rng.randint(0, 12))]
        text = _laid_out(items, layout)
        read_both_ways(path, text, rng, ["", ",", "]", "{", "x", '"', "\n{", '"id": 1, '])
        with contextlib.suppress(DataFileError, ReadWhole):  # (a broken file)
            cut_seen |= any(isinstance(g, jsonstream.JsonGroup) and g.cut
                            for g in jsonstream.json_records(path, BATCH))
    assert cut_seen == (layout in ("indent 2", "indent 4, tabs and CRLF", "one per line", "comma first",
                                   "nested at the items' indentation"))


@pytest.mark.parametrize("layout", ["indent 2", "comma first", "nested at the items' indentation"])
def test_cut_lists_give_the_report_of_the_whole_read(
    tmp_path: Path, example_record: dict, layout: str
) -> None:
    """Through worker processes too: a wrong cut (an inner object on a line like an item's)
    has the file read again, scanned, and the report is the whole read's."""
    batch = records(23, example_record)
    batch[7]["email"] = "nobody"
    batch[15]["id"] = batch[2]["id"]
    path = tmp_path / "a.json"
    path.write_text(_laid_out(batch, layout), encoding="utf-8")
    report = same_report([path, EXAMPLE_FILE], workers=2)
    assert (report.record_count, report.valid_count) == (24, 22)


def test_a_cut_list_past_the_record_limit_is_refused_once_the_cuts_before_have_read(
    tmp_path: Path, example_record: dict
) -> None:
    """A refusal found while items are cut comes after the groups cut before it, so it is
    said once they have read (and the file is not read a second time for it)."""
    path = tmp_path / "a.json"
    path.write_text(_laid_out(records(23, example_record), "indent 2"), encoding="utf-8")
    limits = dataclasses.replace(BATCH, records=10)
    items = list(jsonstream.json_records(path, limits))
    assert [(g.cut, g.count) for g in items if isinstance(g, jsonstream.JsonGroup)] == [
        (False, 2), (True, 3), (True, 3), (True, 2), (False, 0)]
    assert items[-1].refusal is not None
    assert items[-1].refusal.english == "holds more than 10 applicants; split it into several files"
    report = stream.check_sources(sources([path], limits), MANIFEST, TODAY, workers=2)
    assert [p.text("en") for p in report.problems] == [
        f"{path}: error: holds more than 10 applicants; split it into several files"]


def test_a_message_holding_a_mapping_is_kept_as_it_is(tmp_path: Path) -> None:
    """Equal messages are kept once; one whose value cannot be hashed is kept as it came."""
    path = tmp_path / "a.yaml"
    path.write_text("- {id: A-1, programme: {x: [1, {y: 2}]}}\n- {id: A-2, programme: {x: 1}}\n"
                    "- {id: A-3, programme: nowhere}\n- {id: A-4, programme: nowhere}\n")
    report = same_report([path], workers=1)
    assert report.failed_records == 4


@pytest.mark.slow
def test_the_command_line_examines_a_large_file_in_worker_processes_alike(
        tmp_path: Path, example_record: dict) -> None:
    """Past POOL_AFTER records the command line (one thread) examines them in forked
    workers; what it says is what examining them here says."""
    import os
    import subprocess
    import sys

    count = stream.POOL_AFTER + 2 * stream.BATCH + 7
    records = [with_id(example_record, f"W-{i:05d}", email=f"w{i}@example.org") for i in range(count)]
    records[-3]["email"] = "nobody"
    path = tmp_path / "many.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    here = check_files([path], MANIFEST, TODAY, workers=1)
    env = {**os.environ, "FORMGEN_TODAY": TODAY.isoformat(), "LC_ALL": "C.UTF-8"}
    formgen = Path(sys.executable).with_name("formgen")
    done = subprocess.run([str(formgen), "validate", str(path)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert lines[-1].startswith(f"{count} record(s): {count - 1} valid, 1 with errors; 1 error(s)")
    assert [line for line in lines if ": error: " in line] == [
        str(p) for p in here.problems if p.severity == "error"]


@pytest.mark.parametrize("layout", ["yaml at the key", "yaml indented", "json", "json indented"])
def test_a_list_under_applicants_streams(tmp_path: Path, example_record: dict, layout: str) -> None:
    """``applicants:`` (or ``{"applicants": […]}``) with the list in it is read a group of
    items at a time, as a list alone is, and each group reads on its own."""
    batch = records(8, example_record)
    if layout.startswith("yaml"):
        listed = yaml.safe_dump(batch, allow_unicode=True)
        if layout == "yaml indented":
            listed = "".join("  " + line for line in listed.splitlines(keepends=True))
        path = tmp_path / "a.yaml"
        path.write_text("# staff's list\napplicants:\n" + listed, encoding="utf-8")
        read = list(streams.yaml_records(path, BATCH))
    else:
        path = tmp_path / "a.json"
        indent = 2 if layout == "json indented" else None
        path.write_text(json.dumps({"applicants": batch}, ensure_ascii=False, indent=indent),
                        encoding="utf-8")
        read = list(jsonstream.json_records(path, BATCH))
    assert read and all(isinstance(g, (streams.Group, jsonstream.JsonGroup)) for g in read)
    assert sum(g.count for g in read) == 8 and max(g.count for g in read) <= 3  # (groups of 3 here)
    if layout == "yaml indented":
        assert {g.indent for g in read} == {2}  # type: ignore[union-attr]
    made = [r for g in read for r in g.records()[0]]  # type: ignore[index]
    assert [r.data for r in made] == [r.data for r in sources([path])[0].whole()]
    same_report([path], workers=2)


@pytest.mark.parametrize("indent", [0, 2])
def test_item_lines_are_found_as_a_search_from_each_line_start_finds_them(indent: int) -> None:
    """The lines that start an item, searched for from the line break before them, are
    the lines ``^ {indent}-`` finds, from any line's start on."""
    import random
    import re

    rng = random.Random(indent)
    by_line = re.compile(rf"^ {{{indent}}}-(?:[ \t]|$)", re.M)
    lines = streams._ItemLines(indent)
    for _ in range(3000):
        text = "".join(rng.choice(["-", " ", "  ", "\t", "\n", "x", "- ", "\r\n"]) for _ in range(rng.randint(0, 25)))
        line_starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
        start = rng.choice(line_starts)
        expected = [m.start() for m in by_line.finditer(text) if m.start() >= start]
        assert lines.starts(text, start) == expected, (text, start)


UNDRAWABLE = {  # 𪚥 (U+2A6A5), which no font of the configuration has, as each file may give it
    "yaml, as it is": ("yaml", "张𪚥"),
    "yaml, escaped": ("yaml", '"张\\U0002A6A5"'),
    "yaml, binary": ("yaml", "!!binary " + base64.b64encode("张𪚥".encode()).decode()),
    "json, as it is": ("json", '"张𪚥"'),
    "json, escaped": ("json", '"\\u5f20\\ud869\\udea5"'),
    "xlsx, as it is": ("xlsx", "张𪚥"),
}


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("given", UNDRAWABLE.values(), ids=UNDRAWABLE.keys())
def test_a_character_no_font_has_is_found_however_the_file_gives_it(
    tmp_path: Path, example_record: dict, given: tuple[str, str], workers: int
) -> None:
    """A group whose text every font draws is not looked at record by record; a character
    that an escape, a tag or a cell makes is still found, as the whole read finds it."""
    kind, zh = given
    batch = records(12, example_record)
    path = tmp_path / f"a.{kind}"
    name = batch[7]["name"]
    if kind == "xlsx":
        batch[7]["name"] = {"zh": zh, "en": name["en"]}
        write_xlsx(path, batch)
    elif kind == "yaml":
        dumped = yaml.safe_dump(batch, allow_unicode=True, sort_keys=False)
        old = f"name:\n    zh: {name['zh']}\n"
        at = dumped.index(old, dumped.index(batch[7]["id"]))
        path.write_text(f"{dumped[:at]}name:\n    zh: {zh}\n{dumped[at + len(old):]}", encoding="utf-8")
    else:
        dumped = "[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in batch) + "\n]\n"
        old = '"name": ' + json.dumps(name, ensure_ascii=False)
        at = dumped.index(old, dumped.index(batch[7]["id"]))
        given_name = '"name": {"zh": ' + zh + ', "en": ' + json.dumps(name["en"]) + "}"
        path.write_text(dumped[:at] + given_name + dumped[at + len(old):], encoding="utf-8")
    report = same_report([path], workers=workers)
    found = [p.text("en") for p in report.problems if "no installed font can draw" in p.text("en")]
    assert len(found) == 1 and f"({batch[7]['id']})" in found[0] and "name.zh" in found[0], found


@pytest.mark.parametrize("mobile", ["+86 139 1000 2233", 10002233], ids=["text", "number"])
def test_a_group_of_a_workbooks_applicants_reaches_a_worker_as_it_was(
        tmp_path: Path, example_record: dict, mobile: Any) -> None:
    """Sent to a worker process, a group of applicants' rows makes the records it makes
    here: its rows as marshal's bytes, or, with a cell marked (a number in a text
    column), as they are."""
    batch = records(3, example_record)
    batch[1]["mobile"] = mobile
    path = write_openpyxl(tmp_path / "a.xlsx", batch)
    with path.open("rb") as source:
        [group] = [g for g in xlsx_stream(str(path), source, BATCH) if isinstance(g, SheetGroup)]
    sent = pickle.loads(pickle.dumps(group))
    assert sent == group and type(sent.applicants[0][1]) is list
    here, there = group.records(), sent.records()
    assert here is not None and there is not None
    assert [(r.where, r.data, r.notes) for r in here[0]] == [(r.where, r.data, r.notes) for r in there[0]]
    assert bool(here[0][1].notes) == (mobile != "+86 139 1000 2233")


def _sheet_changed(path: Path, out: Path, sheet: str, change: Any) -> Path:
    """The workbook at ``path`` with the XML of its worksheet ``sheet`` changed."""
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, change(data.decode("utf-8")).encode("utf-8") if info.filename == sheet else data)
    return out


def _stray_row(xml: str, text: str) -> str:
    """``xml`` (a sheet) with a row after its last whose one cell holds ``text`` as written."""
    last = max(int(n) for n in __import__("re").findall(r'<row r="([0-9]+)"', xml))
    row = f'<row r="{last + 1}"><c r="A{last + 1}" t="inlineStr"><is><t>{text}</t></is></c></row>'
    return xml.replace("</sheetData>", row + "</sheetData>")


CAREER, CPD = "xl/worksheets/sheet3.xml", "xl/worksheets/sheet4.xml"
WRITTEN_TEXTS: dict[str, tuple[str, Any, bool]] = {
    # what is changed: (sheet, change, whether the workbook is read again, its texts replaced
    # by the reader)
    "as openpyxl writes it": (CPD, lambda xml: xml, False),
    "an id as references": (CAREER, lambda xml: xml.replace("<t>A-003</t>", "<t>A&#45;00&#x33;</t>"), False),
    "a row of a space as a reference": (CPD, lambda xml: _stray_row(xml, "&#32;&#x9;"), False),
    "a row of a stray id as references": (CPD, lambda xml: _stray_row(xml, "N&#79;BODY"), False),
    "an entity of HTML": (CAREER, lambda xml: xml.replace("Sinohydro", "Sino&nbsp;hydro", 2), True),
    "a character XML refuses": (CPD, lambda xml: xml.replace("PowerChina", "Power&#1;China", 3), True),
    "a reference to nothing": (CPD, lambda xml: xml.replace("PowerChina", "Power&#0;China", 1), True),
}


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("change", list(WRITTEN_TEXTS))
def test_the_references_in_a_workbooks_texts_are_replaced_where_its_records_are_made(
    tmp_path: Path, example_record: dict, monkeypatch: pytest.MonkeyPatch, change: str, workers: int,
) -> None:
    """openpyxl writes every character not ASCII as a reference (``&#26446;``): the reading
    process leaves them, and they are replaced where the records are made (in the workers),
    the report the whole read's. A text that does not read (an entity of HTML, a character
    XML refuses) has the workbook read again by a reader that replaces them itself and says
    why, as the whole read does."""
    from conftest import write_openpyxl

    good = write_openpyxl(tmp_path / "good.xlsx", records(9, example_record))
    sheet, edit, again = WRITTEN_TEXTS[change]
    path = _sheet_changed(good, tmp_path / "a.xlsx", sheet, edit)
    found: list[Any] = []
    assert filed_times(monkeypatch, lambda: found.append(same_report([path], workers))) == again
    assert not read_whole(path)
    if not again:
        assert found[0].record_count == 9 + change.startswith("a row of a stray")
        assert found[0].failed_records == change.startswith("a row of a stray")


def test_shared_strings_are_replaced_where_the_records_are_made(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Texts of the shared strings with what XML writes as references (``&``, ``<``,
    ``>``) read as the whole read reads them, the workbook read once."""
    from test_hostile_input import shared_workbook

    strings = ["id", "name.en", "A-1", "LI & <X> ]]> &amp; &#26446;", "A-2", "  ", "A & B"]
    path = shared_workbook(tmp_path / "s.xlsx", strings, [[0, 1], [2, 3], [4, 5], [6, 3]])
    found: list[Any] = []
    assert filed_times(monkeypatch, lambda: found.append(same_report([path], 2))) == 0
    assert found[0].record_count == 3
    [record] = [r for r in sources([path])[0].whole() if r.record_id == "A-1"]
    assert record.data["name"] == {"en": "LI & <X> ]]> &amp; &#26446;"}


def test_the_text_limit_counts_characters_not_references(tmp_path: Path, example_record: dict,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A workbook whose texts as written (``&#26446;`` for 李) pass the limit on the
    characters of text, but whose characters do not, is read again by a reader that counts
    characters, and read as the whole read reads it; one whose characters pass the limit is
    refused by that reader, with the whole read's words."""
    import re

    from conftest import write_openpyxl

    from formgen.load import Source, load_file

    path = write_openpyxl(tmp_path / "a.xlsx", records(3, example_record))
    with zipfile.ZipFile(path) as z:
        written = sum(len(text) for name in z.namelist() if name.startswith("xl/worksheets/")
                      for text in re.findall(r"<t>([^<]*)</t>", z.read(name).decode()))
    chars = sum(len(value) for record in load_file(path) for value in _texts_of(record.data)
                if isinstance(value, str))
    assert written > chars * 2  # (the headers are in both)
    for limit, refused in ((written - 10, False), (chars // 2, True)):
        limits = dataclasses.replace(BATCH, text_chars=limit)
        try:
            expected: Any = [(r.where, r.data) for r in load_file(path, [], limits)]
        except DataFileError as e:
            expected = e.reason
        found: list[Any] = []

        def read(found: list[Any] = found, limits: Any = limits) -> None:
            try:
                found.append([(r.where, r.data) for r in read_as_validation_reads(Source(path, (), limits))])
            except DataFileError as e:
                found.append(e.reason)

        assert filed_times(monkeypatch, read) == 1  # (read again: the first count is no proof)
        assert found[0] == expected
        assert isinstance(found[0], list) != refused


def _texts_of(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts_of(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts_of(v)]
    return [value]
