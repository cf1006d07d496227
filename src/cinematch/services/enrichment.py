"""Optional catalog enrichment from TMDB (CINEMATCH_TMDB_API_KEY), in the background.

A diary write that logs a film the catalog lacks, or lacks details of (genres, director, running
time, poster), asks for it (`wants`: a bounded queue, never waiting: a full queue drops the ask).
The enricher looks the film up (by IMDb id, else title and year), adds or completes the catalog
film, and links the entries that asked again (`DiaryService.relink`, an UPDATE event), so their
statistics gain the genres and people. Every film is looked up once (an LRU of what was asked,
found or not). When TMDB cannot be reached the enricher waits, longer each time, and says so once
in the log: diary writes never notice.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Sequence
from typing import Any

from ..domain.catalog import CatalogMovie, catalog_id_for, catalog_movie, match_movie
from ..domain.diary import DiaryEntry
from ..domain.lookup import FilmLookup, FoundFilm, LookupUnavailable
from ..domain.ports import CatalogStore

log = logging.getLogger(__name__)
MAX_BACKOFF = 600.0


def lacks_details(entry: DiaryEntry) -> bool:
    """An entry whose film brought no genres, director or running time (unmatched, or matched to
    a catalog film without them)."""
    return not (entry.genres and entry.director and entry.duration)


class CatalogEnrichment:
    def __init__(self, *, client: FilmLookup, catalog: CatalogStore, diary: Any, queue_size: int = 10_000,
                 remembered: int = 50_000) -> None:
        self.client = client
        self.catalog = catalog
        self.diary = diary  # services.diary.DiaryService (relink)
        self.queue: asyncio.Queue[tuple[str, DiaryEntry]] = asyncio.Queue(queue_size)
        # film -> the catalog id it was stored under ("" when TMDB does not know it)
        self._asked: collections.OrderedDict[tuple[Any, ...], str] = collections.OrderedDict()
        self.remembered = remembered
        self.failures = 0
        self.enriched = 0

    @staticmethod
    def _film(entry: DiaryEntry) -> tuple[Any, ...]:
        return (entry.imdb_id or "", entry.catalog_id or "", entry.name.strip().lower(), entry.year)

    def wants(self, user_id: str, entries: Sequence[DiaryEntry]) -> None:
        """Ask for the films of these new entries that the catalog lacks or lacks details of."""
        for e in entries:
            if not lacks_details(e) or self._film(e) in self._asked:
                continue
            try:
                self.queue.put_nowait((user_id, e))
            except asyncio.QueueFull:
                return  # asked again by the next entry of that film

    async def run_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                user_id, entry = await asyncio.wait_for(self.queue.get(), 1.0)
            except TimeoutError:
                continue
            await self.enrich(user_id, entry, stop)

    async def drain(self) -> None:
        """Work through the queue now (the tests)."""
        stop = asyncio.Event()
        while not self.queue.empty():
            user_id, entry = self.queue.get_nowait()
            await self.enrich(user_id, entry, stop)

    async def enrich(self, user_id: str, entry: DiaryEntry, stop: asyncio.Event) -> None:
        key = self._film(entry)
        if key not in self._asked:
            try:
                film = await self.client.find(imdb_id=entry.imdb_id, title=entry.name, year=entry.year)
            except LookupUnavailable as exc:
                self.failures += 1
                delay = min(MAX_BACKOFF, 5.0 * 2 ** (self.failures - 1))
                if self.failures == 1:
                    log.warning("catalog enrichment paused: %s; trying again in %.0f s", exc, delay)
                try:
                    await asyncio.wait_for(stop.wait(), delay)
                except TimeoutError:
                    pass
                return  # not remembered: the film is asked for again by its next entry
            if self.failures:
                log.info("catalog enrichment resumed after %d failed lookups", self.failures)
            self.failures = 0
            self._asked[key] = await self._store(entry, film) if film is not None else ""
            while len(self._asked) > self.remembered:
                self._asked.popitem(last=False)
        if self._asked.get(key):  # the film found for this entry's name: linked exactly
            await self.diary.relink(user_id, entry.id, self._asked[key])

    async def _store(self, entry: DiaryEntry, film: FoundFilm) -> str:
        """The catalog film, completed with what TMDB knows (what it had stays); its id. A name
        a user typed never becomes part of the catalog (it is public)."""
        old = None
        if entry.catalog_id:
            old = (await self.catalog.by_ids([entry.catalog_id])).get(entry.catalog_id)
        if old is None:
            old = match_movie(film.title, film.year, await self.catalog.candidates(film.title))
        movie = self._merged(old, film)
        await self.catalog.upsert([movie])
        self.enriched += 1
        return movie.id

    async def adopt(self, lookup_id: int) -> CatalogMovie | None:
        """A film picked from the film database's own search (the catalog lacked it): into the
        catalog, under its IMDb id when it has one, with what the database knows (countries and
        language too). None when the database does not know the id; LookupUnavailable propagates."""
        film = await self.client.by_id(lookup_id)
        if film is None:
            return None
        movie_id = film.imdb_id or f"tmdb:{lookup_id}"
        movie = self._merged((await self.catalog.by_ids([movie_id])).get(movie_id), film, movie_id)
        await self.catalog.upsert([movie])
        self.enriched += 1
        return movie

    @staticmethod
    def _merged(old: CatalogMovie | None, film: FoundFilm, new_id: str | None = None) -> CatalogMovie:
        """The catalog film completed with what the database knows (what it had stays)."""
        return catalog_movie(
            id=old.id if old else (new_id or film.imdb_id or catalog_id_for(film.title, film.year)),
            title=old.title if old else film.title,
            original_title=(old.original_title if old else None) or film.original_title,
            year=(old.year if old else None) or film.year,
            genres=(old.genres if old else None) or list(film.genres),
            director=(old.director if old else "") or list(film.directors[:2]),
            actors=(old.actors if old else "") or list(film.actors[:5]),
            writers=(old.writers if old else "") or list(film.writers[:2]),
            duration=(old.duration if old else 0) or film.runtime,
            poster_url=(old.poster_url if old else None) or film.poster_url,
            backdrop_url=(old.backdrop_url if old else None) or film.backdrop_url,
            imdb_id=(old.imdb_id if old else None) or film.imdb_id,
            akas=old.akas if old else [], votes=old.votes if old else 0,
            tmdb_id=(old.tmdb_id if old else None) or film.tmdb_id,
            countries=(old.countries if old else None) or list(film.countries),
            languages=(old.languages if old else None) or list(film.languages))
