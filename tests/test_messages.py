"""Messages: every id the code uses has a text in both catalogues and no catalogue keeps a
text nobody uses; the command line and errors.csv speak the locale's language."""

from __future__ import annotations

import ast
import csv
import datetime as dt
import io
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from click.testing import CliRunner
from conftest import ROOT, TEST_DATA

from formgen import messages
from formgen.cli import main
from formgen.messages import Joined, YearMonth, environment_language, msg

PACKAGE = ROOT / "formgen"
CATALOGUES = {"zh": "zh_CN", "en": "en"}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
RECORDS = TEST_DATA / "bad" / "records.yaml"


def catalogue(lang: str) -> dict[str, Any]:
    """msgid → text(s) of a catalogue (obsolete entries, marked #~, are not in it)."""
    path = messages.LOCALE_DIR / CATALOGUES[lang] / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        return {_key(m.id): m.string for m in read_po(fh) if m.id}


def _key(message_id: str | tuple[str, ...]) -> str:
    return message_id[0] if isinstance(message_id, tuple) else message_id


def msg_calls() -> list[tuple[str, int, ast.Call]]:
    """Every ``msg(...)`` call in formgen: (file, line, call)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "msg":
                found.append((str(path.relative_to(ROOT)), node.lineno, node))
    return found


def extracted_ids() -> set[str]:
    """What ``make messages-update`` extracts: the message ids and the web page's words."""
    with (messages.LOCALE_DIR / "babel.cfg").open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    keywords = {**DEFAULT_KEYWORDS, "tr": None, "msg": None}
    return {
        _key(found[2])
        for found in extract_from_dir(str(ROOT), method_map, options_map, keywords=keywords)
    }


# ----------------------------------------------------------------------------- the catalogues


def test_every_message_id_has_a_text_in_both_catalogues() -> None:
    ids = {call.args[0].value for _, _, call in msg_calls() if isinstance(call.args[0], ast.Constant)}
    assert len(ids) > 150  # the whole code, not a few files
    for lang in CATALOGUES:
        texts = catalogue(lang)
        missing = sorted(i for i in ids if not texts.get(i))
        assert missing == [], f"no {lang} text for {missing}"


def test_every_msg_call_has_a_literal_id_and_every_value_its_texts_use() -> None:
    texts = {lang: catalogue(lang) for lang in CATALOGUES}
    for where, line, call in msg_calls():
        first = call.args[0] if call.args else None
        assert isinstance(first, ast.Constant) and isinstance(first.value, str), (
            f"{where}:{line}: the id must be a literal string, so that it is extracted"
        )
        if any(k.arg is None for k in call.keywords):  # msg(id, **values): not checkable
            continue
        given = {k.arg for k in call.keywords}
        for lang, catalog in texts.items():
            used = set(PLACEHOLDER.findall(str(catalog.get(first.value, ""))))
            assert used <= given, f"{where}:{line}: the {lang} text of {first.value} needs {used - given}"


def test_no_catalogue_keeps_a_text_nobody_uses() -> None:
    used = extracted_ids()
    for lang in CATALOGUES:
        texts = catalogue(lang)
        assert sorted(set(texts) - used) == [], f"stale {lang} texts"
        assert sorted(i for i in used if not texts.get(i)) == [], f"untranslated {lang} words"
        plurals = [t for t in texts.values() if isinstance(t, tuple)]
        assert all(all(forms) for forms in plurals), lang
    with (messages.LOCALE_DIR / "messages.pot").open("rb") as fh:
        template = {_key(m.id) for m in read_po(fh) if m.id}
    assert template == used, "messages.pot is out of date: make messages-update"


def test_catalogues_compile_in_memory_without_mo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "locale"
    shutil.copytree(messages.LOCALE_DIR, copy, ignore=shutil.ignore_patterns("*.mo"))
    monkeypatch.setattr(messages, "LOCALE_DIR", copy)
    messages.translations.cache_clear()
    try:
        assert messages.translations("zh").gettext("Name") == "姓名"
        assert messages.translations("en").gettext("Name of this language") == "English"
        assert msg("file.empty").text("zh") == "是空文件"
    finally:
        messages.translations.cache_clear()


# ----------------------------------------------------------------------------- values


