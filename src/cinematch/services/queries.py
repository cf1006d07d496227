"""Read side: statistics, affinities and trends as the API serves them."""

from __future__ import annotations

import asyncio
import collections
import functools
import time
from collections.abc import Awaitable, Callable
from typing import Any

from ..domain.calendar import calendar_view, milestones_upto
from ..domain.review import year_extras
from ..domain.ports import AffinityStore, CatalogStore, Clock, DiaryStore, StatsStore, TrendStore
from ..domain.stats import StatsState, affinity_item, compute_user_stats, stats_view
from ..domain.trends import global_trends, window_start

AFFINITY_SORTS = ("count", "avg_rating")


class StatsQueries:
    def __init__(self, *, diary: DiaryStore, stats: StatsStore, affinities: AffinityStore, trends: TrendStore,
                 catalog: CatalogStore, clock: Clock, window_days: int = 30, trends_ttl: float = 0.25,
                 min_users: int = 3, view_wait: float = 0.05, max_views: int = 2000, tz: str = "Europe/Rome") -> None:
        self.tz = tz
        # (user, year) -> (the diary's version, the year in review at it)
        self._years: collections.OrderedDict[tuple[str, int], tuple[int, dict[str, Any]]] = collections.OrderedDict()
        self.diary = diary
        self.stats = stats
        self.affinities = affinities
        self.trends = trends
        self.catalog = catalog
        self.clock = clock
        self.window_days = window_days
        self.min_users = min_users  # a film is public only once this many users have it
        self.trends_ttl = trends_ttl  # a short cache: trends are global and read often
        self._trends_cache: tuple[float, str, dict[str, Any]] | None = None
        # user -> (the statistics' mark, the view built at it): the most recently read users
        self._views: collections.OrderedDict[str, tuple[int, dict[str, Any]]] = collections.OrderedDict()
        self._building: dict[str, asyncio.Future[Any]] = {}
        # (user, year) -> (the diary's version, the year's first and last film and new directors at it)
        self._extras: collections.OrderedDict[tuple[str, int], tuple[int, dict[str, Any]]] = collections.OrderedDict()
        # (user, year or None) -> ((the diary's version, the day), the calendar at them)
        self._calendars: collections.OrderedDict[tuple[str, int | None], tuple[tuple[int, Any], dict[str, Any]]] = \
            collections.OrderedDict()
        self._view_slots = asyncio.Semaphore(2)  # views built at once
        self.view_wait = view_wait
        self.max_views = max_views

    async def sync(self, user_id: str, state: StatsState | None = None) -> dict[str, Any]:
        if state is None:
            state = await self.stats.get(user_id)
        return self._sync(await self.diary.version(user_id), state.hwm if state else 0)

    async def progress(self, user_id: str) -> tuple[int, int]:
        """(the diary's version, the statistics' mark): equal once the projection caught up."""
        state = await self.stats.get(user_id)
        return await self.diary.version(user_id), state.hwm if state else 0

    @staticmethod
    def _sync(version: int, hwm: int) -> dict[str, Any]:
        pending = max(0, version - hwm)
        return {"status": "synced" if pending == 0 else "syncing", "pending_events": pending}

    async def user_stats(self, user_id: str) -> dict[str, Any]:
        """The statistics view: two small reads (the statistics' mark, the diary's version)
        and the view built at that mark, kept per user. A new mark builds the view anew
        (off the event loop); when that takes longer than `view_wait`, as for a very large
        diary, the previous view is served meanwhile, marked syncing: every answer is exact
        at the mark it names, and a poller never waits on a rebuild."""
        state = await self.stats.get(user_id) or StatsState(user_id=user_id)
        version = await self.diary.version(user_id)
        hwm, view = await self._kept(self._views, user_id, state.hwm, lambda: self._build_view(user_id))
        # `mark`: where the view stands (a page that shows it follows changes from there on)
        return {**view, "sync": self._sync(version, hwm), "mark": f"{version}-{hwm}"}

    def _forget_build(self, key: Any, _task: object = None) -> None:
        self._building.pop(key, None)

    async def _kept(self, views: collections.OrderedDict[Any, tuple[int, dict[str, Any]]], key: Any, mark: int,
                    build: Callable[[], Awaitable[tuple[int, dict[str, Any]]]]) -> tuple[int, dict[str, Any]]:
        """The view kept under `key` at `mark`, rebuilt (one build at a time per key, off the
        event loop) when the mark moved; a rebuild slower than `view_wait` leaves the previous
        view answering meanwhile. `build()` stores its (mark, view) in `views` and returns it."""
        cached = views.get(key)
        if cached is None or cached[0] != mark:
            task = self._building.get(key)
            if task is None or task.get_loop() is not asyncio.get_running_loop():
                task = self._building[key] = asyncio.ensure_future(build())
                task.add_done_callback(functools.partial(self._forget_build, key))
            if cached is None:
                cached = await asyncio.shield(task)
            else:
                try:
                    cached = await asyncio.wait_for(asyncio.shield(task), self.view_wait)
                except TimeoutError:
                    pass
        if key in views:
            views.move_to_end(key)  # recently read: kept longest
        assert cached is not None  # the first build was awaited
        return cached

    def forget(self, user_id: str) -> None:
        """Drop a user's kept views (their account was deleted)."""
        self._views.pop(user_id, None)
        for kept in [k for k in self._calendars if k[0] == user_id]:
            del self._calendars[kept]
        for done in [k for k in self._extras if k[0] == user_id]:
            del self._extras[done]
        for key in [k for k in self._years if k[0] == user_id]:
            del self._years[key]

    async def year_stats(self, user_id: str, year: int) -> dict[str, Any]:
        """The year in review: the statistics of the entries watched in `year`, recomputed from
        those entries alone (a read of one year, by the diary's date index: its cost is the
        year's, not the diary's), exact at the diary version it names, kept until that moves;
        a recompute slower than `view_wait` leaves the previous one answering, marked syncing."""
        version = await self.diary.version(user_id)

        async def build() -> tuple[int, dict[str, Any]]:
            at = await self.diary.version(user_id)
            entries = await self.diary.watched_in(user_id, year)
            async with self._view_slots:
                view = await asyncio.to_thread(compute_user_stats, user_id, entries, self.tz)
            built = self._years[(user_id, year)] = (at, {**view, "year": year})
            while len(self._years) > self.max_views:
                self._years.popitem(last=False)
            return built
        at, view = await self._kept(self._years, (user_id, year), version, build)
        return {**view, "sync": self._sync(version, at), "mark": f"{version}-{at}"}

    async def _build_view(self, user_id: str) -> tuple[int, dict[str, Any]]:
        async with self._view_slots:
            state = await self.stats.get(user_id) or StatsState(user_id=user_id)
            affinities = await self.affinities.for_user(user_id)
            entries, _ = await self.diary.snapshot(user_id)
            view = await asyncio.to_thread(
                lambda: stats_view(state, affinities, entries))
        built = (state.hwm, view)
        self._views[user_id] = built
        while len(self._views) > self.max_views:
            self._views.popitem(last=False)
        return built

    async def calendar(self, user_id: str, year: int | None = None) -> dict[str, Any]:
        """The calendar of docs/contract.md §2, read from the diary's date index, kept until the
        diary's version moves (or the day changes: the current streak): exact at every read."""
        key, mark = (user_id, year), (await self.diary.version(user_id), self.clock.now().date())
        view = self._recall(self._calendars, key, mark)
        if view is None:
            days, marks = await self.diary.calendar(user_id, milestones_upto)
            view = self._keep(self._calendars, key, mark,
                              await asyncio.to_thread(calendar_view, days, marks, mark[1], year))
        return view

    async def review_extras(self, user_id: str, year: int) -> dict[str, Any]:
        """The year in review's first and last film and new-to-you directors, from the whole diary
        (kept until the diary's version moves)."""
        key = (user_id, year)
        extras = self._recall(self._extras, key, await self.diary.version(user_id))
        if extras is None:
            entries, at = await self.diary.snapshot(user_id)
            extras = self._keep(self._extras, key, at, await asyncio.to_thread(year_extras, entries, year))
        return extras

    @staticmethod
    def _recall(kept: collections.OrderedDict[Any, tuple[Any, dict[str, Any]]], key: Any,
                mark: Any) -> dict[str, Any] | None:
        """What `kept` holds under `key` if it was made at `mark` (then kept longest), else None."""
        found = kept.get(key)
        if found is None or found[0] != mark:
            return None
        kept.move_to_end(key)
        return found[1]

    def _keep(self, kept: collections.OrderedDict[Any, tuple[Any, dict[str, Any]]], key: Any, mark: Any,
              value: dict[str, Any]) -> dict[str, Any]:
        """Keep `value`, made at `mark`, under `key`: the `max_views` most recent only."""
        kept[key] = (mark, value)
        kept.move_to_end(key)
        while len(kept) > self.max_views:
            kept.popitem(last=False)
        return value

    async def affinities_of(self, user_id: str, kind: str, sort: str, limit: int,
                            min_count: int) -> list[dict[str, Any]]:
        docs = await self.affinities.query(user_id, kind, sort, limit, min_count)
        return [affinity_item(a) for a in docs]

    async def global_trends(self) -> dict[str, Any]:
        today = self.clock.now().date()
        since = window_start(today, self.window_days)
        cached = self._trends_cache
        if cached and cached[1] == since and time.monotonic() - cached[0] < self.trends_ttl:
            return cached[2]
        film_counts = await self.trends.window_counts(since)
        top, genres = global_trends(film_counts, await self.catalog.by_ids(list(film_counts)), self.min_users)
        result = {
            "top_movies": top,
            "trending_genres": genres,
            "window_days": self.window_days,
            "updated_at": self.clock.now().isoformat(),
        }
        self._trends_cache = (time.monotonic(), since, result)
        return result

    def invalidate(self) -> None:
        self._trends_cache = None
