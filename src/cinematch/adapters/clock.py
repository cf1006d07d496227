"""The production clock: the system's time in the configured zone (tests use
`adapters.memory.FixedClock`)."""

from __future__ import annotations

import datetime as dt

from ..domain.deltas import DEFAULT_TZ, zone
from ..domain.ports import Clock


class SystemClock(Clock):
    def __init__(self, tz: str = DEFAULT_TZ) -> None:
        self.tz = tz

    def now(self) -> dt.datetime:
        return dt.datetime.now(zone(self.tz))