def test_values_are_shown_in_the_message_language() -> None:
    late = msg("rule.ends-before-start", end=YearMonth(dt.date(2023, 1, 1)), start=YearMonth(dt.date(2024, 5, 1)))
    assert late.text("en") == "ends (January 2023) before it starts (May 2024)"
    assert late.text("zh") == "结束时间（2023年1月）早于开始时间（2024年5月）。"
    future = msg("rule.in-the-future", when=dt.date(2026, 11, 24))
    assert future.text("en") == "is in the future (24 November 2026)"
    assert future.text("zh") == "日期在将来（2026年11月24日）。"
    long = msg("rule.too-long", count=1234, limit=300)
    assert long.text("en") == "has 1,234 characters; at most 300 are allowed"
    choices = msg("field.not-one-of", value="m", allowed=["male", "female"])
    assert choices.text("en") == "'m' is not one of: male, female"
    assert choices.text("zh") == "“m”不是以下值之一：male、female。"
    short = msg("rule.cpd-hours-short", hours=48, years=Joined(
        (msg("rule.cpd-hours-in-year", hours=12.5, end=dt.date(2026, 11, 23)),
         msg("rule.cpd-hours-in-year", hours=0.0, end=dt.date(2025, 11, 23))),
        msg("list.semicolon"),
    ))
    assert short.text("en") == (
        "under the 48 CPD hours a year the programme expects: "
        "12.5 h in the year to 23 November 2026; 0 h in the year to 23 November 2025"
    )
    assert short.text("zh") == (
        "每年应有48小时的继续专业发展，以下年份不足：截至2026年11月23日的一年为12.5小时；截至2025年11月23日的一年为0小时。"
    )


