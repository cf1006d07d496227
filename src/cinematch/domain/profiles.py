"""Which affinity keys one diary entry contributes to (its profile), and the numbered profiles
of the films a fold has seen."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .text import MAX_ACTORS, MAX_DIRECTORS, clean_key, split_people

AFFINITY_TYPES = ("director", "actor", "genre")
AffKey = tuple[str, str]  # (type, clean_key(name))
Profile = tuple[tuple[AffKey, str], ...]  # ((type, key), display name) per affinity of a movie


class Profiles:
    """The affinity profiles of the films seen, numbered: (director, actors, genres) -> profile id.

    The same film shows up in many diaries, so a batch folds per profile id and expands
    each id to its keys once. Whoever folds owns one: the reference fold
    (`fold_events`) a new one per call, the projector the bounded one its container
    gives it (`services.projection.caches.FoldCache`), cleared between batches only: profile ids
    held elsewhere go stale.
    """

    __slots__ = ("_ids", "items")

    def __init__(self) -> None:
        self._ids: dict[tuple[Any, ...], tuple[int, tuple[str, ...]]] = {}
        self.items: list[Profile] = []  # profile id -> profile

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, pid: int) -> Profile:
        return self.items[pid]

    def clear(self) -> None:
        self._ids.clear()
        self.items.clear()

    def lookup(self, director: str | None, actors: str | None,
               genres: Iterable[str] | None) -> tuple[int, tuple[str, ...]]:
        """(profile id, cleaned genres) of one entry's credits."""
        cache_key = (director, actors, *(genres or ()))
        hit = self._ids.get(cache_key)
        if hit is not None:
            return hit
        clean_genres = tuple(g.strip() for g in (genres or ()) if g and g.strip())
        self.items.append(movie_profile(director, actors, clean_genres))
        hit = self._ids[cache_key] = (len(self.items) - 1, clean_genres)
        return hit


def movie_profile(director: str | None, actors: str | None, genres: Iterable[str] | None) -> Profile:
    """The affinity keys of one entry: first 2 directors, first 5 actors, all genres.

    A key appears once per entry even if a name is listed twice.
    """
    seen: dict[AffKey, str] = {}
    for kind, names in (
        ("director", split_people(director, MAX_DIRECTORS)),
        ("actor", split_people(actors, MAX_ACTORS)),
        ("genre", tuple(g.strip() for g in (genres or ()) if g and g.strip())),
    ):
        for name in names:
            seen.setdefault((kind, clean_key(name)), name)
    return tuple(seen.items())
