"""Helpers shared by adapters that keep whole documents (memory, SQLite)."""

from __future__ import annotations

import msgspec

from ..domain.deltas import StatsDelta
from ..domain.ports import AffinityWrite, StaleWrite, StatsWrite
from ..domain.ratings import halves
from ..domain.stats import AffinityState, StatsState, add_halves, apply_stats_delta


def check_hwm(kind: str, doc_id: str, stored: int, expected: int) -> None:
    if stored != expected:
        raise StaleWrite(f"{kind} {doc_id!r}: stored hwm {stored}, expected {expected}")


def apply_stats_write(state: StatsState | None, write: StatsWrite) -> StatsState:
    state = state or StatsState(user_id=write.user_id)
    check_hwm("user_stats", write.user_id, state.hwm, write.expected_hwm)
    delta = StatsDelta()
    delta.total, delta.rated, delta.halves = write.total, write.rated, halves(write.sum_ratings)
    delta.watch_time, delta.timed = write.watch_time, write.timed
    delta.dist = list(write.dist)
    delta.monthly = dict(write.monthly)
    new = apply_stats_delta(state, delta)
    return msgspec.structs.replace(new, hwm=write.new_hwm, updated_at=write.updated_at)


def apply_affinity_write(doc: AffinityState | None, write: AffinityWrite) -> AffinityState:
    stored = doc.hwm if doc else 0
    check_hwm("user_affinities", write.id, stored, write.expected_hwm)
    return AffinityState(
        id=write.id, user_id=write.user_id, type=write.type, name=write.name, name_key=write.name_key,
        count=(doc.count if doc else 0) + write.count,
        rated_count=(doc.rated_count if doc else 0) + write.rated,
        sum_ratings=add_halves(doc.sum_ratings if doc else 0, halves(write.sum_ratings)),
        hwm=write.new_hwm, updated_at=write.updated_at,
    )
