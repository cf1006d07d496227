"""A batch's events as columns: their fields read column by column into integer arrays (`Columns`),
a chunk at a time as they are decoded (`Decoding`), with the ids that number users, months and keys."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import count
from typing import Any

import numpy as np

from ...domain.deltas import entry_key, month_key
from ...domain.events import Event
from ...domain.profiles import weekday_index
from .batch import _KINDS, _date, _rewatch, _duration, _entry_id, _first, _Ids, _kind, _movie, _rating, _seq, _user_id
from .caches import FoldCache
from .wire import Wire, profile_hits

_NO_DATE = -2


class _Weekdays(dict[str | None, int]):
    """A date to its weekday (0 = Monday, `profiles.weekday_index`); no date is _NO_DATE (the
    caller looks at the event's timestamp instead)."""

    def __missing__(self, when: str | None) -> int:
        value = self[when] = _NO_DATE if when is None else weekday_index(when)
        return value


class _MonthIds(dict[str | None, int]):
    """A date, or a timestamp, to the id of its month (its first 7 characters) in `months`;
    no date is _NO_DATE (the caller looks at the event's timestamp instead), empty is -1."""

    def __init__(self) -> None:
        super().__init__()
        self.months = _Ids()

    def __missing__(self, when: str | None) -> int:
        value = self[when] = _NO_DATE if when is None else self.months[month_key(when)] if when else -1
        return value


_NONE_IS_0 = {None: 0}.get  # get(v, v): 0 for None, v itself otherwise; numpy's own None path is slower


def _ints(values: Iterable[int | None]) -> np.ndarray:
    """A column of optional ints as int64, None -> 0."""
    values = values if isinstance(values, list) else list(values)
    if None not in values:
        return np.array(values, np.int64)
    return np.fromiter(map(_NONE_IS_0, values, values), np.int64, len(values))


def _halves(values: Iterable[float | None]) -> np.ndarray:
    """A column of optional ratings in half stars (`ratings.halves`): 4.5 -> 9, None -> 0."""
    values = values if isinstance(values, list) else list(values)
    return (np.fromiter(map(_NONE_IS_0, values, values), np.float64, len(values)) * 2).astype(np.int64)


class Columns:
    """The fields of a batch's events the fold reads, as lists: users and months
    interned to integers, credits to their profile, entry keys with their hashes
    (`entries=False`: left out, for a projector that keeps no trend facts).

    Filled a chunk at a time, right after the chunk is decoded (`decode_records`),
    while its objects are still in the CPU cache: the same extraction over a whole
    decoded batch of 50k events waits on memory at every field (measured: decode +
    extraction 3.3 µs per event over whole batches, 2.35 µs chunk by chunk)."""

    CHUNK = 1024

    def __init__(self, cache: FoldCache, entries: bool = True) -> None:
        self.cache = cache
        self.entries = entries
        self.users = _Ids()  # user id -> index, in order of first sight
        self.month_of = _MonthIds()
        self.weekday_of = _Weekdays()
        self.user_ix: list[int] = []
        self.kinds: list[int] = []
        self.seqs: list[int | None] = []
        self.movies: list[Any] = []
        self.hits: list[tuple[Any, ...]] = []  # (profile id, cleaned genres): `wire.profile_hits`
        self.pids: list[int] = []  # the profile ids of `hits`
        self.ratings: list[int | None] = []
        self.durations: list[int | None] = []
        self.month_ix: list[int] = []
        self.weekday_ix: list[int] = []  # the entry's weekday, 0 = Monday
        self.rewatches: list[bool] = []
        self.entry_keys: list[str] = []
        # Each distinct entry key's number (in C: `setdefault` with the next count; gaps are fine).
        self.entry_ix: list[int] = []
        self._entry_ids: dict[str, int] = {}
        self._numbers = count()

    @classmethod
    def of(cls, events: Sequence[Event], cache: FoldCache, entries: bool = True) -> Columns:
        cols = cls(cache, entries)
        for i in range(0, len(events), cls.CHUNK):
            cols.extend(events[i:i + cls.CHUNK])
        return cols

    def __len__(self) -> int:
        return len(self.kinds)

    def extend(self, events: Sequence[Event], hits: Sequence[Any] | None = None,
               movies: list[Any] | None = None) -> None:
        """Append validated events (no RECALCULATE), domain or wire ones (`services.projection.wire`),
        with their movies and `profile_hits` if known. Every step is a `map` run in C."""
        self.user_ix += map(self.users.__getitem__, map(_user_id, events))
        self.kinds += map(_KINDS.__getitem__, map(_kind, events))
        self.seqs += map(_seq, events)
        movies = list(map(_movie, events)) if movies is None else movies
        self.movies += movies
        hits = profile_hits(movies, self.cache) if hits is None else hits
        self.hits += hits
        self.pids += map(_first, hits)
        self.ratings += map(_rating, movies)
        self.durations += map(_duration, movies)
        dates = list(map(_date, movies))
        self.month_ix += map(self.month_of.__getitem__, dates)
        self.weekday_ix += map(self.weekday_of.__getitem__, dates)
        self.rewatches += map(_rewatch, movies)
        if not self.entries:
            return
        keys = list(map(_entry_id, events))
        if not all(keys):
            # Seed-era events carry no entry id; their key is built from name and date.
            for i in [i for i, k in enumerate(keys) if not k]:
                keys[i] = entry_key(events[i])
        self.entry_keys += keys
        self.entry_ix += map(self._entry_ids.setdefault, keys, self._numbers)


@dataclass(frozen=True, slots=True)
class Decoded:
    """A decoded batch: its events, and their `Columns` extracted while decoding (None when
    a RECALCULATE is among them: the projection folds such a batch per user). The columns
    are handed to `fold_batch` by name; they never ride on the list (a slice would lose them)."""

    events: list[Any]
    columns: Columns | None


class Decoding:
    """Builds a `Decoded` chunk by chunk (`projection.decode_records`)."""

    def __init__(self, cache: FoldCache, entries: bool = True) -> None:
        self.events: list[Any] = []
        self.columns: Columns | None = Columns(cache, entries)

    def extend(self, wire: Wire) -> None:
        self.events += wire.events
        if self.columns is not None:
            if "RECALCULATE" in map(_kind, wire.events):
                self.columns = None
            else:
                self.columns.extend(wire.events, wire.hits, wire.movies)

    def done(self) -> Decoded:
        return Decoded(self.events, self.columns)


def _columns_of(events: Sequence[Event], columns: Columns | None, facts: bool, cache: FoldCache) -> Columns:
    if columns is None:
        return Columns.of(events, cache, facts)
    if len(columns) != len(events) or columns.cache is not cache:
        raise ValueError("these columns are not those of these events (or of this cache)")
    if facts and not columns.entries:
        return Columns.of(events, cache, facts)  # decoded without entry keys: the facts need them
    return columns


def _last_of_each_entry(cols: Columns, u_a: np.ndarray, rows: np.ndarray) -> list[int]:
    """The row of the last event of each (user, entry key) among `rows`, in row order: the
    first of each (entry number, user) pair read from the end (exact: no hash to collide)."""
    r = rows[::-1]
    pairs = np.array(cols.entry_ix, np.int64)[r] * len(cols.users) + u_a[r]
    _, first_from_end = np.unique(pairs, return_index=True)
    rows_kept: list[int] = np.sort(r[first_from_end]).tolist()
    return rows_kept
