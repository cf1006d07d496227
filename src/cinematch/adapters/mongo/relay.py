"""The outbox relay: publishes the events stored in the diary documents, in seq
order per user, then records how far it got.

It learns which users wrote from `outbox_signals` (inserted by the writer after each
write) and, every `sweep_seconds` and at start, from a full comparison of each diary's
seq with the relay's progress: that catches a write whose signal was never stored
(the API killed between the two). It never writes a diary document (see
MongoDiaryStore for why).

Kafka down: the API keeps writing (it only touches MongoDB) and the relay retries
with backoff until the broker is back, then drains the backlog. A relay killed
between publishing and recording publishes those events again on restart; the
projections apply a repeated event once (its seq is not above the documents'
high-water marks).
"""

from __future__ import annotations

import asyncio
import logging
import time

from .stores import MongoDiaryStore

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(self, diary: MongoDiaryStore, publisher, batch_users: int = 500, idle_seconds: float = 0.05,
                 max_backoff: float = 5.0, sweep_seconds: float = 30.0) -> None:
        self.diary = diary
        self.publisher = publisher
        self.batch_users = batch_users
        self.idle_seconds = idle_seconds
        self.max_backoff = max_backoff
        self.sweep_seconds = sweep_seconds
        self.published = 0
        self._next_sweep = 0.0

    async def run_once(self) -> int:
        """Publish every pending event of the signalled users (up to `batch_users`
        signals), or of every user behind when a sweep is due; returns how many."""
        signals = await self.diary.signals(self.batch_users)
        users = {s["user"] for s in signals}
        now = time.monotonic()
        if now >= self._next_sweep:
            users.update(await self.diary.unsent())
            self._next_sweep = now + self.sweep_seconds
        # The signals were read before the diaries, so each diary read below already
        # holds the write its signal stands for.
        items, sent = [], {}
        for doc in await self.diary.outboxes(sorted(users)):
            pending = sorted((o for o in doc.get("outbox", []) if o["seq"] > doc["sent"]), key=lambda o: o["seq"])
            items += [(doc["_id"], bytes(o["payload"])) for o in pending]
            if pending:
                sent[doc["_id"]] = pending[-1]["seq"]
        if items:
            await self.publisher.publish_raw(items)  # returns when Kafka acknowledged all (acks=all)
        await self.diary.mark_sent(sent, [s["_id"] for s in signals])
        self.published += len(items)
        return len(items)

    async def run_forever(self, stop: asyncio.Event) -> None:
        backoff = 0.2
        started = False
        while not stop.is_set():
            try:
                if not started:
                    await self.publisher.start()
                    started = True
                n = await self.run_once()
                backoff = 0.2
                if n == 0:
                    await _sleep(stop, self.idle_seconds)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - broker or database down: retry, lose nothing
                log.warning("outbox relay: %s; retrying in %.1fs", exc, backoff)
                if started:
                    try:
                        await self.publisher.stop()
                    except Exception:  # noqa: BLE001
                        pass
                    started = False
                await _sleep(stop, backoff)
                backoff = min(backoff * 2, self.max_backoff)
        if started:
            await self.publisher.stop()


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass
