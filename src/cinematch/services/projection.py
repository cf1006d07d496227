"""The projection: folds a batch of events into one guarded update per document.

Idempotency: every event carries the user's diary `seq`. Every projected
document keeps the highest seq it has absorbed (`hwm`). An event reaches a
document only when its seq is above that document's hwm, and the hwm moves in
the same single-document update as the counters. So a batch replayed after a
crash, a batch cut differently on replay, or an event published twice by the
outbox relay changes nothing the second time, in every runtime.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import msgspec

from ..domain.deltas import DEFAULT_TZ, AffKey, UserDelta, apply_event
from ..domain.events import Event, InvalidEvent, decode_event
from ..domain.ports import (
    AffinityStore, AffinityWrite, Clock, DeadLetter, DeadLetterStore, DiaryStore, Record,
    StatsStore, StatsWrite, TrendStore,
)
from ..domain.stats import StatsState, affinity_documents, affinity_id, apply_stats_delta, compute_user_delta
from .columnar import fold_batch, paused_gc

log = logging.getLogger(__name__)


class Report(msgspec.Struct):
    events: int = 0
    applied: int = 0
    dead_letters: int = 0
    users: int = 0


def decode_records(records: Sequence[Record], now: str) -> tuple[list[Event], list[DeadLetter]]:
    """Decode and validate a batch; what fails becomes a dead letter with its reason."""
    events: list[Event] = []
    dead: list[DeadLetter] = []
    with paused_gc():
        for record in records:
            try:
                events.append(decode_event(record.payload))
            except InvalidEvent as exc:
                dead.append(DeadLetter(
                    payload=record.payload.decode("utf-8", "replace"), reason=exc.reason,
                    partition=record.partition, position=record.position, at=now,
                ))
    return events, dead


def order_user_events(events: list[Event]) -> list[Event]:
    """Drop repeats: an event whose seq is not above the last one seen is a
    duplicate (outbox re-publish) or a replay inside the same batch."""
    out: list[Event] = []
    last = 0
    for event in events:
        if event.seq is not None:
            if event.seq <= last:
                continue
            last = event.seq
        out.append(event)
    return out


def stats_write(user_id: str, delta: UserDelta, hwm: int, last: int, now: str) -> StatsWrite:
    """Where a user's delta becomes the guarded statistics write: it expects the mark the
    document was read at (0: absent) and moves it to `last`, the user's newest seq."""
    return StatsWrite(
        user_id=user_id, expected_hwm=hwm, new_hwm=max(last, hwm),
        total=delta.stats.total, sum_ratings=delta.stats.sum_ratings,
        watch_time=delta.stats.watch_time, dist=list(delta.stats.dist),
        monthly={m: n for m, n in delta.stats.monthly.items() if n}, updated_at=now,
    )


def affinity_writes(user_id: str, delta: UserDelta, hwms: dict[AffKey, int], last: int,
                    now: str) -> list[AffinityWrite]:
    """The guarded affinity writes of a user's delta, one per name it moves (marks as above)."""
    writes = []
    for key, aff in delta.affinities.items():
        if aff.count == 0 and aff.sum_ratings == 0:
            continue  # nothing to add; skipping keeps replays correct too
        h = hwms.get(key, 0)
        writes.append(AffinityWrite(
            id=affinity_id(user_id, *key), user_id=user_id, type=key[0], name_key=key[1],
            name=aff.name, count=aff.count, sum_ratings=aff.sum_ratings,
            expected_hwm=h, new_hwm=max(last, h), updated_at=now,
        ))
    return writes


