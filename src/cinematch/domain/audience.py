"""A film's audience on this instance (the film page's line, docs/contract.md §3 films): the
people who logged it, and the mean of their ratings, counting only entries linked to the catalog
and not private. The stores keep what each entry adds (`share_of`) beside the entry, in the same
write, so the line is exact at every read; it is shown only from `min_users` people, so it never
says what one person watched."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from .deltas import public_film_of
from .diary import DiaryEntry
from .ratings import halves


class Audience(NamedTuple):
    users: int  # distinct people with a counted entry of the film
    rated: int  # their counted entries with a rating (a rewatch is an entry of its own)
    halves: int  # the sum of those ratings, in half stars


NOBODY = Audience(0, 0, 0)


def share_of(entry: DiaryEntry) -> tuple[str, int | None] | None:
    """(catalog id, rating in half stars or None) that `entry` adds to its film's audience, or
    None when it adds nothing: the film it counts for publicly (`deltas.public_film_of`: none when
    it is not linked, or private), as the trends count it."""
    film = public_film_of(entry.private, entry.catalog_id)
    if not film:
        return None
    return film, (None if entry.rating is None else halves(entry.rating))


def audience_of(diaries: Iterable[tuple[str, Iterable[DiaryEntry]]], catalog_id: str) -> Audience:
    """The audience of `catalog_id` among (user, entries) pairs, entry by entry."""
    users, rated, total = set(), 0, 0
    for user, entries in diaries:
        for share in map(share_of, entries):
            if share is not None and share[0] == catalog_id:
                users.add(user)
                if share[1] is not None:
                    rated, total = rated + 1, total + share[1]
    return Audience(len(users), rated, total)


def audience_line(audience: Audience, min_users: int) -> dict[str, Any] | None:
    """{"users", "avg_rating"} (stars, 2 decimals; None when nobody rated it), from `min_users`."""
    if audience.users < min_users:
        return None
    return {"users": audience.users,
            "avg_rating": round(audience.halves / audience.rated / 2, 2) if audience.rated else None}
