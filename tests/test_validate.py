"""Validation: every problem at once, each naming file, record and field, in plain words."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import EXAMPLE_FILE, with_id, write_csv, write_xlsx, write_yaml

from formgen.cli import main


def validate_cli(*args: str | Path) -> Any:
    return CliRunner().invoke(main, ["validate", *[str(a) for a in args]])


def lines(result: Any) -> list[str]:
    return result.stderr.splitlines()


def good_cpd(record: dict[str, Any]) -> dict[str, Any]:
    """Enough CPD in each of the past three years that no hours warning shows."""
    record = copy.deepcopy(record)
    record["cpd"] = [
        {"date": day, "description": {"zh": "培训", "en": "Training"},
         "organizer": {"zh": "学会", "en": "Society"}, "hours": 50, "initials": "WJ"}
        for day in ("2026-06-01", "2025-06-01", "2024-06-01")
    ]
    return record


@pytest.fixture
def clean(example_record: dict[str, Any]) -> dict[str, Any]:
    """The contract record with no warnings at all."""
    return good_cpd(example_record)


def test_clean_record_has_no_problems(tmp_path: Path, clean: dict) -> None:
    result = validate_cli(write_yaml(tmp_path / "a.yaml", clean), "--strict")
    assert result.exit_code == 0, result.output
    assert lines(result) == ["1 record(s): 1 valid, 0 with errors; 0 error(s), 0 warning(s)"]


def test_every_problem_reported_in_one_run(tmp_path: Path, example_record: dict) -> None:
    r = example_record
    del r["gender"]
    r["emial"] = r.pop("email")
    r["education"][0]["end"] = "2008-06"
    r["career"][0]["end"] = "2022-01"
    r["description"]["zh"] = "奖" * 301
    r["cpd"][1]["hours"] = -4
    r["job_title"]["en"] = "Senior\x01Engineer"
    path = write_yaml(tmp_path / "bad.yaml", r)
    result = validate_cli(path)
    assert result.exit_code == 1
    where = f"{path}, record 1 (CSEE-2026-0007)"
    assert sorted(lines(result)[:-1]) == sorted([
        f"{where}, gender: error: is missing",
        f"{where}, email: error: is missing",
        f"{where}, emial: error: is not a known field; did you mean 'email'?",
        f"{where}, education[1].end: error: ends (June 2008) before it starts (September 2009)",
        f"{where}, career[1].end: error: ends (January 2022) before it starts (April 2023)",
        f"{where}, description.zh: error: has 301 characters; at most 300 are allowed",
        f"{where}, cpd[2].hours: error: must not be negative (got -4)",
        f"{where}, job_title.en: error: contains the control character U+0001, which a document cannot hold",
    ])
    assert lines(result)[-1] == "1 record(s): 0 valid, 1 with errors; 8 error(s), 0 warning(s)"


def _one_error(tmp_path: Path, record: dict, field: str) -> str:
    path = write_yaml(tmp_path / "r.yaml", record)
    result = validate_cli(path)
    assert result.exit_code == 1, result.output
    errors = [line for line in lines(result) if ": error: " in line]
    assert len(errors) == 1, errors
    prefix = f"{path}, record 1 ({record.get('id')}), {field}: error: "
    assert errors[0].startswith(prefix), errors[0]
    return errors[0].removeprefix(prefix)


def test_missing_field(tmp_path: Path, clean: dict) -> None:
    del clean["company_phone"]
    assert _one_error(tmp_path, clean, "company_phone") == "is missing"


def test_missing_nested_field(tmp_path: Path, clean: dict) -> None:
    del clean["career"][1]["company"]
    assert _one_error(tmp_path, clean, "career[2].company") == "is missing"


def test_misspelt_field(tmp_path: Path, clean: dict) -> None:
    clean["emial"] = clean.pop("email")
    path = write_yaml(tmp_path / "r.yaml", clean)
    result = validate_cli(path)
    where = f"{path}, record 1 (CSEE-2026-0007)"
    assert f"{where}, emial: error: is not a known field; did you mean 'email'?" in lines(result)
    assert f"{where}, email: error: is missing" in lines(result)


@pytest.mark.parametrize(
    ("group", "index", "wrong", "right"),
    [
        ("education", 0, "insitution", "institution"),
        ("cpd", 1, "initails", "initials"),
        ("career", 0, "responsibilites", "responsibilities"),
    ],
)
def test_misspelt_nested_field_gets_a_hint_from_its_own_group(
    tmp_path: Path, clean: dict, group: str, index: int, wrong: str, right: str
) -> None:
    entry = clean[group][index]
    entry[wrong] = entry.pop(right) if right in entry else "x"
    path = write_yaml(tmp_path / "r.yaml", clean)
    result = validate_cli(path)
    assert (
        f"{path}, record 1 (CSEE-2026-0007), {group}[{index + 1}].{wrong}: error: "
        f"is not a known field; did you mean '{right}'?"
    ) in lines(result)


def test_the_hint_is_difflibs_own_for_any_name() -> None:
    """The hint is difflib's closest match, kept for names that come again and not looked
    for in a name too long to be alike enough: compared with difflib itself on misspellings
    of every field, on names of every length up to well past the longest field, and on the
    same names again."""
    import difflib
    import random

    from formgen.model.applicant import Applicant, Career, CpdEntry
    from formgen.validate.fields import _closest

    chance = random.Random(19)
    for model in (Applicant, Career, CpdEntry):
        fields = tuple(model.model_fields)
        names = [f[:i] + f[i + 1:] for f in fields for i in range(len(f))]  # a letter left out
        names += [f + "x" * extra for f in fields for extra in range(0, 3 * len(f), 3)]
        names += ["".join(chance.choice("aeilmnorst_") for _ in range(chance.randint(1, 120)))
                  for _ in range(2_000)]
        for name in names + names:
            close = difflib.get_close_matches(name, fields, n=1)
            assert _closest(name, fields) == (close[0] if close else None), name


def test_misspelt_language_key(tmp_path: Path, clean: dict) -> None:
    clean["name"]["eng"] = clean["name"].pop("en")
    assert _one_error(tmp_path, clean, "name.eng") == "is not a known field; did you mean 'en'?"


def test_a_comma_in_a_yaml_flow_text_is_said_to_need_quotes(tmp_path: Path) -> None:
    """``{zh: …, en: Sinohydro Co., Ltd.}`` cuts the English text at the comma: the error
    says so, in either language, rather than only that ``Ltd.`` is not a field."""
    example = Path(__file__).parent.parent / "data" / "applicant-example.yaml"
    text = example.read_text(encoding="utf-8").replace(
        'en: "Sinohydro Bureau 8 Co., Ltd."}', "en: Sinohydro Bureau 8 Co., Ltd.}", 1)
    path = tmp_path / "comma.yaml"
    path.write_text(text, encoding="utf-8")
    result = validate_cli(path)
    assert result.exit_code == 1
    assert [line for line in lines(result) if ": error: " in line] == [
        f"{path}, record 1 (CSEE-2026-0007), company.Ltd.: error: is not a known field: in YAML, "
        "a comma in {zh: …, en: …} ends a text, and what follows it (Ltd.) is read as a key. "
        'Put a text that holds a comma in quotes: en: "Sinohydro Bureau 8 Co., Ltd."']
    result = CliRunner().invoke(main, ["validate", str(path)], env={"LANG": "zh_CN.UTF-8"})
    assert [line for line in lines(result) if "错误：" in line and "记录：" not in line] == [
        f"{path}，第1条记录（CSEE-2026-0007），company.Ltd.：错误：未知字段：YAML 的 {{zh: …, en: …}} "
        "中，逗号会结束文本，逗号后的内容（Ltd.）被读作字段名。含逗号的文本请加引号，"
        '例如 en: "Sinohydro Bureau 8 Co., Ltd."']


def test_a_language_key_of_no_value_outside_a_text_is_only_unknown(tmp_path: Path, clean: dict) -> None:
    """The comma's hint is for a key of no value beside zh and en only: a misspelt key with
    a value is a misspelling, a key of no value elsewhere is only unknown."""
    clean["name"]["eng"] = "LI Xiaoming"
    assert _one_error(tmp_path, clean, "name.eng") == "is not a known field; did you mean 'en'?"
    del clean["name"]["eng"]
    clean["Ltd."] = None
    assert _one_error(tmp_path, clean, "Ltd.") == "is not a known field"


def test_unknown_field_without_a_close_match(tmp_path: Path, clean: dict) -> None:
    clean["favourite_colour"] = "blue"
    assert _one_error(tmp_path, clean, "favourite_colour") == "is not a known field"


@pytest.mark.parametrize("key", ["__not_a_mapping__", "__orphan_of__"])
def test_a_field_named_like_a_kind_of_record_is_only_unknown(
    tmp_path: Path, clean: dict, key: str
) -> None:
    """What a record is (an applicant, a stray group row, a value that is no record) is
    the loader's to say: data that names a field so has only an unknown field."""
    clean[key] = "x"
    assert _one_error(tmp_path, clean, key) == "is not a known field"


