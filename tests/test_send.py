"""``formgen send``: each person one message in their languages, through a real SMTP
server in its own process (aiosmtpd), parsed back; once, whatever happens on the way."""

from __future__ import annotations

import csv
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import CMES_RECORD, cli, with_id, write_yaml
from sendkit import (
    REPLY_TO,
    html_text,
    plain_text,
    write_manifest,
)

from formgen.links.store import Vault
from formgen.links.tokens import open_link, token_in

BASE = "https://forms.example.org"


@pytest.fixture
def people(tmp_path: Path, example_record: dict[str, Any]) -> Path:
    """Three applicants: 李晓明 (csee-iet), 孙伟 (cmes-soe), 王芳 (csee-iet)."""
    records = [
        with_id(example_record, "CSEE-2026-0007", email="li.xiaoming@example.com"),
        with_id(CMES_RECORD, "CMES-2026-0103", email="sun.wei@example.com"),
        with_id(example_record, "CSEE-2026-0012", email="wang.fang@example.com",
                name={"zh": "王芳", "en": "WANG Fang"}, gender="female"),
    ]
    return write_yaml(tmp_path / "people.yaml", records)


def send(tmp_path: Path, data: Path, *args: Any, env: dict[str, str] | None = None,
         stdin: str | None = None, manifest: Path | None = None) -> Any:
    manifest = manifest or write_manifest(tmp_path / "m")
    return cli("send", data, "--what", "links", "--out", tmp_path / "out", "--base-url", BASE,
               "--link-store", tmp_path / "links.sqlite", "--manifest", manifest, *args,
               env=env, stdin=stdin)


