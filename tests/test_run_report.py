"""A run's report, ``OUT/errors.csv``: render, pack, certificates and reissue replace the
one formgen wrote (in either language), and refuse, before any work, to replace a file
of that name that someone else put there, unless --force."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import EXAMPLE_FILE, cli

ZH = {"LANG": "zh_CN.UTF-8"}
EN_REPORT = "record,field,message\r\nCSEE-2026-0007,email,'nobody' is not an email address\r\n"
STAFF_NOTES = "record,who to call\nCSEE-2026-0007,王老师\n".encode()


def _staffs_file(out: Path, content: bytes = STAFF_NOTES) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    target = out / "errors.csv"
    target.write_bytes(content)
    return target


def _report(out: Path) -> str:
    return (out / "errors.csv").read_bytes().decode("utf-8-sig")


def _refused_en(target: Path) -> str:
    return (f"Error: {target} already exists and formgen did not write it; it is left as it is: "
            "move it elsewhere, or give --force to replace it")


def _refused_zh(target: Path) -> str:
    return f"错误：{target} 已存在，且不是 formgen 写的文件，未作改动；请将它移走，或加上 --force 替换它"


@pytest.mark.parametrize("content", [STAFF_NOTES, b""], ids=["notes", "empty"])
def test_render_refuses_to_replace_a_file_it_did_not_write(tmp_path: Path, content: bytes) -> None:
    out = tmp_path / "out"
    target = _staffs_file(out, content)
    result = cli("render", EXAMPLE_FILE, "--out", out)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [_refused_en(target)]
    assert target.read_bytes() == content
    assert sorted(p.name for p in out.iterdir()) == ["errors.csv"]  # nothing rendered


def test_the_refusal_speaks_chinese(tmp_path: Path) -> None:
    out = tmp_path / "out"
    target = _staffs_file(out)
    result = cli("render", EXAMPLE_FILE, "--out", out, env=ZH)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [_refused_zh(target)]
    assert target.read_bytes() == STAFF_NOTES


def test_force_replaces_it(tmp_path: Path) -> None:
    out = tmp_path / "out"
    target = _staffs_file(out)
    result = cli("render", EXAMPLE_FILE, "--out", out, "--force")
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == "\ufeffrecord,field,message\r\n".encode()
    assert (out / "CSEE-2026-0007" / "en").is_dir()


def test_its_own_report_is_replaced_in_either_language(tmp_path: Path) -> None:
    out = tmp_path / "out"
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE_FILE.read_text(encoding="utf-8").replace("li.xiaoming@example.com", "nobody"),
                   encoding="utf-8")
    assert cli("render", bad, "--out", out).exit_code == 1  # an English report with a row
    assert _report(out) == EN_REPORT
    assert cli("render", EXAMPLE_FILE, "--out", out, env=ZH).exit_code == 0
    assert _report(out) == "记录,字段,问题\r\n"
    assert cli("render", bad, "--out", out).exit_code == 1  # and the Chinese one in English
    assert _report(out) == EN_REPORT


def test_pack_refuses_before_any_pack_is_made(tmp_path: Path) -> None:
    out = tmp_path / "out"
    target = _staffs_file(out)
    result = cli("pack", EXAMPLE_FILE, "--out", out)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [_refused_en(target)]
    assert sorted(p.name for p in out.iterdir()) == ["errors.csv"]
    result = cli("pack", EXAMPLE_FILE, "--out", out, env=ZH)
    assert result.stderr.splitlines() == [_refused_zh(target)]
    assert target.read_bytes() == STAFF_NOTES


@pytest.mark.parametrize("command", [["certificates"], ["reissue", "--holder", "CSEE-2026-0007"]],
                         ids=["certificates", "reissue"])
def test_certificates_refuse_before_the_register_is_touched(tmp_path: Path, command: list[str]) -> None:
    out = tmp_path / "out"
    target = _staffs_file(out)
    register = tmp_path / "register.sqlite"
    init = ["--init-register"] if command[0] == "certificates" else []
    result = cli(*command, EXAMPLE_FILE, "--out", out, "--register", register, *init,
                 "--verify-url", "https://verify.example.org")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [_refused_en(target)]
    assert not register.exists()  # no register made, no number issued
    assert sorted(p.name for p in out.iterdir()) == ["errors.csv"]
    assert target.read_bytes() == STAFF_NOTES


def test_send_refuses_before_any_message_is_written(tmp_path: Path) -> None:
    from sendkit import write_manifest

    manifest = write_manifest(tmp_path / "m")

    def preview(folder: Path) -> object:
        return cli("send", EXAMPLE_FILE, "--what", "links", "--out", tmp_path / "out",
                   "--preview", folder, "--base-url", "https://forms.example.org",
                   "--link-store", tmp_path / "links.sqlite", "--manifest", manifest)

    kept = _staffs_file(tmp_path / "out")
    result = preview(tmp_path / "p1")  # a preview writes nothing into --out
    assert result.exit_code == 0, result.output
    assert kept.read_bytes() == STAFF_NOTES
    target = _staffs_file(tmp_path / "p2")
    result = preview(tmp_path / "p2")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [_refused_en(target)]
    assert sorted(p.name for p in target.parent.iterdir()) == ["errors.csv"]
    assert target.read_bytes() == STAFF_NOTES
    result = cli("send", EXAMPLE_FILE, "--what", "links", "--out", tmp_path / "out",
                 "--base-url", "https://forms.example.org", "--smtp", "smtp://127.0.0.1:9",
                 "--link-store", tmp_path / "links.sqlite", "--manifest", manifest, "--yes", env=ZH)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [_refused_zh(kept)]
    assert not (tmp_path / "links.sqlite").exists() and not (tmp_path / "out" / "sent.sqlite").exists()
    assert kept.read_bytes() == STAFF_NOTES
