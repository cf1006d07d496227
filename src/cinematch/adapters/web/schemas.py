"""Request and response bodies (msgspec), CONTRACT §3."""

from __future__ import annotations

from typing import Annotated

import msgspec

Rating = Annotated[int, msgspec.Meta(ge=1, le=5)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=20_000)]
Date = Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d{2}-\d{2}$")]
Year = Annotated[int, msgspec.Meta(ge=1870, le=2100)]
Duration = Annotated[int, msgspec.Meta(ge=0, le=10_000)]


class Credentials(msgspec.Struct):
    username: Annotated[str, msgspec.Meta(max_length=200)]
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
    rating: Rating
    date: Date | None = None
    year: Year | None = None
    imdb_id: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    genres: list[Annotated[str, msgspec.Meta(max_length=200)]] | None = None
    director: str | list[str] | None = None
    actors: str | list[str] | None = None
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


class CatalogIn(msgspec.Struct):
    title: Name
    original_title: str | None = None
    year: Year | None = None
    genres: list[str] | None = None
    director: str | list[str] | None = None
    actors: str | list[str] | None = None
    duration: Duration | None = None
    poster_url: str | None = None
    imdb_id: str | None = None


class Upserted(msgspec.Struct):
    upserted: int


class ImportErrorOut(msgspec.Struct):
    line: int
    reason: str


class ImportOut(msgspec.Struct):
    format: str
    imported: int
    skipped: int
    errors: list[ImportErrorOut]
