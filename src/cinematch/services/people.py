"""A person's page (GET /api/people/{name}, /people/{name}): the catalog films crediting them, by
role, which of them you have seen and what you gave them, and your count and average over them."""

from __future__ import annotations

from typing import Any

from ..domain.catalog import CatalogMovie, person_key, roles_of
from ..domain.ports import CatalogStore, DiaryStore
from ..domain.text import split_people


class PersonService:
    def __init__(self, catalog: CatalogStore, diary: DiaryStore) -> None:
        self.catalog, self.diary = catalog, diary

    async def person(self, name: str, user_id: str | None = None, role: str | None = None) -> dict[str, Any] | None:
        films = await self.catalog.by_person(name)
        credited = [(m, roles_of(m, name)) for m in films]
        credited = [(m, roles) for m, roles in credited if roles and (role is None or role in roles)]
        if not credited:
            return None
        entries = (await self.diary.snapshot(user_id))[0] if user_id is not None else []
        ids = {m.id for m, _ in credited}
        mine = sorted((e for e in entries if e.catalog_id in ids), key=lambda e: (e.date, e.added_at))
        latest = {e.catalog_id: e for e in mine}  # the latest watch of each film
        rated = [e.rating for e in mine if e.rating is not None]
        return {
            "name": _as_credited(credited[0][0], name),
            "films": [{"film": m, "roles": roles, "watched": m.id in latest,
                       "your_rating": latest[m.id].rating if m.id in latest else None} for m, roles in credited],
            "you": {"count": len(mine), "rated_count": len(rated),
                    "avg_rating": round(sum(rated) / len(rated), 2) if rated else 0} if user_id is not None else None,
        }


def _as_credited(film: CatalogMovie, name: str) -> str:
    """The name as the catalog writes it ("bong joon ho" asked: "Bong Joon Ho")."""
    key = person_key(name)
    return next((n for n in (*split_people(film.director), *split_people(film.actors)) if person_key(n) == key),
                name)
