"""Forgetting trend facts that have left the window.

The global trends count an entry while its day is one of the last `window_days`
days (docs/contract.md §2). Counting already ignores older facts; deleting them keeps the
fact collection (and the window query) the size of the window instead of all
history: the seeds' trends never expired.

Deleting is safe beside a running projection: a fact that comes back (a late
event for an old entry, a replay) carries its old day, so it still does not
count, and the next prune deletes it again.
"""

from __future__ import annotations

import datetime as dt
import logging

from ...domain.deltas import DEFAULT_TZ, zone
from ...domain.ports import Clock, TrendStore
from ...domain.trends import window_start

log = logging.getLogger(__name__)


class TrendRetention:
    def __init__(self, *, trends: TrendStore, clock: Clock, tz: str = DEFAULT_TZ, window_days: int = 30,
                 every_seconds: float = 3600.0) -> None:
        self.trends = trends
        self.clock = clock
        self.tz = tz
        self.window_days = window_days
        self.every_seconds = every_seconds
        self._due: dt.datetime | None = None

    def cutoff(self) -> str:
        """Facts of days before this one are deleted. One day more than the window: a
        process whose clock runs behind must not lose a day it still counts."""
        today = self.clock.now().astimezone(zone(self.tz)).date()
        return window_start(today, self.window_days + 1)

    async def prune(self) -> int:
        """Delete the facts older than the cutoff; returns how many."""
        return await self.trends.prune(self.cutoff())

    async def prune_after_batch(self) -> int:
        """`prune` beside a running projection: logged, and a failure is logged and left to
        the next prune (aged-out facts do not count meanwhile)."""
        try:
            n = await self.prune()
        except Exception:  # noqa: BLE001 - any failure waits for the next prune; the projection goes on
            log.exception("pruning trend facts failed")
            return 0
        if n:
            log.info("pruned %d trend facts older than the window", n)
        return n

    async def prune_if_due(self) -> int:
        """`prune_after_batch` at most once every `every_seconds` (0 or less: never)."""
        if self.every_seconds <= 0:
            return 0
        now = self.clock.now()
        if self._due is not None and now < self._due:
            return 0
        self._due = now + dt.timedelta(seconds=self.every_seconds)
        return await self.prune_after_batch()