def test_unknown_programme(tmp_path: Path, clean: dict) -> None:
    clean["programme"] = "csee-ieee"
    assert _one_error(tmp_path, clean, "programme") == "'csee-ieee' is not one of: csee-iet, cmes-soe"


def test_unknown_grade(tmp_path: Path, clean: dict) -> None:
    clean["grade"] = "ceng"
    assert _one_error(tmp_path, clean, "grade") == "'ceng' is not one of: CEng, IEng, EngTech"


def test_unknown_gender(tmp_path: Path, clean: dict) -> None:
    clean["gender"] = "m"
    assert _one_error(tmp_path, clean, "gender") == "'m' is not one of: male, female"


def test_education_ends_before_it_starts(tmp_path: Path, clean: dict) -> None:
    clean["education"][0]["end"] = "2009-08"
    assert _one_error(tmp_path, clean, "education[1].end") == "ends (August 2009) before it starts (September 2009)"


def test_career_ends_before_it_starts(tmp_path: Path, clean: dict) -> None:
    clean["career"][0]["end"] = "2023-03"
    assert _one_error(tmp_path, clean, "career[1].end") == "ends (March 2023) before it starts (April 2023)"


def test_description_at_most_300_characters(tmp_path: Path, clean: dict) -> None:
    clean["description"]["en"] = "x" * 300
    path = write_yaml(tmp_path / "ok.yaml", clean)
    assert validate_cli(path).exit_code == 0
    clean["description"]["en"] = "x" * 301
    assert _one_error(tmp_path, clean, "description.en") == "has 301 characters; at most 300 are allowed"


