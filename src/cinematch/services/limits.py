"""Rate limits and the recommendation errors the web layer maps to 4xx (kept free of the
ML imports, so the app and the CLI start fast)."""

from __future__ import annotations

import time
from collections.abc import Callable

from ..domain.messages import N_
from ..domain.ports import LimitStore


class RateLimited(Exception):
    def __init__(self, what: str, retry_after: float) -> None:
        super().__init__(N_("{what} is rate limited; retry in {seconds} s").format(
            what=what, seconds=int(retry_after) + 1))
        self.retry_after = int(retry_after) + 1


class NotTrained(Exception):
    """Nothing to train on, or no model yet where one is needed."""


class RateLimit:
    """At most `limit` calls per `per_seconds` (a sliding window), remembered by `store` (this
    process's on the embedded profile, the shared database's where several processes serve)."""

    def __init__(self, what: str, limit: int, per_seconds: float, store: LimitStore,
                 clock: Callable[[], float] = time.time) -> None:
        self.what, self.limit, self.per_seconds, self.clock = what, limit, per_seconds, clock
        self.store = store

    async def take(self) -> None:
        wait = await self.store.use(self.what, self.limit, self.per_seconds, self.clock())
        if wait > 0:
            raise RateLimited(self.what, wait)


class LoginThrottle:
    """Sign-in failures per account and per client address, with a growing backoff.

    The first `free` failures of a key cost nothing; each one after that blocks the key for
    `base` seconds, doubled per further failure, up to `cap`. While a key is blocked,
    attempts are refused before any password is checked (no hashing work for an
    attacker to spend). A success clears the account's failures; a key's failures are
    forgotten `forget` seconds after its last one. The counts live in `store` (this
    process's on the embedded profile; the shared database's on the kafka and spark ones), which
    bounds how many keys it keeps, so a flood of names cannot grow it.
    """

    def __init__(self, store: LimitStore, *, free_account: int = 5, free_client: int = 20,
                 base: float = 1.0, cap: float = 900.0, forget: float = 3600.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.free = {"account": free_account, "client": free_client}
        self.base, self.cap, self.forget, self.clock = base, cap, forget, clock

    @staticmethod
    def keys(account: str, client: str) -> list[str]:
        return [f"account:{account}"] + ([f"client:{client}"] if client else [])

    async def check(self, keys: list[str]) -> None:
        wait = await self.store.blocked_until(keys) - self.clock()
        if wait > 0:
            raise RateLimited(N_("signing in"), wait)

    async def failed(self, keys: list[str]) -> None:
        now = self.clock()
        for key in keys:
            failures = await self.store.failure(key, now, self.forget)
            over = failures - self.free[key.split(":", 1)[0]]
            if over > 0:
                await self.store.block(key, now + min(self.cap, self.base * 2 ** (over - 1)))

    async def succeeded(self, keys: list[str]) -> None:
        await self.store.clear(keys[0])

