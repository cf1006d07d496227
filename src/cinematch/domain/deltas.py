"""Where an event becomes a delta.

One event folds into three kinds of delta:
- the user's statistics (`StatsDelta`: counters to add),
- the user's affinities (`AffinityDelta` per director/actor/genre key),
- the trend fact of the diary entry (`TrendFact`: the entry's latest state,
  last writer wins by `seq`).

Deltas form a monoid (`UserDelta.merge`), so a batch folds into one update per
touched document. UPDATE = -previous +movie; UPDATE_RATING moves sums only;
BULK_IMPORT = ADD; RECALCULATE is a full recompute and is handled by the
projection (it needs the diary), not here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from .events import Event, Movie
from .text import MAX_ACTORS, MAX_DIRECTORS, clean_key, split_people

AFFINITY_TYPES = ("director", "actor", "genre")
AffKey = tuple[str, str]  # (type, clean_key(name))
Profile = tuple[tuple[AffKey, str], ...]  # ((type, key), display name) per affinity of a movie

DEFAULT_TZ = "Europe/Rome"


class StatsDelta:
    """Additive change to one user's statistics document."""

    __slots__ = ("total", "sum_ratings", "watch_time", "dist", "monthly")

    def __init__(self) -> None:
        self.total = 0
        self.sum_ratings = 0
        self.watch_time = 0
        self.dist = [0, 0, 0, 0, 0]  # ratings 1..5
        self.monthly: dict[str, int] = {}  # "YYYY-MM" -> count

    def merge(self, other: StatsDelta) -> StatsDelta:
        self.total += other.total
        self.sum_ratings += other.sum_ratings
        self.watch_time += other.watch_time
        for i in range(5):
            self.dist[i] += other.dist[i]
        for month, n in other.monthly.items():
            self.monthly[month] = self.monthly.get(month, 0) + n
        return self

    def is_zero(self) -> bool:
        return not (
            self.total or self.sum_ratings or self.watch_time or any(self.dist)
            or any(self.monthly.values())
        )

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return (f"StatsDelta(total={self.total}, sum={self.sum_ratings}, time={self.watch_time}, "
                f"dist={self.dist}, monthly={self.monthly})")


class AffinityDelta:
    __slots__ = ("name", "count", "sum_ratings")

    def __init__(self, name: str, count: int = 0, sum_ratings: int = 0) -> None:
        self.name = name
        self.count = count
        self.sum_ratings = sum_ratings

    def merge(self, other: AffinityDelta) -> AffinityDelta:
        self.name = other.name
        self.count += other.count
        self.sum_ratings += other.sum_ratings
        return self


class TrendFact:
    """The latest known state of one diary entry, for the global trends."""

    __slots__ = ("user_id", "entry_key", "day", "title", "genres", "live", "seq")

    def __init__(self, user_id: str, entry_key: str, day: str, title: str,
                 genres: tuple[str, ...], live: bool, seq: int) -> None:
        self.user_id = user_id
        self.entry_key = entry_key
        self.day = day
        self.title = title
        self.genres = genres
        self.live = live
        self.seq = seq

    def as_tuple(self) -> tuple:
        return (self.user_id, self.entry_key, self.day, self.title, self.genres, self.live)

    def __repr__(self) -> str:  # pragma: no cover
        return f"TrendFact{self.as_tuple() + (self.seq,)}"


class UserDelta:
    """Everything one user's events change, merged."""

    __slots__ = ("user_id", "stats", "affinities", "trends", "first_seq", "last_seq", "events")

    def __init__(self, user_id: str) -> None:
        self.user_id = user_id
        self.stats = StatsDelta()
        self.affinities: dict[AffKey, AffinityDelta] = {}
        self.trends: dict[str, TrendFact] = {}
        self.first_seq: int | None = None
        self.last_seq: int | None = None
        self.events = 0

    def merge(self, other: UserDelta) -> UserDelta:
        self.stats.merge(other.stats)
        for key, aff in other.affinities.items():
            mine = self.affinities.get(key)
            if mine is None:
                self.affinities[key] = AffinityDelta(aff.name, aff.count, aff.sum_ratings)
            else:
                mine.merge(aff)
        for key, fact in other.trends.items():
            if key not in self.trends or fact.seq >= self.trends[key].seq:
                self.trends[key] = fact
        self.first_seq = _min(self.first_seq, other.first_seq)
        self.last_seq = _max(self.last_seq, other.last_seq)
        self.events += other.events
        return self


def _min(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def _max(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)


# --- movie profile: which affinity keys one entry contributes to -------------

_profile_cache: dict[tuple, Profile] = {}


def movie_profile(director: str | None, actors: str | None, genres: Iterable[str] | None) -> Profile:
    """The affinity keys of one entry: first 2 directors, first 5 actors, all genres.

    A key appears once per entry even if a name is listed twice. Cached, because
    the same film shows up in many users' diaries.
    """
    genres_t = tuple(genres or ())
    cache_key = (director, actors, genres_t)
    hit = _profile_cache.get(cache_key)
    if hit is not None:
        return hit
    seen: dict[AffKey, str] = {}
    for kind, names in (
        ("director", split_people(director, MAX_DIRECTORS)),
        ("actor", split_people(actors, MAX_ACTORS)),
        ("genre", [g.strip() for g in genres_t if g and g.strip()]),
    ):
        for name in names:
            seen.setdefault((kind, clean_key(name)), name)
    profile = tuple(seen.items())
    if len(_profile_cache) > 200_000:
        _profile_cache.clear()
    _profile_cache[cache_key] = profile
    return profile


# --- trend window clock ------------------------------------------------------

_zones: dict[str, ZoneInfo] = {}


def zone(name: str) -> ZoneInfo:
    z = _zones.get(name)
    if z is None:
        z = _zones[name] = ZoneInfo(name)
    return z


def local_day(instant: str | None, tz: str = DEFAULT_TZ) -> str:
    """The calendar day (YYYY-MM-DD) of an ISO instant in the configured zone."""
    if not instant:
        return ""
    moment = dt.datetime.fromisoformat(instant)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone(tz))
    return moment.astimezone(zone(tz)).date().isoformat()


