"""Statistics documents, applying deltas to them, and the full recompute.

`compute_user_state` is the seeds' `compute_user_stats`: the statistics of a
diary computed from scratch. Every incremental path must end equal to it.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Sequence
from operator import attrgetter
from typing import Any, NamedTuple

import msgspec

from .deltas import DEFAULT_TZ, AffinityDelta, StatsDelta, TrendFact, UserDelta, apply_event
from .profiles import AFFINITY_TYPES, FILM, AffKey
from .diary import DiaryEntry, diary_order, film_of, to_movie
from .events import SCHEMA_VERSION, Event
from .ratings import RATING_KEYS, Rating, halves, stars

THRESHOLDS = (1, 2, 3, 5)


class StatsState(msgspec.Struct, omit_defaults=False):
    """The stored `user_stats` document (docs/contract.md §2 counters) plus its guard."""

    user_id: str
    total_watched: int = 0
    rated_count: int = 0  # entries with a rating
    sum_ratings: Rating = 0  # stars; a sum of half stars, exact in a float
    watch_time_minutes: int = 0
    timed_count: int = 0  # entries whose duration is known
    rewatch_count: int = 0  # entries marked rewatch
    rating_distribution: dict[str, int] = msgspec.field(default_factory=lambda: dict.fromkeys(RATING_KEYS, 0))
    monthly_counts: dict[str, dict[str, int]] = {}
    hwm: int = 0  # highest event seq applied
    updated_at: str | None = None


class AffinityState(msgspec.Struct, omit_defaults=False, gc=False):  # strings and ints only
    """One stored `user_affinities` document; count 0 is kept as a tombstone."""

    id: str
    user_id: str
    type: str
    name: str
    name_key: str
    count: int = 0
    sum_ratings: Rating = 0
    hwm: int = 0
    updated_at: str | None = None
    rated_count: int = 0

    @property
    def avg_rating(self) -> float:
        return self.sum_ratings / self.rated_count if self.rated_count else 0.0


def affinity_id(user_id: str, kind: str, key: str) -> str:
    return user_id + affinity_id_suffix(kind, key)


def affinity_id_suffix(kind: str, key: str) -> str:
    """What follows the user id in an affinity document's id (a batch appends it to many users)."""
    return f"_{kind}_{key}"


def apply_stats_delta(state: StatsState, delta: StatsDelta) -> StatsState:
    """A new state with `delta` added; months and years at zero are dropped."""
    dist = {k: state.rating_distribution.get(k, 0) + delta.dist[i] for i, k in enumerate(RATING_KEYS)}
    monthly = {y: dict(m) for y, m in state.monthly_counts.items()}
    for month, n in delta.monthly.items():
        year, mm = month[:4], month[5:7]
        months = monthly.setdefault(year, {})
        months[mm] = months.get(mm, 0) + n
    return msgspec.structs.replace(
        state,
        total_watched=state.total_watched + delta.total,
        rated_count=state.rated_count + delta.rated,
        sum_ratings=add_halves(state.sum_ratings, delta.halves),
        watch_time_minutes=state.watch_time_minutes + delta.watch_time,
        timed_count=state.timed_count + delta.timed,
        rewatch_count=state.rewatch_count + delta.rewatch,
        rating_distribution=dist,
        monthly_counts=prune_monthly(monthly),
    )


def add_halves(sum_ratings: Rating, more_halves: int) -> Rating:
    """A stored sum of ratings plus some half stars (exact: both are whole half stars)."""
    return stars(halves(sum_ratings) + more_halves)


def stats_counters(s: StatsState) -> tuple[Any, ...]:
    """What a statistics document says (not when, nor up to which event): to compare two."""
    return (s.total_watched, s.rated_count, s.sum_ratings, s.watch_time_minutes, s.timed_count, s.rewatch_count,
            {k: n for k, n in s.rating_distribution.items() if n}, prune_monthly(s.monthly_counts))


def affinity_counters(a: AffinityState | AffinityDelta) -> tuple[int, int, Rating]:
    """(count, rated count, sum of ratings) of a stored affinity or of a recomputed one."""
    if isinstance(a, AffinityDelta):
        return a.count, a.rated, stars(a.halves)
    return a.count, a.rated_count, a.sum_ratings


