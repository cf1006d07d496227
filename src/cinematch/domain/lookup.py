"""The port to a film database outside the catalog (TMDB): who looks a film up gets a
`FoundFilm` or None, and `LookupUnavailable` when the service cannot answer now."""

from __future__ import annotations

import abc

import msgspec


class LookupUnavailable(Exception):
    """The film database cannot answer now (the reason is the message): callers degrade quietly."""


class FoundFilm(msgspec.Struct, frozen=True):
    """What a film database knows of a film, in the catalog's terms."""
    title: str
    original_title: str | None = None
    year: int | None = None
    genres: tuple[str, ...] = ()
    directors: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()  # in billing order
    writers: tuple[str, ...] = ()  # the screenplay's first
    runtime: int | None = None
    poster_url: str | None = None
    backdrop_url: str | None = None  # a wide still of the film (TMDB's backdrop), for its page
    imdb_id: str | None = None
    tmdb_id: int | None = None
    countries: tuple[str, ...] = ()  # ISO 3166-1 alpha-2 (where it was produced)
    languages: tuple[str, ...] = ()  # ISO 639-1 (its original language)


class FilmLookup(abc.ABC):
    @abc.abstractmethod
    async def find(self, *, imdb_id: str | None = None, title: str = "", year: int | None = None) -> FoundFilm | None:
        """The film by its IMDb id, else by title (and year); None when it is not known.
        Raises LookupUnavailable when the service cannot answer."""

    async def search(self, query: str, limit: int = 8) -> list[FoundFilm]:
        """Films whose title the service matches to `query`, its best first (title, year, poster
        and id only). Raises LookupUnavailable when the service cannot answer."""
        return []

    async def by_id(self, lookup_id: int) -> FoundFilm | None:
        """One film by the service's own id, with its details and credits."""
        return None

    async def start(self) -> None:
        """Connect (on first use by default)."""

    async def stop(self) -> None:
        """Close what `start` opened."""
