"""The limits' memory in this process (the embedded profile: one process serves)."""

from __future__ import annotations

import collections
from collections.abc import Sequence

from ...domain.ports import LimitStore


class MemoryLimitStore(LimitStore):
    """At most `max_keys` throttle keys, the least recently failed dropped first, so a flood
    of names cannot grow it."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self.max_keys = max_keys
        self._uses: dict[str, collections.deque[float]] = {}
        self._failures: collections.OrderedDict[str, collections.deque[float]] = collections.OrderedDict()
        self._blocks: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self._failures)

    async def use(self, what: str, limit: int, per_seconds: float, now: float) -> float:
        log = self._uses.setdefault(what, collections.deque())
        while log and now - log[0] >= per_seconds:
            log.popleft()
        if len(log) >= limit:
            return per_seconds - (now - log[-limit])
        log.append(now)
        return 0.0

    async def blocked_until(self, keys: Sequence[str]) -> float:
        return max((self._blocks.get(k, 0.0) for k in keys), default=0.0)

    async def failure(self, key: str, now: float, forget: float) -> int:
        times = self._failures.pop(key, None) or collections.deque()
        while times and times[0] <= now - forget:
            times.popleft()
        if not times:  # the earlier ones were forgotten: so are their blocks
            self._blocks.pop(key, None)
        times.append(now)
        self._failures[key] = times
        while len(self._failures) > self.max_keys:
            dropped, _ = self._failures.popitem(last=False)
            self._blocks.pop(dropped, None)
        return len(times)

    async def block(self, key: str, until: float) -> None:
        self._blocks[key] = max(self._blocks.get(key, 0.0), until)

    async def clear(self, key: str) -> None:
        self._failures.pop(key, None)
        self._blocks.pop(key, None)
