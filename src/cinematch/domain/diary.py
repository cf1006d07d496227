"""Diary entries: what a user logged, enriched at write time."""

from __future__ import annotations

from typing import Any

import msgspec

from .catalog import CatalogMovie
from .events import Movie
from .ratings import Rating
from .text import film_key, normalize_title, people_string

# Fields a request may supply; supplied values win over the catalog's.
ENRICHED_FIELDS = ("genres", "director", "actors", "writers", "duration")


class NewEntry(msgspec.Struct, omit_defaults=True):
    """A watch as a person logs it (the form, the API, an import row): `DiaryService` checks
    the bounds and enriches it from the catalog into a `DiaryEntry`."""
    name: str
    rating: Rating | None = None  # None: unrated
    date: str | None = None
    year: int | None = None
    imdb_id: str | None = None
    genres: list[str] | None = None
    director: str | list[str] | None = None
    actors: str | list[str] | None = None
    writers: str | list[str] | None = None
    duration: int | None = None
    rewatch: bool = False
    tags: list[str] | None = None
    catalog_id: str | None = None  # an exact catalog film, chosen by the person
    tmdb_id: int | None = None  # TMDB's id of the film (an import's): links the catalog film that has it
    review: str | None = None  # what the person wrote about this watch (plain text)
    spoilers: bool = False  # the review gives the story away
    liked: bool = False
    private: bool = False  # on no public surface (trends, profiles, shared pages)


class DiaryEntry(msgspec.Struct, omit_defaults=True):
    id: str
    user_id: str
    name: str
    date: str
    added_at: str
    rating: Rating | None = None  # half stars 0.5..5; None: watched, not rated
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
    rewatch: bool = False  # the person had seen the film before (still one entry: it counts)
    tags: list[str] = []
    batch: str = ""  # the import that created it ("" when logged by hand): an import can be undone
    source: str = ""  # the watch's name where it was imported from (`ImportRow.identity`): a later export updates it
    review: str = ""
    spoilers: bool = False
    liked: bool = False
    private: bool = False
    writers: str = ""
    countries: list[str] = []  # ISO 3166-1 alpha-2 of the catalog film, where it knows them
    languages: list[str] = []  # ISO 639-1 of its original language, likewise


# What an entry keeps when it is resolved again (a rename, a relink): the person's own words and
# choices and the entry's bookkeeping, none of which the catalog knows.
PERSONAL = ("seq", "batch", "source", "review", "spoilers", "liked", "private")


def carry(new: DiaryEntry, old: DiaryEntry) -> DiaryEntry:
    """`new` (just resolved from the catalog) with `old`'s PERSONAL fields."""
    return msgspec.structs.replace(new, **{name: getattr(old, name) for name in PERSONAL})


# A diary's order, newest first: watch date, then when it was logged, then the id (all
# descending). Every store pages by it: memory and MongoDB sort with `diary_order`, SQLite's
# ORDER BY and its `diary_newest` index name the same three columns.
DIARY_ORDER = ("date", "added_at", "id")


def diary_order(e: DiaryEntry) -> tuple[str, str, str]:
    """The sort key of DIARY_ORDER (sort descending for newest first)."""
    return (e.date, e.added_at, e.id)


def enrich(
    *,
    entry_id: str,
    user_id: str,
    name: str,
    rating: Rating | None,
    date: str,
    added_at: str,
    year: int | None,
    imdb_id: str | None,
    supplied: dict[str, object],
    match: CatalogMovie | None,
    rewatch: bool = False,
    tags: list[str] | tuple[str, ...] = (),
) -> DiaryEntry:
    """Resolve an entry's enrichment: supplied fields, else the catalog's, else empty.

    The year of an entry (docs/contract.md §2): a linked entry shows its film's title and
    year; the `year` given is only a matching hint, kept on an unlinked entry alone."""
    genres: Any = supplied.get("genres", match.genres if match else [])  # supplied: checked by the caller
    director = supplied.get("director", match.director if match else "")
    actors = supplied.get("actors", match.actors if match else "")
    writers = supplied.get("writers", match.writers if match else "")
    duration = supplied.get("duration", match.duration if match else 0)
    return DiaryEntry(
        id=entry_id,
        user_id=user_id,
        name=name,
        rating=rating,
        date=date,
        added_at=added_at,
        title=match.title if match else name,
        year=match.year if match else year,
        genres=[str(g).strip() for g in (genres or []) if str(g).strip()],
        # (the ignores) `supplied` holds objects the caller checked: names as str or list, a duration as int
        director=people_string(director),  # type: ignore[arg-type]
        actors=people_string(actors),  # type: ignore[arg-type]
        writers=people_string(writers),  # type: ignore[arg-type]
        countries=list(match.countries) if match else [],
        languages=list(match.languages) if match else [],
        duration=int(duration or 0),  # type: ignore[call-overload]
        catalog_id=match.id if match else None,
        imdb_id=imdb_id or (match.imdb_id if match else None),
        supplied=supplied,
        rewatch=rewatch,
        tags=list(tags),
    )


def to_movie(entry: DiaryEntry, **extra: object) -> Movie:
    """The event snapshot of an entry (docs/contract.md §1 `movie` object)."""
    return Movie(
        name=entry.name,
        year=entry.year,
        rating=entry.rating,
        imdb_id=entry.imdb_id,
        genres=tuple(entry.genres),
        duration=entry.duration,
        director=entry.director,
        actors=entry.actors,
        writers=entry.writers or None,
        countries=tuple(entry.countries) or None,
        languages=tuple(entry.languages) or None,
        date=entry.date,
        title=entry.title or entry.name,
        added_at=entry.added_at,
        catalog_id=entry.catalog_id,
        rewatch=entry.rewatch,
        tags=tuple(entry.tags),
        private=entry.private,
        **extra,  # type: ignore[arg-type]  # the event's optional fields, typed by Movie itself
    )


def film_of(entry: DiaryEntry) -> str:
    """Which film an entry is about: its catalog film, else the name as typed (normalized) and year."""
    return film_key(entry.catalog_id, entry.name, entry.year)


def same_film(catalog_id: str | None, name: str, year: int | None, entry: DiaryEntry) -> bool:
    """Whether a film named elsewhere (a watchlist item) is the entry's film: the same catalog
    film, or the same normalized name where the years do not disagree."""
    if catalog_id and entry.catalog_id:
        return catalog_id == entry.catalog_id
    names = {normalize_title(entry.name), normalize_title(entry.title or entry.name)}
    return normalize_title(name) in names and (year is None or entry.year is None or year == entry.year)
