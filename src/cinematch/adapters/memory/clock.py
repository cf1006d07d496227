from __future__ import annotations

import datetime as dt

from ...domain.deltas import DEFAULT_TZ, zone
from ...domain.ports import Clock


class FixedClock(Clock):
    """A clock tests move by hand."""

    def __init__(self, at: dt.datetime | None = None, tz: str = DEFAULT_TZ) -> None:
        self.at = at or dt.datetime(2025, 12, 31, 12, 0, tzinfo=zone(tz))

    def now(self) -> dt.datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += dt.timedelta(**delta)