def log_rows(tmp_path: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(tmp_path / "out" / "sent.sqlite") as db:
        return db.execute("SELECT id, record_id, recipient, state, answer, message_id, carried, "
                          "body, resend_of FROM messages ORDER BY id").fetchall()


def errors_csv(folder: Path) -> list[list[str]]:
    with (folder / "errors.csv").open(encoding="utf-8-sig") as fh:
        return list(csv.reader(fh))


@pytest.mark.slow  # the first message of a run loads the catalogues and the templates
def test_each_person_gets_their_link_in_chinese_and_english(
        tmp_path: Path, people: Path, servers: Any) -> None:
    server = servers()
    result = send(tmp_path, people, "--smtp", server.url, "--yes")
    assert result.exit_code == 0, result.output
    assert "3 message(s) sent, 0 person(s) not sent, 0 sent before" in result.output
    received = server.received()
    assert [r[0] for r in received] == [["li.xiaoming@example.com"], ["sun.wei@example.com"],
                                        ["wang.fang@example.com"]]
    rcpt, message, raw = received[0]
    # Chinese in headers travels as RFC 2047 encoded words, and reads back as written.
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii() and b"=?utf-8?b?" in head
    assert message["Subject"] == ("工程能力评价/国际工程师资质认证：请核对并填写您的申请表（CSEE-2026-0007）"
                                  " / International Professional Engineer Registration: please "
                                  "check and complete your forms (CSEE-2026-0007)")
    assert message["To"].addresses[0].display_name == "李晓明"
    assert message["From"].addresses[0].display_name == "中国电机工程学会"
    assert message["From"].addresses[0].addr_spec == "office@csee.example.org"
    assert message["Reply-To"].addresses[0].addr_spec == REPLY_TO
    assert re.fullmatch(r"<.+@csee\.example\.org>", message["Message-ID"])
    assert message["Date"].datetime is not None
    text = plain_text(message)
    assert text.startswith("李晓明，您好：")
    assert "Dear LI Xiaoming," in text and "有效期至2026年12月23日" in text
    assert "It works until 23 December 2026" in text
    links = re.findall(r"https://forms\.example\.org/f/[A-Za-z0-9_-]{22}\b", text)
    assert len(set(links)) == 1
    # The link opens this person's record from the link store formgen serve reads.
    opened = open_link(token_in(links[0]), Vault(tmp_path / "links.sqlite"), "x" * 32)
    assert opened.record["id"] == "CSEE-2026-0007"
    html = html_text(message)
    assert f'<a href="{links[0]}">' in html and '<div lang="zh-CN">' in html
    # The second person's message is theirs, with their programme's words.
    second = received[1][1]
    assert second["To"].addresses[0].display_name == "孙伟"
    assert "孙伟，您好" in plain_text(second) and "Dear SUN Wei," in plain_text(second)
    # The log: each message, its recipient, the server's answer, the link's filing (not the link).
    rows = log_rows(tmp_path)
    assert [(r[1], r[2], r[3]) for r in rows] == [
        ("CSEE-2026-0007", "li.xiaoming@example.com", "sent"),
        ("CMES-2026-0103", "sun.wei@example.com", "sent"),
        ("CSEE-2026-0012", "wang.fang@example.com", "sent")]
    assert rows[0][4] == "250 2.0.0 Ok: queued as Q0001"
    assert rows[0][5] == message["Message-ID"]
    assert token_in(links[0]) not in rows[0][6] and '"link": "' in rows[0][6]
    assert rows[0][7] is None  # the bytes (and the link's key) are gone once sent


def test_running_again_sends_nothing_twice_and_resend_sends_one_on_purpose(
        tmp_path: Path, people: Path, servers: Any) -> None:
    server = servers()
    assert send(tmp_path, people, "--smtp", server.url, "--yes").exit_code == 0
    again = send(tmp_path, people, "--smtp", server.url, "--yes")
    assert again.exit_code == 0, again.output
    assert "3 person(s) already sent this message" in again.output
    assert "0 message(s) sent" in again.output
    assert len(server.received()) == 3
    resent = send(tmp_path, people, "--smtp", server.url, "--yes", "--resend", "2")
    assert resent.exit_code == 0, resent.output
    assert "1 message(s) sent" in resent.output
    received = server.received()
    assert len(received) == 4 and received[3][0] == ["sun.wei@example.com"]
    assert received[3][1]["Message-ID"] != received[1][1]["Message-ID"]
    assert log_rows(tmp_path)[3][8] == 2
    unknown = send(tmp_path, people, "--smtp", server.url, "--yes", "--resend", "99")
    assert unknown.exit_code == 1
    assert "there is no message 99 of this kind in the sent log" in unknown.output


def test_starttls_and_login_with_a_throwaway_certificate(
        tmp_path: Path, people: Path, servers: Any) -> None:
    from sendkit import tls_files

    ca, cert, key = tls_files(tmp_path / "tls")
    server = servers("--tls", str(cert), str(key), "--login", "office", "s3cret")
    env = {"SSL_CERT_FILE": str(ca), "FORMGEN_SMTP_PASSWORD": "s3cret"}
    wrong = send(tmp_path, people, "--smtp", server.url, "--starttls", "--user", "office",
                 "--yes", env=env | {"FORMGEN_SMTP_PASSWORD": "nope"})
    assert wrong.exit_code == 1
    assert "the mail server refused the login of office: 535 5.7.8 Authentication credentials " \
           "invalid; nothing sent" in wrong.output
    untrusted = send(tmp_path, people, "--smtp", server.url, "--starttls", "--yes",
                     env={"SSL_CERT_FILE": str(cert.parent / "server.key")})
    assert untrusted.exit_code == 1
    assert "did not show a certificate this computer trusts" in untrusted.output
    result = send(tmp_path, people, "--smtp", server.url, "--starttls", "--user", "office",
                  "--yes", env=env)
    assert result.exit_code == 0, result.output
    assert [r[0] for r in server.received()] == [["li.xiaoming@example.com"],
                                                 ["sun.wei@example.com"], ["wang.fang@example.com"]]


def test_the_password_is_asked_for_when_not_in_the_environment(
        tmp_path: Path, people: Path, servers: Any) -> None:
    from sendkit import tls_files

    ca, cert, key = tls_files(tmp_path / "tls")
    server = servers("--tls", str(cert), str(key), "--login", "office", "s3cret")
    result = send(tmp_path, people, "--smtp", server.url, "--starttls", "--user", "office",
                  env={"SSL_CERT_FILE": str(ca)}, stdin="s3cret\ny\n")
    assert result.exit_code == 0, result.output
    assert "Password for office on the mail server" in result.output
    assert "to send: 3 message(s)" in result.output and "the first to li.xiaoming@example.com" \
        in result.output
    assert len(server.received()) == 3


def test_refused_recipients_are_listed_and_the_rest_go_on(
        tmp_path: Path, people: Path, servers: Any) -> None:
    server = servers("--refuse", "li.xiaoming@example.com=550",
                     "--refuse", "sun.wei@example.com=552")
    result = send(tmp_path, people, "--smtp", server.url, "--yes", "--retry-wait", "0")
    assert result.exit_code == 1
    assert "1 message(s) sent, 2 person(s) not sent" in result.output
    assert [r[0] for r in server.received()] == [["wang.fang@example.com"]]
    rows = errors_csv(tmp_path / "out")
    assert rows[1:] == [
        ["CSEE-2026-0007", "email",
         "the server refused it: 550 5.1.1 User unknown <li.xiaoming@example.com>"],
        ["CMES-2026-0103", "email",
         "the server refused it: 552 5.2.2 Mailbox full <sun.wei@example.com>"]]
    assert [r[3] for r in log_rows(tmp_path)] == ["failed", "failed", "sent"]
    # Corrected in the data, li gets a new message at the new address; sun is tried again.
    import yaml

    records = yaml.safe_load(people.read_text(encoding="utf-8"))
    records[0]["email"] = "xiaoming.li@example.com"
    write_yaml(people, records)
    again = send(tmp_path, people, "--smtp", server.url, "--yes", "--retry-wait", "0")
    assert again.exit_code == 1
    assert "1 message(s) sent, 1 person(s) not sent, 1 sent before" in again.output
    assert "interrupted" not in again.output
    assert [r[0] for r in server.received()] == [["wang.fang@example.com"],
                                                 ["xiaoming.li@example.com"]]


def test_a_dropped_connection_is_tried_again_and_each_gets_one_message(
        tmp_path: Path, people: Path, servers: Any) -> None:
    server = servers("--drop-at", "2")
    result = send(tmp_path, people, "--smtp", server.url, "--yes", "--retry-wait", "0")
    assert result.exit_code == 0, result.output
    assert [r[0] for r in server.received()] == [["li.xiaoming@example.com"],
                                                 ["sun.wei@example.com"], ["wang.fang@example.com"]]
    with sqlite3.connect(tmp_path / "out" / "sent.sqlite") as db:
        attempts = db.execute("SELECT message, answer FROM attempts ORDER BY rowid").fetchall()
    assert attempts[1][0] == 2 and attempts[1][1] in (
        "the server closed the connection", "421 4.3.0 closing")
    assert attempts[2] == (2, "250 2.0.0 Ok: queued as Q0002")


def test_a_transient_refusal_is_given_up_after_the_retries(
        tmp_path: Path, people: Path, servers: Any) -> None:
    server = servers("--refuse", "sun.wei@example.com=451")
    result = send(tmp_path, people, "--smtp", server.url, "--yes", "--retry-wait", "0",
                  "--retries", "2")
    assert result.exit_code == 1
    assert errors_csv(tmp_path / "out")[1:] == [[
        "CMES-2026-0103", "",
        "still failing after 3 tries: 451 4.3.0 Try again later <sun.wei@example.com>"]]
    assert len(server.received()) == 2


@pytest.mark.slow
def test_a_slow_server(tmp_path: Path, people: Path, servers: Any) -> None:
    server = servers("--delay", "1")
    late = send(tmp_path, people, "--smtp", server.url, "--yes", "--timeout", "0.3",
                "--retries", "0")
    assert late.exit_code == 1
    assert errors_csv(tmp_path / "out")[1][2] == \
        "still failing after 1 tries: the server did not answer in time"
    patient = cli("send", people, "--what", "links", "--out", tmp_path / "out2",
                  "--base-url", BASE, "--link-store", tmp_path / "links.sqlite",
                  "--manifest", write_manifest(tmp_path / "m"), "--smtp", server.url, "--yes",
                  "--timeout", "10")
    assert patient.exit_code == 0, patient.output
    assert "3 message(s) sent" in patient.output


def test_preview_writes_every_message_and_sends_nothing(tmp_path: Path, people: Path) -> None:
    import email
    from email import policy

    result = send(tmp_path, people, "--preview", tmp_path / "preview")
    assert result.exit_code == 0, result.output
    assert "3 message(s) written to" in result.output and "nothing sent" in result.output
    assert "the links in the previews are stand-ins that open nothing" in result.output
    files = sorted(p.name for p in (tmp_path / "preview").glob("*.eml"))
    assert files == ["CMES-2026-0103-link.eml", "CSEE-2026-0007-link.eml",
                     "CSEE-2026-0012-link.eml"]
    parsed = email.message_from_bytes((tmp_path / "preview" / files[0]).read_bytes(),
                                      policy=policy.default)
    assert parsed["To"].addresses[0].display_name == "孙伟"
    assert not (tmp_path / "out" / "sent.sqlite").exists()
    assert not (tmp_path / "links.sqlite").exists()


def test_confirmation_and_what_is_missing(tmp_path: Path, people: Path, servers: Any) -> None:
    server = servers()
    declined = send(tmp_path, people, "--smtp", server.url, stdin="n\n")
    assert declined.exit_code == 1 and "nothing sent" in declined.output
    assert server.received() == []
    with sqlite3.connect(tmp_path / "links.sqlite") as db:  # the links made are withdrawn
        assert db.execute("SELECT count(*), count(revoked), count(original) FROM links"
                          ).fetchone() == (3, 3, 0)
    bare = write_manifest(tmp_path / "bare", **{"from": None})
    no_sender = send(tmp_path, people, "--smtp", server.url, manifest=bare)
    assert no_sender.exit_code == 1
    assert "no From address: give --from, FORMGEN_MAIL_FROM or mail.from in the manifest" \
        in no_sender.output
    no_server = send(tmp_path, people)
    assert no_server.exit_code == 1 and "no mail server: give --smtp" in no_server.output
    bad_url = send(tmp_path, people, "--smtp", "http://mail.example.org")
    assert "'http://mail.example.org' is not a mail server: write smtp://HOST:PORT or " \
           "smtps://HOST:PORT" in bad_url.output
    assert "Traceback" not in bad_url.output


@pytest.mark.slow  # formgen check reads every document template and font too
def test_check_reads_the_message_templates(tmp_path: Path) -> None:
    import shutil

    from sendkit import ROOT

    folder = tmp_path / "messages"
    shutil.copytree(ROOT / "templates" / "en" / "messages", folder)
    (folder / "pack.txt").write_text("Dear {{ nmae }},\n", encoding="utf-8")
    manifest = write_manifest(tmp_path / "m")
    text = manifest.read_text(encoding="utf-8").replace(
        str(ROOT / "templates" / "en" / "messages" / "pack"), str(folder / "pack"))
    manifest.write_text(text, encoding="utf-8")
    result = cli("check", "--manifest", manifest)
    assert result.exit_code == 1
    assert f"{folder / 'pack.txt'}: uses a value messages do not have: 'nmae' is undefined" \
        in result.output
    assert "the pack message's txt templates use different values" in result.output


@pytest.mark.slow
def test_a_batch_killed_halfway_is_finished_by_running_it_again(
        tmp_path: Path, people: Path, servers: Any) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    from sendkit import ROOT

    server = servers("--hang-at", "2")  # never answers the second message
    manifest = write_manifest(tmp_path / "m")
    args = ["send", str(people), "--what", "links", "--out", str(tmp_path / "out"),
            "--base-url", BASE, "--link-store", str(tmp_path / "links.sqlite"),
            "--manifest", str(manifest), "--smtp", server.url, "--yes"]
    process = subprocess.Popen([sys.executable, "-c", "from formgen.cli import main; main()",
                                *args], env=os.environ | {"PYTHONPATH": str(ROOT)},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while len(server.received()) < 1 or len(log_rows(tmp_path)) < 2:
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.1)
    time.sleep(0.3)  # the second message is with the server, which does not answer
    process.send_signal(signal.SIGKILL)
    process.wait()
    kept = log_rows(tmp_path)[1]
    assert kept[1] == "CMES-2026-0103" and kept[3] == "prepared" and kept[7] is not None
    result = cli(*args)
    assert result.exit_code == 0, result.output
    assert "1 message(s) kept by an interrupted run were sent with their own Message-ID" \
        in result.output
    assert "2 message(s) sent, 0 person(s) not sent, 1 sent before" in result.output
    received = server.received()
    assert [r[0] for r in received] == [["li.xiaoming@example.com"], ["sun.wei@example.com"],
                                        ["wang.fang@example.com"]]
    assert received[1][1]["Message-ID"] == kept[5]
    # The link kept with the message is the one that opens the record.
    link = re.findall(r"https://forms\.example\.org/f/[A-Za-z0-9_-]{22}\b",
                      plain_text(received[1][1]))[0]
    opened = open_link(token_in(link), Vault(tmp_path / "links.sqlite"), "x" * 32)
    assert opened.record["id"] == "CMES-2026-0103"
    assert [r[3] for r in log_rows(tmp_path)] == ["sent", "sent", "sent"]


def test_a_programme_can_have_its_messages_in_one_language(
        tmp_path: Path, people: Path, servers: Any) -> None:
    server = servers()
    manifest = write_manifest(tmp_path / "m", languages={"cmes-soe": ["en"]})
    result = send(tmp_path, people, "--smtp", server.url, "--yes", manifest=manifest)
    assert result.exit_code == 0, result.output
    sun = server.received()[1][1]
    assert sun["Subject"] == "CMES–SOE Reciprocal Recognition of Engineer Qualifications: " \
                             "please check and complete your forms (CMES-2026-0103)"
    assert plain_text(sun).startswith("Dear SUN Wei,") and "您好" not in plain_text(sun)
    assert sun["Content-Language"] == "en"
    assert "李晓明，您好" in plain_text(server.received()[0][1])


def test_an_address_that_is_not_ascii_goes_with_smtputf8(
        tmp_path: Path, example_record: dict[str, Any], servers: Any) -> None:
    server = servers()
    data = write_yaml(tmp_path / "one.yaml", [with_id(example_record, "CSEE-2026-0030",
                                                      email="王芳@例子.中国")])
    result = send(tmp_path, data, "--smtp", server.url, "--yes")
    assert result.exit_code == 0, result.output
    import email
    from email import policy

    rcpt, _, raw = server.received()[0]
    assert rcpt == ["王芳@例子.中国"]
    message = email.message_from_string(raw.decode("utf-8"), policy=policy.default)  # RFC 6532
    assert message["To"].addresses[0].addr_spec == "王芳@例子.中国"
    assert message["To"].addresses[0].display_name == "李晓明"
    assert "李晓明，您好" in plain_text(message)  # type: ignore[arg-type]


def test_the_rate_limit_spaces_the_messages_evenly() -> None:
    from formgen.send.run import Pace

    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))
        now[0] += seconds

    pace = Pace(20, sleep=sleep, clock=lambda: now[0])  # 20 a minute: one every 3 s
    for _ in range(4):
        pace.wait()
        now[0] += 0.5  # each message takes half a second to hand over
    assert slept == [2.5, 2.5, 2.5]
    unlimited = Pace(None, sleep=sleep, clock=lambda: now[0])
    unlimited.wait()
    unlimited.wait()
    assert slept == [2.5, 2.5, 2.5]


