"""Look-ups per client, limited: a token bucket per client address.

Each client may make ``burst`` look-ups at once and ``per_minute`` a minute after that;
one more is refused with the seconds to wait (the answer's ``Retry-After``). Buckets are
kept for at most ``max_clients`` addresses, the least recently seen dropped first, so
memory stays bounded whoever sends what.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field


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


PER_ADDRESS = 3
"""Links emailed an hour to one address (and at once), unless the app is told otherwise."""
PER_CLIENT = 3 * PER_ADDRESS
"""Links emailed an hour at the asking of one client address (and at once)."""


@dataclass
class MailLimits:
    """How often one address may be sent a link, and one client may ask for one."""

    per_address: RateLimiter
    per_client: RateLimiter
    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    """Keys the hash of each address counted; made afresh with each app."""

    @classmethod
    def hourly(cls, per_address: int = PER_ADDRESS, per_client: int = PER_CLIENT) -> MailLimits:
        return cls(RateLimiter(per_address / 60, per_address), RateLimiter(per_client / 60, per_client))

    def take(self, client: str, address: str) -> int:
        """0 when this message may go (and it is counted), else the seconds to wait."""
        wait = self.per_client.take(client)
        if wait:
            return wait
        digest = hmac.new(self.key, address.lower().encode("utf-8"), hashlib.sha256).hexdigest()
        return self.per_address.take(digest)
