"""The outbox relay: publishes the events stored in the diary documents, in seq
order per user, then records how far it got.

It learns which users wrote from `outbox_signals` (inserted by the writer after each
write) and, every `sweep_seconds` and at start, from a full comparison of each diary's
seq with the relay's progress: that catches a write whose signal was never stored
(the API killed between the two). It never writes a diary document (see
MongoDiaryStore for why).

Running, it publishes in groups: each turn takes the signalled users that no group is
publishing yet and hands them to a group of their own, while earlier groups are still
at work. A user is in one group at a time, so its events stay in seq order; and a large
import (a diary document of thousands of entries, a thousand events to send) holds back
only its own user, not the next person's single write. The sweep runs beside the groups
for the same reason: it reads every diary document.

Kafka down: the API keeps writing (it only touches MongoDB) and the relay retries
with backoff until the broker is back, then drains the backlog. A relay killed
between publishing and recording publishes those events again on restart; the
projections apply a repeated event once (its seq is not above the documents'
high-water marks).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Collection, Sequence
from typing import Any

from ...domain.ports import EventRelayTarget, Outbox

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(self, diary: Outbox, publisher: EventRelayTarget, batch_users: int = 500, idle_seconds: float = 0.05,
                 max_backoff: float = 5.0, sweep_seconds: float = 30.0, max_groups: int = 4) -> None:
        self.diary = diary
        self.publisher = publisher
        self.batch_users = batch_users
        self.idle_seconds = idle_seconds
        self.max_backoff = max_backoff
        self.sweep_seconds = sweep_seconds
        self.max_groups = max_groups  # groups publishing at once
        self.published = 0
        self._next_sweep = 0.0
        self._swept: set[str] = set()  # users the sweep found behind, not yet handed to a group
        self._busy: set[str] = set()  # users a group is publishing
        self._groups: set[asyncio.Task[Any]] = set()
        self._failure: BaseException | None = None

    async def run_once(self) -> int:
        """Publish every pending event of the signalled users (up to `batch_users`
        signals), or of every user behind when a sweep is due; returns how many."""
        signals = await self.diary.signals(self.batch_users)
        users = {s["user"] for s in signals}
        now = time.monotonic()
        if now >= self._next_sweep:
            users.update(await self.diary.unsent())
            self._next_sweep = now + self.sweep_seconds
        return await self._publish(users, [s["_id"] for s in signals])

    async def _publish(self, users: Collection[str], signal_ids: Sequence[Any]) -> int:
        """The pending events of `users`, then their progress and the handled signals."""
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
        await self.diary.mark_sent(sent, signal_ids)
        self.published += len(items)
        return len(items)

    async def run_forever(self, stop: asyncio.Event) -> None:
        backoff = 0.2
        started = False
        self._next_sweep = math.inf  # the sweeper below sweeps, beside the groups
        sweeper = asyncio.create_task(self._sweep_forever(stop))
        try:
            while not stop.is_set():
                try:
                    if not started:
                        await self.publisher.start()
                        started = True
                    n = await self._dispatch()
                    if self._failure is not None:
                        failure, self._failure = self._failure, None
                        raise failure
                    backoff = 0.2
                    if n == 0:
                        await _sleep(stop, self.idle_seconds)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - broker or database down: retry, lose nothing
                    log.warning("outbox relay: %s; retrying in %.1fs", exc, backoff)
                    await self._settle()
                    if started:
                        try:
                            await self.publisher.stop()
                        except Exception:  # noqa: BLE001 - a broken producer: a new one starts next turn
                            pass
                        started = False
                    await _sleep(stop, backoff)
                    backoff = min(backoff * 2, self.max_backoff)
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
            await self._settle()  # what is in flight finishes (SIGTERM loses and repeats nothing)
            if started:
                await self.publisher.stop()

    async def _dispatch(self) -> int:
        """Hand the users that wrote, and no group has, to a new group; how many users."""
        if len(self._groups) >= self.max_groups:
            await asyncio.wait(self._groups, return_when=asyncio.FIRST_COMPLETED)
        signals = await self.diary.signals(self.batch_users, skip_users=self._busy)
        users = {s["user"] for s in signals} | (self._swept - self._busy)
        if not users:
            return 0
        self._swept -= users
        self._busy |= users
        group = asyncio.create_task(self._publish(users, [s["_id"] for s in signals]))
        self._groups.add(group)
        group.add_done_callback(lambda task: self._ended(task, users))
        return len(users)

    def _ended(self, group: asyncio.Task[Any], users: set[str]) -> None:
        self._groups.discard(group)
        self._busy -= users
        if not group.cancelled() and group.exception() is not None:
            # Nothing of a failed group is lost: its signals were not dropped, and the
            # users the sweep found go back to be handed over again.
            self._swept |= users
            self._failure = self._failure or group.exception()

    async def _settle(self) -> None:
        """Wait for every group in flight to end."""
        if self._groups:
            await asyncio.gather(*self._groups, return_exceptions=True)

    async def _sweep_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                self._swept |= set(await self.diary.unsent())
            except Exception as exc:  # noqa: BLE001 - the database is down: the next sweep retries
                log.warning("outbox relay sweep: %s", exc)
            await _sleep(stop, self.sweep_seconds)


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass
