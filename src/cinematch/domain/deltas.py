"""Where an event becomes a delta.

One event folds into three kinds of delta:
- the user's statistics (`StatsDelta`: counters to add),
- the user's affinities (`AffinityDelta` per key of `profiles.AFFINITY_TYPES`, and per film),
- the trend fact of the diary entry (`TrendFact`: the entry's latest state,
  last writer wins by `seq`).

Deltas form a monoid (`UserDelta.merge`), so a batch folds into one update per
touched document. Ratings are counted in half stars (`ratings.halves`: integers, 0 for
an unrated entry), so every sum is exact. UPDATE = -previous +movie; UPDATE_RATING
moves the rating sums, the rated count and the distribution only;
BULK_IMPORT = ADD; RECALCULATE is a full recompute and is handled by the
projection (it needs the diary), not here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from .events import Event, Movie
from .profiles import AffKey, Profiles
from .ratings import halves

DEFAULT_TZ = "Europe/Rome"


class StatsDelta:
    """Additive change to one user's statistics document."""

    __slots__ = ("total", "rated", "halves", "watch_time", "timed", "dist", "monthly", "rewatch")

    def __init__(self) -> None:
        self.total = 0
        self.rewatch = 0  # entries marked rewatch
        self.rated = 0  # entries with a rating
        self.halves = 0  # sum of the ratings, in half stars
        self.watch_time = 0
        self.timed = 0  # entries whose duration is known
        self.dist = [0] * 10  # ratings 0.5, 1, … 5
        self.monthly: dict[str, int] = {}  # "YYYY-MM" -> count

    def merge(self, other: StatsDelta) -> StatsDelta:
        self.total += other.total
        self.rated += other.rated
        self.halves += other.halves
        self.watch_time += other.watch_time
        self.timed += other.timed
        self.rewatch += other.rewatch
        for i in range(10):
            self.dist[i] += other.dist[i]
        for month, n in other.monthly.items():
            self.monthly[month] = self.monthly.get(month, 0) + n
        return self

    def is_zero(self) -> bool:
        return not (
            self.total or self.rated or self.halves or self.watch_time or self.timed or self.rewatch
            or any(self.dist)
            or any(self.monthly.values())
        )

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return (f"StatsDelta(total={self.total}, rated={self.rated}, halves={self.halves}, "
                f"time={self.watch_time}, timed={self.timed}, rewatch={self.rewatch}, dist={self.dist}, "
                f"monthly={self.monthly})")


class AffinityDelta:
    __slots__ = ("name", "count", "rated", "halves")

    def __init__(self, name: str, count: int = 0, rated: int = 0, halves: int = 0) -> None:
        self.name = name
        self.count = count
        self.rated = rated  # entries with the name that have a rating
        self.halves = halves  # their ratings' sum, in half stars

    def merge(self, other: AffinityDelta) -> AffinityDelta:
        self.name = other.name
        self.count += other.count
        self.rated += other.rated
        self.halves += other.halves
        return self


def public_film(movie: Movie) -> str:
    """The catalog film an entry counts for in the public trends: its linked film, unless the
    entry is private ("" then, like an entry the catalog does not know: docs/contract.md §2)."""
    return public_film_of(movie.private, movie.catalog_id)


def public_film_of(private: bool, catalog_id: str | None) -> str:
    """`public_film` of an entry's flag and film (the vectorised fold reads them apart)."""
    return "" if private else (catalog_id or "")


class TrendFact(msgspec.Struct, gc=False):
    """The latest known state of one diary entry, for the global trends.

    A msgspec Struct (built in C, not tracked by the garbage collector): a batch
    makes one per touched entry.
    """

    user_id: str
    entry_key: str
    day: str
    title: str
    genres: tuple[str, ...]
    live: bool
    seq: int
    # The catalog film the entry is matched to ("" when it is not): the public trends
    # count only these, by distinct user, and show the catalog's title and genres.
    film: str = ""

    def as_tuple(self) -> tuple[Any, ...]:
        return (self.user_id, self.entry_key, self.day, self.title, self.genres, self.live, self.film)


