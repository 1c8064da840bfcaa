"""Careless and hostile values: long names, ids that clean to one folder, control and bidi
characters, days out of range. Each gives a clear refusal or the documents, never a
traceback, and nothing is overwritten."""

from __future__ import annotations

import csv
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE_FILE, cli, with_id, write_yaml

from formgen.model.manifest import load_manifest
from formgen.paths import MAX_NAME_BYTES, safe_filename
from formgen.validate import validate_record
from formgen.validate.lengths import FIELD_WIDTHS, GROUP_WIDTHS, MAX_ROWS, width

MANIFEST = load_manifest()
TODAY = __import__("datetime").date(2026, 11, 23)



@contextmanager
def bounded(seconds: int) -> Iterator[None]:
    """Fail instead of hanging when the work inside takes far longer than it should: a guard
    against quadratic or unbounded work, not a benchmark. ``seconds`` is already far above
    the expected time; it is stretched six-fold more (at least a minute) so that a machine
    busy with other work never trips it, while work that never ends still fails."""
    seconds = max(seconds * 6, 60)

    def stop(signum: int, frame: Any) -> None:
        raise AssertionError(f"still working after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# ----------------------------------------------------------------------------- file names


def test_safe_filename_is_linear_and_cuts_at_a_character() -> None:
    """200,000 Chinese characters took 26 s a call when the name was cut a character at a
    time; now the cut is one step, at a character boundary."""
    with bounded(5):
        for _ in range(20):
            name = safe_filename("李" * 200_000)
    assert name == "李" * (MAX_NAME_BYTES // 3)
    assert len(safe_filename("a" * 199 + "李晓明").encode()) == 199  # 李 would pass 200 bytes


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("invoice\u202egpj.exe", "invoicegpj.exe"),  # right-to-left override: shows exe.jpg
        ("李\u200b晓\u200d明", "李晓明"),  # zero-width space and joiner
        ("\ufeffCSEE-1", "CSEE-1"),  # byte-order mark
        ("a\u2066b\u2069c\u200fd", "abcd"),  # isolates and marks
        ("\u202e\u200b", ""),
    ],
)
def test_bidi_and_zero_width_characters_leave_file_names(name: str, expected: str) -> None:
    assert safe_filename(name) == expected


# ----------------------------------------------------------------------------- lengths


def test_width_counts_a_chinese_character_as_two() -> None:
    assert width("LI Xiaoming") == 11
    assert width("李晓明") == 6
    assert width("李 Li") == 5
    assert width("ＡＢ") == 4  # full-width letters


def _problems(record: dict[str, Any]) -> list[tuple[str, str]]:
    report = validate_record(record, MANIFEST, TODAY)
    return [(p.field, p.message.english) for p in report.errors]


def test_a_long_name_is_an_error_naming_the_field_and_its_limit(example_record: dict) -> None:
    record = with_id(example_record, "CSEE-1", name={"zh": "李" * 31, "en": "L" * 100_000})
    assert _problems(record) == [
        ("name.zh", "is 62 characters wide; 60 fit in its place on the form (a Chinese character counts as two)"),
        ("name.en", "is 100,000 characters wide; 60 fit in its place on the form (a Chinese character counts as two)"),
    ]


