"""Rate limits and the recommendation errors the web layer maps to 4xx (kept free of the
ML imports, so the app and the CLI start fast)."""

from __future__ import annotations

import collections
import time
from collections.abc import Callable


class RateLimited(Exception):
    def __init__(self, what: str, retry_after: float) -> None:
        super().__init__(f"{what} is rate limited; retry in {int(retry_after) + 1} s")
        self.retry_after = int(retry_after) + 1


class NotTrained(Exception):
    """Nothing to train on, or no model yet where one is needed."""


class RateLimit:
    """At most `limit` calls per `per_seconds` (a sliding log; per process)."""

    def __init__(self, what: str, limit: int, per_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.what, self.limit, self.per_seconds, self.clock = what, limit, per_seconds, clock
        self._log: collections.deque[float] = collections.deque()

    def take(self) -> None:
        now = self.clock()
        while self._log and now - self._log[0] >= self.per_seconds:
            self._log.popleft()
        if len(self._log) >= self.limit:
            raise RateLimited(self.what, self.per_seconds - (now - self._log[0]))
        self._log.append(now)
