"""The statistics page, the year in review and the public trends; the figures follow the projection live."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import HTTPException
from litestar.params import Parameter
from litestar.response import Redirect, ServerSentEvent, Template

from ....i18n import format_number, translate
from ....domain.ports import UserStore
from ....services.queries import StatsQueries
from ....services.shares import ShareError, ShareService
from ..server import STOPPING
from ..charts import heatmap
from .figures import figures_context
from .forms import SSE_POLL, _form, _form_error, _query, _session_user


def trend_genre_rows(trends: dict[str, Any]) -> list[tuple[str, float, str]]:
    return [(translate(g["genre"]), g["percentage"], f"{format_number(g['percentage'])}%")
            for g in trends["trending_genres"]]


async def _context(request: Request[Any, Any, Any], queries: StatsQueries, review: int | None, year: str | None,
                   min_count: int) -> dict[str, Any]:
    stats = await _stats_of(request, queries, review)
    calendar = await queries.calendar(request.user.id, review)
    context = figures_context(stats, year, min_count, queries.clock.now().date(), calendar, review)
    if review is not None:
        context["extras"] = await queries.review_extras(request.user.id, review)
    return context


async def _stats_of(request: Request[Any, Any, Any], queries: StatsQueries, review: int | None) -> dict[str, Any]:
    if review is None:
        return await queries.user_stats(request.user.id)
    return await queries.year_stats(request.user.id, review)



class StatsPages(Controller):
    """Statistics, the year in review, their live figures."""

    path = "/"

    @get("/stats", include_in_schema=False)
    async def stats_page(self, request: Request[Any, Any, Any], queries: StatsQueries,
                         year: str = Parameter(default="", max_length=4),
                         min_count: int = Parameter(default=1, ge=1, le=1000)) -> Template:
        context = await _context(request, queries, None, year or None, min_count)
        return Template("stats.html", context={"me": request.user, "page": "stats", "review": None,
                                               "review_years": context["years"], **context})

    @get("/stats/{review:int}", include_in_schema=False)
    async def year_in_review_page(self, review: int, request: Request[Any, Any, Any], queries: StatsQueries,
                                  shares: ShareService,
                                  min_count: int = Parameter(default=1, ge=1, le=1000),
                                  error: str = Parameter(default="", max_length=300)) -> Template:
        """The year in review: the statistics of the films watched that year."""
        if not 1870 <= review <= 2100:
            raise HTTPException(status_code=404, detail="no such year")
        everything = await queries.user_stats(request.user.id)
        context = await _context(request, queries, review, str(review), min_count)
        links = [s for s in await shares.mine(request.user.id) if s.year == review]
        return Template("stats.html", context={"me": request.user, "page": "stats", "review": review,
                                               "review_years": sorted(everything["monthly_counts"], reverse=True),
                                               "links": links, "error": error,
                                               "request_base": str(request.base_url).rstrip("/"), **context})

    @post("/stats/{review:int}/shares", include_in_schema=False, status_code=303)
    async def share_year(self, review: int, request: Request[Any, Any, Any], shares: ShareService) -> Response[Any]:
        """Make a public link to this year in review."""
        await _form(request)
        try:
            await shares.create(request.user.id, "year", review)
        except ShareError as exc:
            return Redirect(f"/stats/{review}?{_query(error=_form_error(exc))}", status_code=303)
        return Redirect(f"/stats/{review}#share-title", status_code=303)

    @post("/shares/{token:str}/revoke", include_in_schema=False, status_code=303)
    async def revoke_share(self, token: str, request: Request[Any, Any, Any], shares: ShareService) -> Response[Any]:
        form = await _form(request)
        await shares.revoke(request.user.id, token[:100])
        back = form.get("year", "")
        return Redirect(f"/stats/{back}#share-title" if back.isdigit() else "/stats", status_code=303)

    @get("/calendar", include_in_schema=False)
    async def calendar_page(self, request: Request[Any, Any, Any], queries: StatsQueries,
                            year: int | None = Parameter(default=None, ge=1870, le=2100)) -> Template:
        """Every year of the diary as a heat map of days (or one year), the streaks, the milestones."""
        whole = await queries.calendar(request.user.id)
        years = sorted({int(d[:4]) for d in whole["days"]}, reverse=True)
        shown = [year] if year is not None else years
        cal = await queries.calendar(request.user.id, year) if year is not None else whole
        return Template("calendar.html", context={
            "me": request.user, "page": "calendar", "cal": cal, "year": year, "years": years,
            "maps": [(y, heatmap(f"days-{y}", y, whole["days"])) for y in shown]})

    @get("/stats/figures", include_in_schema=False)
    async def stats_figures(self, request: Request[Any, Any, Any], queries: StatsQueries,
                            year: str = Parameter(default="",
                            max_length=4),
                            min_count: int = Parameter(default=1, ge=1, le=1000),
                            review: int | None = Parameter(default=None, ge=1870, le=2100)) -> Template:
        context = await _context(request, queries, review, year or (str(review) if review else None), min_count)
        return Template("_figures.html", context={"review": review, **context})

    @get("/stats/events", include_in_schema=False)
    async def stats_events(self, request: Request[Any, Any, Any], queries: StatsQueries,
                           since: str = Parameter(default="", max_length=50)) -> ServerSentEvent:
        """`stats` whenever the user's statistics move (the projection applied something) or their
        sync state changes; the page then fetches its figures again. `since` ("version-hwm") is
        the mark of the figures the page shows: nothing is sent until the statistics move past it
        (a page that has just loaded does not fetch them all again)."""
        user_id = request.user.id
        shown = tuple(int(p) for p in since.split("-")) if re.fullmatch(r"\d{1,12}-\d{1,12}", since) else None

        async def changes() -> AsyncIterator[str]:
            last = shown
            for _ in range(int(3600 / SSE_POLL)):  # an hour at most; the browser reconnects
                if STOPPING.is_set():
                    return
                version, hwm = await queries.progress(user_id)
                if (version, hwm) != last:
                    last = (version, hwm)
                    yield json.dumps({"type": "stats", "version": version, "hwm": hwm})
                await asyncio.sleep(SSE_POLL)

        return ServerSentEvent(changes(), event_type="stats")



class TrendsPages(Controller):
    """Public: what the instance watches."""

    path = "/"

    @get("/trends", include_in_schema=False)
    async def trends_page(self, request: Request[Any, Any, Any], queries: StatsQueries, jwt_auth: Any,
                          users: UserStore) -> Template:
        me = await _session_user(request, jwt_auth, users)
        return Template("trends.html", context={"me": me, "trends": await queries.global_trends(), "page": "trends"})
