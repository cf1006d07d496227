"""Feedback on recommendations as events (docs/contract.md §5), projected like the diary's.

- `FeedbackProjector` folds feedback events into each user's signals (`domain.feedback`), the
  same code in every runtime: in process on the embedded profile, the Kafka worker's second
  runner, the Spark job's feedback query. Signals are inserted only when absent, so a batch
  replayed after a kill, or published twice, counts once.
- Where the web app sends them: `InProcessFeedback` folds at once (embedded); `StreamedFeedback`
  publishes to the feedback topic (kafka, spark) and answers once the broker has them.
- `Feedback` is what the web layer calls: record a person's action or the films a list showed,
  and read the films a person waved away.
"""

from __future__ import annotations

import asyncio
import collections
import zoneinfo
from collections.abc import Sequence
from typing import Protocol

import msgspec

from ..domain.events import InvalidEvent
from ..domain.feedback import (
    ACTIONS, HIDING, FeedbackEvent, decode_feedback, feedback_event, hidden_films, signals_by_user,
)
from ..domain.ports import (
    Clock, DeadLetter, DeadLetterStore, EventRelayTarget, ItemStore, Record, StoreUnavailable,
)
from .projection import Report

SHOWN_REMEMBERED = 50_000  # (user, day, film) impressions this process knows are recorded


class FeedbackProjector:
    """Feedback events into signals; `apply_records` serves `ProjectionRunner` as the diary's does."""

    def __init__(self, *, store: ItemStore, dismissed: ItemStore, dead_letters: DeadLetterStore, clock: Clock,
                 tz: str) -> None:
        # Impressions and clicks in `store`; the films waved away apart, in `dismissed`, as every
        # list reads them and they stay few.
        self.store, self.dismissed, self.dead_letters, self.clock = store, dismissed, dead_letters, clock
        self.tz = zoneinfo.ZoneInfo(tz)

    async def apply_records(self, records: Sequence[Record]) -> Report:
        events: list[FeedbackEvent] = []
        dead: list[DeadLetter] = []
        for r in records:
            try:
                events.append(decode_feedback(r.payload))
            except InvalidEvent as exc:
                # A dead letter's key is its source position: the feedback topic's are told apart
                # from the diary topic's by a negative partition (-1 - partition).
                dead.append(DeadLetter(payload=r.payload.decode("utf-8", "replace")[:10_000], reason=exc.reason,
                                       partition=-1 - r.partition, position=r.position,
                                       at=self.clock.now().isoformat(timespec="seconds")))
        if dead:
            await self.dead_letters.add(dead)
        applied, users = await self.apply_events(events)
        return Report(events=len(records), applied=applied, dead_letters=len(dead), users=users)

    async def apply_events(self, events: Sequence[FeedbackEvent]) -> tuple[int, int]:
        """(signals new to the store, users): each user's signals in one write."""
        written = 0
        by_user = signals_by_user(events, self.tz)
        for user_id, signals in by_user.items():
            shown = [s for s in signals if s.kind not in HIDING]
            if shown:
                written += await self.store.put(user_id, shown, only_new=True)
            if len(shown) < len(signals):
                written += await self.dismissed.put(user_id, [s for s in signals if s.kind in HIDING], only_new=True)
        return written, len(by_user)


class FeedbackSink(Protocol):
    async def record(self, events: Sequence[FeedbackEvent]) -> None: ...


class InProcessFeedback:
    """The embedded profile: the fold runs in the request (one store write per user)."""

    def __init__(self, projector: FeedbackProjector) -> None:
        self.projector = projector

    async def record(self, events: Sequence[FeedbackEvent]) -> None:
        await self.projector.apply_events(events)


class StreamedFeedback:
    """The kafka and spark profiles: onto the feedback topic, key = user_id (acks=all)."""

    def __init__(self, publisher: EventRelayTarget) -> None:
        self.publisher = publisher
        self._starting = asyncio.Lock()  # two first requests at once connect one producer
        self._started = False

    async def record(self, events: Sequence[FeedbackEvent]) -> None:
        try:
            if not self._started:
                async with self._starting:
                    if not self._started:
                        await self.publisher.start()
                        self._started = True
            await self.publisher.publish_raw([(e.user_id, msgspec.json.encode(e)) for e in events])
        except StoreUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever the broker's client raised: it did not take them
            # Not recorded, so not answered as if it were: a 503 the client may retry (signals
            # are kept once however often they are sent).
            raise StoreUnavailable(f"the event broker does not take feedback now ({type(exc).__name__})",
                                   retry_after=5) from exc

    async def stop(self) -> None:
        self._started = False
        await self.publisher.stop()


class Feedback:
    """What the web layer asks of feedback."""

    def __init__(self, *, sink: FeedbackSink, projector: FeedbackProjector, clock: Clock) -> None:
        self.sink, self.projector, self.store, self.clock = sink, projector, projector.store, clock
        self._shown: collections.OrderedDict[tuple[str, str, str, str], None] = collections.OrderedDict()

    async def act(self, user_id: str, movie_id: str, action: str, experiment: str = "", variant: str = "") -> None:
        """A click, "not interested" or "seen" on a recommended film. A film waved away is kept
        before the answer (the next list, from any process, leaves it out, whatever the stream's
        lag); the stream's copy of the same signal then changes nothing."""
        event = feedback_event(ACTIONS[action], user_id, movie_id, self.clock.now(), experiment, variant)
        if action in HIDING:
            await self.projector.apply_events([event])
        await self.sink.record([event])

    async def shown(self, user_id: str, movie_ids: Sequence[str], experiment: str = "", variant: str = "") -> None:
        """A list was shown: one impression per film and day (this process skips what it has
        recorded already today; the store would keep only the first anyway)."""
        now = self.clock.now()
        day = now.date().isoformat()
        new = [m for m in dict.fromkeys(movie_ids) if (user_id, experiment, day, m) not in self._shown]
        if not new:
            return
        await self.sink.record([feedback_event("IMPRESSION", user_id, m, now, experiment, variant) for m in new])
        for m in new:
            self._shown[(user_id, experiment, day, m)] = None
        while len(self._shown) > SHOWN_REMEMBERED:
            self._shown.popitem(last=False)

    async def hidden(self, user_id: str) -> set[str]:
        """The films this user marked not interested or seen: never recommended again."""
        return hidden_films(await self.projector.dismissed.all(user_id))
