"""The database layer on both engines: SQLite files and a real PostgreSQL server."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from formgen.database import DriverError, connect, locate
from formgen.database.location import hide_password

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, data BLOB)",
    """CREATE TRIGGER IF NOT EXISTS items_kept BEFORE DELETE ON items
       BEGIN SELECT RAISE(ABORT, 'items are never deleted'); END""",
]


def test_a_path_is_sqlite_and_a_url_is_postgresql() -> None:
    assert locate("build/register.sqlite").path == Path("build/register.sqlite")
    assert locate(Path("x.sqlite")).url is None
    found = locate("postgresql://staff:s3cret@db.example.org:5432/formgen")
    assert found.is_postgres
    assert str(found) == "postgresql://staff:***@db.example.org:5432/formgen"
    assert hide_password("postgres://h/db?user=a&password=b&sslmode=require") == (
        "postgres://h/db?user=a&password=***&sslmode=require")
    with pytest.raises(ValueError):
        locate("mysql://db/formgen")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def where(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "items.sqlite")
    url: str = request.getfixturevalue("postgres_url")
    return url


def test_statements_transactions_and_guards_mean_the_same_on_both(where: str) -> None:
    with connect(locate(where)) as db:
        db.create(SCHEMA)
        assert "items" in db.tables()
        assert db.columns("items") == {"id", "name", "data"}
        with db.transaction("items"):
            db.execute("INSERT INTO items (id, name, data) VALUES (?, ?, ?)", (1, "李晓明 100%", b"\x00\xff"))
            db.executemany("INSERT INTO items (id, name) VALUES (?, ?)", [(2, "b"), (3, "c")])
        assert db.one("SELECT name, data FROM items WHERE id = ?", (1,)) == ("李晓明 100%", b"\x00\xff")
        with pytest.raises(RuntimeError), db.transaction("items"):
            db.execute("INSERT INTO items (id, name) VALUES (?, ?)", (4, "d"))
            raise RuntimeError("rolled back")
        assert db.one("SELECT COUNT(*) FROM items") == (3,)
        with pytest.raises(DriverError) as refused:
            db.execute("DELETE FROM items WHERE id = 2")
        assert refused.value.kind == "refused"
        assert "items are never deleted" in refused.value.detail
        with pytest.raises(DriverError) as twice:
            db.execute("INSERT INTO items (id, name) VALUES (?, ?)", (9, "b"))
        assert twice.value.kind == "refused"
        assert db.changed("UPDATE items SET name = name || '!' WHERE id > ?", (1,)) == 2


def _hold_lock(where: str, held: object, release: object) -> None:
    with connect(locate(where)) as db, db.transaction("items"):
        held.set()  # type: ignore[attr-defined]
        release.wait(30)  # type: ignore[attr-defined]


def test_a_writer_waits_for_another_and_gives_up_as_locked(where: str) -> None:
    with connect(locate(where)) as db:
        db.create(SCHEMA)
    spawn = multiprocessing.get_context("spawn")
    held, release = spawn.Event(), spawn.Event()
    other = spawn.Process(target=_hold_lock, args=(where, held, release))
    other.start()
    try:
        assert held.wait(30)
        with connect(locate(where), timeout=0.5) as db:
            assert db.one("SELECT COUNT(*) FROM items") == (0,)  # readers go on
            with pytest.raises(DriverError) as locked, db.transaction("items"):
                pass
            assert locked.value.kind == "locked"
    finally:
        release.set()
        other.join(30)


@pytest.mark.postgres
def test_a_server_that_is_down_is_unreachable(postgres_server: object) -> None:
    from postgres_server import free_port

    with pytest.raises(DriverError) as down:
        connect(locate(f"postgresql://postgres@127.0.0.1:{free_port()}/none"), timeout=1.0)
    assert down.value.kind == "unreachable"
