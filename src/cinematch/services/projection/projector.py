"""The projection: folds a batch of events into one guarded update per document.

Idempotency: every event carries the user's diary `seq`. Every projected
document keeps the highest seq it has absorbed (`hwm`). An event reaches a
document only when its seq is above that document's hwm, and the hwm moves in
the same single-document update as the counters. So a batch replayed after a
crash, a batch cut differently on replay, or an event published twice by the
outbox relay changes nothing the second time, in every runtime.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from itertools import repeat
from operator import attrgetter
from typing import Any

import msgspec
import numpy as np

from ...domain.deltas import DEFAULT_TZ, UserDelta, apply_event
from ...domain.profiles import AffKey
from ...domain.events import Event, InvalidEvent
from ...domain.ports import (
    AffinityStore, AffinityWrite, Clock, DeadLetter, DeadLetterStore, DiaryStore, Record, StatsStore, StatsWrite,
    TrendStore, UserStore,
)
from ...domain.stats import StatsState, affinity_documents, apply_stats_delta, recompute
from .batch import BatchDelta, paused_gc
from .caches import FoldCache
from .columns import Columns, Decoded, Decoding
from .fold import Fold, fold_batch
from .wire import Wire, as_domain, decode_wire

log = logging.getLogger(__name__)
LIGHT_USER_EVENTS = 100  # a user with more events in a batch is written after the others
_event_type = attrgetter("event_type")
_payload = attrgetter("payload")


class Report(msgspec.Struct):
    events: int = 0
    applied: int = 0
    dead_letters: int = 0
    users: int = 0


def decode_records(records: Sequence[Record], now: str, cache: FoldCache, *, entries: bool = True,
                   ) -> tuple[Decoded, list[DeadLetter]]:
    """Decode and validate a batch into wire events (`services.projection.wire`: the credits stay raw
    JSON); what fails becomes a dead letter with its reason.

    A chunk at a time: the fold's columns are read from each chunk right after it is
    decoded, while it is still in the CPU cache (`columns.Columns`; `entries=False`
    leaves out the entry keys, which only trend facts need)."""
    cache.trim()  # a batch boundary: no profile id of an earlier batch is held any more
    decoding = Decoding(cache, entries)
    dead: list[DeadLetter] = []
    step = Columns.CHUNK
    with paused_gc():
        for start in range(0, len(records), step):
            chunk = records[start:start + step]
            try:
                wire = decode_wire(map(_payload, chunk), cache)
            except InvalidEvent:  # one by one, to keep the good ones and say what is wrong
                wire = Wire([], [], [])
                for record in chunk:
                    try:
                        one = decode_wire((record.payload,), cache)
                    except InvalidEvent as exc:
                        dead.append(DeadLetter(
                            payload=record.payload.decode("utf-8", "replace"), reason=exc.reason,
                            partition=record.partition, position=record.position, at=now,
                        ))
                    else:
                        for part, more in zip(wire, one):
                            part += more
            decoding.extend(wire)
    return decoding.done(), dead


async def _no_marks() -> dict[Any, int]:
    return {}


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


def _newer_than(seq: int, marks: dict[AffKey, int], default: int) -> Callable[[AffKey], bool]:
    """Whether an affinity key's document has not absorbed `seq` yet (a key without one has
    absorbed up to `default`, the statistics' mark)."""
    return lambda key: seq > marks.get(key, default)