@pytest.mark.parametrize(
    ("environ", "lang"),
    [
        ({}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "zh_TW.UTF-8"}, "zh"),
        ({"LANG": "en_GB.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "fr_FR.UTF-8"}, "en"),
        ({"LANG": "zh_CN.UTF-8", "LC_MESSAGES": "en_US.UTF-8"}, "en"),
        ({"LANG": "en_GB.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"}, "zh"),
        ({"LC_MESSAGES": "zh_CN.UTF-8", "LC_ALL": "C"}, "en"),
        ({"LANG": "en_GB.UTF-8", "LC_ALL": "zh_CN.UTF-8"}, "zh"),
        ({"LC_ALL": "", "LANG": "zh_CN.GB18030"}, "zh"),
    ],
)
def test_the_command_line_language_follows_the_locale_as_gettext_does(environ: dict[str, str], lang: str) -> None:
    assert environment_language(environ) == lang


# ----------------------------------------------------------------------------- the command line

ZH_PROBLEMS = [
    "第1条记录（BAD-2026-0001），grade：错误：“Chartered”不是以下值之一：CEng、IEng、EngTech。",
    "第1条记录（BAD-2026-0001），email：错误：“wang.fang(at)example.com”不是有效的电子邮箱地址。",
    "第1条记录（BAD-2026-0001），english_interview：错误：“maybe”不是“是”或“否”，请填写 true 或 false。",
    "第1条记录（BAD-2026-0001），cpd[1].hours：错误：不能为负数（填写的是-3）。",
    "第1条记录（BAD-2026-0001），education[1].end：错误：结束时间（2011年7月）早于开始时间（2012年9月）。",
    "第1条记录（BAD-2026-0001），career[1].end：错误：结束时间（2023年1月）早于开始时间（2024年5月）。",
    "第1条记录（BAD-2026-0001），job_title.en：警告：没有英文内容；英文文件将使用中文内容。",
    "第2条记录（BAD-2026-0002），education[1].end：错误：“2014-13”不是月份（没有13月），请写成 YYYY-MM，例如 2020-09。",
    "第2条记录（BAD-2026-0002），emial：错误：未知字段；是否应为“email”？",
    "第2条记录（BAD-2026-0002），grade：错误：cmes-soe 项目不受理“EngTech”级别的申请：根据通知“基本要求”"
    "第（1）条，本项目仅受理特许工程师（CEng）和技术工程师（IEng）的申请。",
    "第2条记录（BAD-2026-0002），cmes：错误：CMES–SOE项目的申请人须填写CMES会员号和会员级别。",
    "第2条记录（BAD-2026-0002），soe：错误：请选择申请的SOE会员类别和分会。",
    "第3条记录：错误：不是申请人记录（应为一组字段）。",
    "第4条记录（BAD-2026-0001），id：错误：“BAD-2026-0001”重复使用；第一次使用在{file}，第1条记录。",
    "第4条记录（BAD-2026-0001），unit：警告：“某某电力公司”不在名额分配表的单位中。",
    "第4条记录（BAD-2026-0001），job_title.en：警告：没有英文内容；英文文件将使用中文内容。",
]
EN_PROBLEMS = [
    "record 1 (BAD-2026-0001), grade: error: 'Chartered' is not one of: CEng, IEng, EngTech",
    "record 1 (BAD-2026-0001), email: error: 'wang.fang(at)example.com' is not an email address",
    "record 1 (BAD-2026-0001), english_interview: error: 'maybe' is not yes or no; write true or false",
    "record 1 (BAD-2026-0001), cpd[1].hours: error: must not be negative (got -3)",
    "record 1 (BAD-2026-0001), education[1].end: error: ends (July 2011) before it starts (September 2012)",
    "record 1 (BAD-2026-0001), career[1].end: error: ends (January 2023) before it starts (May 2024)",
    "record 1 (BAD-2026-0001), job_title.en: warning: has no English text; the Chinese is used in English documents",
    "record 2 (BAD-2026-0002), education[1].end: error: '2014-13' has no month 13",
    "record 2 (BAD-2026-0002), emial: error: is not a known field; did you mean 'email'?",
    "record 2 (BAD-2026-0002), grade: error: 'EngTech' is not a grade of cmes-soe: by the notice's "
    "basic requirement (1), only CEng and IEng applicants are admitted",
    "record 2 (BAD-2026-0002), cmes: error: is missing; cmes-soe applicants must be CMES members (cmes.membership_no, cmes.member_grade)",
    "record 2 (BAD-2026-0002), soe: error: is missing; give the SOE membership applied for (soe.membership, soe.division)",
    "record 3: error: is not an applicant record (expected a mapping of fields)",
    "record 4 (BAD-2026-0001), id: error: 'BAD-2026-0001' is used twice; it was first used at {file}, record 1",
    "record 4 (BAD-2026-0001), unit: warning: '某某电力公司' is not in the quota table",
    "record 4 (BAD-2026-0001), job_title.en: warning: has no English text; the Chinese is used in English documents",
]
SEPARATOR = {"zh": "，", "en": ", "}
SUMMARY = {
    "zh": "共4条记录：0条有效，4条有错误；13个错误，3个警告",
    "en": "4 record(s): 0 valid, 4 with errors; 13 error(s), 3 warning(s)",
}


def run(locale: str, *args: str | Path) -> Any:
    return CliRunner(env={"LANG": locale}).invoke(main, [str(a) for a in args])


@pytest.mark.parametrize(("locale", "lang", "problems"), [
    ("zh_CN.UTF-8", "zh", ZH_PROBLEMS), ("en_GB.UTF-8", "en", EN_PROBLEMS),
])
def test_validate_speaks_the_locale_language(locale: str, lang: str, problems: list[str]) -> None:
    result = run(locale, "validate", RECORDS)
    assert result.exit_code == 1
    expected = [f"{RECORDS}{SEPARATOR[lang]}{p.format(file=RECORDS)}" for p in problems]
    assert result.stderr.splitlines() == [*expected, SUMMARY[lang]]


@pytest.mark.parametrize(("locale", "expected"), [
    ("zh_CN.UTF-8", "{file}：错误：不是有效的 JSON（第3行）：Expecting value\n"
                    "共0条记录：0条有效，0条有错误；1个错误，0个警告\n"
                    "1 个文件无法读取：{file}\n"),
    ("en_GB.UTF-8", "{file}: error: is not valid JSON at line 3: Expecting value\n"
                    "0 record(s): 0 valid, 0 with errors; 1 error(s), 0 warning(s)\n"
                    "1 file(s) could not be read: {file}\n"),
])
def test_a_file_that_cannot_be_read_in_the_locale_language(locale: str, expected: str) -> None:
    broken = TEST_DATA / "bad" / "broken.json"
    result = run(locale, "validate", broken)
    assert result.exit_code == 1
    assert result.stderr == expected.format(file=broken)


@pytest.mark.parametrize(("locale", "lang", "header", "problems"), [
    ("zh_CN.UTF-8", "zh", ["记录", "字段", "问题"], ZH_PROBLEMS),
    ("en_GB.UTF-8", "en", ["record", "field", "message"], EN_PROBLEMS),
])
def test_pack_errors_csv_follows_the_locale(
    tmp_path: Path, locale: str, lang: str, header: list[str], problems: list[str]
) -> None:
    out = tmp_path / "out"
    result = run(locale, "pack", RECORDS, "--out", out)
    assert result.exit_code == 1
    summary = {
        "zh": f"共4条记录：写入0个文件包，0个已是最新，4条失败（详见 {out / 'errors.csv'}）",
        "en": f"4 record(s) in: 0 pack(s) written, 0 already up to date, 4 failed (see {out / 'errors.csv'})",
    }
    assert result.stderr.splitlines()[-1] == summary[lang]
    rows = list(csv.reader(io.StringIO((out / "errors.csv").read_bytes().decode("utf-8-sig"))))
    assert rows[0] == header
    expected = []
    for line in problems:
        place, field, rest = _split_problem(line.format(file=RECORDS), lang)
        if rest[0] in ("error", "错误"):
            record_id = re.search(r"[（(](BAD-[\d-]+)[）)]", place)
            expected.append([record_id.group(1) if record_id else f"{RECORDS} {place}", field, rest[1]])
    assert rows[1:] == expected


def _split_problem(line: str, lang: str) -> tuple[str, str, tuple[str, str]]:
    """``place, field: severity: message`` → (place, field, (severity, message))."""
    colon = "：" if lang == "zh" else ": "
    where, severity, message = line.split(colon, 2)
    place, _, field = where.rpartition(SEPARATOR[lang])
    if not place:  # no field: the record as a whole
        place, field = where, ""
    return place, field, (severity, message)
