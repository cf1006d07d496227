"""Recommendations for the caller, and the model an admin trains and tunes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter
from litestar.response import ServerSentEvent
from litestar.security.jwt import Token

from ....domain.ports import User
from ....services.picks import Picks
from ....services.recommendations import Recommendations
from ..openapi import SIGNED_IN, errors
from ..pages import require_admin
from ..schemas import Clustering, Evaluation, ModelStatus, RecommendationsOut, TrainedOut

NO_MODEL = "no model trained yet"



class RecommendationsController(Controller):
    """The served model's films, status, evaluation and segments; training and the K sweep."""

    path = "/"

    @get("/api/recommendations/me", tags=["recommendations"], description="Films for the caller, each with why; "
         "`genres` seeds a new account's picks (cold start).", responses=errors(*SIGNED_IN))
    async def my_recommendations(
        self,
        request: Request[User, Token, Any], picks: Picks,
        top_n: int = Parameter(default=10, ge=1, le=100),
        genres: str = Parameter(default="", max_length=1000,
                                description="cold start: comma-separated genre picks, e.g. Drama,Comedy"),
    ) -> RecommendationsOut:
        genre_picks = tuple(g.strip() for g in genres.split(",") if g.strip())[:20]
        return msgspec.convert(await picks.for_user(request.user.id, top_n, genre_picks), RecommendationsOut)

    @get("/api/recommendations/status", tags=["recommendations"], responses=errors(401, 503))
    async def recommendation_status(self, recommendations: Recommendations) -> ModelStatus:
        return msgspec.convert(await recommendations.status(), ModelStatus)

    @get("/api/recommendations/evaluation", tags=["recommendations"], description="The served model's held-out "
         "evaluation (docs/contract.md §5).", responses=errors(401, 503, e409=NO_MODEL))
    async def recommendation_evaluation(self, recommendations: Recommendations) -> Evaluation:
        return msgspec.convert(await recommendations.evaluation(), Evaluation)

    @get("/api/recommendations/clustering", tags=["recommendations"], description="The served model's user segments.",
         responses=errors(401, 503, e409=NO_MODEL))
    async def recommendation_clustering(self, recommendations: Recommendations) -> Clustering:
        return msgspec.convert(await recommendations.clustering(), Clustering)

    @post("/api/admin/ml/train", status_code=200, tags=["admin"], description="Train and serve a new model.",
          responses=errors(401, 403, 503, e409="nothing to train on yet", e429="a training ran a moment ago; see "
                                                                              "Retry-After"))
    async def admin_train(self, request: Request[User, Token, Any], recommendations: Recommendations) -> TrainedOut:
        require_admin(request)
        return msgspec.convert(await recommendations.train(), TrainedOut)

    @get("/api/admin/ml/k-optimization/stream", tags=["admin"], description="Server-sent events of a K sweep "
         "(`status`, `matrix_info`, `phase`, `progress`, …, `complete`); the chosen K serves the next training.",
         responses={200: ResponseSpec(str, media_type="text/event-stream", description="one JSON object per event"),
                    **errors(401, 403, 503, e409="nothing to optimise on yet", e429="a sweep ran a moment ago")})
    async def admin_k_optimization(self, request: Request[User, Token, Any],
                                   recommendations: Recommendations) -> ServerSentEvent:
        require_admin(request)
        events = await recommendations.k_optimization()  # rate limit and data checked before streaming

        async def lines() -> AsyncIterator[str]:
            async for event in events:
                yield json.dumps(event, default=float)

        return ServerSentEvent(lines())