def entry_key(event: Event) -> str:
    """Identity of the diary entry an event is about (seed events have no entry_id)."""
    if event.entry_id:
        return event.entry_id
    movie = event.movie or Movie()
    return f"legacy:{movie.name}:{movie.date or ''}"


# --- event -> delta ----------------------------------------------------------


def _month(movie: Movie, event: Event) -> str | None:
    day = movie.date or (event.timestamp[:10] if event.timestamp else None)
    return day[:7] if day else None


def _add_movie(delta: UserDelta, movie: Movie, rating: int, sign: int, event: Event) -> None:
    stats = delta.stats
    stats.total += sign
    stats.sum_ratings += sign * rating
    stats.watch_time += sign * (movie.duration or 0)
    stats.dist[rating - 1] += sign
    month = _month(movie, event)
    if month is not None:
        stats.monthly[month] = stats.monthly.get(month, 0) + sign
    affinities = delta.affinities
    rating_sign = sign * rating
    for key, name in movie_profile(movie.director, movie.actors, movie.genres):
        aff = affinities.get(key)
        if aff is None:
            affinities[key] = AffinityDelta(name, sign, rating_sign)
        else:
            aff.name = name
            aff.count += sign
            aff.sum_ratings += rating_sign


def _trend_fact(event: Event, movie: Movie, added_from: Movie | None, live: bool, seq: int, tz: str) -> TrendFact:
    added_at = movie.added_at or (added_from.added_at if added_from else None) or event.timestamp
    return TrendFact(
        event.user_id, entry_key(event), local_day(added_at, tz),
        movie.title or movie.name, tuple(g.strip() for g in (movie.genres or ()) if g and g.strip()),
        live, seq,
    )


def apply_event(delta: UserDelta, event: Event, tz: str = DEFAULT_TZ, *,
                stats: bool = True, affinity_filter=None, trends: bool = True) -> None:
    """Fold one validated event into `delta`.

    `stats`, `affinity_filter` and `trends` restrict which documents receive the
    event (used when some documents already hold it after a crash).
    """
    kind = event.event_type
    if kind == "RECALCULATE":
        raise ValueError("RECALCULATE is a full recompute, not a delta")
    movie = event.movie
    assert movie is not None
    seq = event.seq if event.seq is not None else 0
    target = delta if (stats and affinity_filter is None) else UserDelta(delta.user_id)

    if kind == "UPDATE_RATING":
        old, new = movie.old_rating, movie.new_rating
        assert old is not None and new is not None
        if old != new:
            diff = new - old
            target.stats.sum_ratings += diff
            target.stats.dist[old - 1] -= 1
            target.stats.dist[new - 1] += 1
            for key, name in movie_profile(movie.director, movie.actors, movie.genres):
                aff = target.affinities.get(key)
                if aff is None:
                    target.affinities[key] = AffinityDelta(name, 0, diff)
                else:
                    aff.sum_ratings += diff
    elif kind == "DELETE":
        _add_movie(target, movie, movie.rating, -1, event)  # type: ignore[arg-type]
        if trends:
            fact = _trend_fact(event, movie, None, False, seq, tz)
            delta.trends[fact.entry_key] = fact
    elif kind == "UPDATE":
        previous = event.previous
        assert previous is not None
        _add_movie(target, previous, previous.rating, -1, event)  # type: ignore[arg-type]
        _add_movie(target, movie, movie.rating, +1, event)  # type: ignore[arg-type]
        if trends:
            fact = _trend_fact(event, movie, previous, True, seq, tz)
            delta.trends[fact.entry_key] = fact
    else:  # ADD, BULK_IMPORT
        _add_movie(target, movie, movie.rating, +1, event)  # type: ignore[arg-type]
        if trends:
            fact = _trend_fact(event, movie, None, True, seq, tz)
            delta.trends[fact.entry_key] = fact

    if target is not delta:  # restricted application: copy only what was allowed
        if stats:
            delta.stats.merge(target.stats)
        for key, aff in target.affinities.items():
            if affinity_filter is None or affinity_filter(key):
                mine = delta.affinities.get(key)
                if mine is None:
                    delta.affinities[key] = aff
                else:
                    mine.merge(aff)
    delta.events += 1
    if event.seq is not None:
        delta.first_seq = _min(delta.first_seq, event.seq)
        delta.last_seq = _max(delta.last_seq, event.seq)


def fold_events(events: Iterable[Event], tz: str = DEFAULT_TZ) -> dict[str, UserDelta]:
    """Fold a batch of events (no RECALCULATE) into one delta per user."""
    deltas: dict[str, UserDelta] = {}
    for event in events:
        delta = deltas.get(event.user_id)
        if delta is None:
            delta = deltas[event.user_id] = UserDelta(event.user_id)
        apply_event(delta, event, tz)
    return deltas
