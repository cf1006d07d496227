"""Which affinity keys one diary entry contributes to (its profile), and the numbered profiles
of the films a fold has seen."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from .text import MAX_ACTORS, MAX_DIRECTORS, MAX_WRITERS, clean_key, film_key, split_people

# The affinity types of docs/contract.md §2, in the order a profile lists them.
AFFINITY_TYPES = ("director", "actor", "genre", "writer", "country", "language", "decade", "release_year", "weekday")
# One more type, kept like the others but not served as affinities: one key per film, whose
# counts give `distinct_films` and `most_rewatched`. Its name is the film's key (`text.film_key`),
# not a title: entries of one film may spell it differently, and a name must follow from its key.
FILM = "film"
AffKey = tuple[str, str]  # (type, clean_key(name))
Profile = tuple[tuple[AffKey, str], ...]  # ((type, key), display name) per affinity of a movie
# What an entry's profile is made of, in `Profiles.lookup`'s order (an event's `movie` fields).
PROFILE_FIELDS = ("director", "actors", "genres", "writers", "countries", "languages", "year", "catalog_id", "name")


class Profiles:
    """The affinity profiles of the films seen, numbered: an entry's credits and film -> profile id.

    The same film shows up in many diaries, so a batch folds per profile id and expands
    each id to its keys once. Whoever folds owns one: the reference fold
    (`fold_events`) a new one per call, the projector the bounded one its container
    gives it (`services.projection.caches.FoldCache`), cleared between batches only: profile ids
    held elsewhere go stale.

    The weekday an entry was watched on is a profile of its own (`weekday`): the same film
    watched on another day changes that profile only.
    """

    __slots__ = ("_ids", "_weekdays", "items")

    def __init__(self) -> None:
        self._ids: dict[tuple[Any, ...], tuple[int, tuple[str, ...]]] = {}
        self._weekdays: dict[str, int] = {}  # "1" (Monday) … "7" -> profile id
        self.items: list[Profile] = []  # profile id -> profile

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, pid: int) -> Profile:
        return self.items[pid]

    def clear(self) -> None:
        self._ids.clear()
        self._weekdays.clear()
        self.items.clear()

    def lookup(self, director: str | None, actors: str | None, genres: Iterable[str] | None,
               writers: str | None = None, countries: Iterable[str] | None = None,
               languages: Iterable[str] | None = None, year: int | None = None, catalog_id: str | None = None,
               name: str | None = "") -> tuple[int, tuple[str, ...]]:
        """(profile id, cleaned genres) of one entry's credits and film (`PROFILE_FIELDS`)."""
        cache_key = (director, actors, tuple(genres or ()), writers, tuple(countries or ()), tuple(languages or ()),
                     year, catalog_id, name)
        hit = self._ids.get(cache_key)
        if hit is not None:
            return hit
        clean_genres = tuple(g.strip() for g in (genres or ()) if g and g.strip())
        self.items.append(movie_profile(director, actors, clean_genres, writers, countries, languages, year,
                                        catalog_id, name or ""))
        hit = self._ids[cache_key] = (len(self.items) - 1, clean_genres)
        return hit

    def weekday(self, when: str | None) -> int:
        """The profile id of the weekday of a date (or of an instant's date as written); -1 for none."""
        day = weekday_index(when)
        if day < 0:
            return -1
        key = weekday_key(day)
        pid = self._weekdays.get(key[1])
        if pid is None:
            self.items.append(((key, key[1]),))
            pid = self._weekdays[key[1]] = len(self.items) - 1
        return pid


def weekday_index(when: str | None) -> int:
    """0 (Monday) … 6 of a date, or of an instant's date as written; -1 for none."""
    if not when:
        return -1
    try:
        return dt.date.fromisoformat(when[:10]).weekday()
    except ValueError:  # (validated events have real dates; a seed's odd timestamp has no day)
        return -1


def weekday_key(index: int) -> AffKey:
    """The affinity key of a weekday index: ISO numbering, "1" = Monday … "7" (docs/contract.md §2)."""
    return ("weekday", str(index + 1))


def decade(year: int) -> str:
    """A year's decade as docs/contract.md §2 names it: 1994 -> "1990s"."""
    return f"{year // 10 * 10}s"


def movie_profile(director: str | None, actors: str | None, genres: Iterable[str] | None,
                  writers: str | None = None, countries: Iterable[str] | None = None,
                  languages: Iterable[str] | None = None, year: int | None = None, catalog_id: str | None = None,
                  name: str = "") -> Profile:
    """The affinity keys of one entry: first 2 directors, first 5 actors, first 2 writers, all
    genres, countries and languages, the decade and the year of the film, and the film itself.

    A key appears once per entry even if a name is listed twice.
    """
    seen: dict[AffKey, str] = {}
    for kind, names in (
        ("director", split_people(director, MAX_DIRECTORS)),
        ("actor", split_people(actors, MAX_ACTORS)),
        ("genre", [g.strip() for g in (genres or ()) if g and g.strip()]),
        ("writer", split_people(writers, MAX_WRITERS)),
        ("country", [c.strip() for c in (countries or ()) if c and c.strip()]),
        ("language", [c.strip() for c in (languages or ()) if c and c.strip()]),
        ("decade", [decade(year)] if year else []),
        ("release_year", [str(year)] if year else []),
    ):
        for one in names:
            seen.setdefault((kind, clean_key(one)), one)
    if name:
        film = film_key(catalog_id, name, year)
        seen[(FILM, clean_key(film))] = film
    return tuple(seen.items())
