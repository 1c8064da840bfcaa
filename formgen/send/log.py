"""The sent log: every message ``formgen send`` handed to a server, in its own SQLite file
(``OUT/sent.sqlite`` unless ``--log`` names another).

A row per message: the kind, the applicant, the recipient, its Message-ID, what it carried
(each attachment's name and SHA-256, or the link as the link store files it: the one-way
hash of its key, never the key), its size, when it was made and sent, and the server's
answer; every attempt's answer in ``attempts``. A message is ``prepared`` (its bytes kept
in the row) before the first attempt, then ``sent`` once the server answered 250 (its
bytes are then wiped) or ``failed`` when the server refused it or stayed unreachable.
Running the same command again skips the people whose message was sent and sends the
kept bytes of the others, so an interrupted batch is finished with the same Message-IDs.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from formgen import clock
from formgen.exceptions import FormgenError
from formgen.messages import msg

LOG_NAME = "sent.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  record_id TEXT NOT NULL,
  recipient TEXT NOT NULL,
  message_id TEXT NOT NULL,
  carried TEXT NOT NULL,
  size INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('prepared', 'sent', 'failed')),
  created TEXT NOT NULL,
  sent_at TEXT,
  answer TEXT NOT NULL DEFAULT '',
  body BLOB,
  resend_of INTEGER
);
CREATE INDEX IF NOT EXISTS messages_person ON messages (kind, record_id);
CREATE TABLE IF NOT EXISTS attempts (
  message INTEGER NOT NULL REFERENCES messages (id),
  at TEXT NOT NULL,
  answer TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Logged:
    """One message as the log keeps it."""

    id: int
    kind: str
    record_id: str
    recipient: str
    message_id: str
    carried: list[dict[str, Any]]
    size: int
    state: str
    created: str
    sent_at: str | None
    answer: str
    body: bytes | None
    resend_of: int | None


_COLUMNS = ("id, kind, record_id, recipient, message_id, carried, size, state, created, "
            "sent_at, answer, body, resend_of")


@contextmanager
def held(path: Path) -> Iterator[None]:
    """Hold the sent log at ``path`` for one run that sends, from its plan to its last
    message: a second run on the same log at the same time is refused, so that two runs
    never send one person the same message."""
    lock_path = path.with_name(path.name + ".lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as e:
        raise FormgenError(msg("send.log-unusable", path=str(lock_path), reason=str(e))) from e
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FormgenError(msg("send.log-busy", path=str(path))) from None
        yield
    finally:
        os.close(fd)


def _now() -> str:
    return clock.now().isoformat(timespec="seconds")


class SentLog:
    """The sent log at ``path`` (made on first use, permissions 0600); with ``create``
    False, a log that does not exist yet is read as empty and not made."""

    def __init__(self, path: Path, create: bool = True):
        self.path = path
        try:
            if not create and not path.exists():
                self._db = sqlite3.connect(":memory:", isolation_level=None)
                self._db.executescript(_SCHEMA)
                return
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=30, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # safe when the process is killed
            self._db.executescript(_SCHEMA)
            path.chmod(0o600)
        except (sqlite3.Error, OSError) as e:
            raise FormgenError(msg("send.log-unusable", path=str(path), reason=str(e))) from e

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> SentLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
            yield self._db
            self._db.execute("COMMIT")
        except sqlite3.Error as e:
            self._db.execute("ROLLBACK") if self._db.in_transaction else None
            raise FormgenError(msg("send.log-unusable", path=str(self.path), reason=str(e))) from e

    def _rows(self, where: str, params: tuple[object, ...], order: str = "id") -> list[Logged]:
        found = self._db.execute(f"SELECT {_COLUMNS} FROM messages WHERE {where} ORDER BY {order}",
                                 params).fetchall()
        return [Logged(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), *r[6:]) for r in found]

    def get(self, message: int) -> Logged | None:
        found = self._rows("id = ?", (message,))
        return found[0] if found else None

    def latest(self, kind: str, record_id: str) -> Logged | None:
        """The person's latest message of this kind, if any."""
        found = self._rows("kind = ? AND record_id = ?", (kind, record_id), "id DESC LIMIT 1")
        return found[0] if found else None

    def prepare(self, kind: str, record_id: str, recipient: str, message_id: str,
                carried: list[dict[str, Any]], body: bytes, resend_of: int | None = None) -> int:
        """Keep a message about to be sent; its id in the log."""
        with self._write() as db:
            cur = db.execute(
                "INSERT INTO messages (kind, record_id, recipient, message_id, carried, size, "
                "state, created, body, resend_of) VALUES (?, ?, ?, ?, ?, ?, 'prepared', ?, ?, ?)",
                (kind, record_id, recipient, message_id, json.dumps(carried, ensure_ascii=False),
                 len(body), _now(), body, resend_of))
            assert cur.lastrowid is not None
            return cur.lastrowid

    def attempt(self, message: int, answer: str) -> None:
        with self._write() as db:
            db.execute("INSERT INTO attempts (message, at, answer) VALUES (?, ?, ?)",
                       (message, _now(), answer))

    def sent(self, message: int, answer: str) -> None:
        """The server accepted it: its bytes are wiped (they may hold a link's key)."""
        with self._write() as db:
            at = _now()
            db.execute("INSERT INTO attempts (message, at, answer) VALUES (?, ?, ?)",
                       (message, at, answer))
            db.execute("UPDATE messages SET state = 'sent', sent_at = ?, answer = ?, body = NULL "
                       "WHERE id = ?", (at, answer, message))

    def failed(self, message: int, answer: str) -> None:
        with self._write() as db:
            db.execute("UPDATE messages SET state = 'failed', answer = ? WHERE id = ?",
                       (answer, message))

    def forget_body(self, message: int) -> None:
        """A kept message that will not be sent as it is (its recipient changed)."""
        with self._write() as db:
            db.execute("UPDATE messages SET body = NULL, state = 'failed', "
                       "answer = answer || ' (replaced)' WHERE id = ? AND state != 'sent'",
                       (message,))