def test_two_runs_on_one_log_at_once_are_refused(tmp_path: Path, people: Path,
                                                 servers: Any) -> None:
    from formgen.send.log import held

    server = servers()
    with held(tmp_path / "out" / "sent.sqlite"):
        busy = send(tmp_path, people, "--smtp", server.url, "--yes")
    assert busy.exit_code == 1
    assert (f"another formgen send is using the sent log {tmp_path / 'out' / 'sent.sqlite'}: "
            "wait for it to finish") in busy.output
    assert server.received() == []
    assert not (tmp_path / "links.sqlite").exists()  # refused before any link was made
    assert send(tmp_path, people, "--smtp", server.url, "--yes").exit_code == 0
    assert len(server.received()) == 3


def test_resend_of_someone_not_in_the_data(tmp_path: Path, people: Path,
                                           example_record: dict[str, Any], servers: Any) -> None:
    server = servers()
    assert send(tmp_path, people, "--smtp", server.url, "--yes").exit_code == 0
    other = write_yaml(tmp_path / "other.yaml", [with_id(example_record, "CSEE-2026-0099")])
    result = send(tmp_path, other, "--smtp", server.url, "--yes", "--resend", "1")
    assert result.exit_code == 1
    assert "message 1 went to CSEE-2026-0007, who is not among the valid records of DATA" \
        in result.output
    assert len(server.received()) == 3
