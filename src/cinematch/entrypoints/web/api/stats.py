"""Statistics: the caller's figures and affinities (signed in), the instance's trends (public)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.exceptions import HTTPException
from litestar.params import Parameter
from litestar.security.jwt import Token
from litestar.status_codes import HTTP_202_ACCEPTED

from ....domain.ports import User
from ....services.diary import DiaryService
from ....domain.profiles import AFFINITY_TYPES  # every type of docs/contract.md §2 (not the internal `film`)
from ....services.queries import AFFINITY_SORTS, StatsQueries
from ..openapi import SIGNED_IN, errors
from ..schemas import Accepted
from ..stats_schemas import Affinities, CalendarOut, StatsOut, Trends
from .diary import MAX_OFFSET


class StatsController(Controller):
    """The caller's statistics and affinities."""

    path = "/"

    @post("/api/me/stats/recalculate", status_code=HTTP_202_ACCEPTED, tags=["stats"],
          description="Recompute the caller's statistics from the diary (in the background).",
          responses=errors(*SIGNED_IN))
    async def recalculate(self, request: Request[User, Token, Any], diary: DiaryService) -> Accepted:
        await diary.recalculate(request.user.id)
        return Accepted()

    @get("/api/me/stats", tags=["stats"], description="All time, or with `year` the year in review: the same "
         "figures over the entries watched in that year.", responses=errors(*SIGNED_IN))
    async def my_stats(self, request: Request[User, Token, Any], queries: StatsQueries,
                       year: int | None = Parameter(default=None, ge=1870, le=2100)) -> StatsOut:
        if year is not None:
            return msgspec.convert(await queries.year_stats(request.user.id, year), StatsOut)
        return msgspec.convert(await queries.user_stats(request.user.id), StatsOut)

    @get("/api/me/calendar", tags=["stats"], description="The days watched, the longest and the current streak "
         "of consecutive days, and the milestones (the 1st, 50th, 100th, 250th, 500th, 1000th and every further "
         "500th entry in watched order); with `year`, that year's days, streaks within it and milestones reached "
         "in it. Read from the diary as it is.", responses=errors(*SIGNED_IN))
    async def my_calendar(self, request: Request[User, Token, Any], queries: StatsQueries,
                          year: int | None = Parameter(default=None, ge=1870, le=2100)) -> CalendarOut:
        return msgspec.convert(await queries.calendar(request.user.id, year), CalendarOut)

    @get("/api/me/affinities", tags=["stats"],
         description="A person's names of one type (directors, actors, writers, genres, countries, languages, "
                     "decades, release years, weekdays) by count (or mean rating).",
         responses=errors(*SIGNED_IN))
    async def my_affinities(
        self,
        request: Request[User, Token, Any], queries: StatsQueries,
        type: str = Parameter(default="director"), sort: str = Parameter(default="count"),  # noqa: A002 - the query name
        limit: int = Parameter(default=10, ge=1, le=1000), min_count: int = Parameter(default=1, ge=1, le=MAX_OFFSET),
    ) -> Affinities:
        if type not in AFFINITY_TYPES:
            raise HTTPException(status_code=400, detail=f"type must be one of {', '.join(AFFINITY_TYPES)}")
        if sort not in AFFINITY_SORTS:
            raise HTTPException(status_code=400, detail=f"sort must be one of {', '.join(AFFINITY_SORTS)}")
        return msgspec.convert({"items": await queries.affinities_of(request.user.id, type, sort, limit, min_count)},
                               Affinities)



class TrendsController(Controller):
    """Public: what the instance watches."""

    path = "/"

    @get("/api/trends/global", tags=["trends"], description="Public: the catalog films most logged in the window "
         "(each by at least CINEMATCH_TRENDS_MIN_USERS people) and the genres of the window's entries.",
         responses=errors(503))
    async def global_trends(self, queries: StatsQueries) -> Trends:
        return msgspec.convert(await queries.global_trends(), Trends)
