"""Request and response bodies (msgspec), CONTRACT §3."""

from __future__ import annotations

from typing import Annotated

import msgspec

from ...domain.catalog import CatalogRecord
from ...domain.bounds import MAX_NAME, DateText as Date, Duration, GenreList, ImdbId, PeopleList, PeopleText, Year

# The request types are the entry bounds of `domain.bounds`, so the API documents them.
Rating = Annotated[int, msgspec.Meta(ge=1, le=5)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_NAME)]
People = PeopleText | PeopleList


class Credentials(msgspec.Struct):
    username: Annotated[str, msgspec.Meta(max_length=200)]
    password: Annotated[str, msgspec.Meta(max_length=1000)]


class PasswordChange(msgspec.Struct):
    password: Annotated[str, msgspec.Meta(max_length=1000)]
    new_password: Annotated[str, msgspec.Meta(max_length=1000)] | None = None


class Registered(msgspec.Struct):
    user_id: str
    username: str


class TokenOut(msgspec.Struct):
    access_token: str
    expires_in: int
    token_type: str = "bearer"


class MovieIn(msgspec.Struct, forbid_unknown_fields=False):
    name: Name
    rating: Rating
    date: Date | None = None
    year: Year | None = None
    imdb_id: ImdbId | None = None
    genres: GenreList | None = None
    director: People | None = None
    actors: People | None = None
    duration: Duration | None = None


class MoviePatch(msgspec.Struct):
    rating: Rating | None = None
    date: Date | None = None
    name: Name | None = None
    year: Year | None = None


class EntryOut(msgspec.Struct):
    id: str
    name: str
    title: str
    year: int | None
    rating: int
    date: str
    genres: list[str]
    director: str
    actors: str
    duration: int
    catalog_id: str | None


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
    format: str
    imported: int
    skipped: int
    duplicates: int  # rows this file already imported (sent again after being cut short)
    errors: list[ImportErrorOut]
