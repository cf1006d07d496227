"""The Litestar app factory: maps the DI container to Litestar's own `Provide`."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

import msgspec
from litestar import Litestar, Request, Response, Router, delete, get, patch, post
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.di import Provide
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, Example, OpenAPIMediaType, Operation, RequestBody, Schema, SecurityScheme
from litestar.params import Body, Parameter
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import ServerSentEvent, Stream
from litestar.security.jwt import JWTCookieAuth, Token
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_201_CREATED, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT
from litestar.template.config import TemplateConfig

from ...adapters.observability import dead_letter_sampler, group_lag_sampler, model_sampler, projection_sampler
from ...container import close_resources
from ...domain.catalog import catalog_id_for, catalog_movie
from ...domain.diary import DiaryEntry
from ...domain.exports import BackupWatch, backup_chunks, letterboxd_chunks
from ...domain.ports import Conflict, StoreUnavailable, User
from ...services.accounts import AccountError, Accounts, session_mark, session_user
from ...services.projection import paused_gc
from ...services.diary import DiaryError, DiaryService, EntryPatch, NewEntry
from ...services.imports import ImportService
from ...services.watchlist import WatchlistService
from ...services.limits import NotTrained, RateLimited
from ...services.queries import AFFINITY_SORTS, AFFINITY_TYPES, StatsQueries
from .assets import Assets
from .background import ThreadedRunner
from .hardening import add_headers, any_error, error_response, strict_body, strict_query_integers
from .observe import count_unrouted, metrics_endpoint, observe_requests
from .pages import (
    PAGES, PUBLIC_PAGES, SESSION_COOKIE, TEMPLATE_FILTERS, TEMPLATE_GLOBALS, page_not_signed_in, require_admin,
)
from .schemas import (
    Accepted, AccountDeletion, Affinities, CatalogIn, CatalogResults, Clustering, Credentials, EntryOut, EntryPage,
    ErrorOut, Evaluation, Genres, Health, ImportBatches, ImportOut, ModelStatus, MovieIn, MoviePatch,
    PasswordChange, Ready, RecommendationsOut, Registered, StatsOut, TokenOut, TrainedOut, Trends, Upserted, WatchIn,
    Watchlist, WatchOut,
)

log = logging.getLogger(__name__)


def entry_out(e: DiaryEntry) -> EntryOut:
    return EntryOut(id=e.id, name=e.name, title=e.title or e.name, year=e.year, rating=e.rating, date=e.date,
                    genres=list(e.genres), director=e.director, actors=e.actors, duration=e.duration,
                    catalog_id=e.catalog_id, rewatch=e.rewatch, tags=list(e.tags))


# Bounds on integers that reach the database: SQLite integers are 64-bit, and an
# offset past any real diary is a client error, not an overflow.
MAX_OFFSET = 1_000_000_000


# --- what the API document says of errors and uploads -------------------------------

ERRORS = {
    400: "the request is not valid; `detail` says why",
    401: "no valid bearer token (sign in at POST /api/auth/token), or it was made before a password change",
    403: "only an administrator may do this",
    404: "no such item among the caller's",
    409: "the state does not allow it now; `detail` says why",
    413: "the body is larger than this operation takes",
    429: "too many attempts; the Retry-After header says when to try again",
    503: "a dependency (the store, the broker) does not answer; Retry-After says when to try again",
}
SIGNED_IN = (400, 401, 503)  # what any operation behind the bearer token may answer besides its own


def errors(*codes: int, **why: str) -> dict[int, ResponseSpec]:
    """The error answers of an operation, each an `ErrorOut`: the `codes`, and those `why` names
    with this operation's own description (e409="…")."""
    every = set(codes) | {int(k[1:]) for k in why}
    return {c: ResponseSpec(ErrorOut, description=why.get(f"e{c}", ERRORS[c])) for c in sorted(every)}


