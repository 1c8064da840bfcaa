"""The certificate register in PostgreSQL: a real server started by the suite
(tests/postgres_server.py), real processes issuing numbers at once, killed, and the
server restarted under them; a register copied from its SQLite file; the commands with
--database, and what they say when the server cannot be reached."""

from __future__ import annotations

import copy
import datetime
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
import yaml
from conftest import EXAMPLE_FILE, MANIFEST_FILE, SAMPLES_FILE, WEB_SECRET, cli
from fastapi.testclient import TestClient
from postgres_server import PostgresServer, free_port

from formgen.certificates.audit import audit
from formgen.certificates.head import HEAD_ENV
from formgen.certificates.keys import KEY_ENV
from formgen.certificates.numbers import IssueRequest
from formgen.certificates.printed import Printed, keep
from formgen.certificates.register import Register
from formgen.credentials.keys import ISSUER_KEYS_ENV
from formgen.credentials.status import allocate
from formgen.database import DATABASE_ENV, locate
from formgen.exceptions import RegisterError
from formgen.settings import Paths
from formgen.web import create_app, web_settings

pytestmark = pytest.mark.postgres

SPAWN = multiprocessing.get_context("spawn")
DAY = datetime.date(2026, 11, 23)
ZH = {"LANG": "zh_CN.UTF-8"}
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _nothing_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (KEY_ENV, HEAD_ENV, ISSUER_KEYS_ENV, DATABASE_ENV):
        monkeypatch.delenv(name, raising=False)


def req(applicant_id: str, name: str = "李晓明 / LI Xiaoming") -> IssueRequest:
    return IssueRequest(applicant_id, name, "ecuk_registration", "cmes-soe", "CEng", "CMES-SOE", DAY)


def made(url: str, folder: Path) -> Path:
    """A new register in the database ``url``; its key file (the head beside it)."""
    key = folder / "keys" / "register.key"
    Register.create(locate(url), key_file=key, by="test").close()
    return key


def seqs(numbers: list[str]) -> list[int]:
    return sorted(int(n.rsplit("-", 1)[1]) for n in numbers)


# -- the commands ----------------------------------------------------------------------


@pytest.mark.needs_office
@pytest.mark.slow
def test_the_register_in_postgresql_through_the_commands(postgres_url: str, tmp_path: Path) -> None:
    key, issuer = tmp_path / "keys" / "register.key", tmp_path / "keys" / "issuer.json"
    shown = postgres_url
    made_now = cli("register", "init", "--database", postgres_url, "--register-key", key,
                   "--issuer-keys", issuer, "--by", "Wang Min")
    assert made_now.exit_code == 0, made_now.output
    assert made_now.stderr.startswith(f"made the certificate register {shown}, with its key in {key} "
                                      f"and its head in {tmp_path / 'keys' / 'register.head'}.")
    again = cli("register", "init", "--database", postgres_url, "--register-key", tmp_path / "k2",
                "--issuer-keys", tmp_path / "i2")
    assert again.exit_code == 1
    assert again.stderr == (f"Error: the database {shown} already holds a certificate register; "
                            "formgen register init makes a new register only in a database that "
                            "holds none\n")
    assert not (tmp_path / "k2").exists()

    people = yaml.safe_load(SAMPLES_FILE.read_text(encoding="utf-8"))[:2]
    data = tmp_path / "two.yaml"
    data.write_text(yaml.safe_dump(people, allow_unicode=True), "utf-8")
    env = {DATABASE_ENV: postgres_url}  # the database from the environment
    run = cli("certificates", data, "--out", tmp_path / "out", "--register-key", key,
              "--verify-url", "https://certs.test/", "--manifest", MANIFEST_FILE, env=env)
    assert run.exit_code == 0, run.output
    assert len(list((tmp_path / "out").glob("*/*.pdf"))) >= 2
    with Register(locate(postgres_url), key_file=key) as reg:
        rows = reg.rows()
    assert {r.status for r in rows} == {"valid"}
    assert {r.applicant_id for r in rows} == {p["id"] for p in people}
    first, other = rows[0], next(r for r in rows if r.applicant_id != rows[0].applicant_id)

    checked = cli("verify", first.short_code, "--register-key", key, env=env)
    assert checked.exit_code == 0, checked.output
    assert checked.stdout.startswith(f"Genuine: certificate {first.number}")
    revoked = cli("revoke", first.number, "--reason", "issued-in-error", "--database", postgres_url,
                  "--register-key", key)
    assert revoked.exit_code == 0, revoked.output
    assert cli("verify", first.number, "--register-key", key, env=env).exit_code == 1

    person = copy.deepcopy(next(p for p in people if p["id"] == other.applicant_id))
    person["name"]["en"] = person["name"]["en"] + " Jr"
    data.write_text(yaml.safe_dump([person], allow_unicode=True), "utf-8")
    reissued = cli("reissue", other.number, data, "--out", tmp_path / "again", "--register-key", key,
                   "--verify-url", "https://certs.test/", "--manifest", MANIFEST_FILE, env=env)
    assert reissued.exit_code == 0, reissued.output
    superseded = cli("verify", other.number, "--register-key", key, env=env)
    assert superseded.exit_code == 1
    assert superseded.stdout.startswith("Superseded by ")

    holds = cli("register", "audit", "--register-key", key, env=env)
    assert holds.exit_code == 0, holds.output
    assert holds.stdout.startswith(f"the register {shown} holds: ")
    exported = cli("register", "export", "--register-key", key, "--out", tmp_path / "r.csv", env=env)
    assert exported.exit_code == 0, exported.output

    with psycopg.connect(postgres_url, autocommit=True) as conn:  # an insider, without the key
        conn.execute("UPDATE certificates SET status = 'valid', changed_on = '', reason = '' "
                     "WHERE number = %s", (first.number,))
    failed = cli("register", "audit", "--register-key", key, env=env)
    assert failed.exit_code == 1
    assert f"the register {shown} fails its audit" in failed.stderr
    assert f"{first.number}" in failed.stderr
    refused = cli("verify", first.short_code, "--register-key", key, env=env)
    assert refused.exit_code == 1
    assert refused.stderr.startswith(
        f"Error: the register {shown} fails its audit, so nothing in it can be vouched for: "
        f"certificate {first.number} is not genuine")
    assert "Traceback" not in refused.output