class Projector:
    """Folds events into the projections it owns.

    A store given as None is a projection this projector does not own: the Spark
    runtime runs the user statistics and affinities in one streaming query and the
    trends in another (its own trigger and watermark), each with its own projector.
    """

    def __init__(
        self, *, diary: DiaryStore, stats: StatsStore | None, affinities: AffinityStore | None,
        trends: TrendStore | None, dead_letters: DeadLetterStore, clock: Clock, tz: str = DEFAULT_TZ,
    ) -> None:
        self.diary = diary
        self.stats = stats
        self.affinities = affinities
        self.trends = trends
        self.dead_letters = dead_letters
        self.clock = clock
        self.tz = tz

    async def apply_records(self, records: Sequence[Record]) -> Report:
        now = self.clock.now().isoformat()
        events, dead = decode_records(records, now)
        if dead:
            for letter in dead:
                log.warning("dead letter at %s/%s: %s", letter.partition, letter.position, letter.reason)
            await self.dead_letters.add(dead)
        report = await self.apply_events(events)
        report.dead_letters = len(dead)
        report.events += len(dead)
        return report

    async def apply_events(self, events: Sequence[Event]) -> Report:
        now = self.clock.now().isoformat()
        by_user: dict[str, list[Event]] = {}
        for event in events:
            by_user.setdefault(event.user_id, []).append(event)
        incremental: dict[str, list[Event]] = {}
        recalculations: dict[str, list[Event]] = {}
        for user_id, user_events in by_user.items():
            user_events = order_user_events(user_events)
            last_recalc = max((i for i, e in enumerate(user_events) if e.event_type == "RECALCULATE"), default=-1)
            if last_recalc >= 0:
                recalculations[user_id] = user_events[last_recalc + 1:]
            else:
                incremental[user_id] = user_events
        applied = await self._incremental(incremental, now)
        for user_id, tail in recalculations.items():
            await self.recalculate(user_id, tail, now)
            applied += len(tail) + 1
        return Report(events=len(events), applied=applied, users=len(by_user))

    def _guarded_fold(self, user_id: str, events: Sequence[Event], stats_hwm: int,
                      aff_hwms: dict[AffKey, int]) -> UserDelta:
        """Fold only what each document has not absorbed yet (replay after a crash)."""
        delta = UserDelta(user_id)
        floor = min([stats_hwm, *aff_hwms.values()])
        for event in events:
            seq = event.seq
            if seq is None:
                apply_event(delta, event, self.tz)
            elif seq > floor:
                apply_event(delta, event, self.tz, stats=seq > stats_hwm,
                            affinity_filter=lambda key, s=seq: s > aff_hwms.get(key, 0))
        return delta

    async def _incremental(self, by_user: dict[str, list[Event]], now: str) -> int:
        if not by_user:
            return 0
        # Fast path: nothing of this batch is stored yet (checked against the hwms below).
        deltas = fold_batch([e for evs in by_user.values() for e in evs], self.tz,
                            affinities=self.affinities is not None, facts=self.trends is not None).user_deltas()
        stats_hwms = await self.stats.hwms(list(deltas)) if self.stats else {}
        aff_ids = ({(u, key): affinity_id(u, *key) for u, d in deltas.items() for key in d.affinities}
                   if self.affinities else {})
        aff_hwms = await self.affinities.hwms(list(aff_ids.values()), list(deltas)) if aff_ids else {}

        stats_writes: list[StatsWrite] = []
        aff_writes: list[AffinityWrite] = []
        facts = []
        applied = 0
        for user_id, delta in deltas.items():
            s_hwm = stats_hwms.get(user_id, 0)
            user_aff = {k: aff_hwms.get(aff_ids[(user_id, k)], 0) for k in delta.affinities} if aff_ids else {}
            if delta.first_seq is not None and max([s_hwm, *user_aff.values()]) >= delta.first_seq:
                # Part of this batch is already stored (replay after a crash).
                delta = self._guarded_fold(user_id, by_user[user_id], s_hwm, user_aff)
            applied += delta.events
            last = delta.last_seq or 0
            if self.stats:
                stats_writes.append(stats_write(user_id, delta, s_hwm, last, now))
            if self.affinities:
                aff_writes += affinity_writes(user_id, delta, user_aff, last, now)
            facts.extend(delta.trends.values())
        # Stats last: its hwm is what `sync` compares with the diary version.
        if facts and self.trends:
            await self.trends.apply(facts)
        if aff_writes:
            await self.affinities.apply(aff_writes)
        if stats_writes:
            await self.stats.apply(stats_writes)
        return applied

    async def recalculate(self, user_id: str, tail: Sequence[Event] = (), now: str | None = None) -> None:
        """Full recompute from the diary, then the events that came after it."""
        now = now or self.clock.now().isoformat()
        entries, version = await self.diary.snapshot(user_id)
        delta = compute_user_delta(user_id, entries, self.tz)
        for fact in delta.trends.values():
            fact.seq = version
        hwm = version
        for event in tail:
            if event.seq is None or event.seq > version:
                apply_event(delta, event, self.tz)
                hwm = max(hwm, event.seq or 0)
        state = apply_stats_delta(StatsState(user_id=user_id, hwm=hwm, updated_at=now), delta.stats)
        docs = affinity_documents(user_id, delta.affinities, hwm, now)
        if self.trends:
            await self.trends.replace_user(user_id, list(delta.trends.values()), hwm)
        if self.affinities:
            await self.affinities.replace_user(user_id, docs, hwm)
        if self.stats:
            await self.stats.replace(state)
