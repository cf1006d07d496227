"""The recommendations page: films with why, genre picks for a new account, Log it."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.params import Parameter
from litestar.response import Template

from ....domain.catalog import match_movie
from ....domain.messages import N_
from ....domain.ports import CatalogStore, Clock
from ....services.recommendations import Recommendations


# How the page names the API's strategies (the API keeps the codes).
STRATEGIES = {"hybrid": N_("the hybrid model"), "cold_start": N_("your genre picks and what is popular"),
              "popularity": N_("what is popular here")}


class RecommendationPages(Controller):
    """Recommendations."""

    path = "/"

    @get("/recommendations", include_in_schema=False)
    async def recommendations_page(self, request: Request[Any, Any, Any], recommendations: Recommendations,
                                   catalog: CatalogStore,
                                   clock: Clock,
                                   genres: list[str] | None = Parameter(default=None, max_items=20)) -> Template:
        picks = tuple(g.strip()[:64] for g in (genres or []) if g.strip())
        answer = await recommendations.for_user(request.user.id, 12, picks)
        known = [g for g, _ in await catalog.genres()][:30]
        # the model's films are titles and years: their catalog films, so each links to its page
        titles = [item["title"] for item in answer["items"]]
        candidates = await catalog.candidates_many(titles) if titles else {}
        films = {item["title"]: match_movie(item["title"], item["year"], candidates.get(item["title"], []))
                 for item in answer["items"]}
        return Template("recommendations.html", context={
            "me": request.user, "page": "recommendations", "r": answer, "genres": known, "picked": set(picks),
            "strategy": STRATEGIES.get(answer["strategy"], answer["strategy"]),
            "films": {title: film.id for title, film in films.items() if film is not None},
            "today": clock.now().date().isoformat()})