@dataclasses.dataclass
class UploadOperation(Operation):
    """The import's body, which the handler reads itself (any of these media types)."""

    def __post_init__(self) -> None:
        # (the type: ignores below) litestar types `Schema.type` as its OpenAPIType enum; the plain
        # strings are what the document carries either way.
        binary = Schema(type="string", format="binary")  # type: ignore[arg-type]
        self.request_body = RequestBody(required=True, description="the export file, as the body or as the "
                                        "multipart field `file`", content={
            "text/csv": OpenAPIMediaType(schema=Schema(type="string")),  # type: ignore[arg-type]
            "application/zip": OpenAPIMediaType(schema=binary),
            "application/json": OpenAPIMediaType(schema=Schema(type="object", description="a CineMatch backup")),  # type: ignore[arg-type]
            "multipart/form-data": OpenAPIMediaType(schema=Schema(
                type="object", properties={"file": binary}, required=["file"])),  # type: ignore[arg-type]
        })


# --- handlers --------------------------------------------------------------------

@post("/api/auth/register", status_code=HTTP_201_CREATED, tags=["auth"], before_request=strict_body(Credentials),
      description="Create an account: a username of 3-32 letters, digits, `_`, `.` or `-` (unique ignoring case), "
                  "a password of at least 10 characters that is not a common one.",
      responses=errors(400, 503, e409="the username is taken"))
async def register(data: Annotated[Credentials, Body(examples=[Example(
        summary="a new account", value={"username": "ada_l", "password": "a long passphrase 42"})])],
        accounts: Accounts) -> Registered:
    user = await accounts.register(data.username, data.password)
    return Registered(user_id=user.id, username=user.username)


@post("/api/auth/token", status_code=200, tags=["auth"], before_request=strict_body(Credentials),
      description="Sign in: a bearer token for `Authorization: Bearer …` on the other operations.",
      responses=errors(400, 503, e401="wrong username or password",
                       e429="too many failed sign-ins for this account or address; the Retry-After header says "
                            "when to try again"))
async def token(data: Credentials, request: Request, accounts: Accounts, jwt_auth: Any, ttl: int) -> Response[TokenOut]:
    client = request.client.host if request.client else ""
    user = await accounts.authenticate(data.username, data.password, client)
    if user is None:
        raise NotAuthorizedException("wrong username or password")
    encoded = jwt_auth.create_token(identifier=user.id, token_expiration=dt.timedelta(seconds=ttl),
                                    token_extras={"pw": session_mark(user)})
    return Response(TokenOut(access_token=encoded, expires_in=ttl), headers={"Cache-Control": "no-store"})


@post("/api/movies", status_code=HTTP_201_CREATED, tags=["diary"], before_request=strict_body(MovieIn),
      description="Log a watch. `rating` in half stars (absent or null: unrated); `date` defaults to today; a "
                  "`catalog_id` from the catalog search links that film exactly, else the name is matched.",
      responses=errors(*SIGNED_IN))
async def add_movie(data: Annotated[MovieIn, Body(examples=[
        Example(summary="a watch, rated", value={"name": "Heat", "year": 1995, "rating": 4.5, "date": "2026-11-30"}),
        Example(summary="a film picked from the catalog search, unrated, a rewatch",
                value={"name": "Heat", "catalog_id": "tt0113277", "rewatch": True, "tags": ["cinema"]})])],
        request: Request[User, Token, Any], diary: DiaryService) -> EntryOut:
    entry = await diary.add(request.user.id, msgspec.convert(msgspec.to_builtins(data), NewEntry))
    return entry_out(entry)


@get("/api/movies", tags=["diary"], description="The diary, newest watched first.", responses=errors(*SIGNED_IN))
async def list_movies(
    request: Request[User, Token, Any], diary_store: Any,
    limit: int = Parameter(default=50, ge=1, le=1000), offset: int = Parameter(default=0, ge=0, le=MAX_OFFSET),
) -> EntryPage:
    items, total = await diary_store.page(request.user.id, limit, offset)
    return EntryPage(items=[entry_out(e) for e in items], total=total)


@patch("/api/movies/{entry_id:str}", tags=["diary"], before_request=strict_body(MoviePatch),
       description="Change an entry (`rating`: null makes it unrated).", responses=errors(*SIGNED_IN, 404))
async def update_movie(entry_id: str, data: MoviePatch, request: Request[User, Token, Any],
                       diary: DiaryService) -> EntryOut:
    entry = await diary.update(request.user.id, entry_id, msgspec.convert(msgspec.to_builtins(data), EntryPatch))
    if entry is None:
        raise HTTPException(status_code=404, detail="no such diary entry")
    return entry_out(entry)


