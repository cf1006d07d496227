"""Write -> visible statistics on the spark profile, at rest and while the trends query works
through a backlog: the real local stack (Kafka and the MongoDB-wire server of
scripts/devservices, `cinematch relay`, `cinematch spark stream` on local[2] with its default
triggers: statistics 0.5 s, trends 30 s). While the second set of writes is measured, another
client (a process of its own) keeps importing 5,000-entry diaries, so every trends batch is a
large one. The bench also says where the time goes: write -> in Kafka (the relay) and in
Kafka -> visible (the job), from each event's Kafka record time.
Goal (#23): p99 <= 2 s in both.

    scripts/devservices up kafka mongo spark
    python bench/spark_freshness.py [--writes 200] [--import-size 5000] [--fifo]

`--fifo` runs the arrangement before #23 for comparison: one FIFO scheduler and the trends sink
on as many tasks as there are shuffle partitions.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repository: tests.support
from probes import pct_ms, write_to_visible  # noqa: E402

from cinematch.adapters.clock import SystemClock  # noqa: E402
from cinematch.services.diary import NewEntry  # noqa: E402
from tests.support import kafka_wiring, process_env, require_spark, spark_env  # noqa: E402


async def importer(size: int) -> None:
    """Another client, a process of its own (wired from the environment): 5,000-entry
    imports one after the other until terminated, a line on stdout after each."""
    from cinematch.container import build_container
    from cinematch.settings import load_settings
    diary, n = build_container(load_settings()).services.diary(), 0
    while True:
        user = f"importer{n}"
        for start in range(0, size, 1000):
            await diary.add_many(user, [NewEntry(name=f"Film {(start + k) % 3000}", rating=1 + k % 5,
                                                 date=f"2025-{1 + k % 12:02d}-01", genres=["Drama", "Comedy"][k % 2:],
                                                 director=f"Director {k % 50}", actors=[f"Actor {k % 90}"])
                                        for k in range(start, min(size, start + 1000))])
        n += 1
        print(n, flush=True)


async def main(args: argparse.Namespace, data_dir: str) -> None:
    require_spark()
    async with kafka_wiring(data_dir, clock=SystemClock()) as c:
        extra = {"CINEMATCH_SPARK_TRENDS_PARALLELISM": "4"} if args.fifo else {}
        conf = ["--conf", "spark.scheduler.mode=FIFO"] if args.fifo else []
        env = spark_env(c, Path(data_dir) / "ckpt", **extra)
        log = open(Path(data_dir) / "spark.log", "wb")
        procs = [subprocess.Popen([sys.executable, "-m", "cinematch", "spark", "stream", *conf], env=env,
                                  stdout=log, stderr=subprocess.STDOUT),
                 subprocess.Popen([sys.executable, "-m", "cinematch", "relay"], env=process_env(c),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
        try:
            rest = await write_to_visible(c, args.writes, timeout=300)
            client = subprocess.Popen([sys.executable, __file__, "--import-client", str(args.import_size)],
                                      env=process_env(c), stdout=subprocess.PIPE, text=True)
            await asyncio.sleep(5)  # the first import is in and its trends batch under way
            t0 = time.monotonic()
            trace: list = []
            busy = await write_to_visible(c, args.writes, warmup=0, timeout=300, trace=trace)
            seconds = time.monotonic() - t0
            client.terminate()
            done = len(client.communicate(timeout=60)[0].split())
        finally:
            for p in procs:
                p.terminate()
                p.wait(90)
            log.close()
        spark_log = (Path(data_dir) / "spark.log").read_text(errors="replace")
        if args.log:
            Path(args.log).write_text(spark_log)
        stats_batches = slow_batches(spark_log)
        sent = await sent_at(c, {user for user, *_ in trace})
    arrangement = "FIFO, trends on every partition" if args.fifo else "FAIR pools, trends on the slots but one"
    print(f"spark stream (local[2]; {arrangement}), write -> visible statistics over {args.writes} writes each:")
    print(f"  at rest: p50 {pct_ms(rest, 0.5):,.0f} ms, p99 {pct_ms(rest, 0.99):,.0f} ms")
    print(f"  while {done} imports of {args.import_size:,} entries ran ({seconds:.0f} s): "
          f"p50 {pct_ms(busy, 0.5):,.0f} ms, p99 {pct_ms(busy, 0.99):,.0f} ms, max {max(busy) * 1000:,.0f} ms")
    if trace:
        relay = [sent[(u, seq)] - w for u, seq, w, _ in trace if (u, seq) in sent]
        spark = [v - sent[(u, seq)] for u, seq, _, v in trace if (u, seq) in sent]
        print(f"    of which write -> in Kafka (the relay): p50 {pct_ms(relay, 0.5):,.0f} ms, "
              f"p99 {pct_ms(relay, 0.99):,.0f} ms; in Kafka -> visible (the job): p50 {pct_ms(spark, 0.5):,.0f} ms, "
              f"p99 {pct_ms(spark, 0.99):,.0f} ms")
        slowest = sorted(trace, key=lambda t: t[2] - t[3])[:5]
        print("    the slowest writes (relay, job) ms: " + ", ".join(
            f"({(sent.get((u, s), w) - w) * 1000:,.0f}, {(v - sent.get((u, s), w)) * 1000:,.0f})"
            for u, s, w, v in slowest))
    tasks = stats_tasks(spark_log)
    if tasks:
        single = [ms / 1000 for events, ms in tasks if events == 1]
        print(f"  statistics tasks' own time (decode, fold, writes): {len(single)} of one event p50 "
              f"{pct_ms(single, 0.5):,.0f} ms, p99 {pct_ms(single, 0.99):,.0f} ms; "
              f"the longest of all {max(ms for _, ms in tasks):,} ms")
    if stats_batches:
        longest = max(ms for ms, _ in stats_batches)
        phases: dict[str, float] = {}
        for _, batch in stats_batches:
            for phase, ms in batch.items():
                phases[phase] = phases.get(phase, 0) + ms / len(stats_batches)
        print(f"  statistics batches over their trigger: {len(stats_batches)}, the longest {longest:,.0f} ms; "
              "their mean phases (ms): " + ", ".join(f"{k} {v:,.0f}" for k, v in sorted(phases.items(),
                                                                                     key=lambda kv: -kv[1])))


async def sent_at(container, users: set[str]) -> dict[tuple[str, int], float]:
    """When each of `users`' events reached Kafka: its record's CreateTime (the relay's send), wall seconds."""
    from aiokafka import AIOKafkaConsumer

    from cinematch.domain.events import decode_event
    cfg = container.config
    consumer = AIOKafkaConsumer(cfg.kafka_topic(), bootstrap_servers=cfg.kafka_bootstrap_servers(),
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    out: dict[tuple[str, int], float] = {}
    try:
        while batch := await consumer.getmany(timeout_ms=2000, max_records=10000):
            for records in batch.values():
                for r in records:
                    if r.key and r.key.decode() in users:
                        e = decode_event(r.value)
                        out[(e.user_id, e.seq)] = r.timestamp / 1000
    finally:
        await consumer.stop()
    return out


def stats_tasks(log: str) -> list[tuple[int, int]]:
    """(events, the tasks' own milliseconds) of each statistics batch (the job logs each)."""
    import re
    found = re.findall(r"user-stats batch \d+: \{'events': (\d+),.*'task_ms': (\d+)\}", log)
    return [(int(n), int(ms)) for n, ms in found]


def slow_batches(log: str) -> list[tuple[float, dict[str, float]]]:
    """The statistics query's batches that outran its trigger, with their phases (the job logs each)."""
    import ast
    import re
    return [(float(ms), ast.literal_eval(phases))
            for ms, phases in re.findall(r"user-stats batch \d+ took (\d+) ms: (\{.*\})", log)]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--import-size", type=int, default=5000)
    parser.add_argument("--fifo", action="store_true", help="the arrangement before #23, for comparison")
    parser.add_argument("--log", metavar="FILE", help="keep the Spark job's log there")
    parser.add_argument("--import-client", type=int, metavar="SIZE", help=argparse.SUPPRESS)  # the other client
    parsed = parser.parse_args()
    if parsed.import_client:
        asyncio.run(importer(parsed.import_client))
        raise SystemExit(0)
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(main(parsed, tmp))
