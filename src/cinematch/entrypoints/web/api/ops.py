"""For operators: is the process up, are its dependencies ready."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get
from litestar.openapi.datastructures import ResponseSpec

from ....domain.ports import StoreUnavailable
from ..schemas import Health, Ready


class OpsController(Controller):
    """Public: liveness and readiness."""

    path = "/"

    @get("/health", tags=["ops"], description="200 while the process is up.")
    async def health(self) -> Health:
        return Health(status="ok")

    @get("/ready", tags=["ops"], description="200 when every dependency answers and the store takes writes.",
         responses={503: ResponseSpec(Ready, description="a dependency is down, the store cannot take writes, or the "
                                                         "projection is stuck; `detail` says which")})
    async def ready(self, store_check: Any, runner: Any) -> Response[Ready]:
        try:
            await store_check()
        except StoreUnavailable as exc:
            return Response(Ready("unavailable", exc.reason), status_code=503)
        except Exception as exc:  # noqa: BLE001 - a dependency that does not answer
            return Response(Ready("unavailable", str(exc)[:200] or type(exc).__name__), status_code=503)
        if runner is not None and runner.problem and runner.failures >= 3:
            why = f"the projection cannot make progress: {runner.problem}"
            return Response(Ready("unavailable", why), status_code=503)
        return Response(Ready("ready"), status_code=200)