@delete("/api/movies/{entry_id:str}", status_code=HTTP_204_NO_CONTENT, tags=["diary"],
        responses=errors(*SIGNED_IN, 404))
async def delete_movie(entry_id: str, request: Request[User, Token, Any], diary: DiaryService) -> None:
    if not await diary.delete(request.user.id, entry_id):
        raise HTTPException(status_code=404, detail="no such diary entry")


MAX_JSON_BYTES = 1024 * 1024  # any JSON body (the entry bounds fit in far less); uploads have their own
MAX_IMPORT_BYTES = 32 * 1024 * 1024


MAX_NOTES = 1000  # an answer lists this many skipped-row notes at most (the counts stay whole)


def import_out(report: ImportOut) -> ImportOut:
    return msgspec.structs.replace(report, notes=report.notes[:MAX_NOTES])


@post("/api/movies/import", status_code=200, tags=["diary"], request_max_body_size=MAX_IMPORT_BYTES,
      description="The body (text/csv, application/zip, application/json) or multipart field `file`: a "
                  "Letterboxd export ZIP or one of its CSVs, IMDb ratings.csv, a Trakt export ZIP, the CineMatch "
                  "backup, or name,year,rating,date. Bad rows are reported per line; the good rows still import. "
                  "The same file again imports nothing twice; `dry_run=true` reports and writes nothing.",
      operation_class=UploadOperation, responses=errors(*SIGNED_IN, 413, e413="the file is over 32 MB"))
async def import_movies(request: Request[User, Token, Any], imports: ImportService,
                        dry_run: bool = Parameter(default=False)) -> ImportOut:
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise DiaryError("multipart body needs a file field named 'file'")
        raw = await upload.read()
    else:
        raw = await request.body()
    return import_out(await imports.import_file(request.user.id, raw, dry_run=dry_run))


@get("/api/me/imports", tags=["diary"], description="The imports, each undoable.", responses=errors(*SIGNED_IN))
async def my_imports(request: Request[User, Token, Any], imports: ImportService) -> ImportBatches:
    return msgspec.convert({"items": [{"batch_id": b.id, "format": b.format, "at": b.at, "imported": b.imported}
                                      for b in await imports.import_batches(request.user.id)]}, ImportBatches)


@delete("/api/me/imports/{batch_id:str}", status_code=HTTP_204_NO_CONTENT, tags=["diary"],
        description="Undo an import: the entries it created are removed from the diary.",
        responses=errors(*SIGNED_IN, 404))
async def undo_import(batch_id: str, request: Request[User, Token, Any], imports: ImportService) -> None:
    if not await imports.undo_import(request.user.id, batch_id[:100]):
        raise HTTPException(status_code=404, detail="no such import")


def watch_out(item) -> WatchOut:
    return WatchOut(id=item.id, name=item.name, title=item.title or item.name, year=item.year,
                    catalog_id=item.catalog_id, added=item.added)


@get("/api/me/watchlist", tags=["watchlist"], responses=errors(*SIGNED_IN))
async def my_watchlist(request: Request[User, Token, Any], watchlist: WatchlistService) -> Watchlist:
    return Watchlist(items=[watch_out(i) for i in await watchlist.watchlist_of(request.user.id)])


@post("/api/me/watchlist", status_code=HTTP_201_CREATED, tags=["watchlist"], before_request=strict_body(WatchIn),
      description="Put a film on the watchlist (the same film twice is one item); logging it takes it off.",
      responses=errors(*SIGNED_IN))
async def add_to_watchlist(data: WatchIn, request: Request[User, Token, Any], watchlist: WatchlistService) -> WatchOut:
    return watch_out(await watchlist.watch(request.user.id, data.name, data.year, data.catalog_id))


@delete("/api/me/watchlist/{item_id:str}", status_code=HTTP_204_NO_CONTENT, tags=["watchlist"],
        responses=errors(*SIGNED_IN, 404))
async def remove_from_watchlist(item_id: str, request: Request[User, Token, Any], watchlist: WatchlistService) -> None:
    if not await watchlist.unwatch(request.user.id, item_id[:100]):
        raise HTTPException(status_code=404, detail="not on the watchlist")


