"""click's own usage errors in the locale's language: a zh user reads one language, the
usage line and the hint included; English stays click's; --help stays English."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SAMPLES_FILE, cli

ZH = {"LANG": "zh_CN.UTF-8"}

CASES = [
    (["render", SAMPLES_FILE, "--out", "{file}"],
     "Invalid value for '--out': Directory '{file}' is a file.",
     "'--out' 的值无效：'{file}' 是文件，不是文件夹。"),
    (["links", SAMPLES_FILE, "--base-url", "https://x.example", "--days", "nan"],
     "Invalid value for '--days': nan is not a number of days from 1 to 365",
     "'--days' 的值无效：nan 不是 1 至 365 之间的天数"),
    (["render", SAMPLES_FILE],
     "Missing option '--out'.",
     "缺少选项 '--out'."),
    (["pack"],
     "Missing argument 'DATA...'.",
     "缺少参数 'DATA...'."),
    (["render", SAMPLES_FILE, "--outt", "x"],
     "No such option '--outt'. Did you mean '--out'?",
     "没有选项 '--outt'。 是不是要用 '--out'？"),
    (["render", SAMPLES_FILE, "--out", "x", "--lang", "fr"],
     "Invalid value for '--lang': 'fr' is not one of 'zh', 'en'.",
     "'--lang' 的值无效：'fr' 不在可选值 'zh', 'en' 之中。"),
    (["pack", SAMPLES_FILE, "--out", "x", "--workers", "0"],
     "Invalid value for '--workers': 0 is not in the range x>=1.",
     "'--workers' 的值无效：0 不在范围 x>=1 之内。"),
    (["pack", SAMPLES_FILE, "--out", "x", "--timeout", "soon"],
     "Invalid value for '--timeout': 'soon' is not a valid float range.",
     "'--timeout' 的值无效：'soon' 不是有效的数字。"),
    (["roster", SAMPLES_FILE, "--out", "{folder}"],
     "Invalid value for '--out': File '{folder}' is a directory.",
     "'--out' 的值无效：'{folder}' 是文件夹，不是文件。"),
    (["renderr"],  # close to render only (rendr is close to send too)
     "No such command 'renderr'. Did you mean 'render'?",
     "没有命令 'renderr'。 是不是要用 'render'？"),
    (["check", "extra"],
     "Got unexpected extra argument (extra)",
     "多出了参数：extra"),
]


@pytest.mark.parametrize(("args", "english", "chinese"), CASES, ids=[" ".join(map(str, c[0][:1] + c[0][2:])) for c in CASES])
def test_usage_errors_speak_the_locale_language(
        tmp_path: Path, args: list[object], english: str, chinese: str) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x", encoding="utf-8")
    fill = {"file": str(afile), "folder": str(tmp_path)}
    args = [a.format(**fill) if isinstance(a, str) else a for a in args]
    command = str(args[0]) if args[0] != "renderr" else ""
    prog = f"main {command}".strip()

    en = cli(*args)
    assert en.exit_code == 2
    assert en.stderr.splitlines()[-1] == "Error: " + english.format(**fill)
    assert en.stderr.splitlines()[1] == f"Try '{prog} --help' for help."
    assert en.stderr.startswith(f"Usage: {prog} ")

    zh = cli(*args, env=ZH)
    assert zh.exit_code == 2
    lines = zh.stderr.splitlines()
    assert lines[0].startswith(f"用法: {prog} ")
    assert lines[1] == f"运行“{prog} --help”查看帮助。"
    assert lines[2] == ""
    assert lines[3:] == ["错误：" + chinese.format(**fill)]


def test_an_option_without_its_value(tmp_path: Path) -> None:
    assert cli("render", SAMPLES_FILE, "--out").stderr == (
        "Error: Option '--out' requires an argument.\n")
    assert cli("render", SAMPLES_FILE, "--out", env=ZH).stderr == "错误：选项 '--out' 需要 1 个值。\n"


def test_help_stays_english() -> None:
    for env in (None, ZH):
        result = cli("roster", "--help", env=env)
        assert result.exit_code == 0
        assert result.output.startswith("Usage: main roster [OPTIONS] DATA...")
        assert "Options:" in result.output and "Show this message and exit." in result.output


def test_formgens_own_errors_are_unchanged_in_both_languages(tmp_path: Path) -> None:
    """Not click's: exit 1, one line, as before."""
    missing = tmp_path / "missing.xlsx"
    assert cli("roster", missing, "--out", tmp_path / "r.xlsx").stderr == (
        f"Error: no such file: {missing}\n")
    assert cli("roster", missing, "--out", tmp_path / "r.xlsx", env=ZH).stderr == (
        f"错误：文件不存在：{missing}\n")
