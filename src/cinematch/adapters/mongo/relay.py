"""The outbox relay: publishes the events stored in the diary documents, in seq
order per user, then marks them sent.

Kafka down: the API keeps writing (it only touches MongoDB) and the relay retries
with backoff until the broker is back, then drains the backlog. A relay killed
between publishing and marking publishes those events again on restart; the
projections apply a repeated event once (its seq is not above the documents'
high-water marks).
"""

from __future__ import annotations

import asyncio
import logging

from .stores import MongoDiaryStore

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(self, diary: MongoDiaryStore, publisher, batch_users: int = 500, idle_seconds: float = 0.05,
                 max_backoff: float = 5.0) -> None:
        self.diary = diary
        self.publisher = publisher
        self.batch_users = batch_users
        self.idle_seconds = idle_seconds
        self.max_backoff = max_backoff
        self.published = 0

    async def run_once(self) -> int:
        """Publish every pending event of up to `batch_users` users; returns how many."""
        docs = await self.diary.pending(self.batch_users)
        items, marks = [], []
        for doc in docs:
            pending = sorted((o for o in doc.get("outbox", []) if o["seq"] > doc.get("sent", 0)),
                             key=lambda o: o["seq"])
            items += [(doc["_id"], bytes(o["payload"])) for o in pending]
            marks.append((doc["_id"], doc["seq"], pending[-1]["seq"] if pending else doc.get("sent", 0)))
        if items:
            await self.publisher.publish_raw(items)  # returns when Kafka acknowledged all (acks=all)
        for user_id, doc_seq, sent in marks:
            await self.diary.mark_sent(user_id, doc_seq, sent)
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
