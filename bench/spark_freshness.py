"""Write -> visible statistics on the spark profile, at rest and while the trends query works
through a backlog: the real local stack (Kafka and the MongoDB-wire server of
scripts/services, `cinematch relay`, `cinematch spark stream` on local[2] with its default
triggers: statistics 1 s, trends 30 s). While the second set of writes is measured, another
client keeps importing 5,000-entry diaries, so every trends batch is a large one.
Goal (#23): p99 <= 2 s in both.

    scripts/services up kafka mongo spark
    python bench/spark_freshness.py [--writes 200] [--import-size 5000] [--fifo]

`--fifo` runs the arrangement before #23 for comparison: one FIFO scheduler and the trends sink
on as many tasks as there are shuffle partitions.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from probes import pct_ms, write_to_visible  # noqa: E402

from cinematch.adapters.memory import SystemClock  # noqa: E402
from cinematch.services.diary import NewEntry  # noqa: E402
from cinematch.testing import kafka_wiring, process_env, require_spark, spark_env  # noqa: E402


async def importer(container, size: int, stop: asyncio.Event) -> int:
    """Another client: 5,000-entry imports, one after the other, until `stop`."""
    diary, n = container.services.diary(), 0
    while not stop.is_set():
        user = f"importer{n}"
        for start in range(0, size, 1000):
            await diary.add_many(user, [NewEntry(name=f"Film {(start + k) % 3000}", rating=1 + k % 5,
                                                 date=f"2025-{1 + k % 12:02d}-01", genres=["Drama", "Comedy"][k % 2:],
                                                 director=f"Director {k % 50}", actors=[f"Actor {k % 90}"])
                                        for k in range(start, min(size, start + 1000))])
        n += 1
    return n


async def main(args: argparse.Namespace, data_dir: str) -> None:
    require_spark()
    async with kafka_wiring(data_dir, clock=SystemClock()) as c:
        extra = {"CINEMATCH_SPARK_TRENDS_PARALLELISM": "4"} if args.fifo else {}
        conf = ["--conf", "spark.scheduler.mode=FIFO"] if args.fifo else []
        env = spark_env(c, Path(data_dir) / "ckpt", **extra)
        log = open(Path(data_dir) / "spark.log", "wb")
        procs = [subprocess.Popen([sys.executable, "-m", "cinematch.cli", "spark", "stream", *conf], env=env,
                                  stdout=log, stderr=subprocess.STDOUT),
                 subprocess.Popen([sys.executable, "-m", "cinematch.cli", "relay"], env=process_env(c),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
        try:
            rest = await write_to_visible(c, args.writes, timeout=300)
            stop = asyncio.Event()
            imports = asyncio.create_task(importer(c, args.import_size, stop))
            await asyncio.sleep(5)  # the first import is in and its trends batch under way
            t0 = time.monotonic()
            busy = await write_to_visible(c, args.writes, warmup=0, timeout=300)
            stop.set()
            done = await imports
            seconds = time.monotonic() - t0
        finally:
            for p in procs:
                p.terminate()
                p.wait(90)
            log.close()
        stats_batches = slow_batches((Path(data_dir) / "spark.log").read_text(errors="replace"))
    arrangement = "FIFO, trends on every partition" if args.fifo else "FAIR pools, trends on the slots but one"
    print(f"spark stream (local[2]; {arrangement}), write -> visible statistics over {args.writes} writes each:")
    print(f"  at rest: p50 {pct_ms(rest, 0.5):,.0f} ms, p99 {pct_ms(rest, 0.99):,.0f} ms")
    print(f"  while {done} imports of {args.import_size:,} entries ran ({seconds:.0f} s): "
          f"p50 {pct_ms(busy, 0.5):,.0f} ms, p99 {pct_ms(busy, 0.99):,.0f} ms, max {max(busy) * 1000:,.0f} ms")
    if stats_batches:
        print(f"  statistics batches over their trigger: {len(stats_batches)}, "
              f"the longest {max(stats_batches):,.0f} ms")


def slow_batches(log: str) -> list[float]:
    """The statistics query's batches that took longer than its trigger (Spark warns of each)."""
    import re
    return [float(ms) for ms in re.findall(r"trigger interval is 1000 milliseconds, but spent (\d+) milliseconds", log)]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--import-size", type=int, default=5000)
    parser.add_argument("--fifo", action="store_true", help="the arrangement before #23, for comparison")
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(main(parser.parse_args(), tmp))
