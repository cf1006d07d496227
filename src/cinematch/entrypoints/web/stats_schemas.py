"""The statistics' answers (docs/contract.md §2, §3): a person's figures, affinities and
calendar, the instance's trends."""

from __future__ import annotations

import msgspec

from .schemas import EntrySummary


class AffinityOut(msgspec.Struct):
    name: str
    count: int
    rated_count: int
    sum_ratings: float
    avg_rating: float


class GenreShare(AffinityOut):
    percentage: float  # of the diary's entries


class SyncOut(msgspec.Struct):
    status: str  # "synced", or "syncing" while events wait to be folded in
    pending_events: int


class Streak(msgspec.Struct):
    days: int
    start: str | None
    end: str | None


class Milestone(msgspec.Struct):
    n: int  # the nth entry in watched order
    date: str
    title: str
    entry_id: str


class CalendarOut(msgspec.Struct):
    days: dict[str, int]  # "YYYY-MM-DD" -> entries watched that day (days without any left out)
    longest_streak: Streak
    current_streak: Streak  # ending today or yesterday, else 0 days
    milestones: list[Milestone]


class Rewatched(msgspec.Struct):
    title: str
    year: int | None
    count: int
    catalog_id: str | None = None  # when the film is the catalog's


class StatsOut(msgspec.Struct, omit_defaults=True):
    """docs/contract.md §2's statistics of the caller (`year`: only in the year in review)."""
    total_watched: int
    rated_count: int
    sum_ratings: float
    avg_rating: float
    watch_time_minutes: int
    watch_time_hours: float
    avg_duration: float
    rating_distribution: dict[str, int]  # "0.5" … "5"
    monthly_counts: dict[str, dict[str, int]]  # year -> month ("01") -> entries
    rewatch_count: int  # entries marked rewatch
    distinct_films: int  # by catalog film when linked, else by normalized title and year
    most_rewatched: list[Rewatched]  # count ≥ 2, most first, ties by title
    favorite_genre: str | None
    genres: list[GenreShare]
    top_rated_movies: list[EntrySummary]
    recent_movies: list[EntrySummary]
    updated_at: str | None
    most_watched_directors: list[AffinityOut]
    best_rated_directors: dict[str, list[AffinityOut]]  # by the minimum count: "1", "2", "3", "5"
    most_watched_actors: list[AffinityOut]
    best_rated_actors: dict[str, list[AffinityOut]]
    most_watched_writers: list[AffinityOut]
    best_rated_writers: dict[str, list[AffinityOut]]
    decades: list[AffinityOut]  # "1990s", oldest first
    release_years: list[AffinityOut]  # "1994", oldest first
    weekdays: list[AffinityOut]  # ISO weekday of the watched date: "1" Monday … "7" Sunday
    countries: list[AffinityOut]  # ISO 3166-1 alpha-2, most watched first
    languages: list[AffinityOut]  # ISO 639-1, most watched first
    sync: SyncOut
    year: int | None = None


class Affinities(msgspec.Struct):
    items: list[AffinityOut]


class TopMovie(msgspec.Struct):
    title: str
    year: int | None
    catalog_id: str
    poster_path: str | None
    count: int  # distinct users in the window


class TrendingGenre(msgspec.Struct):
    genre: str
    count: int
    percentage: float


class Trends(msgspec.Struct):
    top_movies: list[TopMovie]
    trending_genres: list[TrendingGenre]
    window_days: int
    updated_at: str