def test_a_register_in_postgresql_needs_its_key_and_head_named(postgres_url: str,
                                                               tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    neither = cli("register", "init", "--database", postgres_url)
    assert neither.exit_code == 1
    assert neither.stderr == (  # both said at once
        f"Error: the register in the database {postgres_url} has no file beside which its key "
        f"could be: give the key with --register-key FILE or {KEY_ENV}\n"
        f"the register in the database {postgres_url} has no file beside which the "
        f"issuer's keys could be: give them with --issuer-keys FILE or {ISSUER_KEYS_ENV}\n")
    no_key = cli("register", "init", "--database", postgres_url, "--issuer-keys", tmp_path / "i.json")
    assert no_key.exit_code == 1
    assert no_key.stderr == (
        f"Error: the register in the database {postgres_url} has no file beside which its key "
        f"could be: give the key with --register-key FILE or {KEY_ENV}\n")
    no_issuer = cli("register", "init", "--database", postgres_url, "--register-key", tmp_path / "k")
    assert no_issuer.exit_code == 1
    assert no_issuer.stderr == (
        f"Error: the register in the database {postgres_url} has no file beside which the "
        f"issuer's keys could be: give them with --issuer-keys FILE or {ISSUER_KEYS_ENV}\n")
    monkeypatch.setenv(KEY_ENV, "ab" * 32)
    no_head = cli("register", "init", "--database", postgres_url, "--issuer-keys", tmp_path / "i.json")
    assert no_head.exit_code == 1
    assert no_head.stderr.startswith(
        f"Error: the register in the database {postgres_url} has no file beside which its head "
        "could be kept")
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT COUNT(*) FROM information_schema.tables "
                            "WHERE table_schema = 'public'").fetchone() == (0,)
    monkeypatch.setenv(HEAD_ENV, str(tmp_path / "register.head"))
    ok = cli("register", "init", "--database", postgres_url, "--issuer-keys", tmp_path / "i.json")
    assert ok.exit_code == 0, ok.output
    assert (tmp_path / "register.head").read_text().startswith("1:")
    with psycopg.connect(postgres_url) as conn:
        conn.execute("CREATE TABLE visitors (name TEXT)")  # another program's table
    assert cli("register", "audit", "--database", postgres_url).exit_code == 0


def test_an_empty_database_is_not_a_register(postgres_url: str, tmp_path: Path) -> None:
    result = cli("register", "audit", "--database", postgres_url, "--register-key", tmp_path / "k")
    assert result.exit_code == 1
    assert result.stderr == (f"Error: the database {postgres_url} holds no certificate register; "
                             "one is made with: formgen register init --database URL\n")