class UserDelta:
    """Everything one user's events change, merged.

    Affinities are accumulated per movie *profile* first (one dict update per
    event instead of one per person and genre) and expanded to per-key deltas
    on first read of `affinities`: the expansion is the only per-key work.
    """

    __slots__ = ("user_id", "book", "stats", "profiles", "extra", "trends", "first_seq", "last_seq", "events", "_aff")

    def __init__(self, user_id: str, book: Profiles | None = None) -> None:
        self.user_id = user_id
        self.book = Profiles() if book is None else book  # what the profile ids below stand for
        self.stats = StatsDelta()
        self.profiles: dict[int, list[int]] = {}  # profile id -> [count, rated, halves]
        self.extra: dict[AffKey, AffinityDelta] = {}  # per-key deltas (guarded replays)
        self.trends: dict[str, TrendFact] = {}
        self.first_seq: int | None = None
        self.last_seq: int | None = None
        self.events = 0
        self._aff: dict[AffKey, AffinityDelta] | None = None

    @property
    def affinities(self) -> dict[AffKey, AffinityDelta]:
        if self._aff is None:
            out: dict[AffKey, AffinityDelta] = {}
            for pid, (count, rated, sums) in self.profiles.items():
                for key, name in self.book[pid]:
                    aff = out.get(key)
                    if aff is None:
                        out[key] = AffinityDelta(name, count, rated, sums)
                    else:
                        aff.count += count
                        aff.rated += rated
                        aff.halves += sums
            for key, extra in self.extra.items():
                aff = out.get(key)
                if aff is None:
                    out[key] = AffinityDelta(extra.name, extra.count, extra.rated, extra.halves)
                else:
                    aff.merge(extra)
            self._aff = out
        return self._aff

    def merge(self, other: UserDelta) -> UserDelta:
        self._aff = None
        self.stats.merge(other.stats)
        if other.book is self.book:
            for pid, (count, rated, sums) in other.profiles.items():
                _add_profile(self.profiles, pid, count, rated, sums)
            extra = other.extra.items()
        else:  # profile ids of another numbering: merged key by key
            extra = other.affinities.items()
        for key, aff in extra:
            mine_aff = self.extra.get(key)
            if mine_aff is None:
                self.extra[key] = AffinityDelta(aff.name, aff.count, aff.rated, aff.halves)
            else:
                mine_aff.merge(aff)
        for entry, fact in other.trends.items():
            if entry not in self.trends or fact.seq >= self.trends[entry].seq:
                self.trends[entry] = fact
        self.first_seq = _min(self.first_seq, other.first_seq)
        self.last_seq = _max(self.last_seq, other.last_seq)
        self.events += other.events
        return self


def _min(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def _max(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)


# --- trend window clock ------------------------------------------------------


def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)  # ZoneInfo keeps its own cache of zones


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


# The rules every fold follows: this one event by event, services/projection/fold.py in arrays.

# How an event of each kind moves its movie's entry in the diary count and in the rating
# distribution (at the movie's rating; an UPDATE_RATING's old rating is taken out apart, and an
# UPDATE's previous movie is taken out whole, -1 and -1).
COUNT_SIGN: dict[str, int] = {"ADD": 1, "BULK_IMPORT": 1, "UPDATE": 1, "DELETE": -1, "UPDATE_RATING": 0}
RATING_SIGN: dict[str, int] = {"ADD": 1, "BULK_IMPORT": 1, "UPDATE": 1, "DELETE": -1, "UPDATE_RATING": 1}

def month_key(when: str) -> str:
    """The month ("YYYY-MM") of a date or an instant."""
    return when[:7]


def entry_day(movie: Movie, event: Event) -> str | None:
    """The day an entry counts on (its weekday): its watch date, else its event's timestamp's date."""
    return movie.date or event.timestamp


def entry_month(movie: Movie, event: Event) -> str | None:
    """The month an entry counts in: its watch date's, else its event's timestamp's."""
    when = movie.date or event.timestamp
    return month_key(when) if when else None


def added_instant(movie: Movie, event: Event) -> str | None:
    """The trend window's clock of an entry: when it was added (an UPDATE's new movie may not
    say, its previous one does), else when its event happened."""
    previous = event.previous if event.event_type == "UPDATE" else None
    return movie.added_at or (previous.added_at if previous is not None else None) or event.timestamp


def _add_movie(delta: UserDelta, movie: Movie, sign: int, event: Event) -> None:
    stats = delta.stats
    stats.total += sign
    h = halves(movie.rating)
    rated = sign if h else 0
    if h:
        stats.rated += sign
        stats.halves += sign * h
        stats.dist[h - 1] += sign
    if movie.duration:
        stats.watch_time += sign * movie.duration
        stats.timed += sign
    if movie.rewatch:
        stats.rewatch += sign
    month = entry_month(movie, event)
    if month is not None:
        monthly = stats.monthly
        monthly[month] = monthly.get(month, 0) + sign
    _add_profiles(delta, movie, event, sign, rated, sign * h)