def test_plain_description_over_300(tmp_path: Path, clean: dict) -> None:
    clean["description"] = "描" * 320
    path = write_yaml(tmp_path / "r.yaml", clean)
    result = validate_cli(path)
    where = f"{path}, record 1 (CSEE-2026-0007)"
    assert f"{where}, description.zh: error: has 320 characters; at most 300 are allowed" in lines(result)
    assert f"{where}, description.en: error: has 320 characters; at most 300 are allowed" in lines(result)


def test_negative_cpd_hours(tmp_path: Path, clean: dict) -> None:
    clean["cpd"][0]["hours"] = -1.5
    assert _one_error(tmp_path, clean, "cpd[1].hours") == "must not be negative (got -1.5)"


def test_cpd_hours_not_a_number(tmp_path: Path, clean: dict) -> None:
    clean["cpd"][0]["hours"] = "many"
    assert _one_error(tmp_path, clean, "cpd[1].hours") == "'many' is not a number of hours"


@pytest.mark.parametrize("email", ["li.xiaoming", "li@example", "li xiaoming@example.com", "a@b@c.cn"])
def test_malformed_email(tmp_path: Path, clean: dict, email: str) -> None:
    clean["email"] = email
    assert _one_error(tmp_path, clean, "email") == f"'{email}' is not an email address"