def test_an_unreachable_server_is_named_without_its_password(tmp_path: Path) -> None:
    url = f"postgresql://staff:s3cret@127.0.0.1:{free_port()}/formgen"
    shown = url.replace(":s3cret@", ":***@")
    key = tmp_path / "register.key"
    key.write_text("ab" * 32 + "\n")
    key.chmod(0o600)
    for env, words in ((None, "Error: cannot reach the register's database"),
                       (ZH, "错误：无法连接登记册的数据库")):
        started = time.monotonic()
        result = cli("verify", "CMES-SOE-2026-000001", "--database", url, "--register-key", key,
                     env=env)
        assert time.monotonic() - started < 5
        assert result.exit_code == 1
        assert result.stderr.startswith(f"{words} {shown}")
        assert "Connection refused" in result.stderr
        assert "s3cret" not in result.output and "Traceback" not in result.output


def test_register_and_database_both_given_are_refused(postgres_url: str, tmp_path: Path) -> None:
    result = cli("register", "audit", "--register", tmp_path / "r.sqlite", "--database", postgres_url)
    assert result.exit_code == 1
    assert result.stderr == ("Error: give the register either with --register FILE or with "
                             "--database, not both\n")


def test_register_path_wins_over_the_database_in_the_environment(postgres_url: str,
                                                                 tmp_path: Path) -> None:
    path = tmp_path / "register.sqlite"
    assert cli("register", "init", path).exit_code == 0
    result = cli("register", "audit", "--register", path, env={DATABASE_ENV: postgres_url})
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"the register {path} holds")
    as_path = cli("register", "audit", "--database", path)
    assert as_path.exit_code == 0, as_path.output


# -- numbering from many processes -----------------------------------------------------


def _issue(url: str, key: str, worker: int, count: int, start: object) -> list[str]:
    start.wait()  # type: ignore[attr-defined]
    numbers: list[str] = []
    with Register(locate(url), timeout=60, key_file=Path(key)) as reg:
        for first in range(0, count, 10):  # ten numbers a transaction, as a small batch takes them
            batch = [req(f"W{worker}-{i}") for i in range(first, first + 10)]
            numbers += [c.number for c in reg.issue(batch, by=f"worker {worker}")]
        reg.confirm(numbers, by=f"worker {worker}")
    return numbers


@pytest.mark.slow
def test_four_processes_issue_a_thousand_numbers_without_gaps(postgres_url: str,
                                                              tmp_path: Path) -> None:
    key = made(postgres_url, tmp_path)
    workers, count = 4, 250
    with SPAWN.Manager() as manager:
        start = manager.Event()
        with SPAWN.Pool(workers) as pool:
            jobs = [pool.apply_async(_issue, (postgres_url, str(key), w, count, start))
                    for w in range(workers)]
            start.set()
            results = [j.get(timeout=300) for j in jobs]
    numbers = [n for r in results for n in r]
    assert len(set(numbers)) == len(numbers) == 1000
    assert seqs(numbers) == list(range(1, 1001))
    with Register(locate(postgres_url), key_file=key, read_only=True) as reg:
        found = audit(reg)
        assert found.holds, found.problems
        assert found.certificates == 1000
        assert {r.status for r in reg.rows()} == {"valid"}


ISSUER = """
import sys, datetime
from pathlib import Path
from formgen.certificates.numbers import IssueRequest
from formgen.certificates.register import Register
from formgen.commands.common import user_errors
from formgen.database import locate

@user_errors
def run(url, key, count):
    with Register(locate(url), key_file=Path(key)) as reg:
        for i in range(count):
            issued = reg.issue([IssueRequest(f"K{i}", "LI Xiaoming", "ecuk_registration",
                                             "cmes-soe", "CEng", "CMES-SOE",
                                             datetime.date(2026, 11, 23))])
            print(issued[0].number, flush=True)
        reg.confirm([f"CMES-SOE-2026-{n:06d}" for n in range(1, count + 1)])
    print("done", flush=True)

run(sys.argv[1], sys.argv[2], int(sys.argv[3]))
"""


