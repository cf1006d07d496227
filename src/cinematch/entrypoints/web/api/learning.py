"""What the recommendations learn from (docs/contract.md §5): feedback, experiments, the model monitor."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.exceptions import HTTPException
from litestar.security.jwt import Token
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from ....domain.experiments import BadExperiment, Variant
from ....domain.ports import User
from ....services.experiments import Experiments, UnknownExperiment
from ....services.monitor import ModelMonitor
from ....services.picks import Picks
from ....services.recommendations import Recommendations
from ..learning_schemas import ExperimentIn, ExperimentOut, FeedbackIn, MonitorOut, RolledBack, StopIn
from ..learning_schemas import Experiments as ExperimentList
from ..hardening import strict_body
from ..openapi import SIGNED_IN, errors
from ..pages import require_admin

ADMIN = (*SIGNED_IN, 403)


class LearningController(Controller):
    """What the recommendations learn from: feedback, experiments, the model monitor and rollback."""

    path = "/"

    @post("/api/recommendations/feedback", status_code=HTTP_204_NO_CONTENT, tags=["recommendations"],
          before_request=strict_body(FeedbackIn), description="A click, or a film the caller is not interested in "
          "or has seen (that film is never recommended to them again).", responses=errors(*SIGNED_IN))
    async def recommendation_feedback(self, data: FeedbackIn, request: Request[User, Token, Any],
                                      picks: Picks) -> None:
        await picks.act(request.user.id, data.movie_id, data.action)

    @post("/api/admin/experiments", status_code=HTTP_201_CREATED, tags=["admin"], before_request=strict_body(
          ExperimentIn), description="Start an experiment: each variant's model is trained first (with its "
          "`params`: k_svd, k_cluster, strategy, or a hybrid weight).",
          responses=errors(*ADMIN, e409="an experiment of that name exists, or nothing to train on yet"))
    async def create_experiment(self, data: ExperimentIn, request: Request[User, Token, Any],
                                experiments: Experiments) -> ExperimentOut:
        require_admin(request)
        variants = [Variant(name=v.name, params=dict(v.params)) for v in data.variants]
        with _reasons():
            return msgspec.convert(await experiments.create(data.name, variants, data.traffic), ExperimentOut)

    @get("/api/admin/experiments", tags=["admin"], responses=errors(*ADMIN))
    async def list_experiments(self, request: Request[User, Token, Any], experiments: Experiments) -> ExperimentList:
        require_admin(request)
        return ExperimentList(items=msgspec.convert(await experiments.all(), list[ExperimentOut]))

    @get("/api/admin/experiments/{name:str}", tags=["admin"], responses=errors(*ADMIN, 404))
    async def get_experiment(self, name: str, request: Request[User, Token, Any],
                             experiments: Experiments) -> ExperimentOut:
        require_admin(request)
        with _reasons():
            return msgspec.convert(await experiments.report(name[:64]), ExperimentOut)

    @post("/api/admin/experiments/{name:str}/stop", status_code=200, tags=["admin"],
          description="Stop it; `{\"promote\": variant}` also makes that variant's model the served one.",
          responses=errors(*ADMIN, 404))
    async def stop_experiment(self, name: str, request: Request[User, Token, Any], experiments: Experiments,
                              ) -> ExperimentOut:
        require_admin(request)
        body = await request.body()
        try:
            stop = msgspec.json.decode(body, type=StopIn) if body.strip() else StopIn()
        except msgspec.DecodeError as exc:
            raise HTTPException(status_code=400, detail=f"invalid body: {exc}") from None
        with _reasons():
            return msgspec.convert(await experiments.stop(name[:64], stop.promote), ExperimentOut)


    @get("/api/admin/ml/monitor", tags=["admin"], description="The served model watched: live RMSE, CTR, "
         "conversion, cold-start coverage, diversity, alerts and the next retraining.", responses=errors(*ADMIN))
    async def ml_monitor(self, request: Request[User, Token, Any], monitor: ModelMonitor) -> MonitorOut:
        require_admin(request)
        return msgspec.convert(await monitor.figures(), MonitorOut)

    @post("/api/admin/ml/rollback", status_code=200, tags=["admin"], description="Serve the model version "
          "before the served one again (one step back).", responses=errors(*ADMIN, e409="no earlier version kept"))
    async def ml_rollback(self, request: Request[User, Token, Any], recommendations: Recommendations) -> RolledBack:
        require_admin(request)
        version = await recommendations.rollback()
        if version is None:
            raise HTTPException(status_code=409, detail="no earlier model version is kept")
        return RolledBack(model_version=version)


class _reasons:
    """The experiments' own refusals as HTTP answers: 400 for a bad definition, 404 unknown."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        if isinstance(exc, BadExperiment):
            raise HTTPException(status_code=400, detail=str(exc)) from None
        if isinstance(exc, UnknownExperiment):
            raise HTTPException(status_code=404, detail=str(exc)) from None
