"""Token-bucket rate limits per account and per IP address, kept in the server's memory.

In memory on purpose: a limit is checked on every upload and login, and a
database write per check would cost more than the abuse it stops. Each server
process limits on its own, so N processes allow up to N times a limit; an
admin's persistent measures (blocking an account, lowering its upload limit)
are stored with the account and hold everywhere.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

#: Buckets kept before idle (full) ones are forgotten, bounding memory under a flood of addresses.
_MAX_BUCKETS = 100_000


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    """`allow(key, per_minute)` spends one token of the key's bucket if it has one."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, per_minute: float, burst: float | None = None, *, spend: bool = True) -> float | None:
        """None if allowed, else the seconds to wait before the next attempt can succeed.

        The bucket holds `burst` tokens (default: one minute's worth) and refills
        at `per_minute`; a limit of 0 refuses everything. With `spend` False
        the bucket is only looked at (a login checks its failure buckets first
        and spends from them only when the password was wrong).
        """
        if per_minute <= 0:
            return 3600.0
        capacity = max(1.0, burst if burst is not None else per_minute)
        rate = per_minute / 60.0
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= _MAX_BUCKETS:
                    self._forget_full(now)
                bucket = self._buckets[key] = _Bucket(capacity, now)
            bucket.tokens = min(capacity, bucket.tokens + (now - bucket.stamp) * rate)
            bucket.stamp = now
            if bucket.tokens >= 1.0:
                if spend:
                    bucket.tokens -= 1.0
                return None
            return (1.0 - bucket.tokens) / rate

    def _forget_full(self, now: float) -> None:
        """Drop buckets idle long enough to have refilled: forgetting them changes nothing."""
        idle = [key for key, bucket in self._buckets.items() if now - bucket.stamp > 3600]
        for key in idle or list(self._buckets)[: len(self._buckets) // 2]:
            del self._buckets[key]