def _issuer(url: str, key: Path, count: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", ISSUER, url, str(key), str(count)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _wait_for(process: subprocess.Popen[str], lines: int) -> list[str]:
    assert process.stdout is not None
    seen = [process.stdout.readline().strip() for _ in range(lines)]
    assert all(seen), seen
    return seen


@pytest.mark.slow
def test_a_process_killed_mid_run_leaves_no_number_half_issued(postgres_url: str,
                                                               tmp_path: Path) -> None:
    key = made(postgres_url, tmp_path)
    process = _issuer(postgres_url, key, 60)
    _wait_for(process, 15)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    with Register(locate(postgres_url), key_file=key, read_only=True) as reg:
        left = reg.rows()
        assert audit(reg).holds
    assert left and {r.status for r in left} == {"pending"}  # numbered, never printed
    assert seqs([r.number for r in left]) == list(range(1, len(left) + 1))
    again = _issuer(postgres_url, key, 60)
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    numbers = out.split()[:-1]
    assert numbers[: len(left)] == [r.number for r in sorted(left, key=lambda r: r.number)]
    with Register(locate(postgres_url), key_file=key, read_only=True) as reg:
        found = audit(reg)
        rows = reg.rows()
    assert found.holds, found.problems
    assert seqs([r.number for r in rows]) == list(range(1, 61))
    assert {r.status for r in rows} == {"valid"}


@pytest.mark.slow
def test_the_database_restarted_mid_run(postgres_server: PostgresServer, postgres_url: str,
                                        tmp_path: Path) -> None:
    key = made(postgres_url, tmp_path)
    process = _issuer(postgres_url, key, 5000)
    _wait_for(process, 5)
    postgres_server.restart()
    out, err = process.communicate(timeout=120)
    assert process.returncode == 1
    assert err.startswith(f"Error: cannot reach the register's database {postgres_url}: "), err
    assert err.count("\n") == 1 and "Traceback" not in err
    postgres_server.wait_ready()
    again = _issuer(postgres_url, key, 10)
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    with Register(locate(postgres_url), key_file=key, read_only=True) as reg:
        found = audit(reg)
        rows = reg.rows()
    assert found.holds, found.problems
    assert seqs([r.number for r in rows]) == list(range(1, len(rows) + 1))


# -- moving a register from its file ---------------------------------------------------


def test_register_migrate_copies_a_sqlite_register_and_checks_the_copy(postgres_url: str,
                                                                       tmp_path: Path) -> None:
    path = tmp_path / "build" / "register.sqlite"
    with Register.create(path, by="test") as reg:
        issued = reg.issue([req(f"A{i}") for i in range(5)])
        reg.confirm([i.number for i in issued])
        reg.revoke(issued[1].number, "withdrawn")
        keep(reg, [(i.applicant_id, i.number, [Printed("Name", ("LI Xiaoming",))]) for i in issued])
        allocate(reg, [i.number for i in issued])
    kept = {p: p.read_bytes() for p in path.parent.iterdir()}
    result = cli("register", "migrate", "--register", path, "--to", postgres_url,
                 "--link-store", path.parent / "links.sqlite")
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith(
        f"no link store at {path.parent / 'links.sqlite'}: only the register was copied\n")
    assert result.stdout.startswith(
        f"copied the register {path} into {postgres_url} (meta 6, certificates 5, events ")
    assert "particulars 5, credential_status 5 rows) and checked the copy" in result.stdout
    assert f"{path} is left as it was" in result.stdout
    assert {p: p.read_bytes() for p in path.parent.iterdir()} == kept

    key = path.with_suffix(".key")
    env = {DATABASE_ENV: postgres_url}
    holds = cli("register", "audit", "--register-key", key, env=env)
    assert holds.exit_code == 0, holds.output
    genuine = cli("verify", issued[0].short_code, "--register-key", key, env=env)
    assert genuine.exit_code == 0, genuine.output
    assert "Li Xiaoming".upper() in genuine.stdout.upper()
    assert cli("verify", issued[1].number, "--register-key", key, env=env).exit_code == 1
    twice = cli("register", "migrate", "--register", path, "--to", postgres_url,
                "--link-store", path.parent / "links.sqlite")
    assert twice.exit_code == 1
    assert twice.stderr == (f"Error: the database {postgres_url} already holds a certificate "
                            "register; formgen register init makes a new register only in a "
                            "database that holds none\n")
    assert {p: p.read_bytes() for p in path.parent.iterdir()} == kept

    with Register(locate(postgres_url), key_file=key) as reg:  # the database goes on
        assert [i.number for i in reg.issue([req("B1")])] == ["CMES-SOE-2026-000006"]
    behind = cli("revoke", issued[0].number, "--reason", "withdrawn", "--register", path)
    assert behind.exit_code == 1  # the file, now behind the shared head, is not written to
    assert "its head records event 15, but the register ends at event 14" in behind.stderr
    assert cli("register", "migrate", "--register", path, "--to", path).exit_code == 2


def test_register_migrate_copies_the_link_store_with_it(postgres_url: str, tmp_path: Path) -> None:
    path = tmp_path / "register.sqlite"
    with Register.create(path, by="test") as reg:
        reg.confirm([i.number for i in reg.issue([req("A1")])])
    store = tmp_path / "links.sqlite"
    made = cli("links", EXAMPLE_FILE, "--base-url", "https://forms.example.org", "--link-store", store)
    assert made.exit_code == 0, made.output
    token = made.stdout.strip().split("\t")[2].rsplit("/", 1)[1]
    kept = store.read_bytes()
    moved = cli("register", "migrate", "--register", path, "--to", postgres_url, "--link-store", store)
    assert moved.exit_code == 0, moved.output
    assert moved.stdout.endswith(
        f"copied the link store {store} into {postgres_url} (links 1, pages 0, files 0 rows) "
        f"and checked the copy row for row; {store} is left as it was. From now on give "
        "formgen links, send and serve --database\n")
    assert store.read_bytes() == kept
    paths = Paths(database=locate(postgres_url), register_key=path.with_suffix(".key"))
    with TestClient(create_app(web_settings(paths=paths), secret=WEB_SECRET, converter=object())) as site:
        page = site.get(f"/f/{token}?lang=en")  # the link opens from the database
    assert page.status_code == 200 and 'value="李晓明"' in page.text
    # a database that holds links already takes no second copy, and no register is copied
    other = tmp_path / "other.sqlite"
    Register.create(other, by="test").close()
    again = cli("register", "migrate", "--register", other, "--to", postgres_url, "--link-store", store)
    assert again.exit_code == 1
    assert again.stderr == (f"Error: the database {postgres_url} already holds links; the link "
                            "store is copied only into a database that holds none\n")


def test_a_register_failing_its_audit_is_not_copied(postgres_url: str, tmp_path: Path) -> None:
    path = tmp_path / "register.sqlite"
    with Register.create(path, by="test") as reg:
        issued = reg.issue([req("A1")])
    import sqlite3

    with sqlite3.connect(path) as db:
        db.execute("UPDATE certificates SET name = 'SOMEONE ELSE' WHERE number = ?",
                   (issued[0].number,))
    result = cli("register", "migrate", "--register", path, "--to", postgres_url)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: the register {path} fails its audit")
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT COUNT(*) FROM information_schema.tables "
                            "WHERE table_schema = 'public'").fetchone() == (0,)


