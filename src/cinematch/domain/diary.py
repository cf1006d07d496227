"""Diary entries: what a user logged, enriched at write time."""

from __future__ import annotations

import msgspec

from .catalog import CatalogMovie
from .events import Movie
from .text import people_string

# Fields a request may supply; supplied values win over the catalog's.
ENRICHED_FIELDS = ("genres", "director", "actors", "duration")


class DiaryEntry(msgspec.Struct, omit_defaults=True):
    id: str
    user_id: str
    name: str
    rating: int
    date: str
    added_at: str
    title: str = ""
    year: int | None = None
    genres: list[str] = []
    director: str = ""
    actors: str = ""
    duration: int = 0
    catalog_id: str | None = None
    imdb_id: str | None = None
    supplied: dict[str, object] = {}  # the enrichment fields the user supplied
    seq: int = 0  # seq of the last event that wrote this entry (optimistic concurrency)


def enrich(
    *,
    entry_id: str,
    user_id: str,
    name: str,
    rating: int,
    date: str,
    added_at: str,
    year: int | None,
    imdb_id: str | None,
    supplied: dict[str, object],
    match: CatalogMovie | None,
) -> DiaryEntry:
    """Resolve an entry's enrichment: supplied fields, else the catalog's, else empty."""
    genres = supplied.get("genres", match.genres if match else [])
    director = supplied.get("director", match.director if match else "")
    actors = supplied.get("actors", match.actors if match else "")
    duration = supplied.get("duration", match.duration if match else 0)
    return DiaryEntry(
        id=entry_id,
        user_id=user_id,
        name=name,
        rating=rating,
        date=date,
        added_at=added_at,
        title=match.title if match else name,
        year=year if year is not None else (match.year if match else None),
        genres=[str(g).strip() for g in (genres or []) if str(g).strip()],  # type: ignore[union-attr]
        director=people_string(director),  # type: ignore[arg-type]
        actors=people_string(actors),  # type: ignore[arg-type]
        duration=int(duration or 0),  # type: ignore[call-overload]
        catalog_id=match.id if match else None,
        imdb_id=imdb_id or (match.imdb_id if match else None),
        supplied=supplied,
    )


def to_movie(entry: DiaryEntry, **extra: object) -> Movie:
    """The event snapshot of an entry (CONTRACT §1 `movie` object)."""
    return Movie(
        name=entry.name,
        year=entry.year,
        rating=entry.rating,
        imdb_id=entry.imdb_id,
        genres=list(entry.genres),
        duration=entry.duration,
        director=entry.director,
        actors=entry.actors,
        date=entry.date,
        title=entry.title or entry.name,
        added_at=entry.added_at,
        catalog_id=entry.catalog_id,
        **extra,  # type: ignore[arg-type]
    )
