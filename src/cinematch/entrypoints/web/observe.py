"""Each answered request, counted and timed by route (Prometheus) and logged as one access
line carrying its request id (`CINEMATCH_LOG_FORMAT=json` makes it a JSON object)."""

from __future__ import annotations


import logging
import time
from collections.abc import Awaitable, Callable

from litestar import Response, get
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from ...adapters.observability import CONTENT_TYPE, Metrics
from .hardening import request_id

access = logging.getLogger("cinematch.access")


def _record(metrics: Metrics, scope: Scope, route: str, status: int, seconds: float) -> None:
    method = str(scope.get("method", ""))
    metrics.observe_request(method, route, status, seconds)
    access.info("%s %s %s %.1f ms", method, scope.get("path", ""), status, seconds * 1000, extra={
        "request_id": request_id(scope), "method": method, "route": route, "path": scope.get("path", ""),
        "status": status, "seconds": round(seconds, 6)})


def observe_requests(metrics: Metrics) -> Callable[[ASGIApp], ASGIApp]:
    """Litestar middleware: the route is the handler's path template (`/api/movies/{entry_id:str}`),
    so a label never holds an id; the time runs until the last byte of the answer is sent.
    An exception that leaves it unanswered (the auth middleware's 401 becomes an answer further
    out) is recorded by `count_unrouted` with the status the client really gets."""
    def middleware_factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP:
                await app(scope, receive, send)
                return
            start, status = time.perf_counter(), 0
            state = scope.setdefault("state", {})
            state["observed"] = True

            async def send_observed(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)
            try:
                await app(scope, receive, send_observed)
            except BaseException:
                if not status:  # answered further out, by the exception handlers: seen by before_send
                    state["observed"], state["observe_start"] = False, start
                    raise
                _record(metrics, scope, _route(scope), status, time.perf_counter() - start)
                raise
            _record(metrics, scope, _route(scope), status or 500, time.perf_counter() - start)
        return middleware
    return middleware_factory


def _route(scope: Scope) -> str:
    return scope.get("path_template") or scope.get("path", "")


def count_unrouted(metrics: Metrics) -> Callable[[Message, Scope], Awaitable[None]]:
    """A `before_send` hook: answers the middleware above did not see go out — those no route
    handler gave (404, 405 from the router: route `(none)`) and those the exception handlers made
    for it (a 401, a page's redirect to sign in: the route it was for)."""
    async def hook(message: Message, scope: Scope) -> None:
        state = scope.get("state", {})
        if message["type"] != "http.response.start" or state.get("observed"):
            return
        if "observe_start" in state:
            _record(metrics, scope, _route(scope), message["status"], time.perf_counter() - state.pop("observe_start"))
        else:
            metrics.http_requests.labels(scope.get("method", ""), "(none)", str(message["status"])).inc()
    return hook


@get("/metrics", tags=["ops"], media_type=CONTENT_TYPE,
     description="Prometheus text format: HTTP requests and their latency by route, the projection's lag, events "
                 "projected, dead letters, the served model's version and training time.")
async def metrics_endpoint(metrics: Metrics) -> Response[bytes]:
    return Response(await metrics.render(), media_type=CONTENT_TYPE)