class Projector:
    """Folds events into the projections it owns.

    A store given as None is a projection this projector does not own: the Spark
    runtime runs the user statistics and affinities in one streaming query and the
    trends in another (its own trigger and watermark), each with its own projector.
    """

    def __init__(
        self, *, diary: DiaryStore, stats: StatsStore | None, affinities: AffinityStore | None,
        trends: TrendStore | None, dead_letters: DeadLetterStore, clock: Clock, tz: str = DEFAULT_TZ,
        users: UserStore | None = None, cache: FoldCache | None = None, fold: Fold = fold_batch,
    ) -> None:
        self.cache = FoldCache() if cache is None else cache  # the fold's memory, this projector's alone
        self.fold = fold  # `fold.fold_batch`, or `reference_fold` (its definition, for the tests)
        self.users = users  # to find deleted accounts (`forget_purged`)
        self.diary = diary
        self.stats = stats
        self.affinities = affinities
        self.trends = trends
        self.dead_letters = dead_letters
        self.clock = clock
        self.tz = tz

    def decode(self, records: Sequence[Record], now: str = "") -> tuple[Decoded, list[DeadLetter]]:
        """`decode_records` with this projector's cache, keeping what its projections need."""
        return decode_records(records, now, self.cache, entries=self.trends is not None)

    async def apply_records(self, records: Sequence[Record]) -> Report:
        now = self.clock.now().isoformat()
        decoded, dead = self.decode(records, now)
        if dead:
            for letter in dead:
                log.warning("dead letter at %s/%s: %s", letter.partition, letter.position, letter.reason)
            await self.dead_letters.add(dead)
        report = await self.apply_events(decoded.events, decoded.columns)
        report.dead_letters = len(dead)
        report.events += len(dead)
        return report

    async def apply_events(self, events: Sequence[Event], columns: Columns | None = None) -> Report:
        """Project validated events; `columns`: theirs, read while decoding (`Decoded`)."""
        report = await self._apply_events(events, columns)
        if events and self.users is not None:
            await self.forget_purged({e.user_id for e in events})
        return report

    async def forget_purged(self, user_ids: set[str]) -> None:
        """Remove what this batch wrote for accounts deleted meanwhile (their events were
        still on the way): checked after the writes, so a deletion that ran during the
        batch is seen too (services/purge.py)."""
        if self.users is None:
            return
        for user_id in await self.users.purged(sorted(user_ids)):
            for store in (self.stats, self.affinities, self.trends):
                if store is not None:
                    await store.remove_user(user_id)

    async def _apply_events(self, events: Sequence[Event], columns: Columns | None) -> Report:
        now = self.clock.now().isoformat()
        if "RECALCULATE" not in map(_event_type, events):
            batch = self._fold(events, columns)
            if batch.ordered:  # the common case: straight to the writes
                applied = await self._incremental(events, batch, now)
                return Report(events=len(events), applied=applied, users=len(batch.users))
        by_user: dict[str, list[Event]] = {}
        for event in events:
            by_user.setdefault(event.user_id, []).append(event)
        incremental: list[Event] = []
        recalculations: dict[str, list[Event]] = {}
        for user_id, user_events in by_user.items():
            user_events = order_user_events(user_events)
            last_recalc = max((i for i, e in enumerate(user_events) if e.event_type == "RECALCULATE"), default=-1)
            if last_recalc >= 0:
                recalculations[user_id] = user_events[last_recalc + 1:]
            else:
                incremental += user_events
        applied = await self._incremental(incremental, self._fold(incremental), now) if incremental else 0
        for user_id, tail in recalculations.items():
            await self.recalculate(user_id, tail, now)
            applied += len(tail) + 1
        return Report(events=len(events), applied=applied, users=len(by_user))

    def _fold(self, events: Sequence[Event], columns: Columns | None = None) -> BatchDelta:
        return self.fold(events, self.tz, cache=self.cache, columns=columns,
                          affinities=self.affinities is not None, facts=self.trends is not None)

    def _guarded_fold(self, user_id: str, events: Sequence[Event], stats_hwm: int,
                      aff_hwms: dict[AffKey, int]) -> UserDelta:
        """Fold only what each document has not absorbed yet (replay after a crash).

        `aff_hwms` holds the marks of the affinity documents that exist. A name without a
        document has absorbed every event up to the statistics' mark: every name an event
        touches is written, before the statistics, and a recompute at version V writes the
        statistics at V after clearing every name (those of deleted entries have no document)."""
        delta = UserDelta(user_id)
        floor = min([stats_hwm, *aff_hwms.values()])
        for event in map(as_domain, events):
            seq = event.seq
            if seq is None:
                apply_event(delta, event, self.tz)
            elif seq > floor:
                apply_event(delta, event, self.tz, stats=seq > stats_hwm,
                            affinity_filter=_newer_than(seq, aff_hwms, stats_hwm))
        return delta

    async def _incremental(self, events: Sequence[Event], batch: BatchDelta, now: str) -> int:
        """Write `batch`, the fold of `events` (in per-user seq order, no RECALCULATE)."""
        users = batch.users
        aff_ids = batch.affinity_ids() if self.affinities else []
        # Two independent reads, one round trip on a remote store.
        stats_hwms, aff_hwms = await asyncio.gather(
            self.stats.hwms(users) if self.stats else _no_marks(),
            self.affinities.hwms(aff_ids, users) if aff_ids and self.affinities else _no_marks())
        s_h = np.fromiter(map(stats_hwms.get, users, repeat(0)), np.int64, len(users))
        a_h = np.fromiter(map(aff_hwms.get, aff_ids, repeat(0)), np.int64, len(aff_ids))
        # A user is replayed (after a crash) when one of its documents already holds
        # part of this batch; only those users are folded again, event by event.
        seen = s_h.copy()
        if len(a_h):
            np.maximum.at(seen, batch.aff.user, a_h)
        replayed = (batch.first_seq > 0) & (seen >= batch.first_seq)

        stats_writes: list[StatsWrite] = []
        aff_writes: list[AffinityWrite] = []
        facts = []
        fresh = (~replayed).tolist()
        with paused_gc():  # a write per document: many small acyclic objects
            if self.stats:
                stats_writes = batch.stats_writes(now, s_h, fresh)
            if self.affinities:
                aff_writes = batch.affinity_writes(now, aff_ids, a_h, fresh)
            if self.trends:
                facts = list(batch.facts.values())
        applied = int(batch.events[~replayed].sum())
        if replayed.any():
            again: dict[str, list[Event]] = {users[i]: [] for i in np.flatnonzero(replayed).tolist()}
            for event in events:
                if event.user_id in again:
                    again[event.user_id].append(event)
            facts = [f for f in facts if f.user_id not in again]
            # Each replayed user's stored affinity marks, by key, from the reads above.
            user_aff: dict[str, dict[AffKey, int]] = {u: {} for u in again}
            if aff_ids:
                for u, key, doc_id in zip(batch.aff.user.tolist(), batch.affinity_rows().key, aff_ids):
                    if users[u] in user_aff and doc_id in aff_hwms:
                        user_aff[users[u]][key] = aff_hwms[doc_id]
            for user_id, user_events in again.items():
                s_hwm = stats_hwms.get(user_id, 0)
                delta = self._guarded_fold(user_id, user_events, s_hwm, user_aff[user_id])
                applied += delta.events
                # Its writes are made as the batch's are: by a BatchDelta, reading the same marks.
                one = BatchDelta.of_deltas({user_id: delta}, affinities=self.affinities is not None,
                                           facts=self.trends is not None)
                if self.stats:
                    stats_writes += one.stats_writes(now, np.array([s_hwm], np.int64))
                if self.affinities:
                    ids = one.affinity_ids()
                    aff_writes += one.affinity_writes(now, ids, np.array([aff_hwms.get(i, 0) for i in ids], np.int64))
                facts.extend(one.facts.values())
        # Only a projector that writes statistics splits (the trends alone have no one waiting).
        heavy = ({users[i] for i in np.flatnonzero(batch.events > LIGHT_USER_EVENTS).tolist()}
                 if self.stats is not None else set())
        if not heavy or len(heavy) == len(users):
            await self._write(facts, aff_writes, stats_writes)
            return applied
        # The users with few events first: one user's import (a thousand events, a hundred
        # names to update) must not hold back the next person's single write.
        for light in (True, False):
            await self._write([f for f in facts if (f.user_id in heavy) is not light],
                              [w for w in aff_writes if (w.user_id in heavy) is not light],
                              [w for w in stats_writes if (w.user_id in heavy) is not light])
        return applied

    async def _write(self, facts: list[Any], aff_writes: list[AffinityWrite], stats_writes: list[StatsWrite]) -> None:
        # Stats last: a user's hwm there is what `sync` compares with the diary version.
        if facts and self.trends:
            await self.trends.apply(facts)
        if aff_writes and self.affinities:
            await self.affinities.apply(aff_writes)
        if stats_writes and self.stats:
            await self.stats.apply(stats_writes)

    async def recalculate(self, user_id: str, tail: Sequence[Event] = (), now: str | None = None) -> None:
        """Full recompute from the diary, then the events that came after it."""
        now = now or self.clock.now().isoformat()
        entries, version = await self.diary.snapshot(user_id)
        delta = recompute(user_id, entries, version, self.tz)
        hwm = version
        for event in tail:
            if event.seq is None or event.seq > version:
                apply_event(delta, as_domain(event), self.tz)
                hwm = max(hwm, event.seq or 0)
        state = apply_stats_delta(StatsState(user_id=user_id, hwm=hwm, updated_at=now), delta.stats)
        docs = affinity_documents(user_id, delta.affinities, hwm, now)
        if self.trends:
            await self.trends.replace_user(user_id, list(delta.trends.values()), hwm)
        if self.affinities:
            await self.affinities.replace_user(user_id, docs, hwm)
        if self.stats:
            await self.stats.replace(state)