@post("/api/me/password", status_code=HTTP_204_NO_CONTENT, tags=["auth"], before_request=strict_body(PasswordChange),
      description="With `new_password`, change the password; without, hash the same one anew. Either way every "
                  "token made before stops working (sign out everywhere); sign in again for a new one.",
      responses=errors(*SIGNED_IN, e429="too many wrong current passwords; see Retry-After"))
async def change_password(data: PasswordChange, request: Request[User, Token, Any], accounts: Accounts) -> None:
    client = request.client.host if request.client else ""
    await accounts.change_password(request.user, data.password, data.new_password, client)


@delete("/api/me", status_code=HTTP_204_NO_CONTENT, tags=["auth"], before_request=strict_body(AccountDeletion),
        description="Delete the account and everything it owns (diary, statistics, affinities, trend facts, "
                    "imports, watchlist), on every backend. The body repeats the password.",
        responses=errors(*SIGNED_IN, e429="too many wrong passwords; see Retry-After"))
async def delete_account(data: AccountDeletion, request: Request[User, Token, Any], accounts: Accounts,
                         purge: Any, queries: StatsQueries) -> None:
    client = request.client.host if request.client else ""
    await accounts.check_password(request.user, data.password, client)
    await purge.purge(request.user.id)
    queries.forget(request.user.id)


@get("/api/me/export", tags=["diary"], description="The whole account: `json` (the CineMatch backup, which "
     "POST /api/movies/import reads back) or `letterboxd` (a CSV Letterboxd's importer accepts).",
     responses={200: ResponseSpec(str, description="the backup (application/json) or the CSV (text/csv), "
                                                   "as an attachment", media_type="application/json"),
                **errors(*SIGNED_IN)})
