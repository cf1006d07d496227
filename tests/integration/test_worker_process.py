"""The kafka worker as a real process: its /metrics (CINEMATCH_METRICS_PORT) and a SIGTERM
that commits what it projected, so the next worker replays nothing."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from cinematch.adapters.kafka import KafkaGroupLag
from cinematch.services.diary import NewEntry
from tests.support import Proc, free_port, process_env

pytestmark = [pytest.mark.service("kafka")]


def scrape(port: int) -> dict[str, float]:
    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    except httpx.TransportError:
        return {}
    return {k: float(v) for k, v in (line.rsplit(" ", 1) for line in text.splitlines() if line and line[0] != "#")}


async def until(check, timeout: float = 90.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if value := check():
            return value
        await asyncio.sleep(0.3)
    raise AssertionError("condition never held")


async def add(container, n: int, start: int = 0) -> None:
    for u in range(3):
        await container.services.diary().add_many(
            f"user{u}", [NewEntry(name=f"Film {start + i}", rating=4, director="Ann Lee") for i in range(n)])


async def test_worker_metrics_and_sigterm_commit_what_it_projected(kafka_profile, tmp_path):
    c = kafka_profile
    cfg = c.config
    group_lag = KafkaGroupLag(cfg.kafka_bootstrap_servers(), cfg.kafka_topic(), cfg.kafka_group())
    relay = Proc(["relay"], process_env(c), tmp_path / "relay.log")
    port = free_port()
    worker = Proc(["worker"], process_env(c, CINEMATCH_METRICS_PORT=str(port)), tmp_path / "worker.log")
    relay.start()
    worker.start()
    try:
        await add(c, 10)  # 3 users x 10 entries: 30 events
        m = await until(lambda: (s := scrape(port)).get("cinematch_events_projected_total") == 30 and s)
        assert sum(v for k, v in m.items() if k.startswith("cinematch_consumer_lag{")) == 0
        assert sum(v for k, v in m.items() if k.startswith("cinematch_projection_lag_events{")) == 0
        assert m["cinematch_dead_letters_total"] == 0
        assert sum((await group_lag.lag()).values()) == 0  # serve's view: the group committed everything

        worker.p.terminate()  # SIGTERM: the batch in hand is finished and committed, then it exits
        assert worker.p.wait(30) == 0 and "stopped" in worker.log()
        port2 = free_port()
        worker = Proc(["worker"], process_env(c, CINEMATCH_METRICS_PORT=str(port2)), tmp_path / "worker2.log")
        worker.start()
        await until(lambda: "cinematch_events_projected_total" in scrape(port2))
        await add(c, 5, start=100)
        m = await until(lambda: (s := scrape(port2)).get("cinematch_events_projected_total", 0) >= 15 and s)
        await asyncio.sleep(2)  # anything replayed would show by now
        assert scrape(port2)["cinematch_events_projected_total"] == 15  # only the new events: nothing replayed
        assert (await c.storage.stats().get("user0")).total_watched == 15
    finally:
        worker.stop()
        relay.stop()
        await group_lag.stop()


async def test_the_worker_in_two_parts_projects_everything_once(kafka_profile, tmp_path):
    """`worker --part stats` and `worker --part trends`, each its own consumer group: together
    they give what one worker gives (statistics, affinities and trend facts equal the recompute)."""
    from tests.support import recompute_matches
    c = kafka_profile
    env = process_env(c)
    procs = [Proc(["relay"], env, tmp_path / "relay.log"),
             Proc(["worker", "--part", "stats"], env, tmp_path / "stats.log"),
             Proc(["worker", "--part", "trends"], env, tmp_path / "trends.log")]
    for p in procs:
        p.start()
    try:
        await add(c, 10)
        users = [f"user{u}" for u in range(3)]

        async def done() -> bool:
            return not await recompute_matches(c, users)
        end = time.monotonic() + 90
        while not await done():
            assert time.monotonic() < end, (await recompute_matches(c, users))[:3]
            await asyncio.sleep(0.5)
    finally:
        for p in procs:
            p.stop()
    assert c.config.kafka_trends_group() in procs[2].log()  # the trends part joined a group of its own
