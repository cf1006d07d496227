"""The batch fold, vectorised: a batch of events to one delta per document.

Same meaning as folding `domain.deltas.apply_event` event by event (the tests
check they agree), but the per-document sums are done by numpy: one Python
pass turns each event into a few integer rows, then `bincount`/`unique` add the
rows per user, per (user, month) and per (user, affinity key). What is left in
Python per event is reading its fields; what is left per document is nothing
until a caller materialises `UserDelta`s for the stores.

This lives outside the domain because the domain imports only the standard
library; it reuses the domain's profile cache, month and trend rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter, itemgetter

import numpy as np

from ..domain.deltas import (
    DEFAULT_TZ, AffinityDelta, AffKey, TrendFact, UserDelta, _profile, _profiles, entry_key, local_day,
)
from ..domain.events import Event

# Affinity keys interned to integers; profile id -> array of key ids.
_key_ids: dict[AffKey, int] = {}
_key_list: list[AffKey] = []
_key_names: list[str] = []
_profile_keys: list[np.ndarray] = []


def _keys_of_profiles(upto: int) -> None:
    for pid in range(len(_profile_keys), upto):
        ids = []
        for key, name in _profiles[pid]:
            kid = _key_ids.get(key)
            if kid is None:
                kid = _key_ids[key] = len(_key_list)
                _key_list.append(key)
                _key_names.append(name)
            ids.append(kid)
        _profile_keys.append(np.asarray(ids, dtype=np.int64))


class BatchDelta:
    """The folded batch: per-user stats arrays, per-(user, key) affinity arrays, trend facts."""

    def __init__(self, users: list[str]) -> None:
        self.users = users
        n = len(users)
        self.total = np.zeros(n, np.int64)
        self.sum_ratings = np.zeros(n, np.int64)
        self.watch_time = np.zeros(n, np.int64)
        self.dist = np.zeros((n, 5), np.int64)
        self.events = np.zeros(n, np.int64)
        self.first_seq: list[int | None] = [None] * n
        self.last_seq: list[int | None] = [None] * n
        self.monthly: tuple[np.ndarray, np.ndarray, np.ndarray] = (np.empty(0, np.int64),) * 3  # user, month, n
        self.months: list[str] = []
        self.aff: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] = (np.empty(0, np.int64),) * 4
        self._facts: dict[tuple[str, str], TrendFact] | None = None
        self._fact_source: tuple | None = None

    @property
    def documents(self) -> int:
        """Documents this batch updates: stats per user, affinity per (user, key), trend fact per entry."""
        return len(self.users) + len(self.aff[0]) + (len(self._fact_source[0]) if self._fact_source else 0)

    @property
    def facts(self) -> dict[tuple[str, str], TrendFact]:
        """The trend fact of each entry the batch touched (built on first use)."""
        if self._facts is None:
            self._facts = {}
            if self._fact_source is not None:
                last, events, movies, hits, kinds, seqs, tz = self._fact_source
                kinds = kinds.tolist()
                days: dict[str | None, str] = {}
                for (user_id, k), i in last.items():
                    event, movie = events[i], movies[i]
                    added_at = (movie.added_at or (event.previous.added_at if kinds[i] == UPDATE else None)
                                or event.timestamp)
                    day = days.get(added_at)
                    if day is None:
                        day = days[added_at] = local_day(added_at, tz)
                    self._facts[user_id, k] = TrendFact(user_id, k, day, movie.title or movie.name, hits[i][1],
                                               kinds[i] != DELETE, seqs[i])
        return self._facts

    def user_deltas(self) -> dict[str, UserDelta]:
        """Materialise one `UserDelta` per user (the stores' write input)."""
        out: dict[str, UserDelta] = {}
        for i, user_id in enumerate(self.users):
            d = out[user_id] = UserDelta(user_id)
            s = d.stats
            s.total, s.sum_ratings, s.watch_time = int(self.total[i]), int(self.sum_ratings[i]), int(self.watch_time[i])
            s.dist = [int(x) for x in self.dist[i]]
            d.first_seq, d.last_seq, d.events = self.first_seq[i], self.last_seq[i], int(self.events[i])
            d._aff = {}
        mu, mm, mn = self.monthly
        for u, m, n in zip(mu.tolist(), mm.tolist(), mn.tolist()):
            out[self.users[u]].stats.monthly[self.months[m]] = n
        au, ak, ac, asum = self.aff
        for u, k, c, sr in zip(au.tolist(), ak.tolist(), ac.tolist(), asum.tolist()):
            out[self.users[u]]._aff[_key_list[k]] = AffinityDelta(_key_names[k], c, sr)  # type: ignore[index]
        for fact in self.facts.values():
            out[fact.user_id].trends[fact.entry_key] = fact
        return out


_KINDS = {"ADD": 0, "BULK_IMPORT": 0, "DELETE": 1, "UPDATE": 2, "UPDATE_RATING": 3}
ADD, DELETE, UPDATE, UPDATE_RATING = 0, 1, 2, 3
_COUNT_OF_KIND = np.array([1, -1, 1, 0], np.int64)  # diary count moved by the event's movie side
_DIST_OF_KIND = np.array([1, -1, 1, 1], np.int64)  # rating-distribution count at its rating

_user_id, _seq, _kind, _movie, _entry_id = (attrgetter(f) for f in ("user_id", "seq", "event_type", "movie",
                                                                      "entry_id"))
_rating, _old, _new, _duration, _date, _director, _actors, _genres = (attrgetter(f) for f in (
    "rating", "old_rating", "new_rating", "duration", "date", "director", "actors", "genres"))

# (director, actors, genres tuple) -> (profile id, cleaned genres); same meaning as deltas._profile.
_credits: dict[tuple, tuple[int, tuple[str, ...]]] = {}


def _profile_of(key: tuple) -> tuple[int, tuple[str, ...]]:
    hit = _credits.get(key)
    if hit is None:
        if len(_credits) > 500_000:
            _credits.clear()
        hit = _credits[key] = _profile(key[0], key[1], key[2])
    return hit


def _ints(values) -> np.ndarray:
    """None -> 0, as an int64 array."""
    return np.array([v or 0 for v in values], np.int64)


def fold_batch(events: Sequence[Event], tz: str = DEFAULT_TZ) -> BatchDelta:
    """Fold validated events (no RECALCULATE), already in per-user seq order, into a `BatchDelta`.

    Fields are read column by column (`map` + `attrgetter` run at C speed);
    only UPDATE events, which carry a second movie, take a Python loop.
    """
    n = len(events)
    uids = list(map(_user_id, events))
    users = list(dict.fromkeys(uids))
    out = BatchDelta(users)
    if not n:
        return out
    index = {u: i for i, u in enumerate(users)}
    n_users = len(users)
    u_a = np.fromiter(map(index.__getitem__, uids), np.int64, n)
    k_a = np.fromiter(map(_KINDS.__getitem__, map(_kind, events)), np.int64, n)
    seqs = [s or 0 for s in map(_seq, events)]
    seq_a = np.array(seqs, np.int64)
    movies = list(map(_movie, events))
    keys = list(zip(map(_director, movies), map(_actors, movies),
                    [tuple(g) if g else () for g in map(_genres, movies)]))
    hits = list(map(_credits.get, keys))
    for i in [i for i, h in enumerate(hits) if h is None]:
        hits[i] = _profile_of(keys[i])
    p_a = np.fromiter(map(itemgetter(0), hits), np.int64, n)
    ur = k_a == UPDATE_RATING
    r_a = np.where(ur, _ints(map(_new, movies)), _ints(map(_rating, movies)))
    c_a = _COUNT_OF_KIND[k_a]
    d_a = _DIST_OF_KIND[k_a]
    t_a = np.where(ur, 0, _ints(map(_duration, movies)))

    # Month of each entry: its watch date, else the event's timestamp.
    months: dict[str, int] = {}
    when = list(map(_date, movies))
    for i in [i for i, w in enumerate(when) if not w]:
        when[i] = events[i].timestamp
    date_month = {w: months.setdefault(w[:7], len(months)) if w else -1 for w in dict.fromkeys(when)}
    m_a = np.where(ur, -1, np.fromiter(map(date_month.__getitem__, when), np.int64, n))

    # Second rows: the old rating of UPDATE_RATING, the previous movie of UPDATE.
    extra_u, extra_p, extra_c, extra_r, extra_d, extra_t, extra_m = ([] for _ in range(7))
    ur_ix = np.flatnonzero(ur)
    if len(ur_ix):
        extra_u.append(u_a[ur_ix])
        extra_p.append(p_a[ur_ix])
        extra_c.append(np.zeros(len(ur_ix), np.int64))
        extra_r.append(_ints(_old(movies[i]) for i in ur_ix.tolist()))
        extra_d.append(np.full(len(ur_ix), -1, np.int64))
        extra_t.append(np.zeros(len(ur_ix), np.int64))
        extra_m.append(np.full(len(ur_ix), -1, np.int64))
    up_ix = np.flatnonzero(k_a == UPDATE).tolist()
    if up_ix:
        prevs = [events[i].previous for i in up_ix]
        extra_u.append(u_a[up_ix])
        extra_p.append(np.array([_profile_of((p.director, p.actors, tuple(p.genres or ())))[0] for p in prevs]))
        extra_c.append(np.full(len(up_ix), -1, np.int64))
        extra_r.append(np.array([p.rating for p in prevs], np.int64))
        extra_d.append(np.full(len(up_ix), -1, np.int64))
        extra_t.append(_ints(p.duration for p in prevs))
        pm = []
        for i, p in zip(up_ix, prevs):
            w = p.date or events[i].timestamp
            pm.append(months.setdefault(w[:7], len(months)) if w else -1)
        extra_m.append(np.array(pm, np.int64))
    if extra_u:
        u_a, p_a, c_a, r_a, d_a, t_a, m_a = (np.concatenate([a, *b]) for a, b in zip(
            (u_a, p_a, c_a, r_a, d_a, t_a, m_a), (extra_u, extra_p, extra_c, extra_r, extra_d, extra_t, extra_m)))

    # Trend facts: the last event of each entry in the batch (events come in seq order).
    fact_ix = np.flatnonzero(~ur).tolist()
    entry_keys = list(map(_entry_id, events))
    for i in [i for i in fact_ix if not entry_keys[i]]:
        entry_keys[i] = entry_key(events[i])
    # Entry keys are per user (seed-era keys are built from name and date).
    last = dict(zip(zip(map(uids.__getitem__, fact_ix), map(entry_keys.__getitem__, fact_ix)), fact_ix))
    out._fact_source = (last, events, movies, hits, k_a, seqs, tz)

    out.months = list(months)
    out.events = np.bincount(u_a[:n], minlength=n_users)
    if seq_a.any():
        first = np.full(n_users, np.iinfo(np.int64).max)
        last_seq = np.zeros(n_users, np.int64)
        np.minimum.at(first, u_a[:n][seq_a > 0], seq_a[seq_a > 0])
        np.maximum.at(last_seq, u_a[:n], seq_a)
        has = (last_seq > 0).tolist()
        out.first_seq = [f if h else None for f, h in zip(first.tolist(), has)]
        out.last_seq = [x if h else None for x, h in zip(last_seq.tolist(), has)]

    rating_sum = r_a * d_a  # ADD/DELETE/UPDATE rows: d == c; UPDATE_RATING rows move sums only
    out.total = np.bincount(u_a, c_a, n_users).astype(np.int64)
    out.sum_ratings = np.bincount(u_a, rating_sum, n_users).astype(np.int64)
    out.watch_time = np.bincount(u_a, t_a * c_a, n_users).astype(np.int64)
    out.dist = np.bincount(u_a * 5 + (r_a - 1), d_a, n_users * 5).astype(np.int64).reshape(n_users, 5)

    has_month = m_a >= 0
    if has_month.any():
        n_months = len(months)
        uniq, inv = np.unique(u_a[has_month] * n_months + m_a[has_month], return_inverse=True)
        counts = np.bincount(inv, c_a[has_month]).astype(np.int64)
        keep = counts != 0
        out.monthly = (uniq[keep] // n_months, uniq[keep] % n_months, counts[keep])

    # Affinities: sum per (user, profile), then expand each profile to its keys and sum per (user, key).
    _keys_of_profiles(len(_profiles))
    n_prof = len(_profiles)
    uniq, inv = np.unique(u_a * n_prof + p_a, return_inverse=True)
    pc = np.bincount(inv, c_a).astype(np.int64)
    ps = np.bincount(inv, rating_sum).astype(np.int64)
    pair_u, pair_p = uniq // n_prof, uniq % n_prof
    key_arrays = list(map(_profile_keys.__getitem__, pair_p.tolist()))
    lens = np.fromiter(map(len, key_arrays), np.int64, len(key_arrays))
    if lens.sum() == 0:
        return out
    keys_a = np.concatenate(key_arrays)
    rep_u = np.repeat(pair_u, lens)
    n_keys = len(_key_list)
    uniq2, inv2 = np.unique(rep_u * n_keys + keys_a, return_inverse=True)
    out.aff = (uniq2 // n_keys, uniq2 % n_keys,
               np.bincount(inv2, np.repeat(pc, lens)).astype(np.int64),
               np.bincount(inv2, np.repeat(ps, lens)).astype(np.int64))
    return out
