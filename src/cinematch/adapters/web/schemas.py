"""Request and response bodies (msgspec), CONTRACT §3."""

from __future__ import annotations

from typing import Annotated

import msgspec

from ...domain.catalog import CatalogRecord
from ...domain.bounds import (
    MAX_NAME, MAX_TAG, MAX_TAGS, DateText as Date, Duration, GenreList, ImdbId, PeopleList, PeopleText, Year,
)
from ...domain.events import MAX_CATALOG_ID
from ...domain.ratings import Rating as Stars

# The request types are the entry bounds of `domain.bounds`, so the API documents them.
Rating = Annotated[float, msgspec.Meta(ge=0.5, le=5, multiple_of=0.5, description="half stars; null: unrated")]
Tags = Annotated[list[Annotated[str, msgspec.Meta(max_length=MAX_TAG)]], msgspec.Meta(max_length=MAX_TAGS)]
CatalogId = Annotated[str, msgspec.Meta(max_length=MAX_CATALOG_ID)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_NAME)]
People = PeopleText | PeopleList


class Credentials(msgspec.Struct):
    username: Annotated[str, msgspec.Meta(max_length=200)]
    password: Annotated[str, msgspec.Meta(max_length=1000)]


class PasswordChange(msgspec.Struct):
    password: Annotated[str, msgspec.Meta(max_length=1000)]
    new_password: Annotated[str, msgspec.Meta(max_length=1000)] | None = None


class AccountDeletion(msgspec.Struct):
    password: Annotated[str, msgspec.Meta(max_length=1000)]


class Registered(msgspec.Struct):
    user_id: str
    username: str


class TokenOut(msgspec.Struct):
    access_token: str
    expires_in: int
    token_type: str = "bearer"


class MovieIn(msgspec.Struct, forbid_unknown_fields=False):
    name: Name
    rating: Rating | None = None
    date: Date | None = None
    year: Year | None = None
    imdb_id: ImdbId | None = None
    genres: GenreList | None = None
    director: People | None = None
    actors: People | None = None
    duration: Duration | None = None
    rewatch: bool = False
    tags: Tags | None = None
    catalog_id: CatalogId | None = None


class MoviePatch(msgspec.Struct):
    rating: Rating | None | msgspec.UnsetType = msgspec.UNSET  # null: unrated; absent: unchanged
    date: Date | None = None
    name: Name | None = None
    year: Year | None = None
    rewatch: bool | None = None
    tags: Tags | None = None
    catalog_id: CatalogId | None = None


class EntryOut(msgspec.Struct):
    id: str
    name: str
    title: str
    year: int | None
    rating: Stars | None
    date: str
    genres: list[str]
    director: str
    actors: str
    duration: int
    catalog_id: str | None
    rewatch: bool
    tags: list[str]


class EntryPage(msgspec.Struct):
    items: list[EntryOut]
    total: int


CatalogIn = CatalogRecord  # one declaration of a catalog movie's fields and bounds


class Upserted(msgspec.Struct):
    upserted: int


class ImportErrorOut(msgspec.Struct):
    line: int
    reason: str


class ImportOut(msgspec.Struct):
    batch_id: str  # GET /api/me/imports lists it; DELETE /api/me/imports/{batch_id} undoes it
    format: str
    imported: int
    skipped: int  # rows that are not watches of a film, or the same watch said again in another file
    duplicates: int  # rows already in the diary (this file sent again, or the same film on the same day)
    watchlist: int  # films put on the watchlist
    errors: list[ImportErrorOut]
    notes: list[ImportErrorOut]  # why rows were skipped
    dry_run: bool = False


class WatchIn(msgspec.Struct):
    name: Name
    year: Year | None = None
    catalog_id: CatalogId | None = None
