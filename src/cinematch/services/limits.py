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


class LoginThrottle:
    """Sign-in failures per account and per client address, with a growing backoff.

    The first `free` failures of a key cost nothing; each one after that blocks the key for
    `base` seconds, doubled per further failure, up to `cap`. While a key is blocked,
    attempts are refused before any password is checked (no hashing work for an
    attacker to spend). A success clears the account's failures; a key is forgotten
    `forget` seconds after its last failure. Kept in this process (the embedded profile);
    at most `max_keys` keys, the oldest dropped first, so a flood of names cannot grow it.
    """

    def __init__(self, *, free_account: int = 5, free_client: int = 20, base: float = 1.0, cap: float = 900.0,
                 forget: float = 3600.0, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.free = {"account": free_account, "client": free_client}
        self.base, self.cap, self.forget, self.max_keys, self.clock = base, cap, forget, max_keys, clock
        self._state: collections.OrderedDict[tuple[str, str], tuple[int, float, float]] = collections.OrderedDict()

    @staticmethod
    def keys(account: str, client: str) -> list[tuple[str, str]]:
        return [("account", account)] + ([("client", client)] if client else [])

    def check(self, keys: list[tuple[str, str]]) -> None:
        now = self.clock()
        wait = 0.0
        for key in keys:
            state = self._state.get(key)
            if state is not None:
                wait = max(wait, state[1] - now)
        if wait > 0:
            raise RateLimited("signing in", wait)

    def failed(self, keys: list[tuple[str, str]]) -> None:
        now = self.clock()
        for key in keys:
            failures, _, last = self._state.pop(key, (0, 0.0, now))
            if now - last > self.forget:
                failures = 0
            failures += 1
            over = failures - self.free[key[0]]
            blocked_until = now + min(self.cap, self.base * 2 ** (over - 1)) if over > 0 else 0.0
            self._state[key] = (failures, blocked_until, now)
        while len(self._state) > self.max_keys:
            self._state.popitem(last=False)

    def succeeded(self, keys: list[tuple[str, str]]) -> None:
        self._state.pop(keys[0], None)
