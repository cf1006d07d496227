"""Catalog movies and the matching rule of CONTRACT §2 (enrichment)."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from typing import Annotated

from .bounds import MAX_NAME, MAX_PEOPLE, Duration, GenreList, ImdbId, PeopleList, PeopleText, Year
from .text import normalize_title, people_string, split_people


class CatalogMovie(msgspec.Struct, omit_defaults=True):
    id: str
    title: str
    original_title: str | None = None
    year: int | None = None
    genres: list[str] = []
    director: str = ""
    actors: str = ""
    duration: int = 0
    poster_url: str | None = None
    imdb_id: str | None = None
    normalized_title: str = ""
    normalized_original_title: str = ""


class CatalogRecord(msgspec.Struct):
    """A catalog movie as an admin or a file supplies it, within the entry bounds (an entry
    enriched from it must stay within them)."""

    title: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_NAME)]
    original_title: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_NAME)] | None = None
    year: Year | None = None
    genres: GenreList | None = None
    director: PeopleText | PeopleList | None = None
    actors: PeopleText | PeopleList | None = None
    duration: Duration | None = None
    poster_url: Annotated[str, msgspec.Meta(max_length=2000)] | None = None
    imdb_id: ImdbId | None = None


def catalog_movie(
    *,
    id: str,
    title: str,
    original_title: str | None = None,
    year: int | None = None,
    genres: Iterable[str] | None = None,
    director: str | list[str] | None = None,
    actors: str | list[str] | None = None,
    duration: int | None = None,
    poster_url: str | None = None,
    imdb_id: str | None = None,
) -> CatalogMovie:
    """Build a catalog movie with its normalized fields filled in."""
    return CatalogMovie(
        id=id,
        title=title,
        original_title=original_title or None,
        year=year,
        genres=[g.strip() for g in (genres or []) if g and g.strip()],
        # At most MAX_PEOPLE names (only the first 2 directors and 5 actors count anyway).
        director=people_string(split_people(director)[:MAX_PEOPLE]),
        actors=people_string(split_people(actors)[:MAX_PEOPLE]),
        duration=duration or 0,
        poster_url=poster_url,
        imdb_id=imdb_id,
        normalized_title=normalize_title(title),
        normalized_original_title=normalize_title(original_title),
    )


def catalog_id_for(title: str, year: int | None) -> str:
    """Stable id of a catalog movie: the normalized title and year."""
    return f"{normalize_title(title) or title.strip()}|{year if year is not None else ''}"


def group_candidates(names: Iterable[str], movies: Iterable[CatalogMovie]) -> dict[str, list[CatalogMovie]]:
    """Each name's candidates among `movies` (`CatalogStore.candidates`): the movies whose
    exact title or original title is the name, or whose normalized title or normalized
    original title is the normalized name."""
    out: dict[str, list[CatalogMovie]] = {}
    exact: dict[str, list[str]] = {}
    normalized: dict[str, list[str]] = {}
    for name in names:
        out[name] = []
        exact.setdefault(name, []).append(name)
        norm = normalize_title(name)
        if norm:
            normalized.setdefault(norm, []).append(name)
    for m in movies:
        hit = {*exact.get(m.title, ()), *(exact.get(m.original_title, ()) if m.original_title else ()),
               *normalized.get(m.normalized_title, ()), *normalized.get(m.normalized_original_title, ())}
        for name in hit:
            out[name].append(m)
    return out


def match_movie(name: str, year: int | None, candidates: Iterable[CatalogMovie]) -> CatalogMovie | None:
    """The catalog entry a diary name refers to, or None.

    Tried in order: exact title, exact original title, normalized title,
    normalized original title. Within the first tier that matches, the
    candidate with the requested year wins; then the nearest year, then the id.
    """
    candidates = list(candidates)
    if not candidates:
        return None
    norm = normalize_title(name)
    tiers = (
        lambda c: c.title == name,
        lambda c: c.original_title is not None and c.original_title == name,
        lambda c: bool(norm) and c.normalized_title == norm,
        lambda c: bool(norm) and c.normalized_original_title == norm,
    )
    for hit in tiers:
        found = [c for c in candidates if hit(c)]
        if found:
            return min(found, key=lambda c: _year_rank(c, year))
    return None


def _year_rank(movie: CatalogMovie, year: int | None) -> tuple:
    if year is None:
        return (0, 0, movie.id)
    if movie.year is None:
        return (2, 0, movie.id)
    return (0 if movie.year == year else 1, abs(movie.year - year), movie.id)
