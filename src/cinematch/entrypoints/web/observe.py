"""Each answered request, counted and timed by route (Prometheus) and logged as one access
line carrying its request id (`CINEMATCH_LOG_FORMAT=json` makes it a JSON object)."""

from __future__ import annotations

import logging
import time

from litestar import Response, get
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from ...adapters.observability import CONTENT_TYPE, Metrics
from .hardening import request_id

access = logging.getLogger("cinematch.access")


def observe_requests(metrics: Metrics):
    """Litestar middleware: the route is the handler's path template (`/api/movies/{entry_id:str}`),
    so a label never holds an id; the time runs until the last byte of the answer is sent."""
    def middleware_factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            start, status = time.perf_counter(), 500
            scope.setdefault("state", {})["observed"] = True

            async def send_observed(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)
            try:
                await app(scope, receive, send_observed)
            finally:
                seconds = time.perf_counter() - start
                route = scope.get("path_template") or scope.get("path", "")
                method = scope.get("method", "")
                metrics.observe_request(method, route, status, seconds)
                access.info("%s %s %s %.1f ms", method, scope.get("path", ""), status, seconds * 1000, extra={
                    "request_id": request_id(scope), "method": method, "route": route, "path": scope.get("path", ""),
                    "status": status, "seconds": round(seconds, 6)})
        return middleware
    return middleware_factory


def count_unrouted(metrics: Metrics):
    """A `before_send` hook: answers no route handler gave (404, 405 from the router), which the
    middleware above never sees, counted under the route `(none)`."""
    async def hook(message: Message, scope: Scope) -> None:
        if message["type"] == "http.response.start" and not scope.get("state", {}).get("observed"):
            metrics.http_requests.labels(scope.get("method", ""), "(none)", str(message["status"])).inc()
    return hook


@get("/metrics", tags=["ops"], media_type=CONTENT_TYPE,
     description="Prometheus text format: HTTP requests and their latency by route, the projection's lag, events "
                 "projected, dead letters, the served model's version and training time.")
async def metrics_endpoint(metrics: Metrics) -> Response[bytes]:
    return Response(await metrics.render(), media_type=CONTENT_TYPE)
