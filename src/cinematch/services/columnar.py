"""The batch fold, vectorised: a batch of events to one delta per document.

Same meaning as folding `domain.deltas.apply_event` event by event (the tests
check they agree), but the per-document sums are done by numpy: the events'
fields are read column by column (`map` + `attrgetter`, at C speed; `Columns`,
a chunk at a time as they are decoded) into integer arrays, then
`bincount`/`unique` add the rows per user and per (user, month), and a sparse
product per (user, affinity key). No Python statement runs once per
event on the common path. The projection builds its writes straight from these
arrays (`services/projection.py`); `user_deltas` is the object form, for the tests.

This lives outside the domain because the domain imports only the standard
library; it reuses the domain's profiles, month and trend rules. What it remembers
between batches is in the `FoldCache` it is given (`services.caches`), never in
module state.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import count
from operator import add, attrgetter, itemgetter
from typing import Any, NamedTuple, Protocol

import numpy as np
from scipy import sparse

from ..domain.deltas import (
    COUNT_SIGN, DEFAULT_TZ, RATING_SIGN, AffinityDelta, AffKey, TrendFact, UserDelta, added_instant, entry_key,
    entry_month, fold_events, local_day, month_key,
)
from ..domain.events import Event, Movie
from ..domain.ports import AffinityWrite, StatsWrite
from ..domain.ratings import stars
from .caches import FoldCache, KeyIndex
from .wire import Wire, as_domain, profile_hits


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection inside a batch.

    Decoding and folding a batch allocate a few hundred thousand short-lived,
    acyclic objects; each allocation burst triggers collections that rescan
    everything alive (measured: a quarter of the fold's time). Reference
    counting still frees everything; the collector runs after the batch.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class AffinityRows(NamedTuple):
    """One row per (user, affinity key) a batch touches, zero sums included (the write still
    moves the document's mark): parallel int64 arrays."""

    user: np.ndarray  # index into BatchDelta.users
    key: np.ndarray  # interned key id (FoldCache.keys)
    watched: np.ndarray  # change of the diary count (entries with the name)
    rated: np.ndarray  # change of the rated count
    halves: np.ndarray  # change of the ratings' sum, in half stars


class MonthlyRows(NamedTuple):
    """One row per (user, month) whose diary count changes: parallel int64 arrays."""

    user: np.ndarray  # index into BatchDelta.users
    month: np.ndarray  # index into BatchDelta.months
    watched: np.ndarray  # change of the diary count


class AffinityList(NamedTuple):
    """`AffinityRows` as lists, each key (type, name key) and its display name looked up."""

    user: list[int]  # index into BatchDelta.users
    key: list[AffKey]
    name: list[str]
    watched: list[int]
    rated: list[int]
    halves: list[int]


def _no_rows(kind: Any) -> Any:
    return kind(*(np.empty(0, np.int64) for _ in kind._fields))


class BatchDelta:
    """The folded batch: per-user stats arrays, per-(user, key) affinity rows, per-(user,
    month) rows, trend facts."""

    def __init__(self, users: list[str], cache: FoldCache) -> None:
        self.users = users
        self.cache = cache  # what the profile and key ids below stand for
        n = len(users)
        self.total = np.zeros(n, np.int64)
        self.rated = np.zeros(n, np.int64)
        self.halves = np.zeros(n, np.int64)  # sum of ratings in half stars
        self.watch_time = np.zeros(n, np.int64)
        self.timed = np.zeros(n, np.int64)
        self.dist = np.zeros((n, 10), np.int64)
        self.events = np.zeros(n, np.int64)
        self.first_seq = np.zeros(n, np.int64)  # per user, its lowest / highest seq in the batch; 0: none
        self.last_seq = np.zeros(n, np.int64)
        self.ordered = True  # each user's seqs strictly increase in batch order (no repeats)
        self.monthly: MonthlyRows = _no_rows(MonthlyRows)
        self.months: list[str] = []
        # per (user, key) touched: user, key, count, rated count, sum of ratings in half stars
        self.aff: AffinityRows = _no_rows(AffinityRows)
        self._facts: dict[tuple[str, str], TrendFact] | None = None
        self._fact_rows: list[int] = []  # per touched entry, the row of its last event
        self._fact_source: tuple[Any, ...] = ()

    @property
    def documents(self) -> int:
        """Documents this batch updates: stats per user, affinity per (user, key), trend fact per entry."""
        facts = len(self._fact_rows) if self._facts is None else len(self._facts)
        return len(self.users) + len(self.aff.user) + facts

    @property
    def facts(self) -> dict[tuple[str, str], TrendFact]:
        """The trend fact of each entry the batch touched (built on first use)."""
        if self._facts is None:
            self._facts = {}
            if self._fact_rows:
                user_ix, keys, events, movies, hits, kinds, seq_a, tz = self._fact_source
                seqs = seq_a.tolist()
                days: dict[str | None, str] = {}
                known = self.cache.days
                for i in self._fact_rows:
                    event, movie, kind = events[i], movies[i], kinds[i]
                    added_at = added_instant(movie, event)
                    day = days.get(added_at)
                    if day is None:
                        day = known.get((added_at or "", tz))
                        if day is None:
                            day = known[added_at or "", tz] = local_day(added_at, tz)
                        days[added_at] = day
                    user_id = self.users[user_ix[i]]
                    self._facts[user_id, keys[i]] = TrendFact(user_id, keys[i], day, movie.title or movie.name,
                                                              hits[i][1], kind != DELETE, seqs[i],
                                                              movie.catalog_id or "")
        return self._facts

    def monthly_by_user(self) -> list[dict[str, int]]:
        """Per user, "YYYY-MM" -> change of the diary count (months at zero left out)."""
        out: list[dict[str, int]] = [{} for _ in self.users]
        mu, mm, mn = self.monthly
        months = self.months
        for u, m, n in zip(mu.tolist(), mm.tolist(), mn.tolist()):
            out[u][months[m]] = n
        return out

    def affinity_rows(self) -> AffinityList:
        """The rows of `aff` as Python lists, their keys and names looked up."""
        au, ak, ac, ar, asum = self.aff
        keys, index = ak.tolist(), self.cache.keys
        return AffinityList(au.tolist(), list(map(index.keys.__getitem__, keys)),
                            list(map(index.names.__getitem__, keys)), ac.tolist(), ar.tolist(), asum.tolist())

    def affinity_ids(self) -> list[str]:
        """The document id of each row of `aff` (`stats.affinity_id`, concatenated in C)."""
        suffixes = self.cache.keys.suffixes()
        au, ak = self.aff.user, self.aff.key
        return list(map(add, map(self.users.__getitem__, au.tolist()), map(suffixes.__getitem__, ak.tolist())))

    def stats_writes(self, now: str, hwms: np.ndarray | None = None, fresh: list[bool] | None = None,
                     ) -> list[StatsWrite]:
        """The guarded statistics write of every user (or of those marked `fresh`), straight
        from the arrays: it expects the mark the document was read at (`hwms`, per user; 0 or
        None: absent) and moves it to the user's newest seq."""
        hwms = np.zeros(len(self.users), np.int64) if hwms is None else hwms
        fresh = [True] * len(self.users) if fresh is None else fresh
        new_hwms = np.maximum(self.last_seq, hwms).tolist()
        return [StatsWrite(user_id=u, expected_hwm=h, new_hwm=nh, total=t, rated=r, sum_ratings=stars(sh),
                           watch_time=wt, timed=tc, dist=d, monthly=m, updated_at=now)
                for u, ok, h, nh, t, r, sh, wt, tc, d, m in zip(
                    self.users, fresh, hwms.tolist(), new_hwms, self.total.tolist(), self.rated.tolist(),
                    self.halves.tolist(), self.watch_time.tolist(), self.timed.tolist(), self.dist.tolist(),
                    self.monthly_by_user()) if ok]

    def affinity_writes(self, now: str, ids: list[str] | None = None, hwms: np.ndarray | None = None,
                        fresh: list[bool] | None = None) -> list[AffinityWrite]:
        """The guarded affinity writes of every user (or of those marked `fresh`): one per row
        of `aff` (zero sums included: the mark moves). `ids`: the rows' document ids
        (`affinity_ids`), `hwms`: their marks (0 or None: absent)."""
        ids = self.affinity_ids() if ids is None else ids
        hwms = np.zeros(len(ids), np.int64) if hwms is None else hwms
        fresh = [True] * len(self.users) if fresh is None else fresh
        au, keys, names, counts, rated, sums = self.affinity_rows()
        users = self.users
        new_hwms = np.maximum(self.last_seq[self.aff.user], hwms).tolist()
        return [AffinityWrite(id=i, user_id=users[u], type=k[0], name_key=k[1], name=name, count=c, rated=r,
                              sum_ratings=stars(sh), expected_hwm=h, new_hwm=nh, updated_at=now)
                for i, u, k, name, c, r, sh, h, nh in zip(ids, au, keys, names, counts, rated, sums, hwms.tolist(),
                                                           new_hwms)
                if fresh[u]]

    def user_deltas(self) -> dict[str, UserDelta]:
        """Materialise one `UserDelta` per user (the object form of the fold)."""
        out: dict[str, UserDelta] = {}
        affinities: dict[str, dict[AffKey, AffinityDelta]] = {}
        monthly = self.monthly_by_user()
        for i, user_id in enumerate(self.users):
            d = out[user_id] = UserDelta(user_id, self.cache.profiles)
            s = d.stats
            s.total, s.rated, s.halves = int(self.total[i]), int(self.rated[i]), int(self.halves[i])
            s.watch_time, s.timed = int(self.watch_time[i]), int(self.timed[i])
            s.dist = [int(x) for x in self.dist[i]]
            s.monthly = monthly[i]
            d.first_seq, d.last_seq = int(self.first_seq[i]) or None, int(self.last_seq[i]) or None
            d.events = int(self.events[i])
            d._aff = affinities[user_id] = {}
        for u, key, name, c, r, sh in zip(*self.affinity_rows()):
            affinities[self.users[u]][key] = AffinityDelta(name, c, r, sh)
        for fact in self.facts.values():
            out[fact.user_id].trends[fact.entry_key] = fact
        return out

    @classmethod
    def of_deltas(cls, deltas: dict[str, UserDelta], *, affinities: bool = True, facts: bool = True,
                  ordered: bool = True) -> BatchDelta:
        """The array form of per-user deltas (the reference fold's, a replayed user's, a
        recompute's), with a cache of its own for the keys it names."""
        out = cls(list(deltas), FoldCache())
        months, index = _Ids(), out.cache.keys
        month_rows: list[tuple[int, int, int]] = []
        aff_rows: list[tuple[int, int, int, int, int]] = []
        for i, d in enumerate(deltas.values()):
            s = d.stats
            out.total[i], out.rated[i], out.halves[i] = s.total, s.rated, s.halves
            out.watch_time[i], out.timed[i], out.dist[i] = s.watch_time, s.timed, s.dist
            out.events[i], out.first_seq[i], out.last_seq[i] = d.events, d.first_seq or 0, d.last_seq or 0
            month_rows += [(i, months[m], n) for m, n in s.monthly.items() if n]
            if affinities:
                aff_rows += [(i, index.intern(key, a.name), a.count, a.rated, a.halves)
                             for key, a in d.affinities.items()]
        out.months = list(months)
        if month_rows:
            out.monthly = MonthlyRows(*np.array(month_rows, np.int64).T)
        if aff_rows:
            out.aff = AffinityRows(*np.array(aff_rows, np.int64).T)
        out._facts = {(d.user_id, k): f for d in deltas.values() for k, f in d.trends.items()} if facts else {}
        out.ordered = ordered
        return out


_KIND_NAMES = ("ADD", "DELETE", "UPDATE", "UPDATE_RATING")  # by index; a BULK_IMPORT folds as an ADD
_KINDS = {**{k: i for i, k in enumerate(_KIND_NAMES)}, "BULK_IMPORT": 0}
ADD, DELETE, UPDATE, UPDATE_RATING = range(4)
_COUNT_OF_KIND = np.array([COUNT_SIGN[k] for k in _KIND_NAMES], np.int64)  # the diary count, its movie side
_DIST_OF_KIND = np.array([RATING_SIGN[k] for k in _KIND_NAMES], np.int64)  # the distribution, at its rating

_first = itemgetter(0)
_user_id, _seq, _kind, _movie, _entry_id = (attrgetter(f) for f in ("user_id", "seq", "event_type", "movie",
                                                                      "entry_id"))
_rating, _old, _new, _duration, _date = (attrgetter(f) for f in ("rating", "old_rating", "new_rating", "duration",
                                                                   "date"))


class _Ids(dict[Any, int]):
    """Interns keys to 0, 1, 2… in order of first sight: `ids[key]` assigns the next one.
    Only a new key runs Python code; a known one is a plain dict lookup in C."""

    def __missing__(self, key: Any) -> int:
        value = self[key] = len(self)
        return value


_NO_DATE = -2


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
        self.user_ix: list[int] = []
        self.kinds: list[int] = []
        self.seqs: list[int | None] = []
        self.movies: list[Any] = []
        self.hits: list[tuple[Any, ...]] = []  # (profile id, cleaned genres): `wire.profile_hits`
        self.pids: list[int] = []  # the profile ids of `hits`
        self.ratings: list[int | None] = []
        self.durations: list[int | None] = []
        self.month_ix: list[int] = []
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
        """Append validated events (no RECALCULATE), domain or wire ones (`services.wire`),
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
        self.month_ix += map(self.month_of.__getitem__, map(_date, movies))
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


def fold_batch(events: Sequence[Event], tz: str = DEFAULT_TZ, *, cache: FoldCache | None = None,
               columns: Columns | None = None, affinities: bool = True, facts: bool = True) -> BatchDelta:
    """Fold validated events (no RECALCULATE), already in per-user seq order, into a `BatchDelta`.
    Its `ordered` says whether they were (when not, the caller orders them and folds again).

    `affinities=False` / `facts=False` leave those out (empty), for a projector that does not
    own them: the Spark runtime's statistics and trends queries each own a part.
    `cache`: the projector's (`FoldCache`); without one the fold starts from nothing.
    `columns`: the events' own, read while decoding (`Decoded.columns`, same cache), else
    they are read here."""
    cache = FoldCache() if cache is None else cache
    with paused_gc():
        return _fold(events, _columns_of(events, columns, facts, cache), tz, affinities, facts)


def reference_fold(events: Sequence[Event], tz: str = DEFAULT_TZ, *, cache: FoldCache | None = None,
                   columns: Columns | None = None, affinities: bool = True, facts: bool = True) -> BatchDelta:
    """`fold_batch` by its definition: `domain.deltas.apply_event`, event by event, remembering
    nothing (`cache` and `columns` are not read). The vectorised fold is held to this one
    (tests/unit/test_columnar.py, and the projector's tests run on both)."""
    deltas = fold_events(map(as_domain, events), tz)
    return BatchDelta.of_deltas(deltas, affinities=affinities, facts=facts, ordered=in_seq_order(events))


def in_seq_order(events: Iterable[Event]) -> bool:
    """Whether each user's seqs strictly increase in batch order (events without one aside)."""
    last: dict[str, int] = {}
    for event in events:
        if event.seq is not None:
            if event.seq <= last.get(event.user_id, 0):
                return False
            last[event.user_id] = event.seq
    return True


class Fold(Protocol):
    """What the projector folds a batch with: `fold_batch` (vectorised, the default) or
    `reference_fold`. Events validated, without RECALCULATE; the result's `ordered` says
    whether each user's seqs increased."""

    def __call__(self, events: Sequence[Event], tz: str = DEFAULT_TZ, *, cache: FoldCache | None = None,
                 columns: Columns | None = None, affinities: bool = True, facts: bool = True) -> BatchDelta: ...


def _fold(events: Sequence[Event], cols: Columns, tz: str, affinities: bool = True, facts: bool = True) -> BatchDelta:
    n = len(events)
    u_a = np.array(cols.user_ix, np.int64)
    users = list(cols.users)
    out = BatchDelta(users, cols.cache)
    if not n:
        return out
    n_users = len(users)
    k_a = np.array(cols.kinds, np.int64)
    seq_a = _ints(cols.seqs)
    movies, hits = cols.movies, cols.hits
    p_a = np.array(cols.pids, np.int64)
    ur = k_a == UPDATE_RATING
    has_ur = bool(ur.any())
    r_a = _halves(cols.ratings)
    if has_ur:  # the new rating, read for these rows only
        ur_ix = np.flatnonzero(ur)
        ur_movies = list(map(movies.__getitem__, ur_ix.tolist()))
        r_a[ur_ix] = _halves(list(map(_new, ur_movies)))
    c_a = _COUNT_OF_KIND[k_a]
    d_a = _DIST_OF_KIND[k_a]
    t_a = np.where(ur, 0, _ints(cols.durations))

    # Month of each entry (`entry_month`): validation rejects an empty date, so only None falls back.
    month_of = cols.month_of
    months = month_of.months
    m_a = np.array(cols.month_ix, np.int64)
    if None in month_of:
        for i in np.flatnonzero(m_a == _NO_DATE).tolist():
            month = entry_month(movies[i], events[i])
            m_a[i] = month_of[month] if month else -1
    if has_ur:
        m_a[ur] = -1

    # Second rows: the old rating of UPDATE_RATING, the previous movie of UPDATE.
    extra_u, extra_p, extra_c, extra_r, extra_d, extra_t, extra_m = ([] for _ in range(7))
    if has_ur:
        extra_u.append(u_a[ur_ix])
        extra_p.append(p_a[ur_ix])
        extra_c.append(np.zeros(len(ur_ix), np.int64))
        extra_r.append(_halves(list(map(_old, ur_movies))))
        extra_d.append(np.full(len(ur_ix), -1, np.int64))
        extra_t.append(np.zeros(len(ur_ix), np.int64))
        extra_m.append(np.full(len(ur_ix), -1, np.int64))
    up_ix = np.flatnonzero(k_a == UPDATE).tolist()
    if up_ix:
        prevs = [events[i].previous or Movie() for i in up_ix]  # validation: an UPDATE has one
        extra_u.append(u_a[up_ix])
        lookup = cols.cache.profiles.lookup
        extra_p.append(np.array([lookup(p.director, p.actors, p.genres)[0] for p in prevs], np.int64))
        extra_c.append(np.full(len(up_ix), -1, np.int64))
        extra_r.append(_halves(p.rating for p in prevs))
        extra_d.append(np.full(len(up_ix), -1, np.int64))
        extra_t.append(_ints(p.duration for p in prevs))
        pm = []
        for i, p in zip(up_ix, prevs):
            month = entry_month(p, events[i])
            pm.append(month_of[month] if month else -1)
        extra_m.append(np.array(pm, np.int64))
    if extra_u:
        u_a, p_a, c_a, r_a, d_a, t_a, m_a = (np.concatenate([a, *b]) for a, b in zip(
            (u_a, p_a, c_a, r_a, d_a, t_a, m_a), (extra_u, extra_p, extra_c, extra_r, extra_d, extra_t, extra_m)))

    # Trend facts: the last event of each (user, entry) in the batch (events come in seq order).
    fact_ix = np.flatnonzero(~ur) if has_ur else np.arange(n)
    if facts and len(fact_ix):
        out._fact_rows = _last_of_each_entry(cols, u_a[:n], fact_ix)
        out._fact_source = (cols.user_ix, cols.entry_keys, events, movies, hits, cols.kinds, seq_a, tz)

    out.months = list(months)
    out.events = np.bincount(u_a[:n], minlength=n_users)
    if seq_a.any():
        with_seq = seq_a > 0  # validation rejects seq < 1: 0 is an event without one
        su, ss = u_a[:n][with_seq], seq_a[with_seq]
        # Users kept apart in batch order (a stable sort: numpy's radix sort when the ids fit
        # in 16 bits), then each user's lowest and highest seq, and whether each next seq of
        # a user is higher (in order).
        by_user = np.argsort(su.astype(np.uint16) if n_users <= 1 << 16 else su, kind="stable")
        su, ss = su[by_user], ss[by_user]
        starts = np.flatnonzero(np.r_[True, su[1:] != su[:-1]])
        seen = su[starts]
        out.first_seq[seen] = np.minimum.reduceat(ss, starts)
        out.last_seq[seen] = np.maximum.reduceat(ss, starts)
        out.ordered = bool(np.all((su[1:] != su[:-1]) | (ss[1:] > ss[:-1])))

    # ADD/DELETE/UPDATE rows: d == c; UPDATE_RATING rows move the rating sums only. An
    # unrated row has r == 0: no rating sum, not rated, in no distribution slot.
    rating_sum = r_a * d_a
    rated_a = d_a * (r_a > 0)
    out.total = np.bincount(u_a, c_a, n_users).astype(np.int64)
    out.rated = np.bincount(u_a, rated_a, n_users).astype(np.int64)
    out.halves = np.bincount(u_a, rating_sum, n_users).astype(np.int64)
    out.watch_time = np.bincount(u_a, t_a * c_a, n_users).astype(np.int64)
    out.timed = np.bincount(u_a, c_a * (t_a > 0), n_users).astype(np.int64)
    out.dist = np.bincount(u_a * 10 + np.maximum(r_a - 1, 0), rated_a, n_users * 10).astype(np.int64) \
        .reshape(n_users, 10)

    has_month = m_a >= 0
    if has_month.any():
        n_months = len(months)
        cells = u_a[has_month] * n_months + m_a[has_month]
        if n_users * n_months <= 8 * len(cells) + 4096:  # a small grid: counted in place, no sort
            grid = np.bincount(cells, c_a[has_month], n_users * n_months).astype(np.int64)
            uniq = np.flatnonzero(grid)
            counts = grid[uniq]
        else:
            uniq, inv = np.unique(cells, return_inverse=True)
            counts = np.bincount(inv, c_a[has_month]).astype(np.int64)
            uniq, counts = uniq[counts != 0], counts[counts != 0]
        out.monthly = MonthlyRows(uniq // n_months, uniq % n_months, counts)

    if not affinities:
        return out
    out.aff = AffinityRows(*_affinity_sums(cols.cache.keys, u_a, p_a, c_a, rated_a, rating_sum, n_users))
    return out


# `_affinity_sums` packs four sums into one int64: rows (T), diary count + T, rated count + T,
# half stars + 10·T.
_T_SHIFT, _C_SHIFT, _RC_SHIFT = 49, 34, 19
_C_FIELD, _S_FIELD = (1 << 15) - 1, (1 << 19) - 1
_MAX_ROWS_PER_USER = 1 << 14  # then T < 2^14, 2·T < 2^15 and 20·T < 2^19: no field spills into the next


def _affinity_sums(index: KeyIndex, u_a: np.ndarray, p_a: np.ndarray, c_a: np.ndarray, rated_a: np.ndarray,
                   rating_sum: np.ndarray, n_users: int) -> tuple[np.ndarray, ...]:
    """(user, key, count, rated count, sum of half stars) per (user, affinity key) the rows
    touch, zero sums included (the write still moves the document's mark).

    One sparse product: (users x profiles) @ (profiles x keys). scipy sums it row by row
    into a dense accumulator, no sort (measured: 0.19 against 0.54 µs per event for
    `np.unique` over the expanded (user, key) rows). The product drops cells that sum to
    zero, so each row carries its count and rating shifted to be positive, packed with a
    1 that counts the rows; a touched cell is never zero, and the shifts come off after."""
    if len(u_a) == 0 or np.bincount(u_a).max() >= _MAX_ROWS_PER_USER or np.abs(rating_sum).max() > 10:
        return _affinity_sums_by_sort(index, u_a, p_a, c_a, rated_a, rating_sum)
    packed = (1 << _T_SHIFT) | ((c_a + 1) << _C_SHIFT) | ((rated_a + 1) << _RC_SHIFT) | (rating_sum + 10)
    incidence = index.incidence()
    by_profile = sparse.csr_matrix((packed, (u_a, p_a)), shape=(n_users, incidence.shape[0]))
    cells = by_profile @ incidence
    data = cells.data
    rows = data >> _T_SHIFT
    users = np.repeat(np.arange(n_users, dtype=np.int64), np.diff(cells.indptr))
    return (users, cells.indices.astype(np.int64), ((data >> _C_SHIFT) & _C_FIELD) - rows,
            ((data >> _RC_SHIFT) & _C_FIELD) - rows, (data & _S_FIELD) - 10 * rows)


def _affinity_sums_by_sort(index: KeyIndex, u_a: np.ndarray, p_a: np.ndarray, c_a: np.ndarray, rated_a: np.ndarray,
                           rating_sum: np.ndarray) -> tuple[np.ndarray, ...]:
    """`_affinity_sums` by sorting, for a user with more rows in one batch than the packing
    holds: sum per (user, profile), then expand each profile to its keys and sum per (user, key)."""
    empty = np.empty(0, np.int64)
    flat, offsets = index.flat()
    n_prof = len(offsets) - 1
    uniq, inv = np.unique(u_a * n_prof + p_a, return_inverse=True)
    pc = np.bincount(inv, c_a).astype(np.int64)
    pr = np.bincount(inv, rated_a).astype(np.int64)
    ps = np.bincount(inv, rating_sum).astype(np.int64)
    pair_u, pair_p = uniq // n_prof, uniq % n_prof
    starts = offsets[pair_p]
    lens = offsets[pair_p + 1] - starts
    total = int(lens.sum())
    if total == 0:
        return empty, empty, empty, empty, empty
    # Row j of pair q reads flat[starts[q] + j - (rows before q)].
    keys_a = flat[np.repeat(starts - (np.cumsum(lens) - lens), lens) + np.arange(total)]
    rep_u = np.repeat(pair_u, lens)
    n_keys = len(index)
    uniq2, inv2 = np.unique(rep_u * n_keys + keys_a, return_inverse=True)
    return (uniq2 // n_keys, uniq2 % n_keys,
            np.bincount(inv2, np.repeat(pc, lens)).astype(np.int64),
            np.bincount(inv2, np.repeat(pr, lens)).astype(np.int64),
            np.bincount(inv2, np.repeat(ps, lens)).astype(np.int64))
