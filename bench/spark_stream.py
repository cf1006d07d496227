"""The Spark runtime on the real Kafka and MongoDB-wire server of scripts/devservices.

1. Throughput: N synthetic events (skewed users, 10k films) are put on a fresh topic, then
   `cinematch spark stream --once` (local[2]) drains the backlog; events/s = N / the time
   from the queries' start to the end (JVM start-up and the trends bootstrap not counted,
   they are printed apart). `--storage memory` runs the same job with the executors
   writing to in-memory stores: the Spark job and the core without a database.
2. Freshness: `cinematch relay` and `cinematch spark stream` (1 s trigger) running, one
   diary write at a time through DiaryService; p50/p99 of write -> visible statistics.
3. Reconcile: diaries holding `--diary-entries` entries are stored, then
   `cinematch spark reconcile` recomputes them (shadow collections, diff); its time.

    scripts/devservices up kafka mongo spark
    python bench/spark_stream.py [--events 1000000] [--users 20000] [--writes 100] [--diary-entries 1000000]
    (any phase can be skipped with 0)
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import re
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
from synthetic import catalog  # noqa: E402
from synthetic import events as synthetic_events

from cinematch.adapters.clock import SystemClock  # noqa: E402
from cinematch.adapters.kafka import KafkaEventPublisher  # noqa: E402
from cinematch.adapters.mongo import migrate  # noqa: E402
from cinematch.adapters.mongo._base import entry_field  # noqa: E402
from tests.support import drop_database, process_env, require_service, require_spark, spark_env, wired_services  # noqa: E402

MAX_DIARY = 20_000
STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) .*queries started")


def _log_time(line: str) -> float:
    return dt.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()


async def throughput(data_dir: str, n_events: int, n_users: int, storage: str) -> None:
    c = wired_services(data_dir)
    await migrate(c.storage.mongo())
    payloads = synthetic_events(n_events, n_users=n_users)
    keyed = [(msgspec.json.decode(p)["user_id"], p) for p in payloads]
    pub = KafkaEventPublisher(c.config.kafka_bootstrap_servers(), c.config.kafka_topic())
    await pub.start()
    for a in range(0, len(keyed), 20_000):
        await pub.publish_raw(keyed[a:a + 20_000])
    await pub.stop()
    env = spark_env(c, Path(data_dir) / f"ckpt-{time.time()}", CINEMATCH_STORAGE=storage)
    t0 = time.time()
    done = subprocess.run([sys.executable, "-m", "cinematch", "spark", "stream", "--once"], env=env,
                          capture_output=True, text=True)
    t1 = time.time()
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    started = [_log_time(line) for line in done.stderr.splitlines() if STAMP.match(line)][0]
    docs = 0
    if storage == "mongo":
        db = c.storage.mongo().db
        docs = sum([await db[n].count_documents({}) for n in ("user_stats", "user_affinities", "trend_facts")])
    await drop_database(c)
    print(f"spark stream --once, {n_events:,} events, {n_users:,} users, storage={storage}: "
          f"{n_events / (t1 - started):,.0f} events/s ({t1 - started:.1f} s from the queries' start; "
          f"{started - t0:.1f} s start-up before it){f', {docs:,} documents written' if docs else ''}")


async def freshness(data_dir: str, writes: int) -> None:
    c = wired_services(data_dir, clock=SystemClock())
    await migrate(c.storage.mongo())
    env = spark_env(c, Path(data_dir) / f"ckpt-fresh-{time.time()}")
    procs = [subprocess.Popen([sys.executable, "-m", "cinematch", *cmd], env=e, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
             for cmd, e in ((["spark", "stream", "--trigger", "1"], env), (["relay"], process_env(c)))]
    try:
        lat = await write_to_visible(c, writes, timeout=180)
    finally:
        for p in procs:
            p.terminate()
            p.wait(60)
        await drop_database(c)
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    print(f"write -> visible, relay + spark stream (1 s trigger): p50 {statistics.median(lat) * 1000:.0f} ms, "
          f"p99 {p99 * 1000:.0f} ms over {len(lat)} writes")


async def reconcile(data_dir: str, n_entries: int, n_users: int) -> None:
    """Diaries stored as documents (the diary store's own layout), then reconcile."""
    c = wired_services(data_dir)
    await migrate(c.storage.mongo())
    films = catalog()
    per_user: dict[str, dict] = {}
    now = dt.datetime.now(dt.timezone.utc).isoformat()
    entries = 0
    # The ADDs of the synthetic stream; a diary is one document (16 MB: about 25,000 entries),
    # so the heaviest users of the skewed stream stop at MAX_DIARY.
    for payload in synthetic_events(int(n_entries * 1.6), n_users=n_users, films=films):
        e = msgspec.json.decode(payload)
        if e["event_type"] != "ADD" or entries >= n_entries:
            continue
        m = e["movie"]
        doc = per_user.setdefault(e["user_id"], {"_id": e["user_id"], "seq": 0, "n": 0, "entries": {}, "outbox": []})
        if doc["n"] >= MAX_DIARY:
            continue
        entries += 1
        doc["seq"] += 1
        doc["n"] += 1
        doc["entries"][entry_field(e["entry_id"])] = {
            "id": e["entry_id"], "user_id": e["user_id"], "name": m["name"], "title": m["title"], "year": m["year"],
            "rating": m["rating"], "date": m["date"], "genres": m["genres"], "director": m["director"],
            "actors": m["actors"], "duration": m["duration"], "added_at": now, "seq": doc["seq"]}
    diaries = c.storage.mongo().db.diaries
    docs = list(per_user.values())
    for doc in docs:
        await diaries.insert_one(doc)
    env = spark_env(c, Path(data_dir) / "ckpt-reconcile")
    t0 = time.time()
    done = subprocess.run([sys.executable, "-m", "cinematch", "spark", "reconcile"], env=env,
                          capture_output=True, text=True)
    seconds = time.time() - t0
    await drop_database(c)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"spark reconcile, {entries:,} diary entries, {len(docs):,} users: {seconds:.1f} s wall "
          f"({report['seconds']:.1f} s in the job; {report['behind']:,} users behind, nothing projected yet)")


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--users", type=int, default=20_000)
    ap.add_argument("--storage", choices=["mongo", "memory"], default="mongo")
    ap.add_argument("--writes", type=int, default=100)
    ap.add_argument("--diary-entries", type=int, default=1_000_000)
    args = ap.parse_args()
    require_service("kafka")
    require_service("mongo")
    require_spark()
    with tempfile.TemporaryDirectory() as d:
        if args.events:
            await throughput(d, args.events, args.users, args.storage)
        if args.writes:
            await freshness(d, args.writes)
        if args.diary_entries:
            await reconcile(d, args.diary_entries, args.users)


if __name__ == "__main__":
    asyncio.run(main())
