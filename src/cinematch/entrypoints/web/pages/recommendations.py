"""The recommendations page: films with why, genre picks for a new account, Log it."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Redirect, Template

from ....domain.catalog import match_movie
from ....domain.feedback import HIDING, MAX_MOVIE_ID
from ....domain.messages import N_
from ....domain.ports import CatalogStore, Clock
from ....services.picks import Picks
from .forms import _form


# How the page names the API's strategies (the API keeps the codes).
STRATEGIES = {"hybrid": N_("the hybrid model"), "cold_start": N_("your genre picks and what is popular"),
              "popularity": N_("what is popular here")}


class RecommendationPages(Controller):
    """Recommendations."""

    path = "/"

    @get("/recommendations", include_in_schema=False)
    async def recommendations_page(self, request: Request[Any, Any, Any], picks: Picks,
                                   catalog: CatalogStore,
                                   clock: Clock,
                                   genres: list[str] | None = Parameter(default=None, max_items=20)) -> Template:
        chosen = tuple(g.strip()[:64] for g in (genres or []) if g.strip())
        answer = await picks.for_user(request.user.id, 12, chosen)
        known = [g for g, _ in await catalog.genres()][:30]
        # the model's films are titles and years: their catalog films, so each links to its page
        titles = [item["title"] for item in answer["items"]]
        candidates = await catalog.candidates_many(titles) if titles else {}
        films = {item["title"]: match_movie(item["title"], item["year"], candidates.get(item["title"], []))
                 for item in answer["items"]}
        return Template("recommendations.html", context={
            "me": request.user, "page": "recommendations", "r": answer, "genres": known, "picked": set(chosen),
            "strategy": STRATEGIES.get(answer["strategy"], answer["strategy"]),
            "films": {title: film.id for title, film in films.items() if film is not None},
            "today": clock.now().date().isoformat()})


    @post("/recommendations/feedback", include_in_schema=False, status_code=200)
    async def recommendation_feedback(self, request: Request[Any, Any, Any], picks: Picks) -> Response[Any]:
        """"Not interested" or "Seen it" on one film: it never comes back. With htmx the film's card
        becomes a line saying so; without, the page again."""
        form = await _form(request)
        movie_id, action = form.get("movie_id", "")[:MAX_MOVIE_ID], form.get("action", "")
        if not movie_id or action not in HIDING:
            return Response({"status_code": 400, "detail": "movie_id and an action (not_interested or seen)"},
                            status_code=400)
        await picks.act(request.user.id, movie_id, action)
        if "hx-request" not in request.headers:
            return Redirect("/recommendations", status_code=303)
        return Template("_dismissed.html", context={"title": form.get("title", "")[:300], "action": action})

    @post("/recommendations/click", include_in_schema=False, status_code=204)
    async def recommendation_click(self, request: Request[Any, Any, Any], picks: Picks) -> None:
        """A recommended film opened (the page's script sends it as the link is followed)."""
        movie_id = (await _form(request)).get("movie_id", "")[:MAX_MOVIE_ID]
        if movie_id:
            await picks.act(request.user.id, movie_id, "click")
