"""Read side: statistics, affinities and trends as the API serves them."""

from __future__ import annotations

import time

from ..domain.ports import AffinityStore, CatalogStore, Clock, DiaryStore, StatsStore, TrendStore
from ..domain.stats import StatsState, affinity_item, recent, stats_view, top_rated
from ..domain.trends import top_movies, trending_genres, window_start

AFFINITY_TYPES = ("director", "actor", "genre")
AFFINITY_SORTS = ("count", "avg_rating")


class StatsQueries:
    def __init__(self, *, diary: DiaryStore, stats: StatsStore, affinities: AffinityStore, trends: TrendStore,
                 catalog: CatalogStore, clock: Clock, window_days: int = 30, trends_ttl: float = 0.25) -> None:
        self.diary = diary
        self.stats = stats
        self.affinities = affinities
        self.trends = trends
        self.catalog = catalog
        self.clock = clock
        self.window_days = window_days
        self.trends_ttl = trends_ttl  # a short cache: trends are global and read often
        self._trends_cache: tuple[float, str, dict] | None = None

    async def sync(self, user_id: str, state: StatsState | None = None) -> dict:
        if state is None:
            state = await self.stats.get(user_id)
        pending = max(0, await self.diary.version(user_id) - (state.hwm if state else 0))
        return {"status": "synced" if pending == 0 else "syncing", "pending_events": pending}

    async def user_stats(self, user_id: str) -> dict:
        state = await self.stats.get(user_id) or StatsState(user_id=user_id)
        entries, _ = await self.diary.snapshot(user_id)
        view = stats_view(state, await self.affinities.for_user(user_id), top_rated(entries), recent(entries))
        view["sync"] = await self.sync(user_id, state)
        return view

    async def affinities_of(self, user_id: str, kind: str, sort: str, limit: int, min_count: int) -> list[dict]:
        docs = await self.affinities.query(user_id, kind, sort, limit, min_count)
        return [affinity_item(a) for a in docs]

    async def global_trends(self) -> dict:
        today = self.clock.now().date()
        since = window_start(today, self.window_days)
        cached = self._trends_cache
        if cached and cached[1] == since and time.monotonic() - cached[0] < self.trends_ttl:
            return cached[2]
        movies, genres = await self.trends.window_counts(since)
        top = top_movies(movies)
        posters = await self.catalog.posters([m["title"] for m in top])
        for m in top:
            m["poster_path"] = posters.get(m["title"])
        result = {
            "top_movies": top,
            "trending_genres": trending_genres(genres),
            "window_days": self.window_days,
            "updated_at": self.clock.now().isoformat(),
        }
        self._trends_cache = (time.monotonic(), since, result)
        return result

    def invalidate(self) -> None:
        self._trends_cache = None
