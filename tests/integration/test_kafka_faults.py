"""Fault injection on the kafka profile, against the real Kafka broker and the real
MongoDB-wire server (FerretDB) from scripts/devservices.

The worker and the outbox relay run as real `cinematch worker` / `cinematch relay`
processes and are killed with SIGKILL at random moments while diary writes go on;
at the end every user's statistics, affinities and trend facts must equal the full
recompute of the diary: 0 lost, 0 doubled. CINEMATCH_FAULT_SEED picks other moments.
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import time

import msgspec
import pytest

from cinematch.adapters.kafka import KafkaEventPublisher
from tests.support import Proc, kafka_wiring, process_env, recompute_matches, service_up

from .workload import converged, new_entry, write_load

pytestmark = [pytest.mark.service("kafka"), pytest.mark.slow]


@pytest.fixture
async def kafka_profile(tmp_path):
    async with kafka_wiring(tmp_path, projection_batch_size=2000) as c:
        yield c


async def test_sigkill_worker_and_relay_lose_nothing_double_nothing(kafka_profile, tmp_path):
    container = kafka_profile
    rnd = random.Random(int(os.environ.get("CINEMATCH_FAULT_SEED", "7")))
    users = [f"user{i}" for i in range(200)]  # ~100 entries each: FerretDB rewrites the whole diary document per write
    total = 20_400
    env = process_env(container, CINEMATCH_PROJECTION_BATCH_SIZE="2000")
    worker, relay = Proc(["worker"], env, tmp_path / "worker.log"), Proc(["relay"], env, tmp_path / "relay.log")
    worker.start()
    relay.start()
    # Kill each process three times at random points of the write stream; it stays down
    # for a random while (writes go on meanwhile), then a new one starts.
    kill_at = sorted(rnd.sample(range(2_000, total - 500), 6))
    plan = {at: (worker if i % 2 == 0 else relay) for i, at in enumerate(kill_at)}
    loop = asyncio.get_running_loop()

    async def on_progress(written: int) -> None:
        for at in [a for a in plan if a <= written]:
            proc = plan.pop(at, None)
            if proc is None:  # another writer got to this kill first
                continue
            while proc.p.poll() is not None:  # its restart after the last kill is still pending
                await asyncio.sleep(0.1)
            await asyncio.sleep(rnd.uniform(0.0, 0.5))  # let it get into its next batch
            proc.kill()
            loop.call_later(rnd.uniform(0.0, 2.0), proc.start)

    try:
        written = await write_load(container, users, total, rnd, on_progress)
        assert written >= 20_000 and worker.kills == 3 and relay.kills == 3
        await converged(container, users, timeout=600)
    finally:
        worker.stop()
        relay.stop()
    problems = await recompute_matches(container, users)
    assert problems == [], "\n".join(problems[:5])
    assert await container.storage.dead_letters().all() == []


async def test_poison_messages_go_to_dead_letters_and_the_rest_applies(kafka_profile, tmp_path):
    container = kafka_profile
    cfg = container.config
    diary = container.services.diary()
    rnd = random.Random(3)
    users = [f"p{i}" for i in range(3)]
    for user in users:
        await diary.add_many(user, [new_entry(rnd, k) for k in range(100)])
    relay = container.bus.relay()
    await relay.publisher.start()
    await relay.run_once()
    # 1% malformed messages on the same topic, from a foreign producer.
    bad = [b"not json", b'{"event_type": "ADD"}', b'{"event_type": "EXPLODE", "user_id": "p0"}',
           msgspec.json.encode({"event_type": "ADD", "user_id": "p1", "movie": {"name": "X", "rating": 9}}),
           # out of the entry bounds (domain.bounds): the worker's decoder holds a foreign producer to them
           msgspec.json.encode({"event_type": "ADD", "user_id": "p1", "seq": 10**6, "movie": {
               "name": "X", "rating": 3, "duration": 10**23}}),
           msgspec.json.encode({"event_type": "ADD", "user_id": "p1", "seq": 10**6, "movie": {
               "name": "X", "rating": 3, "genres": [f"g{i}" for i in range(500)]}})]
    publisher = KafkaEventPublisher(cfg.kafka_bootstrap_servers(), cfg.kafka_topic())
    await publisher.start()
    await publisher.publish_raw([("p0", b) for b in bad[:3]] + [("p1", b) for b in bad[3:]])
    await publisher.stop()
    await relay.publisher.stop()
    runner = container.services.runner()
    source = runner.source
    await source.start()
    end = time.monotonic() + 60
    while time.monotonic() < end and runner.totals.events < 300 + len(bad):
        await runner.run_once(timeout=0.5)
    await source.stop()
    letters = await container.storage.dead_letters().all()
    assert len(letters) == len(bad) and all(d.reason for d in letters)
    assert {d.payload for d in letters} == {b.decode() for b in bad}
    assert await recompute_matches(container, users) == []


def kafka_service(action: str) -> None:
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    subprocess.run([os.path.join(root, "scripts", "devservices"), action, "kafka"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=180)


async def test_kafka_outage_accepts_every_write_and_converges_after(kafka_profile, tmp_path):
    container = kafka_profile
    rnd = random.Random(11)
    users = [f"o{i}" for i in range(20)]
    env = process_env(container, CINEMATCH_PROJECTION_BATCH_SIZE="2000")
    worker, relay = Proc(["worker"], env, tmp_path / "worker.log"), Proc(["relay"], env, tmp_path / "relay.log")
    worker.start()
    relay.start()
    diary = container.services.diary()
    written = 0

    async def write_for(seconds: float) -> None:
        nonlocal written
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            user = rnd.choice(users)
            await diary.add_many(user, [new_entry(rnd, written + k) for k in range(5)])  # raises if refused
            written += 5
            await asyncio.sleep(0.02)

    try:
        await write_for(5)
        await converged(container, users, timeout=120)
        kafka_service("down")
        try:
            assert not service_up("kafka"), "the broker must really be down for the outage to count"
            during = written
            await write_for(30)  # the broker is down for these 30 s; every write must be accepted
            assert written - during >= 300
            assert await container.storage.diary().unsent(), "writes during the outage wait in the outbox"
        finally:
            kafka_service("up")
        await write_for(3)
        await converged(container, users, timeout=300)
    finally:
        worker.stop()
        relay.stop()
    total = sum([await container.storage.diary().version(u) for u in users])
    assert total == written
    problems = await recompute_matches(container, users)
    assert problems == [], "\n".join(problems[:5])