def test_a_register_locked_longer_than_the_wait_says_so(postgres_url: str, tmp_path: Path) -> None:
    key = made(postgres_url, tmp_path)
    with psycopg.connect(postgres_url) as conn:
        conn.execute("LOCK TABLE events IN EXCLUSIVE MODE")
        with Register(locate(postgres_url), timeout=0.5, key_file=key) as reg, \
                pytest.raises(RegisterError) as locked:
            reg.issue([req("A1")])
    assert str(locked.value) == (
        f"the register in the database {postgres_url} is locked by another formgen process (on "
        "this host or another) for more than 0.5 s; try again when it finishes")


def test_the_verification_page_reads_the_register_in_postgresql(postgres_url: str,
                                                                tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from formgen.settings import Paths
    from formgen.web import create_app, web_settings

    key = made(postgres_url, tmp_path)
    with Register(locate(postgres_url), key_file=key) as reg:
        issued = reg.issue([req("A1"), req("A2", name="王芳 / WANG Fang")])
        reg.confirm([i.number for i in issued])
    paths = Paths(database=locate(postgres_url), register_key=key)
    app = create_app(web_settings(MANIFEST_FILE, paths=paths), secret="pg-register-secret-0123456",
                     converter=object(), verify_rate=1000)
    with TestClient(app) as client:
        answer = client.get(f"/api/certificates/{issued[0].short_code}")
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "valid"
        with psycopg.connect(postgres_url, autocommit=True) as conn:  # another row changed
            conn.execute("UPDATE certificates SET name = 'SOMEONE ELSE' WHERE number = %s",
                         (issued[1].number,))
        deadline = time.monotonic() + 15  # the server's counts of rows written reach it
        while (answer := client.get(f"/api/certificates/{issued[0].short_code}")).status_code == 200:
            assert time.monotonic() < deadline, "the change was not noticed"
            time.sleep(0.2)
    assert answer.status_code == 503
    assert answer.json()["errors"][0]["message"].startswith(
        f"the register {postgres_url} fails its audit, so nothing in it can be vouched for: "
        f"certificate {issued[1].number} is not genuine")
