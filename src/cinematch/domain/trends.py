"""Global trends over a sliding window of days (CONTRACT §2).

The window is counted on the day each entry was added, in the configured zone:
an entry counts while its day is one of the last `window_days` days (today
included) and leaves the window on its own when it ages out.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable

from .deltas import TrendFact

TOP_N = 10


def window_start(today: dt.date, window_days: int) -> str:
    """The first day (YYYY-MM-DD) inside the window."""
    return (today - dt.timedelta(days=window_days - 1)).isoformat()


def count_facts(facts: Iterable[TrendFact], since_day: str) -> tuple[Counter, Counter]:
    """Reference counting of live entries added on or after `since_day`."""
    movies: Counter = Counter()
    genres: Counter = Counter()
    for f in facts:
        if f.live and f.day >= since_day:
            movies[f.title] += 1
            for g in f.genres:
                genres[g] += 1
    return movies, genres


def top_movies(movie_counts: dict[str, int], posters: dict[str, str | None] | None = None,
               limit: int = TOP_N) -> list[dict]:
    ranked = sorted(((t, c) for t, c in movie_counts.items() if c > 0), key=lambda tc: (-tc[1], tc[0]))
    posters = posters or {}
    return [{"title": t, "poster_path": posters.get(t), "count": c} for t, c in ranked[:limit]]


def trending_genres(genre_counts: dict[str, int], limit: int = TOP_N) -> list[dict]:
    total = sum(c for c in genre_counts.values() if c > 0)
    ranked = sorted(((g, c) for g, c in genre_counts.items() if c > 0), key=lambda gc: (-gc[1], gc[0]))
    return [
        {"genre": g, "count": c, "percentage": round(100 * c / total, 1) if total else 0.0}
        for g, c in ranked[:limit]
    ]
