"""The statistics page, the year in review and the public trends; the figures follow the projection live."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from litestar import Controller, Request, get
from litestar.exceptions import HTTPException
from litestar.params import Parameter
from litestar.response import ServerSentEvent, Template

from ....i18n import format_number, month_name, translate
from ....domain.ports import UserStore
from ....domain.ratings import display
from ....domain.stats import THRESHOLDS
from ....services.queries import StatsQueries
from ..server import STOPPING
from .forms import SSE_POLL, _session_user


def scaled(rows: list[tuple[str, int]]) -> list[tuple[str, float, int]]:
    """(label, count) rows as bars: the largest count is the full width."""
    top = max([n for _, n in rows] + [1])
    return [(label, round(100 * n / top, 1), n) for label, n in rows]


def trend_genre_rows(trends: dict) -> list[tuple[str, float, str]]:
    return [(translate(g["genre"]), g["percentage"], f"{format_number(g['percentage'])}%")
            for g in trends["trending_genres"]]


def _figures_context(stats: dict, year: str | None, min_count: int) -> dict:
    years = sorted(stats["monthly_counts"], reverse=True)
    chosen = year if year in years else (years[0] if years else None)
    months = stats["monthly_counts"].get(chosen, {}) if chosen else {}
    dist = stats["rating_distribution"]
    threshold = str(min_count if min_count in THRESHOLDS else 1)
    return {"s": stats, "years": years, "year": chosen,
            "month_rows": scaled([(month_name(m), months.get(f"{m:02d}", 0)) for m in range(1, 13)]),
            "dist_rows": scaled([(display(float(k)), n) for k, n in dist.items()]),
            "genre_rows": [(translate(g["name"]), g["percentage"], f"{format_number(g['percentage'])}%")
                           for g in stats["genres"]],
            "thresholds": THRESHOLDS, "threshold": int(threshold),
            "best_directors": stats["best_rated_directors"][threshold],
            "best_actors": stats["best_rated_actors"][threshold]}


async def _stats_of(request: Request, queries: StatsQueries, review: int | None) -> dict:
    if review is None:
        return await queries.user_stats(request.user.id)
    return await queries.year_stats(request.user.id, review)



class StatsPages(Controller):
    """Statistics, the year in review, their live figures."""

    path = "/"

    @get("/stats", include_in_schema=False)
    async def stats_page(self, request: Request, queries: StatsQueries, year: str = Parameter(default="", max_length=4),
                         min_count: int = Parameter(default=1, ge=1, le=1000)) -> Template:
        stats = await queries.user_stats(request.user.id)
        return Template("stats.html", context={"me": request.user, "page": "stats", "review": None,
                                               "review_years": sorted(stats["monthly_counts"], reverse=True),
                                               **_figures_context(stats, year or None, min_count)})

    @get("/stats/{review:int}", include_in_schema=False)
    async def year_in_review_page(self, review: int, request: Request, queries: StatsQueries,
                                  min_count: int = Parameter(default=1, ge=1, le=1000)) -> Template:
        """The year in review: the statistics of the films watched that year."""
        if not 1870 <= review <= 2100:
            raise HTTPException(status_code=404, detail="no such year")
        everything = await queries.user_stats(request.user.id)
        stats = await queries.year_stats(request.user.id, review)
        return Template("stats.html", context={"me": request.user, "page": "stats", "review": review,
                                               "review_years": sorted(everything["monthly_counts"], reverse=True),
                                               **_figures_context(stats, str(review), min_count)})

    @get("/stats/figures", include_in_schema=False)
    async def stats_figures(self, request: Request, queries: StatsQueries, year: str = Parameter(default="",
                            max_length=4),
                            min_count: int = Parameter(default=1, ge=1, le=1000),
                            review: int | None = Parameter(default=None, ge=1870, le=2100)) -> Template:
        stats = await _stats_of(request, queries, review)
        return Template("_figures.html", context=_figures_context(stats, year or None, min_count))

    @get("/stats/events", include_in_schema=False)
    async def stats_events(self, request: Request, queries: StatsQueries) -> ServerSentEvent:
        """`stats` whenever the user's statistics move (the projection applied something) or their
        sync state changes; the page then fetches its figures again."""
        user_id = request.user.id

        async def changes():
            last = None
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
    async def trends_page(self, request: Request, queries: StatsQueries, jwt_auth: Any, users: UserStore) -> Template:
        me = await _session_user(request, jwt_auth, users)
        return Template("trends.html", context={"me": me, "trends": await queries.global_trends(), "page": "trends"})