@pytest.mark.parametrize(
    ("field", "path", "char"),
    [
        ("mobile", ("mobile",), "\x01"),
        ("name.zh", ("name", "zh"), "\x0b"),
        ("company_address.en", ("company_address", "en"), "\x1f"),
        ("career[1].responsibilities.zh", ("career", 0, "responsibilities", "zh"), "\x08"),
        ("cpd[1].initials", ("cpd", 0, "initials"), "\x00"),
        ("cmes.membership_no", ("cmes", "membership_no"), "\x02"),
    ],
)
def test_characters_xml_cannot_hold(
    tmp_path: Path, clean: dict, cmes_record: dict, field: str, path: tuple, char: str
) -> None:
    if path[0] == "cmes":
        clean = cmes_record
    node: Any = clean
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = f"ab{char}cd"
    assert _one_error(tmp_path, clean, field) == (
        f"contains the control character U+{ord(char):04X}, which a document cannot hold"
    )


def test_tab_and_newline_are_allowed(tmp_path: Path, clean: dict) -> None:
    clean["company_address"]["zh"] = "第一行\n第二行\t甲"
    assert validate_cli(write_yaml(tmp_path / "r.yaml", clean), "--strict").exit_code == 0


def test_career_older_than_five_years(tmp_path: Path, clean: dict) -> None:
    clean["career"].append({"start": "2015-03", "end": "2021-10", "company": "甲", "job_title": "乙",
                            "responsibilities": "丙"})
    assert _one_error(tmp_path, clean, "career[3].end") == (
        "ended in October 2021, more than 5 years ago; only the latest 5 years of career go on the form"
    )


def test_career_within_five_years_counts_whenever_it_began(tmp_path: Path, clean: dict) -> None:
    clean["career"].append({"start": "2005-03", "end": "2021-11", "company": "甲", "job_title": "乙",
                            "responsibilities": "丙"})
    result = validate_cli(write_yaml(tmp_path / "r.yaml", clean), "--strict")
    assert result.exit_code == 0, result.output


def test_cpd_older_than_three_years(tmp_path: Path, clean: dict) -> None:
    clean["cpd"].append({"date": "2023-11-22", "description": "旧", "organizer": "旧", "hours": 1})
    assert _one_error(tmp_path, clean, "cpd[4].date") == (
        "is 22 November 2023, more than 3 years ago; the CPD record covers the past 3 years"
    )


def test_cpd_in_the_future(tmp_path: Path, clean: dict) -> None:
    clean["cpd"].append({"date": "2026-11-24", "description": "新", "organizer": "新", "hours": 1})
    assert _one_error(tmp_path, clean, "cpd[4].date") == "is in the future (24 November 2026)"


def test_bad_month(tmp_path: Path, clean: dict) -> None:
    clean["education"][0]["start"] = "Sept 2009"
    assert _one_error(tmp_path, clean, "education[1].start") == (
        "'Sept 2009' is not a month; write it as YYYY-MM, e.g. 2020-09"
    )


def test_cmes_soe_without_cmes_and_soe(tmp_path: Path, cmes_record: dict) -> None:
    del cmes_record["cmes"], cmes_record["soe"]
    path = write_yaml(tmp_path / "c.yaml", cmes_record)
    result = validate_cli(path)
    assert result.exit_code == 1
    where = f"{path}, record 1 (CMES-2026-0103)"
    assert lines(result) == [
        f"{where}, cmes: error: is missing; cmes-soe applicants must be CMES members (cmes.membership_no, cmes.member_grade)",
        f"{where}, soe: error: is missing; give the SOE membership applied for (soe.membership, soe.division)",
        "1 record(s): 0 valid, 1 with errors; 2 error(s), 0 warning(s)",
    ]


def test_cmes_soe_record_is_valid(tmp_path: Path, cmes_record: dict) -> None:
    result = validate_cli(write_yaml(tmp_path / "c.yaml", cmes_record), "--strict")
    assert result.exit_code == 0, result.output


def test_duplicate_ids(tmp_path: Path, clean: dict) -> None:
    path = write_yaml(tmp_path / "d.yaml", [clean, with_id(clean, "CSEE-2026-0008"), clean])
    result = validate_cli(path)
    assert result.exit_code == 1
    assert lines(result) == [
        f"{path}, record 3 (CSEE-2026-0007), id: error: 'CSEE-2026-0007' is used twice; "
        f"it was first used at {path}, record 1",
        "3 record(s): 2 valid, 1 with errors; 1 error(s), 0 warning(s)",
    ]


