"""The Litestar app factory: maps the DI container to Litestar's own `Provide`."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Response, Router, get
from litestar.config.app import AppConfig
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

from ...container import Application
from ...domain.lists import ListProblem
from ...domain.ports import Conflict, StoreUnavailable, User
from ...runtime import ServeRuntime
from ...services.accounts import AccountError, session_user
from ...services.diary import DiaryError
from ...services.limits import NotTrained, RateLimited
from .api import PROTECTED_CONTROLLERS, PUBLIC_CONTROLLERS
from .assets import Assets
from .posters import PosterController
from .language import install as install_languages
from .language import speak_the_visitors_language, switch_language
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

def _bad_request(_: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    return error_response(400, str(exc))


def _conflict(_: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    return error_response(409, str(exc))


def _rate_limited(_: Request[Any, Any, Any], exc: RateLimited) -> Response[Any]:
    return error_response(429, str(exc), headers={"Retry-After": str(exc.retry_after)})


def _unavailable(_: Request[Any, Any, Any], exc: StoreUnavailable) -> Response[Any]:
    log.error("store unavailable: %s", exc.reason)
    return error_response(503, exc.reason, headers={"Retry-After": str(exc.retry_after or 60)})


# --- the factory ------------------------------------------------------------------

PUBLIC = ["^/api/auth/", "^/api/trends/global", "^/api/catalog/", "^/api/films/", "^/api/people/", "^/api/genres",
          "^/health", "^/ready", "^/metrics", "^/schema", "^/favicon.ico$", "^/manifest.webmanifest$", "^/language$",
          "^/posters/", *PUBLIC_PAGES]
WEB_DIR = Path(__file__).parent
SWAGGER = "/static/vendor/swagger"


def _template_setup(assets: Assets) -> Callable[[JinjaTemplateEngine], None]:
    def setup(engine: JinjaTemplateEngine) -> None:
        engine.engine.globals.update(TEMPLATE_GLOBALS, static_url=assets.url)
        engine.engine.filters.update(TEMPLATE_FILTERS)
        install_languages(engine.engine)
    return setup


@get("/favicon.ico", include_in_schema=False, media_type="image/x-icon")
async def favicon() -> Response[bytes]:
    return Response((WEB_DIR / "static/icons/favicon.ico").read_bytes(), media_type="image/x-icon")


@get("/manifest.webmanifest", include_in_schema=False, media_type="application/manifest+json")
async def manifest() -> Response[bytes]:
    return Response((WEB_DIR / "static/manifest.webmanifest").read_bytes(), media_type="application/manifest+json")


# Not compressed: streams (a compressor would hold their events back) and images (compressed already).
UNCOMPRESSED = ["^/stats/events", "^/api/admin/ml/k-optimization/stream", "^/static/icons/", "^/favicon.ico"]


def _outermost(middleware: Any) -> Callable[[AppConfig], AppConfig]:
    def on_app_init(app_config: AppConfig) -> AppConfig:
        app_config.middleware.insert(0, middleware)
        return app_config
    return on_app_init


def create_app(runtime: ServeRuntime | Application, *, run_projections: bool | None = None) -> Litestar:
    """The web app: routes, dependencies, errors and documents wired to a serve runtime, which
    starts and stops with the app (`on_startup`/`on_shutdown`). Given a container, a
    `ServeRuntime` is made for it (`run_projections`: see ServeRuntime)."""
    if not isinstance(runtime, ServeRuntime):
        runtime = ServeRuntime(runtime, run_projections=run_projections)
    container, settings, runner, metrics = runtime.container, runtime.config, runtime.runner, runtime.metrics
    assets = Assets()
    assets.say_what_is_missing()

    async def retrieve_user(token: Token, _: ASGIConnection[Any, Any, Any, Any]) -> User | None:
        # None (401) once the password changed since this token was made: signed out
        return session_user(await container.storage.users().by_id(token.sub), token.extras)

    # The API's bearer token, or the pages' session cookie holding the same token (HttpOnly, SameSite=Lax:
    # a cross-site form post does not carry it; the pages' own forms also carry a CSRF token).
    jwt_auth = JWTCookieAuth[User](retrieve_user_handler=retrieve_user, token_secret=settings.jwt_secret(),
                                   exclude=PUBLIC, key=SESSION_COOKIE, samesite="lax")

    def singleton(provider: Callable[[], Any]) -> Provide:
        async def get_it() -> Any:
            return provider()
        return Provide(get_it, use_cache=True)

    ttl = settings.token_ttl_seconds()
    return Litestar(
        route_handlers=[*PAGES, create_static_files_router(path="/static", directories=[WEB_DIR / "static"]),
                        favicon, manifest, switch_language, PosterController, metrics_endpoint, *PUBLIC_CONTROLLERS,
                        # the operations behind the bearer token (the API document says so of each)
                        Router(path="/", security=[{"BearerToken": []}], route_handlers=PROTECTED_CONTROLLERS)],
        dependencies={
            "accounts": singleton(container.services.accounts),
            "purge": singleton(container.services.purge),
            "diary": singleton(container.services.diary),
            "imports": singleton(container.services.imports),
            "import_jobs": singleton(container.services.import_jobs),
            "catalog_refresh": singleton(container.services.catalog_refresh),
            "posters": singleton(container.services.posters),
            "catalog_search": singleton(container.services.catalog_search),
            "films": singleton(container.services.films),
            "people": singleton(container.services.people),
            "watchlist": singleton(container.services.watchlist),
            "lists": singleton(container.services.lists),
            "shares": singleton(container.services.shares),
            "queries": singleton(container.services.queries),
            "diary_store": singleton(container.storage.diary),
            "catalog": singleton(container.storage.catalog),
            "recommendations": singleton(container.services.recommendations),
            "picks": singleton(container.services.picks),
            "feedback": singleton(container.services.feedback),
            "experiments": singleton(container.services.experiments),
            "monitor": singleton(container.services.monitor),
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
        before_request=speak_the_visitors_language,
        on_startup=[runtime.start],
        on_shutdown=[runtime.stop],
        exception_handlers={
            AccountError: _bad_request, DiaryError: _bad_request, ListProblem: _bad_request,
            Conflict: _conflict, NotTrained: _conflict,
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
