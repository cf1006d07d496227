"""The batch fold, vectorised: a batch of events to one delta per document.

Same meaning as folding `domain.deltas.apply_event` event by event (the tests
check they agree), but the per-document sums are done by numpy: the events'
fields are read column by column (`map` + `attrgetter`, at C speed; `Columns`,
a chunk at a time as they are decoded) into integer arrays, then
`bincount`/`unique` add the rows per user and per (user, month), and a sparse
product per (user, affinity key). No Python statement runs once per
event on the common path. The projection builds its writes straight from these
arrays (`projector.py`); `user_deltas` is the object form, for the tests.

This lives outside the domain because the domain imports only the standard
library; it reuses the domain's profiles, month and trend rules. What it remembers
between batches is in the `FoldCache` it is given (`caches.py`), never in
module state.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np
from scipy import sparse

from ...domain.deltas import DEFAULT_TZ, entry_day, entry_month, film_credits, fold_events
from ...domain.events import Event, Movie
from ...domain.profiles import weekday_index, weekday_key
from .batch import (
    _COUNT_OF_KIND,
    _DIST_OF_KIND,
    UPDATE,
    UPDATE_RATING,
    AffinityRows,
    BatchDelta,
    MonthlyRows,
    _new,
    _old,
    paused_gc,
)
from .caches import FoldCache, KeyIndex
from .columns import _NO_DATE, Columns, _columns_of, _halves, _ints, _last_of_each_entry
from .wire import as_domain


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
    # Weekday of each entry (`entry_day`): as its month, only a movie without a date falls back.
    book = cols.cache.profiles
    w_a = np.array(cols.weekday_ix, np.int64)
    if None in cols.weekday_of:
        for i in np.flatnonzero(w_a == _NO_DATE).tolist():
            w_a[i] = weekday_index(entry_day(movies[i], events[i]))
    rw_a = np.array(cols.rewatches, np.int64)

    # Second rows: the old rating of UPDATE_RATING, the previous movie of UPDATE.
    extra: tuple[list[np.ndarray], ...] = tuple([] for _ in range(9))
    if has_ur:
        none, zeros = np.full(len(ur_ix), -1, np.int64), np.zeros(len(ur_ix), np.int64)
        for rows, column in zip(extra, (u_a[ur_ix], p_a[ur_ix], zeros, _halves(list(map(_old, ur_movies))), none,
                                        zeros, none, w_a[ur_ix], zeros)):
            rows.append(column)
    up_ix = np.flatnonzero(k_a == UPDATE).tolist()
    if up_ix:
        prevs = [events[i].previous or Movie() for i in up_ix]  # validation: an UPDATE has one
        none = np.full(len(up_ix), -1, np.int64)
        pm = []
        for i, p in zip(up_ix, prevs):
            month = entry_month(p, events[i])
            pm.append(month_of[month] if month else -1)
        columns = (u_a[up_ix], np.array([book.lookup(*film_credits(p))[0] for p in prevs], np.int64), none,
                   _halves(p.rating for p in prevs), none, _ints(p.duration for p in prevs), np.array(pm, np.int64),
                   np.array([weekday_index(entry_day(p, events[i])) for i, p in zip(up_ix, prevs)], np.int64),
                   np.array([p.rewatch for p in prevs], np.int64))
        for rows, column in zip(extra, columns):
            rows.append(column)
    if extra[0]:
        u_a, p_a, c_a, r_a, d_a, t_a, m_a, w_a, rw_a = (np.concatenate([a, *b]) for a, b in zip(
            (u_a, p_a, c_a, r_a, d_a, t_a, m_a, w_a, rw_a), extra))

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
    out.rewatch = np.bincount(u_a, c_a * rw_a, n_users).astype(np.int64)
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
    found = _affinity_sums(cols.cache.keys, u_a, p_a, c_a, rated_a, rating_sum, n_users)
    # Each row counts again under its weekday: seven keys, summed per (user, weekday) like the months.
    day = w_a >= 0
    if day.any():
        cells = u_a[day] * 7 + w_a[day]
        touched = np.flatnonzero(np.bincount(cells, minlength=n_users * 7))
        index = cols.cache.keys
        key_of = np.array([index.intern(key, key[1]) for key in map(weekday_key, range(7))], np.int64)
        sums = [np.bincount(cells, weights, n_users * 7).astype(np.int64)[touched]
                for weights in (c_a[day], rated_a[day], rating_sum[day])]
        found = tuple(np.concatenate([a, b]) for a, b in zip(found, (touched // 7, key_of[touched % 7], *sums)))
    out.aff = AffinityRows(*found)
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
