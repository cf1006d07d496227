"""A batch's result: one delta per document, as rows the writes are built from (`BatchDelta`),
whatever fold made it."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from operator import add, attrgetter, itemgetter
from typing import Any, NamedTuple

import numpy as np

from ...domain.deltas import (
    COUNT_SIGN,
    RATING_SIGN,
    AffinityDelta,
    TrendFact,
    UserDelta,
    added_instant,
    local_day,
    public_film_of,
)
from ...domain.ports import AffinityWrite, StatsWrite
from ...domain.profiles import AffKey
from ...domain.ratings import stars
from .caches import FoldCache
from .wire import catalog_id_of

# The event kinds by index, and what each does to the counts.
_KIND_NAMES = ("ADD", "DELETE", "UPDATE", "UPDATE_RATING")  # by index; a BULK_IMPORT folds as an ADD
_KINDS = {**{k: i for i, k in enumerate(_KIND_NAMES)}, "BULK_IMPORT": 0}
ADD, DELETE, UPDATE, UPDATE_RATING = range(4)
_COUNT_OF_KIND = np.array([COUNT_SIGN[k] for k in _KIND_NAMES], np.int64)  # the diary count, its movie side
_DIST_OF_KIND = np.array([RATING_SIGN[k] for k in _KIND_NAMES], np.int64)  # the distribution, at its rating

_first = itemgetter(0)
_user_id, _seq, _kind, _movie, _entry_id = (attrgetter(f) for f in ("user_id", "seq", "event_type", "movie",
                                                                      "entry_id"))
_rating, _old, _new, _duration, _date, _rewatch = (
    attrgetter(f) for f in ("rating", "old_rating", "new_rating", "duration", "date", "rewatch"))


class _Ids(dict[Any, int]):
    """Interns keys to 0, 1, 2… in order of first sight: `ids[key]` assigns the next one.
    Only a new key runs Python code; a known one is a plain dict lookup in C."""

    def __missing__(self, key: Any) -> int:
        value = self[key] = len(self)
        return value


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
        self.rewatch = np.zeros(n, np.int64)  # entries marked rewatch
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
                                                              public_film_of(movie.private, catalog_id_of(movie)))
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
                           watch_time=wt, timed=tc, rewatch=rw, dist=d, monthly=m, updated_at=now)
                for u, ok, h, nh, t, r, sh, wt, tc, rw, d, m in zip(
                    self.users, fresh, hwms.tolist(), new_hwms, self.total.tolist(), self.rated.tolist(),
                    self.halves.tolist(), self.watch_time.tolist(), self.timed.tolist(), self.rewatch.tolist(),
                    self.dist.tolist(), self.monthly_by_user()) if ok]

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
            s.watch_time, s.timed, s.rewatch = int(self.watch_time[i]), int(self.timed[i]), int(self.rewatch[i])
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
            out.watch_time[i], out.timed[i], out.rewatch[i], out.dist[i] = s.watch_time, s.timed, s.rewatch, s.dist
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
