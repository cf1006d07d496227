"""A film's page (GET /api/films/{catalog_id}, /films/{catalog_id}): the catalog film, your watches
of it, what the instance thinks of it, and films like it.

The instance's part counts the people who logged the film in an entry that is not private, and the
average of their ratings; it is shown only from `min_users` people (the public trends' threshold),
so it never says what one person watched. It is read from every diary and kept for `ttl` seconds
(a minute by default): the film page's social line, not a statistic of one's own (those are exact
at every moment)."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from ..domain.catalog import CatalogMovie, match_movie
from ..domain.diary import DiaryEntry
from ..domain.ports import CatalogStore, DiaryStore

if TYPE_CHECKING:  # the recommender's module loads the ML stack: imported where it is first used
    from .recommendations import Recommendations


class FilmService:
    def __init__(self, catalog: CatalogStore, diary: DiaryStore, recommendations: Recommendations,
                 min_users: int = 3, ttl: float = 60.0) -> None:
        self.catalog, self.diary, self.recommendations = catalog, diary, recommendations
        self.min_users, self.ttl = min_users, ttl
        self._instance: tuple[float, dict[str, tuple[int, int, float]]] | None = None
        self._lock = asyncio.Lock()

    async def film(self, catalog_id: str, user_id: str | None = None) -> dict[str, Any] | None:
        film = (await self.catalog.by_ids([catalog_id])).get(catalog_id)
        if film is None:
            return None
        yours: list[DiaryEntry] = []
        if user_id is not None:
            yours = sorted((e for e in (await self.diary.snapshot(user_id))[0] if e.catalog_id == catalog_id),
                           key=lambda e: (e.date, e.added_at), reverse=True)
        return {"film": film, "your_entries": yours, "instance": await self.instance(catalog_id),
                "similar": await self.similar(film)}

    async def instance(self, catalog_id: str) -> dict[str, Any] | None:
        """{"users", "avg_rating"} of the film's public entries, from `min_users` people; else None."""
        users, rated, total = (await self._counts()).get(catalog_id, (0, 0, 0.0))
        if users < self.min_users:
            return None
        return {"users": users, "avg_rating": round(total / rated, 2) if rated else None}

    async def _counts(self) -> dict[str, tuple[int, int, float]]:
        async with self._lock:  # one reading of every diary at a time
            if self._instance is None or time.monotonic() - self._instance[0] > self.ttl:
                per_film: dict[str, tuple[set[str], int, float]] = {}
                for user in await self.diary.user_ids():
                    for e in (await self.diary.snapshot(user))[0]:
                        if e.catalog_id and not e.private:
                            people, rated, total = per_film.get(e.catalog_id, (set(), 0, 0.0))
                            people.add(user)
                            if e.rating is not None:
                                rated, total = rated + 1, total + e.rating
                            per_film[e.catalog_id] = (people, rated, total)
                self._instance = (time.monotonic(), {k: (len(p), r, t) for k, (p, r, t) in per_film.items()})
            return self._instance[1]

    async def similar(self, film: CatalogMovie, n: int = 8) -> list[CatalogMovie]:
        """Films like this one (the recommender's content model), as catalog films where the
        catalog has them (so each links to its page)."""
        found = await self.recommendations.similar(film.genres, film.director, film.actors, film.year, film.title, n)
        candidates = await self.catalog.candidates_many([title for title, _ in found])
        out = []
        for title, year in found:
            match = match_movie(title, year, candidates.get(title, []))
            if match is not None and match.id != film.id and match not in out:
                out.append(match)
        return out
