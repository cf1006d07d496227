"""TMDB's API v3, the three calls the enrichment needs, in the response shapes TMDB documents
(https://developer.themoviedb.org/reference): `GET /find/{imdb_id}?external_source=imdb_id`,
`GET /search/movie?query=&year=`, `GET /movie/{id}?append_to_response=credits`.

The constructor stores the configuration; the HTTP client is made on first use (`start`).
Requests are spaced to stay under `requests_per_second`; a 429 waits its `Retry-After`.
Anything else that goes wrong (no network, a 5xx, a timeout, an unexpected body) raises
`TmdbUnavailable`: callers degrade quietly.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, TypeVar

import httpx
import msgspec

from ...domain.lookup import FilmLookup, FoundFilm, LookupUnavailable

IMAGE_BASE = "https://image.tmdb.org/t/p/w342"  # + a poster_path, which starts with its "/"

T = TypeVar("T")


class TmdbUnavailable(LookupUnavailable):
    """TMDB cannot answer now (the reason is the message)."""


class _Genre(msgspec.Struct):
    name: str = ""


class _Cast(msgspec.Struct):
    name: str = ""
    order: int = 0


class _Crew(msgspec.Struct):
    name: str = ""
    job: str = ""
    department: str = ""


# TMDB's writing jobs, the screenplay's first (a film's "written by"), then the source's.
WRITING_JOBS = ("Screenplay", "Writer", "Story", "Novel", "Author")


class _Credits(msgspec.Struct):
    cast: list[_Cast] = []
    crew: list[_Crew] = []


class _Result(msgspec.Struct):
    id: int
    title: str = ""
    original_title: str | None = None
    release_date: str | None = None
    poster_path: str | None = None

    def found(self, image_base: str) -> FoundFilm:
        date = self.release_date or ""
        return FoundFilm(title=self.title, original_title=self.original_title, tmdb_id=self.id,
                         year=int(date[:4]) if date[:4].isdigit() else None,
                         poster_url=image_base + self.poster_path if self.poster_path else None)


class _Country(msgspec.Struct):
    iso_3166_1: str = ""


class _Results(msgspec.Struct):
    results: list[_Result] = []


class _Found(msgspec.Struct):
    movie_results: list[_Result] = []


class TmdbFilm(msgspec.Struct):
    """A film's details: /movie/{id} with its credits."""
    id: int
    title: str = ""
    original_title: str | None = None
    release_date: str | None = None
    runtime: int | None = None
    genres: list[_Genre] = []
    overview: str | None = None
    poster_path: str | None = None
    backdrop_path: str | None = None
    imdb_id: str | None = None
    credits: _Credits = msgspec.field(default_factory=_Credits)
    production_countries: list[_Country] = []
    original_language: str | None = None

    @property
    def year(self) -> int | None:
        date = self.release_date or ""
        return int(date[:4]) if date[:4].isdigit() else None

    @property
    def directors(self) -> list[str]:
        return [c.name for c in self.credits.crew if c.job == "Director" and c.name]

    @property
    def writers(self) -> list[str]:
        """The writing credits, the screenplay's first (each person once)."""
        rank = {job: i for i, job in enumerate(WRITING_JOBS)}
        crew = [c for c in self.credits.crew if c.name and (c.job in rank or c.department == "Writing")]
        ordered = sorted(crew, key=lambda c: rank.get(c.job, len(rank)))  # stable: TMDB's order within a job
        return list(dict.fromkeys(c.name for c in ordered))

    @property
    def actors(self) -> list[str]:
        return [c.name for c in sorted(self.credits.cast, key=lambda c: c.order) if c.name]

    def found(self, image_base: str = IMAGE_BASE) -> FoundFilm:
        return FoundFilm(title=self.title, original_title=self.original_title, year=self.year,
                         genres=tuple(g.name for g in self.genres), directors=tuple(self.directors),
                         actors=tuple(self.actors), writers=tuple(self.writers), runtime=self.runtime,
                         poster_url=image_base + self.poster_path if self.poster_path else None,
                         backdrop_url=image_base + self.backdrop_path if self.backdrop_path else None,
                         imdb_id=self.imdb_id, tmdb_id=self.id,
                         countries=tuple(c.iso_3166_1 for c in self.production_countries if c.iso_3166_1),
                         languages=(self.original_language,) if self.original_language else ())


class TmdbClient(FilmLookup):
    def __init__(self, *, api_key: str, base_url: str = "https://api.themoviedb.org/3",
                 requests_per_second: float = 10.0, timeout: float = 10.0, image_url: str = IMAGE_BASE) -> None:
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.image_base = image_url.rstrip("/")
        self.interval = 1.0 / requests_per_second
        self.timeout = timeout
        self._http: httpx.AsyncClient | None = None
        self._next = 0.0
        self._lock = asyncio.Lock()
        self.requests = 0

    async def start(self) -> None:
        if self._http is None:
            self._http = httpx.AsyncClient(base_url=self.base_url, timeout=self.timeout)

    async def stop(self) -> None:
        if self._http is not None:
            http, self._http = self._http, None
            await http.aclose()

    async def _get(self, path: str, params: dict[str, Any], type_: type[T]) -> T | None:
        await self.start()
        for _ in range(3):
            async with self._lock:  # requests spaced evenly: never a burst over the limit
                wait = self._next - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                self._next = time.monotonic() + self.interval
            try:
                r = await self._http.get(path, params={**params, "api_key": self.api_key})  # type: ignore[union-attr]  # started
            except httpx.HTTPError as exc:
                raise TmdbUnavailable(f"TMDB unreachable: {type(exc).__name__}") from None
            self.requests += 1
            if r.status_code == 429:
                await asyncio.sleep(min(30.0, float(r.headers.get("retry-after", "1") or 1)))
                continue
            if r.status_code == 404:
                return None
            if r.status_code != 200:
                raise TmdbUnavailable(f"TMDB answered {r.status_code}")
            try:
                return msgspec.json.decode(r.content, type=type_)
            except msgspec.DecodeError as exc:
                raise TmdbUnavailable(f"TMDB's answer is not the documented shape: {exc}") from None
        raise TmdbUnavailable("TMDB keeps answering 429 (rate limited)")

    async def find(self, *, imdb_id: str | None = None, title: str = "", year: int | None = None) -> FoundFilm | None:
        """The film by its IMDb id, else by title (and year); with its details and credits."""
        tmdb_id = None
        if imdb_id:
            found = await self._get(f"/find/{imdb_id}", {"external_source": "imdb_id"}, _Found)
            if found and found.movie_results:
                tmdb_id = found.movie_results[0].id
        if tmdb_id is None and title:
            params = {"query": title, **({"year": year} if year else {})}
            results = await self._get("/search/movie", params, _Results)
            if results and results.results:
                tmdb_id = results.results[0].id
        if tmdb_id is None:
            return None
        return await self.by_id(tmdb_id)

    async def by_id(self, lookup_id: int) -> FoundFilm | None:
        film = await self._get(f"/movie/{int(lookup_id)}", {"append_to_response": "credits"}, TmdbFilm)
        return film.found(self.image_base) if film is not None else None

    async def search(self, query: str, limit: int = 8) -> list[FoundFilm]:
        results = await self._get("/search/movie", {"query": query[:200]}, _Results)
        return [r.found(self.image_base) for r in (results.results if results else [])[:limit]]