def prune_monthly(monthly: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    out = {}
    for year in sorted(monthly):
        months = {mm: n for mm, n in sorted(monthly[year].items()) if n}
        if months:
            out[year] = months
    return out


def entry_events(entries: Iterable[DiaryEntry]) -> list[Event]:
    """The ADD events that would build `entries` from an empty diary."""
    return [
        Event(event_type="ADD", user_id=e.user_id, entry_id=e.id, movie=to_movie(e), schema_version=SCHEMA_VERSION)
        for e in entries
    ]


def affinity_documents(user_id: str, affinities: dict[AffKey, AffinityDelta], hwm: int,
                       now: str | None = None) -> list[AffinityState]:
    """The stored documents of recomputed affinities (names at count 0 are left out)."""
    return [AffinityState(id=affinity_id(user_id, *key), user_id=user_id, type=key[0], name=a.name, name_key=key[1],
                          count=a.count, rated_count=a.rated, sum_ratings=stars(a.halves), hwm=hwm,
                          updated_at=now)
            for key, a in affinities.items() if a.count]


def compute_user_delta(user_id: str, entries: Iterable[DiaryEntry], tz: str = DEFAULT_TZ) -> UserDelta:
    """The full recompute, as a delta from the empty state."""
    delta = UserDelta(user_id)
    for event in entry_events(entries):
        apply_event(delta, event, tz)
    return delta


def recompute(user_id: str, entries: Iterable[DiaryEntry], version: int, tz: str = DEFAULT_TZ) -> UserDelta:
    """The full recompute of a user at the diary's `version` (what `DiaryStore.snapshot` read
    with the entries): the delta from the empty state, its trend facts carrying that version,
    so a fact a later event changes is newer. The projection's RECALCULATE and reconcile both
    start from this."""
    delta = compute_user_delta(user_id, entries, tz)
    for fact in delta.trends.values():
        fact.seq = version
    delta.last_seq = version or None  # what its writes move the marks to
    return delta


class UserState(NamedTuple):
    """What a user's documents hold by a recompute: the statistics, the names with entries
    (by key), the trend facts (by entry)."""

    stats: StatsState
    affinities: dict[AffKey, AffinityDelta]
    facts: dict[str, TrendFact]


def compute_user_state(user_id: str, entries: Iterable[DiaryEntry], tz: str = DEFAULT_TZ, hwm: int = 0) -> UserState:
    """Full recompute of one user's stats, affinities and trend facts, at diary version `hwm`."""
    return state_of(user_id, recompute(user_id, entries, hwm, tz), hwm)


def state_of(user_id: str, delta: UserDelta, version: int) -> UserState:
    """What a recompute (`recompute`) says the documents hold."""
    state = apply_stats_delta(StatsState(user_id=user_id, hwm=version), delta.stats)
    return UserState(state, {k: a for k, a in delta.affinities.items() if a.count}, delta.trends)


class Difference(msgspec.Struct, frozen=True):
    """One document whose projection is not what the recompute says: `what` names it
    ("stats", "affinity <type> <key>", "trend <entry>"), with both sides' contents."""

    what: str
    live: Any
    want: Any

    def __str__(self) -> str:
        return f"{self.what}: {self.live} != {self.want}"


def differences(want: UserState, live_stats: StatsState | None, live_affinities: Iterable[AffinityState],
                live_facts: Iterable[TrendFact], since: str = "") -> list[Difference]:
    """How the live projections of a user differ from `want` (`compute_user_state`): what they
    say, not up to which event (the marks are the caller's). Trend facts are compared from day
    `since` on (reconcile: the trends window); a fact that is not live counts as absent."""
    out = []
    got_stats = stats_counters(live_stats or StatsState(user_id=""))
    if got_stats != (want_stats := stats_counters(want.stats)):
        out.append(Difference("stats", got_stats, want_stats))
    got_affs = {(a.type, a.name_key): affinity_counters(a) for a in live_affinities}
    want_affs = {k: affinity_counters(a) for k, a in want.affinities.items()}
    out += [Difference(f"affinity {t} {k}", got_affs.get((t, k)), want_affs.get((t, k)))
            for t, k in sorted(got_affs.keys() | want_affs.keys()) if got_affs.get((t, k)) != want_affs.get((t, k))]
    got_facts = {f.entry_key: f.as_tuple() for f in live_facts if f.live and f.day >= since}
    want_facts = {k: f.as_tuple() for k, f in want.facts.items() if f.day >= since}
    out += [Difference(f"trend {k}", got_facts.get(k), want_facts.get(k))
            for k in sorted(got_facts.keys() | want_facts.keys()) if got_facts.get(k) != want_facts.get(k)]
    return out


# --- the derived view served by GET /api/me/stats --------------------------------


def _rank_count(items: Sequence[AffinityState]) -> list[AffinityState]:
    return rank_affinities(items, "count")


def _rank_avg(items: Sequence[AffinityState]) -> list[AffinityState]:
    return rank_affinities(items, "avg_rating")


def affinity_item(a: AffinityState) -> dict[str, Any]:
    return {"name": a.name, "count": a.count, "rated_count": a.rated_count, "sum_ratings": a.sum_ratings,
            "avg_rating": a.avg_rating}


def entry_item(e: DiaryEntry) -> dict[str, Any]:
    return {"id": e.id, "name": e.name, "title": e.title or e.name, "year": e.year,
            "rating": e.rating, "date": e.date, "genres": list(e.genres), "rewatch": e.rewatch, "tags": list(e.tags),
            "catalog_id": e.catalog_id}


# heapq's nsmallest/nlargest are the sorted lists' first `limit` (ties included), without
# sorting a whole diary in one call: a sort of 100,000 entries holds the interpreter for
# about 0.1 s, and the event loop with it.
def top_rated(entries: Iterable[DiaryEntry], limit: int = 10) -> list[DiaryEntry]:
    """Entries rated 4 stars or more, best first, then most recently watched."""
    good = ((e.rating, e) for e in entries if e.rating is not None and e.rating >= 4)
    best = heapq.nsmallest(limit, good, key=lambda r: (-r[0], _neg_date(r[1].date), r[1].name, r[1].id))
    return [e for _, e in best]


def recent(entries: Iterable[DiaryEntry], limit: int = 10) -> list[DiaryEntry]:
    """Most recently watched first (ties: most recently added)."""
    return heapq.nlargest(limit, entries, key=diary_order)


def newest_first(entries: Sequence[DiaryEntry], run: int = 4096) -> Iterator[DiaryEntry]:
    """Every entry, most recently watched first (ties: most recently added), in the order
    `recent` gives: sorted a run at a time and merged, so no single call sorts a whole diary."""
    runs = [sorted(entries[i:i + run], key=diary_order, reverse=True) for i in range(0, len(entries), run)]
    return heapq.merge(*runs, key=diary_order, reverse=True)


def _neg_date(date: str) -> tuple[Any, ...]:
    return tuple(-int(p) for p in date.split("-"))


def stats_view(state: StatsState, affinities: Iterable[AffinityState], entries: Sequence[DiaryEntry]) -> dict[str, Any]:
    """The full statistics of docs/contract.md §3 (without `sync`, which the service adds), from
    the stored documents; the diary's `entries` give the top lists and name the films."""
    live = [a for a in affinities if a.count > 0]
    by_type: dict[str, list[AffinityState]] = {kind: [] for kind in (*AFFINITY_TYPES, FILM)}
    for a in live:
        by_type.setdefault(a.type, []).append(a)
    genres = _rank_count(by_type["genre"])
    total, rated, timed = state.total_watched, state.rated_count, state.timed_count
    films = by_type[FILM]
    view: dict[str, Any] = {
        "total_watched": total,
        "rated_count": rated,
        "sum_ratings": state.sum_ratings,
        "avg_rating": state.sum_ratings / rated if rated else 0,
        "watch_time_minutes": state.watch_time_minutes,
        "watch_time_hours": round(state.watch_time_minutes / 60, 1),
        "avg_duration": round(state.watch_time_minutes / timed, 1) if timed else 0,
        "rating_distribution": {k: state.rating_distribution.get(k, 0) for k in RATING_KEYS},
        "monthly_counts": prune_monthly(state.monthly_counts),
        "rewatch_count": state.rewatch_count,
        "distinct_films": len(films),
        "most_rewatched": most_rewatched(films, entries),
        "favorite_genre": genres[0].name if genres else None,
        "genres": [
            {**affinity_item(g), "percentage": round(100 * g.count / total, 1) if total else 0}
            for g in genres[:10]
        ],
        "top_rated_movies": [entry_item(e) for e in top_rated(entries)],
        "recent_movies": [entry_item(e) for e in recent(entries)],
        "updated_at": state.updated_at,
    }
    # The breakdowns the charts draw, whole: a film's decade and year, the weekday, its
    # countries and languages (in their own order: decades and years by time, weekdays Monday first).
    for kind, plural in (("decade", "decades"), ("release_year", "release_years"), ("weekday", "weekdays")):
        view[plural] = [affinity_item(a) for a in sorted(by_type[kind], key=attrgetter("name"))]
    for kind, plural in (("country", "countries"), ("language", "languages")):
        view[plural] = [affinity_item(a) for a in _rank_count(by_type[kind])]
    for kind, plural in (("director", "directors"), ("actor", "actors"), ("writer", "writers")):
        people = by_type[kind]
        view[f"most_watched_{plural}"] = [affinity_item(a) for a in _rank_count(people)[:10]]
        view[f"best_rated_{plural}"] = {
            # over rated entries only: a name whose entries are all unrated has no average to rank
            str(t): [affinity_item(a) for a in _rank_avg([p for p in people if p.count >= t and p.rated_count])[:10]]
            for t in THRESHOLDS
        }
    return view


def most_rewatched(films: Iterable[AffinityState], entries: Iterable[DiaryEntry],
                   limit: int = 10) -> list[dict[str, Any]]:
    """The films logged most often (twice or more), most first, ties by title then year; each
    named as its most recently watched entry names it (a film typed two ways is one film; on
    one day, the title first in order: what the diary says, not when or where it was logged)."""
    again = {a.name: a.count for a in films if a.count >= 2}
    if not again:
        return []
    latest: dict[str, tuple[str, str, int | None, str | None]] = {}  # film -> (date, title, year, catalog id)
    for e in entries:
        film = film_of(e)
        if film in again:
            seen = latest.get(film)
            title = e.title or e.name
            if seen is None or e.date > seen[0] or (e.date == seen[0] and title < seen[1]):
                latest[film] = (e.date, title, e.year, e.catalog_id)
    out = [{"title": title, "year": year, "count": again[film], "catalog_id": catalog_id}
           for film, (_, title, year, catalog_id) in latest.items()]
    return heapq.nsmallest(limit, out, key=lambda f: (-f["count"], f["title"], f["year"] or 0))


def compute_user_stats(user_id: str, entries: Sequence[DiaryEntry], tz: str = DEFAULT_TZ) -> dict[str, Any]:
    """The seeds' compute_user_stats: the whole view from the diary alone."""
    state, affs, _ = compute_user_state(user_id, entries, tz)
    docs = [
        AffinityState(id=affinity_id(user_id, k[0], k[1]), user_id=user_id, type=k[0], name=a.name,
                      name_key=k[1], count=a.count, rated_count=a.rated, sum_ratings=stars(a.halves))
        for k, a in affs.items()
    ]
    return stats_view(state, docs, entries)


# How a user's affinities are ranked, per `sort`: (field, descending), most significant first.
# Every store ranks by this: memory and MongoDB sort with `rank_affinities`, SQLite builds its
# ORDER BY from it (adapters/sqlite/projections.py).
AFFINITY_ORDER: dict[str, tuple[tuple[str, bool], ...]] = {
    "count": (("count", True), ("name", False)),
    "avg_rating": (("avg_rating", True), ("count", True), ("name", False)),
}


def rank_affinities(docs: Iterable[AffinityState], sort: str) -> list[AffinityState]:
    """`docs` in the order `AFFINITY_ORDER[sort]` gives (count order for an unknown sort)."""
    ranked = list(docs)
    for field, descending in reversed(AFFINITY_ORDER.get(sort, AFFINITY_ORDER["count"])):
        ranked.sort(key=attrgetter(field), reverse=descending)  # stable: the next key decides ties
    return ranked