def test_duplicate_ids_across_files(tmp_path: Path, clean: dict) -> None:
    first = write_yaml(tmp_path / "a.yaml", clean)
    second = write_csv(tmp_path / "b.csv", [clean])[0]
    result = validate_cli(first, second)
    assert result.exit_code == 1
    assert (
        f"{second}, row 2 (CSEE-2026-0007), id: error: 'CSEE-2026-0007' is used twice; "
        f"it was first used at {first}, record 1"
    ) in lines(result)


def test_not_a_mapping(tmp_path: Path, clean: dict) -> None:
    path = write_yaml(tmp_path / "l.yaml", [clean, "just text"])
    result = validate_cli(path)
    assert f"{path}, record 2: error: is not an applicant record (expected a mapping of fields)" in lines(result)


# ----------------------------------------------------------------------------- where, in spreadsheets


def test_csv_problems_name_the_row_of_the_group_file(tmp_path: Path, clean: dict) -> None:
    clean["career"][1]["end"] = "2019-01"
    clean["cpd"][2]["hours"] = -2
    clean["emial"] = clean.pop("email")
    main_file = write_csv(tmp_path / "a.csv", [with_id(clean, "A-1"), with_id(good_cpd(clean), "A-2")])[0]
    result = validate_cli(main_file)
    assert result.exit_code == 1
    out = lines(result)
    assert f"{main_file}, a.career.csv row 3 (A-1), career[2].end: error: ends (January 2019) before it starts (January 2020)" in out
    assert f"{main_file}, a.cpd.csv row 4 (A-1), cpd[3].hours: error: must not be negative (got -2)" in out
    assert f"{main_file}, row 3 (A-2), emial: error: is not a known field; did you mean 'email'?" in out


def test_xlsx_problems_name_the_sheet_and_row(tmp_path: Path, clean: dict) -> None:
    clean["education"][0]["end"] = "2001-01"
    path = write_xlsx(tmp_path / "a.xlsx", [with_id(good_cpd(clean), "X-1"), with_id(clean, "X-2")])
    result = validate_cli(path)
    assert (
        f"{path}, sheet education row 3 (X-2), education[1].end: error: ends (January 2001) before it starts (September 2009)"
    ) in lines(result)


# ----------------------------------------------------------------------------- warnings


def test_missing_english_is_a_warning(tmp_path: Path, clean: dict) -> None:
    clean["job_title"] = {"zh": "高级工程师"}
    path = write_yaml(tmp_path / "w.yaml", clean)
    result = validate_cli(path)
    assert result.exit_code == 0
    assert lines(result) == [
        f"{path}, record 1 (CSEE-2026-0007), job_title.en: warning: has no English text; "
        "the Chinese is used in English documents",
        "1 record(s): 1 valid, 0 with errors; 0 error(s), 1 warning(s)",
    ]
    strict = validate_cli(path, "--strict")
    assert strict.exit_code == 1


def test_missing_chinese_is_a_warning(tmp_path: Path, clean: dict) -> None:
    clean["career"][0]["company"] = {"en": "Sinohydro"}
    path = write_yaml(tmp_path / "w.yaml", clean)
    result = validate_cli(path)
    assert result.exit_code == 0
    assert (
        f"{path}, record 1 (CSEE-2026-0007), career[1].company.zh: warning: has no Chinese text; "
        "the English is used in Chinese documents"
    ) in lines(result)


def test_cpd_under_48_hours_a_year(tmp_path: Path, example_record: dict) -> None:
    path = write_yaml(tmp_path / "w.yaml", example_record)
    result = validate_cli(path)
    assert result.exit_code == 0
    assert lines(result)[0] == (
        f"{path}, record 1 (CSEE-2026-0007), cpd: warning: under the 48 CPD hours a year the "
        "programme expects: 0 h in the year to 23 November 2026; 24 h in the year to 23 November 2025; "
        "16 h in the year to 23 November 2024"
    )
    assert validate_cli(path, "--strict").exit_code == 1


