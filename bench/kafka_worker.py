"""The kafka profile end to end, on the real Kafka and MongoDB-wire server of scripts/devservices.

1. Throughput: N synthetic events are put on a fresh topic first, then one in-process
   worker (the same Projector `cinematch worker` runs) drains it into MongoDB;
   events/s = N / drain time.
2. Freshness: with `cinematch relay` and `cinematch worker` running as processes, one
   diary write at a time through DiaryService, then poll the user's statistics until the
   write shows; p50/p99 of write -> visible.

    scripts/devservices up kafka mongo
    python bench/kafka_worker.py [--events 50000] [--users 2000] [--writes 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import msgspec

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repository: tests.support
from probes import write_to_visible  # noqa: E402
from synthetic import events as synthetic_events  # noqa: E402

from cinematch.adapters.kafka import KafkaEventPublisher  # noqa: E402
from cinematch.adapters.mongo import migrate  # noqa: E402
from tests.support import drop_database, process_env, require_service, wired_services  # noqa: E402


async def throughput(data_dir: str, n_events: int, n_users: int) -> float:
    c = wired_services(data_dir, projection_batch_size=5000)
    await migrate(c.storage.mongo())
    cfg = c.config
    payloads = synthetic_events(n_events, n_users=n_users)
    keyed = [(msgspec.json.decode(p)["user_id"], p) for p in payloads]
    pub = KafkaEventPublisher(cfg.kafka_bootstrap_servers(), cfg.kafka_topic())
    await pub.start()
    for a in range(0, len(keyed), 5000):
        await pub.publish_raw(keyed[a:a + 5000])
    await pub.stop()
    runner = c.services.runner()
    await runner.source.start()
    t0 = time.perf_counter()
    while runner.totals.events + runner.totals.dead_letters < n_events:
        await runner.run_once(timeout=1.0)
    seconds = time.perf_counter() - t0
    await runner.source.stop()
    await drop_database(c)
    return n_events / seconds


async def freshness(data_dir: str, writes: int) -> list[float]:
    c = wired_services(data_dir)
    await migrate(c.storage.mongo())
    env = process_env(c)
    procs = [subprocess.Popen([sys.executable, "-m", "cinematch", cmd], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for cmd in ("worker", "relay")]
    try:
        return await write_to_visible(c, writes)
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)
        await drop_database(c)


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=50_000)
    ap.add_argument("--users", type=int, default=2_000)
    ap.add_argument("--writes", type=int, default=100)
    args = ap.parse_args()
    require_service("kafka")
    require_service("mongo")
    with tempfile.TemporaryDirectory() as d:
        rate = await throughput(d, args.events, args.users)
        print(f"topic -> MongoDB: {args.events} events, {args.users} users: {rate:,.0f} events/s")
        lat = await freshness(d, args.writes)
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        print(f"write -> visible with worker + relay running: p50 {statistics.median(lat) * 1000:.0f} ms, "
              f"p99 {p99 * 1000:.0f} ms over {len(lat)} writes")


if __name__ == "__main__":
    asyncio.run(main())
