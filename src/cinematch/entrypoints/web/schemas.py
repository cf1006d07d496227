"""Request[Any, Any, Any] and response bodies (msgspec), docs/contract.md §3."""

from __future__ import annotations

from typing import Annotated

import msgspec

from ...domain.bounds import (
    MAX_NAME,
    MAX_TAG,
    MAX_TAGS,
    Duration,
    GenreList,
    ImdbId,
    PeopleList,
    PeopleText,
    Review,
    Year,
)
from ...domain.bounds import DateText as Date
from ...domain.catalog import CatalogMovie, CatalogRecord
from ...domain.events import MAX_CATALOG_ID
from ...domain.ratings import Rating as Stars
from ...services.imports import ImportReport

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
    writers: People | None = None
    duration: Duration | None = None
    rewatch: bool = False
    tags: Tags | None = None
    catalog_id: CatalogId | None = None
    review: Review | None = None
    spoilers: bool = False
    liked: bool = False
    private: bool = False


class MoviePatch(msgspec.Struct):
    rating: Rating | None | msgspec.UnsetType = msgspec.UNSET  # null: unrated; absent: unchanged
    date: Date | None = None
    name: Name | None = None
    year: Year | None = None
    rewatch: bool | None = None
    tags: Tags | None = None
    catalog_id: CatalogId | None = None
    review: Review | None = None  # "": no review
    spoilers: bool | None = None
    liked: bool | None = None
    private: bool | None = None


class EntrySummary(msgspec.Struct):
    """An entry as the statistics list it (top rated, recent)."""
    id: str
    name: str
    title: str
    year: int | None
    rating: Stars | None
    date: str
    genres: list[str]
    rewatch: bool
    tags: list[str]
    catalog_id: str | None  # the linked catalog film (its page: /films/{catalog_id})


class EntryOut(EntrySummary):
    director: str
    actors: str
    writers: str
    countries: list[str]  # ISO 3166-1 alpha-2, where the catalog film has them
    languages: list[str]  # ISO 639-1 of its original language, likewise
    duration: int
    review: str
    spoilers: bool
    liked: bool
    private: bool


class EntryPage(msgspec.Struct):
    items: list[EntryOut]
    total: int


CatalogIn = CatalogRecord  # one declaration of a catalog movie's fields and bounds


class Upserted(msgspec.Struct):
    upserted: int


ImportOut = ImportReport  # one declaration of an import's report (services.imports)


class WatchIn(msgspec.Struct):
    name: Name
    year: Year | None = None
    catalog_id: CatalogId | None = None


# --- responses (every operation's answer is one of these: the API document describes them) ---

class ErrorOut(msgspec.Struct):
    """Every error: a 4xx (or a 503 while a dependency is down) with the reason."""
    status_code: int
    detail: str


class ImportBatchOut(msgspec.Struct):
    batch_id: str
    format: str
    at: str
    imported: int


class ImportBatches(msgspec.Struct):
    items: list[ImportBatchOut]


class WatchOut(msgspec.Struct):
    id: str
    name: str
    title: str
    year: int | None
    catalog_id: str | None
    added: str


class Watchlist(msgspec.Struct):
    items: list[WatchOut]


class Accepted(msgspec.Struct):
    status: str = "accepted"


class FoundMovie(CatalogMovie, kw_only=True):
    """A catalog film as a search found it: `match` says how (`domain.search.MATCHES`)."""

    match: str


class CatalogResults(msgspec.Struct):
    items: list[FoundMovie]


class GenreCount(msgspec.Struct):
    genre: str
    movies: int


class Genres(msgspec.Struct):
    items: list[GenreCount]


class Health(msgspec.Struct):
    status: str


class Ready(msgspec.Struct, omit_defaults=True):
    status: str  # "ready" or "unavailable"
    detail: str | None = None


class RecommendationOut(msgspec.Struct):
    movie_id: str
    title: str
    year: int | None
    genres: list[str]
    score: float
    predicted_rating: float | None
    explanation: str


class RecommendationsOut(msgspec.Struct, omit_defaults=True):
    items: list[RecommendationOut]
    strategy: str  # "hybrid", "cold_start", "popularity", …
    model_version: str | None
    experiment: str | None = None  # when the caller takes part in a running experiment
    variant: str | None = None


class ModelMetrics(msgspec.Struct):
    rmse: float | None
    mae: float | None


class ModelStatus(msgspec.Struct):
    is_trained: bool
    model_version: str | None
    trained_at: str | None
    training_seconds: float | None
    k_svd: int | None
    k_cluster: int | None
    explained_variance: float | None
    training_source: str | None
    metrics: ModelMetrics | None


class Evaluation(msgspec.Struct):
    protocol: str | None
    rmse: float | None
    mae: float | None
    ndcg_at_10: float | None
    precision_at_10: float | None
    recall_at_10: float | None
    coverage: float | None
    diversity: float | None
    novelty: float | None


class Segment(msgspec.Struct):
    id: int
    size: int
    top_genres: list[str]
    label: str


class SegmentPoint(msgspec.Struct):
    x: float
    y: float
    cluster: int


class Clustering(msgspec.Struct):
    n_clusters: int
    silhouette: float
    clusters: list[Segment]
    points: list[SegmentPoint]


class TrainedOut(msgspec.Struct):
    model_version: str
    k_svd: int
    k_cluster: int
    metrics: dict[str, float | str | None]  # the held-out evaluation (Evaluation's fields)
    seconds: float


class FilmInstance(msgspec.Struct):
    users: int
    avg_rating: float | None


class FilmPage(msgspec.Struct):
    """GET /api/films/{catalog_id}: the film, your watches (signed in), the instance's line (from
    CINEMATCH_TRENDS_MIN_USERS people, no private entry counted), similar films."""

    film: CatalogMovie
    your_entries: list[EntryOut]
    instance: FilmInstance | None
    similar: list[CatalogMovie]


class PersonFilm(CatalogMovie, kw_only=True):
    roles: list[str]
    watched: bool
    your_rating: float | None = None


class PersonYou(msgspec.Struct):
    count: int
    rated_count: int
    avg_rating: float


class PersonPage(msgspec.Struct):
    """GET /api/people/{name}: the catalog films crediting the person, by role; `you` when signed in."""

    name: str
    films: list[PersonFilm]
    you: PersonYou | None = None