def test_each_record_has_the_cpd_warning_of_its_own_hours(tmp_path: Path, example_record: dict) -> None:
    """Records with the same hours share a warning; one with other hours has its own."""
    more = copy.deepcopy(example_record)
    more["cpd"][0]["hours"] = 50  # 2025-06-18: the year to 23 November 2025
    more["cpd"].append(dict(more["cpd"][1], date="2026-05-01", hours=12.5))
    records = [with_id(example_record, "A-1"), with_id(more, "A-2"), with_id(example_record, "A-3")]
    path = write_yaml(tmp_path / "w.yaml", records)
    result = validate_cli(path)
    assert result.exit_code == 0
    assert [line.split("programme expects: ")[1] for line in lines(result) if "CPD hours" in line] == [
        "0 h in the year to 23 November 2026; 24 h in the year to 23 November 2025; "
        "16 h in the year to 23 November 2024",
        "12.5 h in the year to 23 November 2026; 16 h in the year to 23 November 2024",
        "0 h in the year to 23 November 2026; 24 h in the year to 23 November 2025; "
        "16 h in the year to 23 November 2024",
    ]


def test_unit_over_quota(tmp_path: Path, clean: dict) -> None:
    records = [
        with_id(clean, f"SGCC-{i:02d}", unit="国家电网有限公司") for i in range(1, 12)
    ]
    path = write_yaml(tmp_path / "q.yaml", records)
    result = validate_cli(path)
    assert result.exit_code == 0, result.output
    assert lines(result) == [
        f"{path}, record 11 (SGCC-11), unit: warning: 国家电网有限公司 is over its quota of 10 places "
        "(this is applicant 11)",
        "11 record(s): 11 valid, 0 with errors; 0 error(s), 1 warning(s)",
    ]
    assert validate_cli(path, "--strict").exit_code == 1
    ten = write_yaml(tmp_path / "ten.yaml", records[:10])
    assert validate_cli(ten, "--strict").exit_code == 0


@pytest.mark.parametrize("count", [11, 700])
def test_unit_over_quota_in_chinese(tmp_path: Path, clean: dict, count: int) -> None:
    """The warnings of the places past a quota read in the command line's language, in a
    run examined by worker processes too (700 records)."""
    records = [with_id(clean, f"SGCC-{i:03d}", unit="国家电网有限公司") for i in range(1, count + 1)]
    path = write_yaml(tmp_path / "q.yaml", records)
    result = CliRunner().invoke(main, ["validate", str(path)], env={"LANG": "zh_CN.UTF-8"})
    assert result.exit_code == 0, result.output
    assert lines(result)[0] == (f"{path}，第11条记录（SGCC-011），unit：警告：国家电网有限公司已超出10个名额"
                                "（此为第11名申请人）。")
    assert len(lines(result)) == count - 10 + 1
    assert lines(result)[-2].endswith(f"（此为第{count:,}名申请人）。")


def test_unit_not_in_quota_table(tmp_path: Path, clean: dict) -> None:
    clean["unit"] = "某某电力公司"
    path = write_yaml(tmp_path / "u.yaml", clean)
    result = validate_cli(path)
    assert result.exit_code == 0
    assert lines(result)[0] == (
        f"{path}, record 1 (CSEE-2026-0007), unit: warning: '某某电力公司' is not in the quota table"
    )
    assert validate_cli(path, "--strict").exit_code == 1


def test_csee_iet_without_unit_is_an_error(tmp_path: Path, clean: dict) -> None:
    del clean["unit"]
    assert _one_error(tmp_path, clean, "unit") == (
        "is missing; csee-iet applicants are nominated by a unit of the quota table"
    )


def test_warnings_and_errors_together(tmp_path: Path, clean: dict) -> None:
    bad = with_id(clean, "BAD-1", grade="Chartered")
    warn = with_id(clean, "WARN-1", unit="不在表中")
    path = write_yaml(tmp_path / "m.yaml", [bad, warn, clean])
    result = validate_cli(path)
    assert result.exit_code == 1
    assert lines(result)[-1] == "3 record(s): 2 valid, 1 with errors; 1 error(s), 1 warning(s)"


def test_contract_example_validates() -> None:
    result = validate_cli(EXAMPLE_FILE)
    assert result.exit_code == 0
