"""The guarded writes: what the projection asks a store to apply to one document, and the guard
every store applies it under. A write names the high-water mark it read (`expected_hwm`); a
document whose mark moved on since refuses it (`StaleWrite`), so a batch replayed after a crash
or raced by another writer changes nothing. Every runtime rests on this rule; the stores that
keep whole documents (memory, SQLite) apply it here, MongoDB in its update filters."""

from __future__ import annotations

import msgspec

from .deltas import StatsDelta
from .ratings import Rating, halves
from .stats import AffinityState, StatsState, add_halves, apply_stats_delta


class StaleWrite(Exception):
    """A guarded write found a different high-water mark than it read: another
    writer got there first. The batch is retried from the source."""


class StatsWrite(msgspec.Struct):
    user_id: str
    expected_hwm: int  # what the projection read; 0 when the document is new
    new_hwm: int
    total: int = 0
    rated: int = 0
    sum_ratings: Rating = 0  # stars (a sum of half stars: exact)
    watch_time: int = 0
    timed: int = 0
    rewatch: int = 0
    dist: list[int] = msgspec.field(default_factory=lambda: [0] * 10)  # by half star
    monthly: dict[str, int] = {}  # "YYYY-MM" -> change
    updated_at: str = ""


class AffinityWrite(msgspec.Struct, gc=False):  # strings and ints only: nothing to collect
    id: str
    user_id: str
    type: str
    name_key: str
    name: str
    count: int
    sum_ratings: Rating
    expected_hwm: int
    new_hwm: int
    updated_at: str = ""
    rated: int = 0


def check_hwm(kind: str, doc_id: str, stored: int, expected: int) -> None:
    if stored != expected:
        raise StaleWrite(f"{kind} {doc_id!r}: stored hwm {stored}, expected {expected}")


def apply_stats_write(state: StatsState | None, write: StatsWrite) -> StatsState:
    state = state or StatsState(user_id=write.user_id)
    check_hwm("user_stats", write.user_id, state.hwm, write.expected_hwm)
    delta = StatsDelta()
    delta.total, delta.rated, delta.halves = write.total, write.rated, halves(write.sum_ratings)
    delta.watch_time, delta.timed, delta.rewatch = write.watch_time, write.timed, write.rewatch
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
