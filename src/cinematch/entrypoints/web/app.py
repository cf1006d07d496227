"""The Litestar app factory: maps the DI container to Litestar's own `Provide`."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from pathlib import Path

from litestar import Litestar, Request, Response, Router, get
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.di import Provide
from litestar.exceptions import NotAuthorizedException
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.security.jwt import JWTCookieAuth, Token
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from ...adapters.observability import dead_letter_sampler, group_lag_sampler, model_sampler, projection_sampler
from ...container import close_resources
from ...domain.ports import Conflict, StoreUnavailable, User
from ...services.accounts import AccountError, Accounts, session_user
from ...services.diary import DiaryError
from ...services.limits import NotTrained, RateLimited
from .api import PROTECTED_CONTROLLERS, PUBLIC_CONTROLLERS
from .assets import Assets
from .background import ThreadedRunner
from .hardening import add_headers, any_error, error_response, strict_query_integers
from .observe import count_unrouted, metrics_endpoint, observe_requests
from .openapi import _bearer_only_where_needed
from .pages import PAGES, PUBLIC_PAGES, SESSION_COOKIE, TEMPLATE_FILTERS, TEMPLATE_GLOBALS, page_not_signed_in

log = logging.getLogger(__name__)


# --- what the API document says of errors and uploads -------------------------------


# --- handlers --------------------------------------------------------------------


MAX_JSON_BYTES = 1024 * 1024  # any JSON body (the entry bounds fit in far less); uploads have their own


# --- recommendations (docs/contract.md §5) ---------------------------------------------------


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
                        favicon, manifest, metrics_endpoint, *PUBLIC_CONTROLLERS,
                        # the operations behind the bearer token (the API document says so of each)
                        Router(path="/", security=[{"BearerToken": []}], route_handlers=PROTECTED_CONTROLLERS)],
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
