"""Global trends over a sliding window of days (docs/contract.md §2).

The window is counted on the day each entry was added, in the configured zone:
an entry counts while its day is one of the last `window_days` days (today
included) and leaves the window on its own when it ages out. Trends are public:
only entries matched to the catalog count, each (user, film) pair once.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from typing import Any

from .catalog import CatalogMovie
from .deltas import TrendFact

TOP_N = 10


def window_start(today: dt.date, window_days: int) -> str:
    """The first day (YYYY-MM-DD) inside the window."""
    return (today - dt.timedelta(days=window_days - 1)).isoformat()


def film_users(facts: Iterable[TrendFact], since_day: str) -> dict[str, int]:
    """Reference counting: catalog film -> distinct users with a live entry of it added on
    or after `since_day`. Unmatched entries (no film) are never counted: trends are public."""
    users: dict[str, set[str]] = {}
    for f in facts:
        if f.live and f.film and f.day >= since_day:
            users.setdefault(f.film, set()).add(f.user_id)
    return {film: len(u) for film, u in users.items()}


def global_trends(film_counts: dict[str, int], films: dict[str, CatalogMovie], min_users: int,
                  limit: int = TOP_N) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(top_movies, trending_genres) of docs/contract.md §2 from distinct users per catalog film
    and the catalog's own records of those films (titles, genres, posters): nothing a
    user typed reaches a public answer. A film is listed only with `min_users` users or
    more; genres count over every (user, film) pair in the window."""
    listed = []
    genres: Counter[str] = Counter()
    for film_id, users in film_counts.items():
        movie = films.get(film_id)
        if movie is None or users <= 0:  # a film since removed from the catalog
            continue
        for genre in set(movie.genres):
            genres[genre] += users
        if users >= min_users:
            listed.append((movie, users))
    listed.sort(key=lambda mu: (-mu[1], mu[0].title, mu[0].year or 0, mu[0].id))
    top = [{"title": m.title, "year": m.year, "catalog_id": m.id, "poster_path": m.poster_url, "count": n}
           for m, n in listed[:limit]]
    return top, trending_genres(genres, limit)


def trending_genres(genre_counts: dict[str, int], limit: int = TOP_N) -> list[dict[str, Any]]:
    total = sum(c for c in genre_counts.values() if c > 0)
    ranked = sorted(((g, c) for g, c in genre_counts.items() if c > 0), key=lambda gc: (-gc[1], gc[0]))
    return [
        {"genre": g, "count": c, "percentage": round(100 * c / total, 1) if total else 0.0}
        for g, c in ranked[:limit]
    ]


def fact_wins(new: TrendFact, old_seq: int | None) -> bool:
    """Which trend fact a store keeps: the new one replaces the stored one only when it is
    newer (a replay or an outbox re-send carries the same or a lower seq). Events without seq
    (seed-era producers) carry 0 and always win. The rule of every trend store: the memory
    store calls this, SQLite and MongoDB say the same in their query (`seq = 0 OR seq >
    stored`), and tests/contract/test_stores.py holds all three to it."""
    return old_seq is None or new.seq == 0 or new.seq > old_seq
