"""The admin's ML dashboard: the model's status, evaluation and segments, training."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template

from ....domain.messages import N_
from ....services.limits import NotTrained, RateLimited
from ....services.monitor import ModelMonitor
from ....services.recommendations import Recommendations
from .forms import _query, require_admin


async def _ml_context(recommendations: Recommendations) -> dict[str, Any]:
    status = await recommendations.status()
    evaluation = clustering = None
    if status["is_trained"]:
        try:
            evaluation = await recommendations.evaluation()
            clustering = _scatter(await recommendations.clustering())
        except NotTrained:
            pass
    return {"status": status, "optimal": recommendations.optimal_k(), "evaluation": evaluation,
            "clustering": clustering, "explain": EXPLAIN}


def _scatter(clustering: dict[str, Any], size: int = 320, pad: int = 12) -> dict[str, Any]:
    """The clustering's 2-D points scaled into an SVG square (the page draws circles)."""
    points = clustering.get("points") or []
    if points:
        xs, ys = [p["x"] for p in points], [p["y"] for p in points]
        x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
        sx, sy = (size - 2 * pad) / ((x1 - x0) or 1), (size - 2 * pad) / ((y1 - y0) or 1)
        dots = [(round(pad + (p["x"] - x0) * sx, 1), round(size - pad - (p["y"] - y0) * sy, 1), p["cluster"])
                for p in points[:2000]]
    else:
        dots = []
    return {**clustering, "dots": dots, "size": size}


EXPLAIN = {
    "rmse": N_("Root mean squared error of predicted star ratings on held-out ratings: lower is better."),
    "mae": N_("Mean absolute error: on average, predictions are this many stars away from the real rating."),
    "ndcg_at_10": N_("How close the top 10 list comes to putting the films a viewer liked first (1 is perfect)."),
    "precision_at_10": N_("Share of the 10 recommended films that the viewer went on to rate."),
    "recall_at_10": N_("Share of the films a viewer went on to rate that made the top 10."),
    "coverage": N_("Share of the catalog that appears in anyone's recommendations."),
    "diversity": N_("How different the films in one list are from each other (0 to 1)."),
    "novelty": N_("How far from the most popular films the lists reach (higher is less obvious)."),
}



MONITOR_AGE = 10.0  # seconds the dashboard's monitor panel may be old (each look recomputes from the stores)


class AdminPages(Controller):
    """The ML dashboard."""

    path = "/"

    @get("/admin/ml", include_in_schema=False)
    async def ml_dashboard(self, request: Request[Any, Any, Any], recommendations: Recommendations,
                           message: str = "") -> Template:
        require_admin(request)
        return Template("admin_ml.html", context={"me": request.user, "page": "admin", "message": message[:300],
                                                  **await _ml_context(recommendations)})

    @get("/admin/ml/status", include_in_schema=False)
    async def ml_status(self, request: Request[Any, Any, Any], recommendations: Recommendations) -> Template:
        require_admin(request)
        return Template("_ml_status.html", context=await _ml_context(recommendations))

    @get("/admin/ml/monitor", include_in_schema=False)
    async def ml_monitor(self, request: Request[Any, Any, Any], monitor: ModelMonitor) -> Template:
        require_admin(request)
        return Template("_ml_monitor.html", context={"m": await monitor.figures(max_age=MONITOR_AGE)})

    @post("/admin/ml/rollback", include_in_schema=False, status_code=303)
    async def ml_rollback(self, request: Request[Any, Any, Any], recommendations: Recommendations) -> Response[Any]:
        require_admin(request)
        version = await recommendations.rollback()
        message = (N_("Model {version} is served again.").format(version=version) if version
                   else N_("No earlier model is kept."))
        return Redirect(f"/admin/ml?{_query(message=message)}", status_code=303)

    @post("/admin/ml/train", include_in_schema=False, status_code=303)
    async def ml_train(self, request: Request[Any, Any, Any], recommendations: Recommendations) -> Response[Any]:
        require_admin(request)
        try:
            trained = await recommendations.train()
        except RateLimited as exc:
            message = N_("Training is rate limited: try again in {seconds} s.").format(seconds=exc.retry_after)
        except NotTrained as exc:
            message = N_("Nothing trained: {why}").format(why=exc)
        else:
            message = N_("Trained model {version} in {seconds} s.").format(version=trained["model_version"],
                                                                   seconds=trained["seconds"])
        return Redirect(f"/admin/ml?{_query(message=message)}", status_code=303)
