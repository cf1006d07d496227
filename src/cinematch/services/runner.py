"""Runs a projector against an event source: poll, apply, then commit."""

from __future__ import annotations

import asyncio
import logging

from ..domain.ports import EventSource
from .projection import Projector, Report
from .retention import TrendRetention

log = logging.getLogger(__name__)


class ProjectionRunner:
    def __init__(self, source: EventSource, projector: Projector, *, batch_size: int = 5000,
                 poll_timeout: float = 0.5, retention: TrendRetention | None = None) -> None:
        self.source = source
        self.projector = projector
        self.retention = retention
        self.batch_size = batch_size
        self.poll_timeout = poll_timeout
        self.totals = Report()

    async def run_once(self, timeout: float | None = None) -> int:
        """One batch: returns the number of records handled (0 when idle)."""
        records = await self.source.poll(self.batch_size, self.poll_timeout if timeout is None else timeout)
        if not records:
            return 0
        report = await self.projector.apply_records(records)
        # Commit only after every write of the batch is durable: a crash before
        # this line replays the batch, and the hwm guards make that harmless.
        await self.source.commit(records)
        self.totals.events += report.events
        self.totals.applied += report.applied
        self.totals.dead_letters += report.dead_letters
        if self.retention is not None:
            await self.retention.prune_if_due()
        return len(records)

    async def drain(self) -> int:
        """Process until the source has nothing more right now."""
        total = 0
        while n := await self.run_once(timeout=0):
            total += n
        return total

    async def run_forever(self, stop: asyncio.Event) -> None:
        await self.source.start()
        try:
            while not stop.is_set():
                try:
                    await self.run_once()
                except asyncio.CancelledError:
                    raise
                except Exception:  # keep the projection alive; the batch is retried
                    log.exception("projection batch failed; retrying")
                    await self.source.rewind()
                    await asyncio.sleep(0.5)
        finally:
            await self.source.stop()