def film_credits(movie: Movie) -> tuple[Any, ...]:
    """What an entry's profile is made of (`profiles.PROFILE_FIELDS`)."""
    return (movie.director, movie.actors, movie.genres, movie.writers, movie.countries, movie.languages,
            movie.year, movie.catalog_id, movie.name)


def _add_profiles(delta: UserDelta, movie: Movie, event: Event, count: int, rated: int, sums: int) -> None:
    """An entry's change in its film's profile and in its weekday's."""
    book = delta.book
    _add_profile(delta.profiles, book.lookup(*film_credits(movie))[0], count, rated, sums)
    day = book.weekday(entry_day(movie, event))
    if day >= 0:
        _add_profile(delta.profiles, day, count, rated, sums)


def _add_profile(profiles: dict[int, list[int]], pid: int, count: int, rated: int, sums: int) -> None:
    acc = profiles.get(pid)
    if acc is None:
        profiles[pid] = [count, rated, sums]
    else:
        acc[0] += count
        acc[1] += rated
        acc[2] += sums


def _trend_fact(book: Profiles, event: Event, movie: Movie, live: bool, seq: int, tz: str) -> TrendFact:
    return TrendFact(
        event.user_id, entry_key(event), local_day(added_instant(movie, event), tz),
        movie.title or movie.name, book.lookup(*film_credits(movie))[1], live, seq,
        public_film(movie),
    )


def apply_event(delta: UserDelta, event: Event, tz: str = DEFAULT_TZ, *,
                stats: bool = True, affinity_filter: Callable[[AffKey], bool] | None = None,
                trends: bool = True) -> None:
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
    target = delta if (stats and affinity_filter is None) else UserDelta(delta.user_id, delta.book)

    if kind == "UPDATE_RATING":
        old, new = halves(movie.old_rating), halves(movie.new_rating)
        diff, rated = new - old, (new > 0) - (old > 0)
        target.stats.halves += diff
        target.stats.rated += rated
        if old:
            target.stats.dist[old - 1] -= RATING_SIGN[kind]
        if new:
            target.stats.dist[new - 1] += RATING_SIGN[kind]
        # Touched even when the rating is the same: its names' marks move past this event.
        _add_profiles(target, movie, event, 0, rated, diff)
    elif kind == "DELETE":
        _add_movie(target, movie, COUNT_SIGN[kind], event)
        if trends:
            fact = _trend_fact(delta.book, event, movie, False, seq, tz)
            delta.trends[fact.entry_key] = fact
    elif kind == "UPDATE":
        previous = event.previous
        assert previous is not None
        _add_movie(target, previous, -1, event)
        _add_movie(target, movie, COUNT_SIGN[kind], event)
        if trends:
            fact = _trend_fact(delta.book, event, movie, True, seq, tz)
            delta.trends[fact.entry_key] = fact
    else:  # ADD, BULK_IMPORT
        _add_movie(target, movie, COUNT_SIGN[kind], event)
        if trends:
            fact = _trend_fact(delta.book, event, movie, True, seq, tz)
            delta.trends[fact.entry_key] = fact

    if target is not delta:  # restricted application: copy only what was allowed
        if stats:
            delta.stats.merge(target.stats)
        for key, aff in target.affinities.items():
            if affinity_filter is None or affinity_filter(key):
                mine = delta.extra.get(key)
                if mine is None:
                    delta.extra[key] = aff
                else:
                    mine.merge(aff)
    delta._aff = None
    delta.events += 1
    if event.seq is not None:
        delta.first_seq = _min(delta.first_seq, event.seq)
        delta.last_seq = _max(delta.last_seq, event.seq)


def fold_events(events: Iterable[Event], tz: str = DEFAULT_TZ, book: Profiles | None = None) -> dict[str, UserDelta]:
    """Fold a batch of events (no RECALCULATE) into one delta per user: the reference fold,
    event by event (`services.projection` is the same, vectorised)."""
    book = Profiles() if book is None else book
    deltas: dict[str, UserDelta] = {}
    for event in events:
        delta = deltas.get(event.user_id)
        if delta is None:
            delta = deltas[event.user_id] = UserDelta(event.user_id, book)
        apply_event(delta, event, tz)
    return deltas
