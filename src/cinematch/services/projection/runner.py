"""Runs a projector against an event source: poll, apply, then commit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Protocol

from ...domain.ports import EventSource, Record, StoreUnavailable
from .projector import Report
from .retention import TrendRetention

log = logging.getLogger(__name__)
MAX_BACKOFF = 30.0


class BatchProjector(Protocol):
    """What a runner drives: the diary's `Projector`, or the feedback's (services/feedback.py)."""

    async def apply_records(self, records: Sequence[Record]) -> Report: ...


class ProjectionRunner:
    def __init__(self, source: EventSource, projector: BatchProjector, *, batch_size: int = 5000,
                 poll_timeout: float = 0.5, retention: TrendRetention | None = None) -> None:
        self.source = source
        self.projector = projector
        self.retention = retention
        self.batch_size = batch_size
        self.poll_timeout = poll_timeout
        self.totals = Report()
        self.failures = 0  # batches failed in a row
        self.problem: str | None = None  # why the last batch failed, while it keeps failing

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

    def backoff(self) -> float:
        """Seconds to wait after the `failures`-th failure in a row: 0.5 s, doubling, at most 30 s."""
        return min(MAX_BACKOFF, 0.5 * 2.0 ** (self.failures - 1))

    async def run_forever(self, stop: asyncio.Event) -> None:
        await self.source.start()
        try:
            while not stop.is_set():
                try:
                    await self.run_once()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # keep the projection alive; the batch is retried
                    self.failures += 1
                    self.problem = getattr(exc, "reason", None) or f"{type(exc).__name__}: {exc}"[:300]
                    delay = self.backoff()
                    understood = isinstance(exc, StoreUnavailable)  # its reason says it all: no traceback
                    if self.failures == 1 and not understood:
                        log.exception("projection batch failed (%s); retrying in %.1f s", self.problem, delay)
                    else:
                        log.error("projection batch failed %d time%s in a row (%s); retrying in %.1f s",
                                  self.failures, "s" if self.failures > 1 else "", self.problem, delay)
                    await self.source.rewind()
                    try:
                        await asyncio.wait_for(stop.wait(), delay)
                    except TimeoutError:
                        pass
                else:
                    if self.failures:
                        log.info("projection is making progress again after %d failed batches", self.failures)
                    self.failures, self.problem = 0, None
        finally:
            await self.source.stop()