def test_every_limited_field_is_checked(example_record: dict) -> None:
    record = with_id(example_record, "CSEE-1")
    for dotted, limit in FIELD_WIDTHS.items():
        part, _, name = dotted.rpartition(".")
        holder = record.setdefault(part, {}) if part else record
        holder[name] = "x" * (limit + 1)
    for group, widths in GROUP_WIDTHS.items():
        for name, limit in widths.items():
            record[group][0][name] = {"zh": "字" * (limit // 2 + 1), "en": "ok"}
    too_wide = {field for field, message in _problems(record) if "fit in its place" in message}
    assert too_wide == set(FIELD_WIDTHS) | {
        f"{group}[1].{name}.zh" for group, widths in GROUP_WIDTHS.items() for name in widths
    }


def test_values_that_fit_pass(example_record: dict) -> None:
    record = with_id(example_record, "CSEE-1", name={"zh": "李" * 30, "en": "L" * 60})
    assert _problems(record) == []


def test_too_many_cpd_rows_is_an_error_before_any_document_is_made(example_record: dict) -> None:
    """10,000 CPD rows used to validate and then time out in LibreOffice after 131 s."""
    row = example_record["cpd"][0]
    record = with_id(example_record, "CSEE-1", cpd=[row] * 10_000)
    assert _problems(record) == [("", "holds more than 10,000 values (aliases counted in full); refused")]
    record = with_id(example_record, "CSEE-1", cpd=[row] * 500)
    assert ("cpd", f"has 500 rows; the form has room for {MAX_ROWS['cpd']}") in _problems(record)


# ----------------------------------------------------------------------------- render


def test_render_refuses_a_second_record_for_the_same_folder(tmp_path: Path, example_record: dict) -> None:
    """A/1 and A_1 clean to the folder A_1: the first is written, the second fails, and
    the files on disk are the first person's."""
    first = with_id(example_record, "A/1")
    second = with_id(example_record, "A_1", name={"zh": "王五", "en": "WANG Wu"})
    data = write_yaml(tmp_path / "a.yaml", [first, second])
    out = tmp_path / "out"
    result = cli("render", data, "--out", out)
    assert result.exit_code == 1
    assert (f"{data}, record 2 (A_1), id: error: its documents would go to the folder A_1, "
            "like those of A/1; give each applicant an id of their own") in result.stderr
    assert f"2 record(s): 1 rendered (8 file(s)) into {out}, 1 failed (see {out / 'errors.csv'})" in result.stderr
    rows = list(csv.reader((out / "errors.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert rows == [["record", "field", "message"], ["A_1", "id", "its documents would go to the folder A_1, "
                     "like those of A/1; give each applicant an id of their own"]]
    written = sorted((out / "A_1").rglob("*.docx"))
    assert written and not (out / "A_1" / "zh" / "王五").exists()
    from conftest import docx_text

    assert all("王五" not in docx_text(p) for p in written)


def test_render_refuses_ids_that_differ_only_in_case(tmp_path: Path, example_record: dict) -> None:
    data = write_yaml(tmp_path / "a.yaml", [with_id(example_record, "ab-1"), with_id(example_record, "AB-1")])
    result = cli("render", data, "--out", tmp_path / "out", "--doc", "registration_form", "--lang", "en")
    assert result.exit_code == 1
    assert "record 2 (AB-1), id: error: its documents would go to the folder AB-1, like those of ab-1" in result.stderr


def test_render_keeps_its_report_apart_from_an_applicant_named_like_it(tmp_path: Path, example_record: dict) -> None:
    data = write_yaml(tmp_path / "a.yaml", [with_id(example_record, "CSEE-1"), with_id(example_record, "Errors.CSV")])
    out = tmp_path / "out"
    result = cli("render", data, "--out", out, "--doc", "registration_form", "--lang", "en")
    assert result.exit_code == 1
    assert (f"{data}, record 2 (Errors.CSV), id: error: its documents would go to the folder Errors.CSV, whose "
            "name is kept for the run's report; give the applicant another id") in result.stderr
    assert (out / "errors.csv").is_file() and not (out / "Errors.CSV").exists()
    assert "Errors.CSV" in (out / "errors.csv").read_text(encoding="utf-8-sig")
    assert sorted(p.name for p in out.iterdir()) == ["CSEE-1", "errors.csv"]


def test_a_clean_render_writes_an_empty_report(tmp_path: Path, example_record: dict) -> None:
    data = write_yaml(tmp_path / "a.yaml", [with_id(example_record, "CSEE-1")])
    out = tmp_path / "out"
    result = cli("render", data, "--out", out, "--doc", "registration_form", "--lang", "en")
    assert result.exit_code == 0 and "see " not in result.stderr
    assert (out / "errors.csv").read_text(encoding="utf-8-sig").splitlines() == ["record,field,message"]


# ----------------------------------------------------------------------------- control characters


def test_a_nul_in_an_id_is_never_echoed_raw(tmp_path: Path, example_record: dict) -> None:
    data = write_yaml(tmp_path / "a.yaml", [with_id(example_record, "CSEE\x00-1\x1b[2J")])
    out = tmp_path / "out"
    result = cli("pack", data, "--out", out)
    assert result.exit_code == 1
    assert "\x00" not in result.stderr and "\x1b" not in result.stderr
    assert "record 1 (CSEE\\x00-1\\x1b[2J), id: error: contains the control character U+0000" in result.stderr
    text = (out / "errors.csv").read_text(encoding="utf-8-sig")
    assert "\x00" not in text and "\x1b" not in text
    rows = list(csv.reader(text.splitlines()))
    assert rows[1][0] == "CSEE\\x00-1\\x1b[2J"


def test_bidi_controls_in_an_id_are_shown_escaped(tmp_path: Path, example_record: dict) -> None:
    data = write_yaml(tmp_path / "a.yaml", [with_id(example_record, "X\u202e1-EESC" + "9" * 50)])
    result = cli("validate", data)
    assert "\u202e" not in result.stderr
    assert "(X\\u202e1-EESC" in result.stderr


@pytest.mark.parametrize("command", ["render", "pack"])
def test_zero_width_and_other_invisible_characters_are_escaped_in_errors_csv(
        tmp_path: Path, example_record: dict, command: str) -> None:
    """A zero-width space (U+200B) from an id was written raw into errors.csv."""
    record = with_id(example_record, "CSEE\u200b-2026-\u20600007\ufeff", email="nobody")
    folder = tmp_path / "in\u200dbox"
    data = write_yaml(folder / "a\u2028b.yaml", [record, {"id": None}])
    out = tmp_path / "out"
    result = cli(command, data, "--out", out)
    assert result.exit_code == 1
    text = (out / "errors.csv").read_text(encoding="utf-8-sig")
    for raw in ("\u200b", "\u2060", "\ufeff", "\u200d", "\u2028"):
        assert raw not in text and raw not in result.stderr, repr(raw)
    rows = list(csv.reader(text.splitlines()))
    shown_file = str(tmp_path / "in\\u200dbox" / "a\\u2028b.yaml")
    assert rows[1] == ["CSEE\\u200b-2026-\\u20600007\\ufeff", "email",
                       "'nobody' is not an email address"]
    assert rows[2][0] == f"{shown_file} record 2"
    assert (f"{shown_file}, record 1 (CSEE\\u200b-2026-\\u20600007\\ufeff), email: error: "
            "'nobody' is not an email address") in result.stderr.splitlines()


# ----------------------------------------------------------------------------- links --days


@pytest.mark.parametrize("days", ["nan", "inf", "-inf", "1e12", "0", "0.5", "366", "-1", "soon"])
def test_links_days_out_of_range_is_refused(tmp_path: Path, days: str) -> None:
    result = cli("links", EXAMPLE_FILE, "--base-url", "https://forms.example.org",
                 "--link-store", tmp_path / "links.sqlite", "--days", days)
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert (f"Invalid value for '--days': {days} is not a number of days from 1 to 365"
            in result.stderr)
    assert not (tmp_path / "links.sqlite").exists()


@pytest.mark.parametrize("days", ["1", "7", "30.5", "365"])
def test_links_days_in_range_make_links(tmp_path: Path, days: str) -> None:
    result = cli("links", EXAMPLE_FILE, "--base-url", "https://forms.example.org",
                 "--link-store", tmp_path / "links.sqlite", "--days", days)
    assert result.exit_code == 0, result.stderr
    assert "https://forms.example.org/" in result.stdout
