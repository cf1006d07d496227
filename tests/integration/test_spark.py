"""The Spark runtime against the real Kafka broker and the real MongoDB-wire server:
`cinematch spark stream` / `reconcile` run as real processes with a local[2] Spark.

- parity: one recorded event stream through the embedded, kafka-worker and Spark runtimes
  gives the same documents;
- fault injection: the Spark driver (with its JVM and Python workers) is SIGKILLed three
  times while diary writes go on; the final state equals the full recompute;
- reconcile: a drift-free system reports 0; injected drift is reported, and repaired.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import subprocess
import sys
import time

import httpx
import msgspec
import pytest

from cinematch.adapters.clock import SystemClock
from cinematch.adapters.kafka import KafkaEventPublisher
from cinematch.adapters.mongo import migrate
from cinematch.domain import catalog_movie
from cinematch.domain.events import decode_event
from cinematch.domain.ports import Record
from cinematch.entrypoints.spark import STATS_QUERY, TRENDS_QUERY
from tests.support import (
    KAFKA, MONGO_URL, Proc, drop_database, free_port, kafka_wiring, projection_snapshot, recompute_matches,
    require_service, require_spark, spark_env, unique_name, wired, wired_services,
)

from .workload import change_one, converged, new_entry, write_load

pytestmark = [pytest.mark.service("spark"), pytest.mark.slow]


@pytest.fixture
async def spark_profile(tmp_path):
    require_spark()
    async with kafka_wiring(tmp_path, clock=SystemClock()) as c:
        yield c


def spark(args: list[str], env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cinematch", "spark", *args], env=env, capture_output=True,
                          text=True, timeout=timeout)


async def recorded_stream(users: list[str]) -> list[tuple[str, bytes]]:
    """Every kind of diary change, as the outbox relay would publish it; then a stretch
    published twice (a relay that died before marking it sent) and a few foreign messages."""
    c = wired("memory", clock=SystemClock())
    await c.storage.catalog().upsert(CATALOG)  # half the films are the catalog's; the others typed names
    diary = c.services.diary()
    rnd = random.Random(11)
    for user in users:
        await diary.add_many(user, [new_entry(rnd, k) for k in range(12)])
        await diary.add(user, new_entry(rnd, 99))
    for _ in range(150):
        await change_one(c, rnd.choice(users), rnd, renames=0.2)
    payloads = list(c.storage.log().records)
    payloads = payloads[:200] + payloads[150:200] + payloads[200:]
    items = [(decode_event(p).user_id, p) for p in payloads]
    bad = [b"not json", b'{"event_type": "EXPLODE", "user_id": "ann"}',
           msgspec.json.encode({"event_type": "ADD", "user_id": "ann", "movie": {"name": "X", "rating": 9}}),
           *OUT_OF_BOUNDS]
    return items[:100] + [("ann", b) for b in bad] + items[100:]


CATALOG = [catalog_movie(id=f"film {i}|", title=f"Film {i}", genres=["Drama"]) for i in range(1, 41)]
# A producer outside the web app is held to the entry bounds too (domain.bounds): dead letters.
OUT_OF_BOUNDS = [msgspec.json.encode({"event_type": "ADD", "user_id": "ann", "seq": 999, "movie": {
                     "name": "X", "rating": 3, "duration": 10**23}}),
                 msgspec.json.encode({"event_type": "ADD", "user_id": "ann", "seq": 999, "movie": {
                     "name": "X", "rating": 3, "genres": [f"g{i}" for i in range(500)]}})]


async def test_parity_embedded_kafka_worker_spark(tmp_path):
    require_service("mongo")
    require_service("kafka")
    require_spark()
    users = ["ann", "Bo.Dot", "c$d", "Zoë 東京", "x" * 128] + [f"u{i}" for i in range(10)]
    items = await recorded_stream(users)

    # Embedded: the projector on the SQLite stores, in batches of 37.
    embedded = wired("sqlite", data_dir=tmp_path / "embedded")
    records = [Record(payload=p, position=i, partition=0) for i, (_, p) in enumerate(items)]
    for i in range(0, len(records), 37):
        await embedded.services.projector().apply_records(records[i:i + 37])

    # Kafka worker: the consumer-group runner, database A.
    worker = wired_services(tmp_path / "worker", projection_batch_size=120)
    topic = worker.config.kafka_topic()
    publisher = KafkaEventPublisher(KAFKA, topic)
    await publisher.start()
    await publisher.publish_raw(items)
    await publisher.stop()
    await migrate(worker.storage.mongo())
    runner = worker.services.runner()
    await runner.source.start()
    end = time.monotonic() + 120
    while runner.totals.events < len(items) and time.monotonic() < end:
        await runner.run_once(timeout=0.5)
    await runner.source.stop()
    assert runner.totals.events == len(items)

    # Spark: `cinematch spark stream --once` on the same topic, database B.
    on_spark = wired("mongo", data_dir=tmp_path / "spark", profile="spark", kafka_bootstrap_servers=KAFKA,
                     kafka_topic=topic, mongodb_url=f"{MONGO_URL}/{unique_name('t')}")
    try:
        done = spark(["stream", "--once", "--conf", "spark.sql.shuffle.partitions=3"],
                     spark_env(on_spark, tmp_path / "ckpt", CINEMATCH_SPARK_MAX_OFFSETS_PER_TRIGGER="250"))
        assert done.returncode == 0, done.stderr[-3000:]
        assert "user-stats batch 1" in done.stderr  # the backlog really came in several batches

        want = await projection_snapshot(embedded, users)
        assert len(want["stats"]) == len(users) and len(want["dead_letters"]) == 3 + len(OUT_OF_BOUNDS)
        # The trends rules hold in every runtime: catalog films only, each user once per film.
        assert want["window"] and set(want["window"]) <= {m.id for m in CATALOG}
        assert all(n <= len(users) for n in want["window"].values())
        assert any(not live for _day, _title, _genres, live, *_ in want["facts"].values())  # deletes are in the stream
        assert await projection_snapshot(worker, users) == want
        assert await projection_snapshot(on_spark, users) == want
    finally:
        await drop_database(worker)
        await drop_database(on_spark)


async def test_spark_driver_sigkill_loses_nothing_doubles_nothing_and_reconcile(spark_profile, tmp_path):
    container = spark_profile
    rnd = random.Random(int(os.environ.get("CINEMATCH_FAULT_SEED", "5")))
    users = [f"user{i}" for i in range(40)]
    metrics_port = free_port()
    env = spark_env(container, tmp_path / "ckpt", CINEMATCH_SPARK_MAX_OFFSETS_PER_TRIGGER="1000",
                    CINEMATCH_METRICS_PORT=str(metrics_port))
    job = Proc(["spark", "stream", "--trigger", "0.5", "--trends-trigger", "2"], env, tmp_path / "spark.log")
    relay = container.bus.relay()
    await relay.publisher.start()
    writing = True

    async def relay_loop() -> None:
        while writing or await container.storage.diary().unsent():
            await relay.run_once()
            await asyncio.sleep(0.2)

    async def batches() -> int:
        return job.log().count("user-stats batch")

    async def killer() -> None:
        for _ in range(3):
            seen = await batches()
            job.start()
            end = time.monotonic() + 180
            while await batches() <= seen:  # killed mid-stream: after it has written something
                assert job.alive() and time.monotonic() < end, job.log()[-3000:]
                await asyncio.sleep(0.2)
            await asyncio.sleep(rnd.uniform(0.0, 1.5))
            job.kill()
            await asyncio.sleep(rnd.uniform(0.0, 2.0))
        job.start()

    async def writer() -> int:
        nonlocal writing
        try:
            return await write_load(container, users, 6_000, rnd, on_progress=lambda _: asyncio.sleep(0), writers=4)
        finally:
            writing = False

    try:
        written, _, _ = await asyncio.gather(writer(), relay_loop(), killer())
        assert written >= 6_000 and job.kills == 3
        await converged(container, users, timeout=300)
        end = time.monotonic() + 120  # the trends query runs on its own, slower trigger
        while (problems := await recompute_matches(container, users)) and time.monotonic() < end:
            await asyncio.sleep(1)
        # the driver's /metrics: batch durations per query, and no lag once caught up. One more
        # write, seen by both queries, makes sure this (last) driver ran a batch of each.
        await container.services.diary().add_many("probe", [new_entry(rnd, 0)])
        end = time.monotonic() + 120
        while not await container.storage.trends().facts("probe") or \
                (await container.storage.stats().hwms(["probe"])).get("probe", 0) < 1:
            await relay.run_once()
            assert time.monotonic() < end, job.log()[-3000:]
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.5)  # the driver samples its queries' progress every 0.5 s
        metrics = {k: float(v) for k, v in (line.rsplit(" ", 1) for line in httpx.get(
            f"http://127.0.0.1:{metrics_port}/metrics").text.splitlines() if line and line[0] != "#")}
        assert metrics[f'cinematch_spark_batch_duration_seconds_count{{query="{STATS_QUERY}"}}'] >= 1
        assert metrics[f'cinematch_spark_batch_duration_seconds_count{{query="{TRENDS_QUERY}"}}'] >= 1
        assert sum(v for k, v in metrics.items() if k.startswith("cinematch_spark_lag_offsets{")) == 0
        job.p.terminate()  # SIGTERM: a batch in flight finishes, the queries stop, the driver exits 0
        assert job.p.wait(90) == 0, job.log()[-3000:]
    finally:
        job.stop()
        await relay.publisher.stop()
    assert problems == [], "\n".join(problems[:5])
    assert await container.storage.dead_letters().all() == []
    assert "trends bootstrapped" in job.log()

    # Reconcile: a drift-free system reports 0 differences.
    result = spark(["reconcile"], env)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert result.returncode == 0, result.stderr[-3000:]
    checked = len(users) + 1  # and the metrics probe
    assert (report["users"], report["ok"], report["documents"], report["trends_equal"]) == (checked, checked, 0, True)
    shadow = container.storage.mongo().db.user_stats_shadow
    assert await shadow.count_documents({}) == checked

    # Drift (a lost write, a hand edit): reported, then repaired.
    db = container.storage.mongo().db
    await db.user_stats.update_one({"_id": "user3"}, {"$inc": {"total_watched": 2}})
    await db.user_affinities.delete_one({"user_id": "user7", "count": {"$gt": 0}})
    await db.trend_facts.update_one({"user_id": "user9", "live": True}, {"$set": {"film": "drifted"}})
    result = spark(["reconcile"], env)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert result.returncode == 3
    assert (report["drift"], report["trends_equal"]) == (3, False)
    assert {e["user_id"]: e["differences"][0].split()[0] for e in report["examples"]} == {
        "user3": "stats", "user7": "affinity", "user9": "trend"}
    assert len(await recompute_matches(container, users)) == 3

    result = spark(["reconcile", "--repair"], env)
    assert result.returncode == 0 and json.loads(result.stdout.strip().splitlines()[-1])["repaired"] == 3
    assert await recompute_matches(container, users) == []


async def test_first_start_bootstraps_the_trends_from_the_diaries(spark_profile, tmp_path):
    """The topic no longer holds the history (retention): at first start the trends still
    come from the diaries; the statistics are reported behind, and reconcile repairs them."""
    container = spark_profile
    diary = container.services.diary()
    rnd = random.Random(8)
    users = [f"b{i}" for i in range(6)]
    for user in users:
        await diary.add_many(user, [new_entry(rnd, k) for k in range(8)])  # never relayed to the topic
    env = spark_env(container, tmp_path / "ckpt")
    done = spark(["stream", "--once"], env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "trends bootstrapped from 6 diaries" in done.stderr
    facts = await container.storage.trends().facts()
    assert len([f for f in facts if f.live]) == 48 and {f.seq for f in facts} == {8}
    problems = await recompute_matches(container, users)
    assert problems and all(" stats" in p or " affinity " in p for p in problems)  # trends are right
    result = spark(["reconcile", "--repair"], env)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert (report["behind"], report["repaired"]) == (6, 6)
    assert await recompute_matches(container, users) == []


async def test_a_slow_trends_batch_never_holds_back_the_statistics(spark_profile, tmp_path):
    """Each trends task waits 20 s before its writes (a slow sink, on purpose). The statistics
    query, in its own scheduler pool and with a task slot the trends sink never takes, still
    shows each write within a few seconds meanwhile."""
    container = spark_profile
    env = spark_env(container, tmp_path / "ckpt")
    job = Proc(["spark", "stream", "--trigger", "0.5", "--trends-trigger", "1",
                "--conf", "spark.cinematch.trendsTaskDelaySeconds=20"], env, tmp_path / "spark.log")
    relay = container.bus.relay()
    await relay.publisher.start()
    diary, stats = container.services.diary(), container.storage.stats()

    async def visible(user: str, timeout: float = 120) -> float:
        t0, version = time.monotonic(), await container.storage.diary().version(user)
        while (await stats.hwms([user])).get(user, 0) < version:
            await relay.run_once()
            assert time.monotonic() - t0 < timeout, job.log()[-3000:]
            await asyncio.sleep(0.05)
        return time.monotonic() - t0

    try:
        job.start()
        end = time.monotonic() + 180
        while "queries started" not in job.log():  # (a warm-up write would start a slow trends batch of its own)
            assert job.alive() and time.monotonic() < end, job.log()[-3000:]
            await asyncio.sleep(0.2)
        crowd = [f"crowd{i}" for i in range(12)]  # users enough to fill every trends partition
        for user in crowd:
            await diary.add_many(user, [new_entry(random.Random(user), k) for k in range(3)])
        await relay.run_once()
        await asyncio.sleep(3)  # the trends batch of the crowd is under way, its tasks waiting
        waits = []
        for k in range(5):
            await diary.add_many("me", [new_entry(random.Random(k), k)])
            waits.append(await visible("me"))
        facts = sum([len(await container.storage.trends().facts(u)) for u in crowd])
        assert max(waits) < 8, waits  # blocked behind it, a write would wait its 20 s
        assert facts == 0, "the slow trends batch was meant to be still running meanwhile"
    finally:
        job.stop()
        await relay.publisher.stop()


async def test_a_single_writes_statistics_task_does_not_wait_on_the_kafka_fetch(spark_profile, tmp_path):
    """A batch of one new event reads an offset range that ends at the log's end. Spark's Kafka
    consumer used to wait its fetch.max.wait.ms (500 ms by default) there before the task's work
    began: half a second on every single write. Each such task now takes what its work takes."""
    container = spark_profile
    env = spark_env(container, tmp_path / "ckpt")
    job = Proc(["spark", "stream", "--trigger", "0.5", "--trends-trigger", "600"], env, tmp_path / "spark.log")
    relay = container.bus.relay()
    await relay.publisher.start()
    diary, stats = container.services.diary(), container.storage.stats()
    try:
        job.start()
        end = time.monotonic() + 180
        while "queries started" not in job.log():
            assert job.alive() and time.monotonic() < end, job.log()[-3000:]
            await asyncio.sleep(0.2)
        for k in range(6):
            await diary.add_many("single", [new_entry(random.Random(k), k)])
            version = await container.storage.diary().version("single")
            while (await stats.hwms(["single"])).get("single", 0) < version:
                await relay.run_once()
                assert time.monotonic() < end + 120, job.log()[-3000:]
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.6)  # the next write lands in a batch of its own
        tasks = [int(ms) for ms in re.findall(r"user-stats batch \d+: \{'events': 1,.*'task_ms': (\d+)\}", job.log())]
        assert len(tasks) >= 5, job.log()[-3000:]
        # The first one also starts the Python worker and its MongoDB client.
        assert sorted(tasks[1:])[len(tasks[1:]) // 2] < 400, tasks
    finally:
        job.stop()
        await relay.publisher.stop()


async def test_the_feedback_query_keeps_each_signal_once_through_a_replay(spark_profile, tmp_path):
    """Stream 3: the feedback topic's events become exactly the signals the fold says, and a
    whole replay (a fresh checkpoint reads the topic from its start) adds nothing."""
    import zoneinfo

    from cinematch.domain.feedback import signals_by_user
    from tests.integration.test_feedback_stream import stored, workload
    c = spark_profile
    events = workload(600, seed=9)
    want = {u: {s.id for s in ss} for u, ss in signals_by_user(events, zoneinfo.ZoneInfo("Europe/Rome")).items()}
    sink = c.services.feedback_sink()
    try:
        for i in range(0, len(events), 100):
            await sink.record(events[i:i + 100])
    finally:
        await sink.stop()
    for checkpoint in ("ckpt", "ckpt-replay"):
        done = spark(["stream", "--once"], spark_env(c, tmp_path / checkpoint))
        assert done.returncode == 0, done.stderr[-3000:]
        assert await stored(c, sorted(want)) == want
