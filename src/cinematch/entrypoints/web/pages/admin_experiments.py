"""The admin's experiments page (docs/contract.md §6 `/admin/experiments`): each experiment's
variants with their figures and a chart of their conversion rates, kept current while open;
start one, stop one (and promote a variant's model)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template

from ....domain.experiments import BadExperiment, Variant
from ....domain.messages import N_
from ....domain.ports import Conflict
from ....i18n import gettext
from ....services.experiments import Experiments, UnknownExperiment
from ....services.limits import NotTrained
from ..charts import Interval, intervals
from .forms import _form, _query, require_admin


def parse_variants(text: str) -> list[Variant]:
    """One variant a line: its name, then `parameter=value` pairs ("small k_svd=4 cf=0.5")."""
    out = []
    for line in text.strip().splitlines()[:10]:
        words = line.replace(",", " ").split()
        if not words:
            continue
        params: dict[str, Any] = {}
        for pair in words[1:]:
            key, sep, raw = pair.partition("=")
            if not sep:
                raise BadExperiment(N_("write each parameter as name=value, got {text}").format(text=pair[:40]))
            params[key] = raw if key == "strategy" else _number(raw)
        out.append(Variant(name=words[0][:64], params=params))
    return out


def _number(raw: str) -> int | float | str:
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            pass
    return raw  # refused by the experiment's own check, which names the parameter


def _context(reports: list[dict[str, Any]]) -> dict[str, Any]:
    return {"experiments": reports,
            "charts": {r["name"]: intervals(f"chart-{k}", gettext("Conversion rate by variant"), [
                Interval(v["name"], v["conversion_rate"], *v["ci95"]) for v in r["variants"]])
                       for k, r in enumerate(reports)}}


class AdminExperimentPages(Controller):
    path = "/"

    @get("/admin/experiments", include_in_schema=False)
    async def experiments_page(self, request: Request[Any, Any, Any], experiments: Experiments,
                               message: str = "", error: str = "") -> Template:
        require_admin(request)
        return Template("admin_experiments.html", context={
            "me": request.user, "page": "admin-experiments", "message": message[:300], "error": error[:300],
            **_context(await experiments.all())})

    @get("/admin/experiments/figures", include_in_schema=False)
    async def experiments_figures(self, request: Request[Any, Any, Any], experiments: Experiments) -> Template:
        require_admin(request)
        return Template("_experiments.html", context=_context(await experiments.all()))

    @post("/admin/experiments", include_in_schema=False, status_code=303)
    async def start_experiment(self, request: Request[Any, Any, Any], experiments: Experiments) -> Response[Any]:
        require_admin(request)
        form = await _form(request)
        try:
            traffic = float(form.get("traffic", "").replace(",", ".") or "nan") / 100
            if not 0 <= traffic <= 1:
                raise BadExperiment(N_("traffic is a share between 0.0 and 1.0"))
            await experiments.create(form.get("name", "").strip()[:64], parse_variants(form.get("variants", "")),
                                     traffic)
        except ValueError as exc:  # BadExperiment is one; so is a traffic that is not a number
            detail = str(exc) if isinstance(exc, BadExperiment) else N_("traffic is a share between 0.0 and 1.0")
            return Redirect(f"/admin/experiments?{_query(error=detail)}", status_code=303)
        except (Conflict, NotTrained) as exc:
            return Redirect(f"/admin/experiments?{_query(error=str(exc))}", status_code=303)
        started = N_("Experiment started.")
        return Redirect(f"/admin/experiments?{_query(message=started)}", status_code=303)

    @post("/admin/experiments/{name:str}/stop", include_in_schema=False, status_code=303)
    async def stop_experiment(self, name: str, request: Request[Any, Any, Any],
                              experiments: Experiments) -> Response[Any]:
        require_admin(request)
        form = await _form(request)
        try:
            await experiments.stop(name[:64], form.get("promote", "")[:64])
        except (BadExperiment, UnknownExperiment) as exc:
            return Redirect(f"/admin/experiments?{_query(error=str(exc))}", status_code=303)
        stopped = N_("Experiment stopped.")
        return Redirect(f"/admin/experiments?{_query(message=stopped)}", status_code=303)
