"""Trend facts that left the window are deleted: by the runner of every in-process and
kafka-worker projection, at most once per period (the Spark driver: test_spark_glue)."""

import datetime as dt

from cinematch.adapters.memory import FixedClock, MemoryTrendStore
from cinematch.domain.deltas import TrendFact
from cinematch.services.diary import NewEntry
from cinematch.services.projection.retention import TrendRetention
from tests.support import wired

TODAY = dt.date(2025, 3, 31)


def fact(entry: str, days_ago: int) -> TrendFact:
    return TrendFact("u", entry, (TODAY - dt.timedelta(days=days_ago)).isoformat(), "Film", ("Drama",), True, 1)


async def test_prune_deletes_the_days_before_the_window_and_keeps_a_day_of_margin():
    trends, clock = MemoryTrendStore(), FixedClock(dt.datetime(2025, 3, 31, 9, 0, tzinfo=dt.timezone.utc))
    await trends.apply([fact(f"e{d}", d) for d in (0, 29, 30, 31, 45)])
    retention = TrendRetention(trends=trends, clock=clock, window_days=30)
    assert retention.cutoff() == "2025-03-01"  # the window starts on 03-02 (30 days, today included)
    assert await retention.prune() == 2
    assert sorted(k for _, k in trends.docs) == ["e0", "e29", "e30"]


async def test_prune_if_due_runs_once_per_period_and_never_when_off():
    trends, clock = MemoryTrendStore(), FixedClock(dt.datetime(2025, 3, 31, 9, 0, tzinfo=dt.timezone.utc))
    retention = TrendRetention(trends=trends, clock=clock, window_days=30, every_seconds=3600)
    await trends.apply([fact("a", 40)])
    assert await retention.prune_if_due() == 1
    await trends.apply([fact("b", 40)])
    clock.advance(minutes=59)
    assert await retention.prune_if_due() == 0 and len(trends.docs) == 1  # not due yet
    clock.advance(minutes=2)
    assert await retention.prune_if_due() == 1 and trends.docs == {}
    off = TrendRetention(trends=trends, clock=clock, every_seconds=0)
    await trends.apply([fact("c", 40)])
    assert await off.prune_if_due() == 0 and len(trends.docs) == 1


async def test_a_failed_prune_is_logged_and_left_to_the_next_one(caplog):
    class Down(MemoryTrendStore):
        async def prune(self, before_day: str) -> int:
            raise ConnectionError("store down")

    clock = FixedClock(dt.datetime(2025, 3, 31, 9, 0, tzinfo=dt.timezone.utc))
    retention = TrendRetention(trends=Down(), clock=clock, every_seconds=3600)
    assert await retention.prune_if_due() == 0  # the projection's batch goes on
    assert "pruning trend facts failed" in caplog.text


async def test_the_runner_prunes_aged_out_facts_through_the_wiring():
    clock = FixedClock(dt.datetime(2025, 1, 1, 12, 0, tzinfo=dt.timezone.utc))
    app = wired("memory", clock=clock)
    diary, runner, trends = app.services.diary(), app.services.runner(), app.storage.trends()
    await runner.source.start()
    await diary.add("u1", NewEntry(name="Old Film", rating=4, date="2025-01-01"))
    await runner.drain()
    assert len(await trends.facts()) == 1
    clock.advance(days=40)
    assert (await app.services.queries().global_trends())["top_movies"] == []  # out of the window already
    await diary.add("u1", NewEntry(name="New Film", rating=5, date="2025-02-10"))
    await runner.drain()
    assert [f.title for f in await trends.facts()] == ["New Film"]  # the old fact is gone from storage