async def export_diary(request: Request[User, Token, Any], diary_store: Any, clock: Any, watchlist: WatchlistService,
                       format: str = Parameter(default="json", pattern="^(json|letterboxd)$"),  # noqa: A002 - the query name
                       ) -> Response:
    with paused_gc():  # 100,000 entries read at once: no collection walks them meanwhile (they form no cycles)
        entries, _ = await diary_store.snapshot(request.user.id)
    day = clock.now().date().isoformat()
    if format == "letterboxd":
        return Stream(_pieces(letterboxd_chunks(entries)), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="cinematch-letterboxd-{day}.csv"'})
    watchlist = [BackupWatch(name=i.name, year=i.year, imdb_id=i.imdb_id, catalog_id=i.catalog_id,
                             added=i.added or None)
                 for i in await watchlist.watchlist_of(request.user.id)]
    pieces = backup_chunks(request.user.username, entries, clock.now().isoformat(), watchlist)
    return Stream(_pieces(pieces), media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="cinematch-backup-{day}.json"'})


async def _pieces(pieces) -> AsyncIterator[bytes]:
    """An export sent as it is made: each piece is made in a worker thread (the first sorts the
    diary), so the event loop only passes them on."""
    end = object()

    def made():
        with paused_gc():
            return next(pieces, end)
    while (piece := await asyncio.to_thread(made)) is not end:
        yield piece.encode() if isinstance(piece, str) else piece


@post("/api/me/stats/recalculate", status_code=HTTP_202_ACCEPTED, tags=["stats"],
      description="Recompute the caller's statistics from the diary (in the background).",
      responses=errors(*SIGNED_IN))
async def recalculate(request: Request[User, Token, Any], diary: DiaryService) -> Accepted:
    await diary.recalculate(request.user.id)
    return Accepted()


@get("/api/me/stats", tags=["stats"], description="All time, or with `year` the year in review: the same "
     "figures over the entries watched in that year.", responses=errors(*SIGNED_IN))
async def my_stats(request: Request[User, Token, Any], queries: StatsQueries,
                   year: int | None = Parameter(default=None, ge=1870, le=2100)) -> StatsOut:
    if year is not None:
        return msgspec.convert(await queries.year_stats(request.user.id, year), StatsOut)
    return msgspec.convert(await queries.user_stats(request.user.id), StatsOut)


@get("/api/me/affinities", tags=["stats"], description="Directors, actors or genres by count (or mean rating).",
     responses=errors(*SIGNED_IN))
async def my_affinities(
    request: Request[User, Token, Any], queries: StatsQueries,
    type: str = Parameter(default="director"), sort: str = Parameter(default="count"),  # noqa: A002 - the query name
    limit: int = Parameter(default=10, ge=1, le=1000), min_count: int = Parameter(default=1, ge=1, le=MAX_OFFSET),
) -> Affinities:
    if type not in AFFINITY_TYPES:
        raise HTTPException(status_code=400, detail=f"type must be one of {', '.join(AFFINITY_TYPES)}")
    if sort not in AFFINITY_SORTS:
        raise HTTPException(status_code=400, detail=f"sort must be one of {', '.join(AFFINITY_SORTS)}")
    return msgspec.convert({"items": await queries.affinities_of(request.user.id, type, sort, limit, min_count)},
                           Affinities)


@get("/api/trends/global", tags=["trends"], description="Public: the catalog films most logged in the window "
     "(each by at least CINEMATCH_TRENDS_MIN_USERS people) and the genres of the window's entries.",
     responses=errors(503))
async def global_trends(queries: StatsQueries) -> Trends:
    return msgspec.convert(await queries.global_trends(), Trends)


@get("/api/catalog/search", tags=["catalog"], description="Public: films by title, alternative title, a word of "
     "a title or a typo of one; the title itself first, then titles starting with it, then the rest, each the most "
     "voted first. An item's `id` is the `catalog_id` POST /api/movies takes.", responses=errors(400, 503))
async def catalog_search(catalog: Any, q: str = Parameter(default="", max_length=500),
                         limit: int = Parameter(default=20, ge=1, le=200)) -> CatalogResults:
    return CatalogResults(items=await catalog.search(q, limit))


@get("/api/genres", tags=["catalog"], description="Public: the catalog's genres, most films first.",
     responses=errors(503))
async def genres(catalog: Any) -> Genres:
    return msgspec.convert({"items": [{"genre": g, "movies": n} for g, n in await catalog.genres()]}, Genres)


@post("/api/admin/catalog", status_code=200, tags=["admin"], before_request=strict_body(list[CatalogIn]),
      description="Add or update catalog films (an id per title and year).", responses=errors(*SIGNED_IN, 403))
async def admin_catalog(data: list[CatalogIn], request: Request[User, Token, Any], catalog: Any) -> Upserted:
    require_admin(request)
    movies = [catalog_movie(id=catalog_id_for(m.title, m.year), **msgspec.to_builtins(m)) for m in data]
    return Upserted(upserted=await catalog.upsert(movies))


# --- recommendations (docs/contract.md §5) ---------------------------------------------------



@get("/api/recommendations/me", tags=["recommendations"], description="Films for the caller, each with why; "
     "`genres` seeds a new account's picks (cold start).", responses=errors(*SIGNED_IN))
async def my_recommendations(
    request: Request[User, Token, Any], recommendations: Any,
    top_n: int = Parameter(default=10, ge=1, le=100),
    genres: str = Parameter(default="", max_length=1000,
                            description="cold start: comma-separated genre picks, e.g. Drama,Comedy"),
) -> RecommendationsOut:
    picks = tuple(g.strip() for g in genres.split(",") if g.strip())[:20]
    return msgspec.convert(await recommendations.for_user(request.user.id, top_n, picks), RecommendationsOut)


NO_MODEL = "no model trained yet"


@get("/api/recommendations/status", tags=["recommendations"], responses=errors(401, 503))
async def recommendation_status(recommendations: Any) -> ModelStatus:
    return msgspec.convert(await recommendations.status(), ModelStatus)


@get("/api/recommendations/evaluation", tags=["recommendations"], description="The served model's held-out "
     "evaluation (docs/contract.md §5).", responses=errors(401, 503, e409=NO_MODEL))
async def recommendation_evaluation(recommendations: Any) -> Evaluation:
    return msgspec.convert(await recommendations.evaluation(), Evaluation)


@get("/api/recommendations/clustering", tags=["recommendations"], description="The served model's user segments.",
     responses=errors(401, 503, e409=NO_MODEL))
async def recommendation_clustering(recommendations: Any) -> Clustering:
    return msgspec.convert(await recommendations.clustering(), Clustering)


@post("/api/admin/ml/train", status_code=200, tags=["admin"], description="Train and serve a new model.",
      responses=errors(401, 403, 503, e409="nothing to train on yet", e429="a training ran a moment ago; see "
                                                                          "Retry-After"))
async def admin_train(request: Request[User, Token, Any], recommendations: Any) -> TrainedOut:
    require_admin(request)
    return msgspec.convert(await recommendations.train(), TrainedOut)


@get("/api/admin/ml/k-optimization/stream", tags=["admin"], description="Server-sent events of a K sweep "
     "(`status`, `matrix_info`, `phase`, `progress`, …, `complete`); the chosen K serves the next training.",
     responses={200: ResponseSpec(str, media_type="text/event-stream", description="one JSON object per event"),
                **errors(401, 403, 503, e409="nothing to optimise on yet", e429="a sweep ran a moment ago")})
async def admin_k_optimization(request: Request[User, Token, Any], recommendations: Any) -> ServerSentEvent:
    require_admin(request)
    events = await recommendations.k_optimization()  # rate limit and data checked before streaming

    async def lines():
        async for event in events:
            yield json.dumps(event, default=float)

    return ServerSentEvent(lines())


@get("/health", tags=["ops"], description="200 while the process is up.")
async def health() -> Health:
    return Health(status="ok")


@get("/ready", tags=["ops"], description="200 when every dependency answers and the store takes writes.",
     responses={503: ResponseSpec(Ready, description="a dependency is down, the store cannot take writes, or the "
                                                     "projection is stuck; `detail` says which")})
async def ready(store_check: Any, runner: Any) -> Response[Ready]:
    try:
        await store_check()
    except StoreUnavailable as exc:
        return Response(Ready("unavailable", exc.reason), status_code=503)
    except Exception as exc:  # noqa: BLE001 - a dependency that does not answer
        return Response(Ready("unavailable", str(exc)[:200] or type(exc).__name__), status_code=503)
    if runner is not None and runner.problem and runner.failures >= 3:
        return Response(Ready("unavailable", f"the projection cannot make progress: {runner.problem}"), status_code=503)
    return Response(Ready("ready"), status_code=200)


# --- errors: always a 4xx with a reason --------------------------------------------

def _bad_request(_: Request, exc: Exception) -> Response:
    return error_response(400, str(exc))


def _conflict(_: Request, exc: Exception) -> Response:
    return error_response(409, str(exc))


def _rate_limited(_: Request, exc: RateLimited) -> Response:
    return error_response(429, str(exc), headers={"Retry-After": str(exc.retry_after)})


def _unavailable(_: Request, exc: StoreUnavailable) -> Response:
    log.error("store unavailable: %s", exc.reason)
    return error_response(503, exc.reason, headers={"Retry-After": str(exc.retry_after or 60)})


# --- the factory ------------------------------------------------------------------

PUBLIC = ["^/api/auth/", "^/api/trends/global", "^/api/catalog/", "^/api/genres", "^/health", "^/ready", "^/metrics",
          "^/schema", "^/favicon.ico$", "^/manifest.webmanifest$",
          *PUBLIC_PAGES]
WEB_DIR = Path(__file__).parent
SWAGGER = "/static/vendor/swagger"


def _template_setup(assets: Assets):
    def setup(engine: JinjaTemplateEngine) -> None:
        engine.engine.globals.update(TEMPLATE_GLOBALS, static_url=assets.url)
        engine.engine.filters.update(TEMPLATE_FILTERS)
    return setup


@get("/favicon.ico", include_in_schema=False, media_type="image/x-icon")
async def favicon() -> Response[bytes]:
    return Response((WEB_DIR / "static/icons/favicon.ico").read_bytes(), media_type="image/x-icon")


@get("/manifest.webmanifest", include_in_schema=False, media_type="application/manifest+json")
async def manifest() -> Response[bytes]:
    return Response((WEB_DIR / "static/manifest.webmanifest").read_bytes(), media_type="application/manifest+json")


# Not compressed: streams (a compressor would hold their events back) and images (compressed already).
UNCOMPRESSED = ["^/stats/events", "^/api/admin/ml/k-optimization/stream", "^/static/icons/", "^/favicon.ico"]


BEARER = SecurityScheme(type="http", scheme="bearer", bearer_format="JWT", description=(
    "`Authorization: Bearer <access_token>` from POST /api/auth/token (the pages carry the same token in their "
    "session cookie)."))


def _bearer_only_where_needed(app_config):
    """The JWT plugin puts its requirement on every operation and describes a cookie; the API
    document instead names the bearer header, and only on the operations that need it (the
    protected router says so)."""
    if app_config.openapi_config is not None:
        app_config.openapi_config.security = None
        app_config.openapi_config.components = Components(security_schemes={"BearerToken": BEARER})
    return app_config


def _outermost(middleware):
    def on_app_init(app_config):
        app_config.middleware.insert(0, middleware)
        return app_config
    return on_app_init


def create_app(container, *, run_projections: bool | None = None) -> Litestar:
    """Build the app for a wired container.

    Embedded profile: the projection runs in-process (`run_projections`, default: the
    `project_in_serve` setting; off, `cinematch worker --profile embedded` folds instead).
    Kafka profile: the worker projects in its own process; serve runs the outbox
    relay (unless `relay_in_serve` is off) and applies the MongoDB migrations."""
    settings = container.config
    accounts: Accounts = container.services.accounts()
    assets = Assets()
    assets.say_what_is_missing()

    async def retrieve_user(token: Token, _: ASGIConnection) -> User | None:
        # None (401) once the password changed since this token was made: signed out
        return session_user(await container.storage.users().by_id(token.sub), token.extras)

    # The API's bearer token, or the pages' session cookie holding the same token (HttpOnly, SameSite=Lax:
    # a cross-site form post does not carry it; the pages' own forms also carry a CSRF token).
    jwt_auth = JWTCookieAuth[User](retrieve_user_handler=retrieve_user, token_secret=settings.jwt_secret(),
                                   exclude=PUBLIC, key=SESSION_COOKIE, samesite="lax")
    stop = asyncio.Event()
    tasks: list[asyncio.Task] = []

    in_process = (settings.bus() != "kafka" and settings.project_in_serve()) if run_projections is None \
        else run_projections
    runner = container.services.runner() if in_process else None
    # On SQLite the projection folds in a thread of its own (entrypoints/web/background.py);
    # the memory store is not shared across threads, so there it stays on this loop.
    threaded = ThreadedRunner(runner) if runner is not None and settings.storage() == "sqlite" else None
    metrics = container.metrics()
    group_lag = None
    if runner is not None:
        metrics.add_sampler(projection_sampler(runner))
    elif settings.bus() == "kafka" and settings.profile() == "kafka":  # the worker group's lag (Spark keeps no group)
        group_lag = container.bus.group_lag()
        metrics.add_sampler(group_lag_sampler(group_lag.lag))
    metrics.add_sampler(dead_letter_sampler(container.storage.dead_letters()))
    metrics.add_sampler(model_sampler(container.services.recommendations()))

    async def startup() -> None:
        if settings.storage() == "mongo" and settings.migrate_on_start():
            from ...adapters.mongo import migrate
            await migrate(container.storage.mongo())
        await accounts.ensure_admin(settings.admin_username(), settings.admin_password())
        tasks.append(asyncio.create_task(finish_purges()))
        enricher = container.services.enrichment()  # None unless CINEMATCH_TMDB_API_KEY is set
        if enricher is not None:
            tasks.append(asyncio.create_task(enricher.run_forever(stop)))
        if threaded is not None:
            threaded.start()
        elif runner is not None:
            tasks.append(asyncio.create_task(runner.run_forever(stop)))
        if settings.ml_train_on_start():
            tasks.append(asyncio.create_task(first_model()))
        if settings.bus() == "kafka" and settings.storage() == "mongo" and settings.relay_in_serve():
            tasks.append(asyncio.create_task(container.bus.relay().run_forever(stop)))

    async def finish_purges() -> None:
        """Account deletions a crash cut short are finished (in the background: a store that
        cannot answer now is reported by /ready, and the next start tries again)."""
        try:
            await container.services.purge().finish_pending()
        except Exception as exc:  # noqa: BLE001 - the store down at start: /ready says so, the next start retries
            log.warning("unfinished account deletions not finished now: %s", exc)

    async def first_model() -> None:
        """A first model in the background when none exists, so users get the hybrid soon."""
        recommendations = container.services.recommendations()
        try:
            if not (await recommendations.status())["is_trained"]:
                await recommendations.train(limited=False)
        except NotTrained as exc:
            log.info("no first model: %s", exc)
        except Exception:  # noqa: BLE001 - serving goes on with the popularity fallback
            log.exception("training the first model failed")

    async def shutdown() -> None:
        stop.set()
        if threaded is not None:
            await threaded.stop()
        if group_lag is not None:
            await group_lag.stop()
        for task in tasks:
            if task.done():  # e.g. the first training; a finished task may belong to another loop
                continue
            try:
                await asyncio.wait_for(task, 5)
            except (TimeoutError, asyncio.CancelledError):
                task.cancel()
        await close_resources(container)  # after the tasks: the relay and projection used the stores

    def singleton(provider):
        async def get_it():
            return provider()
        return Provide(get_it, use_cache=True)

    ttl = settings.token_ttl_seconds()
    return Litestar(
        route_handlers=[*PAGES, create_static_files_router(path="/static", directories=[WEB_DIR / "static"]),
                        favicon, manifest,
                        register, token, global_trends, catalog_search, genres, health, ready, metrics_endpoint,
                        # the operations behind the bearer token (the API document says so of each)
                        Router(path="/", security=[{"BearerToken": []}], route_handlers=[
                            change_password, delete_account, add_movie, export_diary, import_movies, my_imports,
                            undo_import, my_watchlist, add_to_watchlist, remove_from_watchlist, list_movies,
                            update_movie, delete_movie, recalculate, my_stats, my_affinities, admin_catalog,
                            my_recommendations, recommendation_status, recommendation_evaluation,
                            recommendation_clustering, admin_train, admin_k_optimization])],
        dependencies={
            "accounts": singleton(container.services.accounts),
            "purge": singleton(container.services.purge),
            "diary": singleton(container.services.diary),
            "imports": singleton(container.services.imports),
            "watchlist": singleton(container.services.watchlist),
            "queries": singleton(container.services.queries),
            "diary_store": singleton(container.storage.diary),
            "catalog": singleton(container.storage.catalog),
            "recommendations": singleton(container.services.recommendations),
            "store_check": Provide(lambda: container.storage.check(), sync_to_thread=False),
            "users": singleton(container.storage.users),
            "clock": singleton(container.clock),
            "runner": Provide(lambda: runner, sync_to_thread=False),
            "jwt_auth": Provide(lambda: jwt_auth, sync_to_thread=False),
            "ttl": Provide(lambda: ttl, sync_to_thread=False),
            "metrics": Provide(lambda: metrics, sync_to_thread=False),
        },
        # the request observer outermost (before the auth middleware), so a 401 is counted and logged too
        on_app_init=[jwt_auth.on_app_init, _outermost(observe_requests(metrics)), _bearer_only_where_needed],
        middleware=[strict_query_integers],
        on_startup=[startup],
        on_shutdown=[shutdown],
        exception_handlers={
            AccountError: _bad_request, DiaryError: _bad_request, Conflict: _conflict, NotTrained: _conflict,
            RateLimited: _rate_limited, StoreUnavailable: _unavailable, NotAuthorizedException: page_not_signed_in,
            Exception: any_error,
        },
        template_config=TemplateConfig(directory=WEB_DIR / "templates", engine=JinjaTemplateEngine,
                                       engine_callback=_template_setup(assets)),
        compression_config=CompressionConfig(backend="gzip", gzip_compress_level=6, exclude=UNCOMPRESSED),
        # Forms and htmx requests of the pages; the API answers bearer tokens and is left out.
        csrf_config=CSRFConfig(secret=hashlib.sha256(b"csrf:" + settings.jwt_secret().encode()).hexdigest(),
                               cookie_name="cinematch_csrf", cookie_samesite="lax", exclude=["/api/"]),
        before_send=[add_headers, assets.hook(), count_unrouted(metrics)],
        logging_config=None,  # the process's logging is the entrypoint's (text or JSON lines, observability.py)
        request_max_body_size=MAX_JSON_BYTES,
        # The docs UI's assets are the app's own (static/vendor/swagger, from npm): /schema works offline.
        openapi_config=OpenAPIConfig(title="CineMatch", version="0.1.0", path="/schema", render_plugins=[
            SwaggerRenderPlugin(path=["/", "/swagger"], js_url=f"{SWAGGER}/swagger-ui-bundle.js",
                                css_url=f"{SWAGGER}/swagger-ui.css",
                                standalone_preset_js_url=f"{SWAGGER}/swagger-ui-standalone-preset.js", favicon="")]),
    )
