"""``--link-store``: a missing file becomes a new link store; an existing file that is not
one (an empty file, the certificate register, a data file) is refused by ``formgen
links``, ``formgen send`` and ``formgen serve``, and left as it is."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE_FILE, cli

from formgen.links.store import Vault

ZH = {"LANG": "zh_CN.UTF-8"}
BASE = "https://forms.example.org"


def _empty_en(path: Path) -> str:
    return (f"Error: {path} is an empty file, not a link store; it is left as it is. If it held "
            "the link store, restore it from a backup; to start a new store, delete it or give "
            "another --link-store")


def _empty_zh(path: Path) -> str:
    return (f"错误：{path} 是空文件，不是链接库，未作改动。若它原是链接库，请从备份恢复；"
            "若要新建链接库，请删除该文件或另行指定 --link-store")


def _other_en(path: Path) -> str:
    return (f"Error: {path} is not a link store (it is another kind of file); it is left as it "
            "is: give another --link-store")


def _links(store: Path, env: dict[str, str] | None = None) -> Any:
    return cli("links", EXAMPLE_FILE, "--base-url", BASE, "--link-store", store, env=env)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_an_empty_file_is_not_made_a_store(tmp_path: Path) -> None:
    store = tmp_path / "links.sqlite"
    store.touch()
    result = _links(store)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == _empty_en(store)
    assert result.stdout == ""  # no link printed
    result = _links(store, ZH)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == _empty_zh(store)
    assert store.stat().st_size == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["links.sqlite"]  # no -wal, no -shm


def test_the_register_is_not_made_a_store(tmp_path: Path) -> None:
    register = tmp_path / "register.sqlite"
    assert cli("register", "init", register).exit_code == 0
    before = _digest(register)
    result = _links(register)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == _other_en(register)
    assert _digest(register) == before
    with sqlite3.connect(register) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "links" not in tables and "pages" not in tables


def test_a_missing_file_becomes_a_store_and_is_used_again(tmp_path: Path) -> None:
    store = tmp_path / "new" / "links.sqlite"
    assert _links(store).exit_code == 0
    result = _links(store)
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 1
    assert Vault(store).link(b"\0" * 16) is None  # a store, opened again


def test_send_refuses_an_empty_store_before_sending(tmp_path: Path) -> None:
    from sendkit import write_manifest

    store = tmp_path / "links.sqlite"
    store.touch()
    result = cli("send", EXAMPLE_FILE, "--what", "links", "--out", tmp_path / "out",
                 "--base-url", BASE, "--smtp", "smtp://127.0.0.1:9", "--yes",
                 "--link-store", store, "--manifest", write_manifest(tmp_path / "m"), env=ZH)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == _empty_zh(store)
    assert store.stat().st_size == 0


@pytest.mark.parametrize("kind", ["empty", "register"])
def test_serve_refuses_it_before_it_starts(tmp_path: Path, kind: str) -> None:
    store = tmp_path / "store.sqlite"
    if kind == "empty":
        store.touch()
    else:
        assert cli("register", "init", store).exit_code == 0
    before = _digest(store)
    result = cli("serve", "--port", "1", "--link-store", store)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [_empty_en(store) if kind == "empty" else _other_en(store)]
    assert _digest(store) == before
