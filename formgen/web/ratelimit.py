"""Look-ups per client, limited: a token bucket per client address.

Each client may make ``burst`` look-ups at once and ``per_minute`` a minute after that;
one more is refused with the seconds to wait (the answer's ``Retry-After``).

:class:`RateLimiter` keeps the buckets in the process, for at most ``max_clients``
addresses, the least recently seen dropped first, so memory stays bounded whoever sends
what. :class:`SharedRateLimiter` keeps them in a PostgreSQL database that several servers
share (the table ``rate_limits``), so a client behind a load balancer meets one limit
whichever host answers it; :func:`limiter` chooses.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from formgen.database import DriverError, Location, connect
from formgen.database.shared import create_tables

log = logging.getLogger("formgen.web")


class Limiter(Protocol):
    def take(self, client: str) -> int:
        """0 when ``client`` may go on now (and it is counted), else the seconds to wait."""


class RateLimiter:
    """A token bucket per client."""

    def __init__(self, per_minute: float, burst: int | None = None, *,
                 max_clients: int = 10_000, clock: Callable[[], float] = time.monotonic):
        if per_minute <= 0:
            raise ValueError("per_minute must be positive")
        self.rate = per_minute / 60.0
        self.burst = float(burst if burst is not None else max(1, math.ceil(per_minute)))
        self.max_clients = max_clients
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, client: str) -> int:
        """0 when ``client`` may look up now (and it is counted), else the whole seconds
        to wait."""
        now = self.clock()
        with self._lock:
            tokens, then = self._buckets.pop(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - then) * self.rate)
            wait = 0 if tokens >= 1 else max(1, math.ceil((1 - tokens) / self.rate))
            self._buckets[client] = (tokens - 1 if wait == 0 else tokens, now)
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
        return wait


_TABLE = """CREATE TABLE IF NOT EXISTS rate_limits (
  bucket TEXT NOT NULL,
  client TEXT NOT NULL,
  due DOUBLE PRECISION NOT NULL,
  allowed BOOLEAN NOT NULL,
  PRIMARY KEY (bucket, client)
)"""

# One statement counts a look-up on every host at once (the generic cell rate algorithm):
# ``due`` is when the client's bucket is full again; a look-up is allowed when, counted,
# the bucket would not be overfull, i.e. max(due + T, now + T) <= now + burst × T (T: the
# seconds one look-up takes to come back). The database's clock is the one clock.
_TAKE = """
INSERT INTO rate_limits AS r (bucket, client, due, allowed)
VALUES (?, ?, EXTRACT(EPOCH FROM statement_timestamp()) + ?, TRUE)
ON CONFLICT (bucket, client) DO UPDATE SET
  allowed = GREATEST(r.due + ?, EXCLUDED.due) <= EXCLUDED.due + ?,
  due = CASE WHEN GREATEST(r.due + ?, EXCLUDED.due) <= EXCLUDED.due + ?
             THEN GREATEST(r.due + ?, EXCLUDED.due) ELSE r.due END
RETURNING allowed, due - EXTRACT(EPOCH FROM statement_timestamp())
"""
PURGE_EVERY = 60.0
"""Seconds between two removals of full buckets (rows no longer needed) by one process."""
APART_FOR = 30.0
"""Seconds a process counts on its own after the database could not be reached."""


class SharedRateLimiter:
    """A token bucket per client in a PostgreSQL database, shared by every server on it.

    When the database cannot be reached, this process's own buckets count, for
    :data:`APART_FOR` seconds before the database is tried again."""

    def __init__(self, location: Location, bucket: str, per_minute: float,
                 burst: int | None = None):
        if per_minute <= 0:
            raise ValueError("per_minute must be positive")
        self.location = location
        self.bucket = bucket
        self.interval = 60.0 / per_minute
        self.burst = int(burst if burst is not None else max(1, math.ceil(per_minute)))
        self.local = RateLimiter(per_minute, self.burst)
        self._ready = False
        self._purged = 0.0
        self._apart_until = 0.0

    def take(self, client: str) -> int:
        if time.monotonic() < self._apart_until:
            return self.local.take(client)
        t, slack = self.interval, (self.burst - 1) * self.interval
        try:
            with connect(self.location, timeout=2.0) as db:
                if not self._ready:
                    create_tables(db, [_TABLE])
                    self._ready = True
                row = db.one(_TAKE, (self.bucket, client, t, t, slack, t, slack, t))
                if time.monotonic() - self._purged > PURGE_EVERY:
                    self._purged = time.monotonic()
                    db.execute("DELETE FROM rate_limits WHERE due < "
                               "EXTRACT(EPOCH FROM statement_timestamp())")
        except DriverError as e:
            log.warning("look-ups counted on this host only for %ss: the database is %s",
                        APART_FOR, e.kind)
            self._apart_until = time.monotonic() + APART_FOR
            return self.local.take(client)
        assert row is not None
        allowed, ahead = bool(row[0]), float(row[1])
        return 0 if allowed else max(1, math.ceil(ahead - slack))


def limiter(database: Location | None, bucket: str, per_minute: float,
            burst: int | None = None) -> Limiter:
    """The limiter of ``bucket``: in ``database`` when it is PostgreSQL (shared by every
    server on it), else in this process."""
    if database is not None and database.is_postgres:
        return SharedRateLimiter(database, bucket, per_minute, burst)
    return RateLimiter(per_minute, burst)


PER_ADDRESS = 3
"""Links emailed an hour to one address (and at once), unless the app is told otherwise."""
PER_CLIENT = 3 * PER_ADDRESS
"""Links emailed an hour at the asking of one client address (and at once)."""


@dataclass
class MailLimits:
    """How often one address may be sent a link, and one client may ask for one."""

    per_address: Limiter
    per_client: Limiter
    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    """Keys the hash of each address counted (the same on every server sharing the limits)."""

    @classmethod
    def hourly(cls, per_address: int = PER_ADDRESS, per_client: int = PER_CLIENT, *,
               database: Location | None = None, key: bytes | None = None) -> MailLimits:
        """The limits an hour, in ``database`` when it is PostgreSQL (see :func:`limiter`),
        addresses hashed under ``key`` (default: a new random key)."""
        made = cls(limiter(database, "mail-address", per_address / 60, per_address),
                   limiter(database, "mail-client", per_client / 60, per_client))
        if key is not None:
            made.key = key
        return made

    def take(self, client: str, address: str) -> int:
        """0 when this message may go (and it is counted), else the seconds to wait."""
        wait = self.per_client.take(client)
        if wait:
            return wait
        digest = hmac.new(self.key, address.lower().encode("utf-8"), hashlib.sha256).hexdigest()
        return self.per_address.take(digest)
