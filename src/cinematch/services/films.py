"""A film's page (GET /api/films/{catalog_id}, /films/{catalog_id}): the catalog film, your watches
of it, what the instance thinks of it, and films like it.

The instance's part (`domain.audience`) counts the people who logged the film in an entry that is
not private, and the average of their ratings, exact at every read (the stores keep each entry's
share beside it); it is shown only from `min_users` people (the public trends' threshold), so it
never says what one person watched."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..domain.audience import audience_line
from ..domain.catalog import CatalogMovie, match_movie
from ..domain.diary import DiaryEntry
from ..domain.ports import CatalogStore, DiaryStore

if TYPE_CHECKING:  # the recommender's module loads the ML stack: imported where it is first used
    from .recommendations import Recommendations


class FilmService:
    def __init__(self, catalog: CatalogStore, diary: DiaryStore, recommendations: Recommendations,
                 min_users: int = 3) -> None:
        self.catalog, self.diary, self.recommendations = catalog, diary, recommendations
        self.min_users = min_users

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
        """{"users", "avg_rating"} of the film's counted entries, from `min_users` people; else None."""
        return audience_line(await self.diary.audience(catalog_id), self.min_users)

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
