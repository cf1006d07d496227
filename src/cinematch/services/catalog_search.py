"""A film search (GET /api/catalog/search, the diary's title field): the catalog's answer, and, when
the catalog answers poorly (nothing, or typos only) and TMDB is configured, TMDB's own search for the
films the catalog lacks. A film picked from TMDB's part is named `tmdb:<id>`; logging it with that
`catalog_id` brings it into the catalog (services/diary.py)."""

from __future__ import annotations

import asyncio

from ..domain.catalog import CatalogMovie, catalog_movie
from ..domain.lookup import FilmLookup, LookupUnavailable
from ..domain.ports import CatalogStore
from ..domain.search import match_kind
from ..domain.text import normalize_title
from .diary import LOOKUP_PREFIX

GOOD = ("exact", "prefix", "words")
LOOKUP_WAIT = 3.0  # seconds TMDB may take before the catalog's answer goes alone


class CatalogSearch:
    def __init__(self, catalog: CatalogStore, lookup: FilmLookup | None = None) -> None:
        self.catalog = catalog
        self.lookup = lookup

    async def search(self, query: str, limit: int) -> list[tuple[CatalogMovie, str]]:
        """(film, how it matched): the catalog's films, then TMDB's ("tmdb") when the catalog has no
        good answer."""
        return (await self.search_asking(query, limit))[0]

    async def search_asking(self, query: str, limit: int) -> tuple[list[tuple[CatalogMovie, str]], str]:
        """`search`, and what TMDB was for it: "asked", "unavailable" (down or slow: the catalog's
        answer alone) or "" (not asked: not configured, or the catalog's answer was good)."""
        q = normalize_title(query)
        found = [(m, kind) for m in await self.catalog.search(query, limit) if (kind := match_kind(m, q))]
        if self.lookup is None or len(q) < 3 or any(kind in GOOD for _, kind in found):
            return found, ""
        try:
            others = await asyncio.wait_for(self.lookup.search(query, limit), LOOKUP_WAIT)
        except (LookupUnavailable, TimeoutError):
            return found, "unavailable"
        known = {m.tmdb_id for m, _ in found if m.tmdb_id}
        for film in others:
            if film.tmdb_id and film.tmdb_id not in known and len(found) < limit:
                found.append((catalog_movie(id=f"{LOOKUP_PREFIX}{film.tmdb_id}", title=film.title,
                                            original_title=film.original_title, year=film.year,
                                            poster_url=film.poster_url, tmdb_id=film.tmdb_id), "tmdb"))
        return found, "asked"
