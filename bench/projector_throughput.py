"""Events/s through the projection service itself: decode, fold, read the marks, build one
guarded write per document and apply it to a store, batch after batch.

    python bench/projector_throughput.py [--events 300000] [--batch 50000]

Run for each projector the wiring has (the embedded/kafka one owning every projection, and
the Spark runtime's statistics and trends projectors) on the in-memory stores, and for the
embedded projector on the embedded SQLite store. No broker, no server: what one core does
between a consumer's poll and its commit. (`projection_throughput.py` measures the fold
alone against the seed algorithm.)
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repository: tests.support

from synthetic import catalog, events  # noqa: E402

from cinematch.domain.ports import Record  # noqa: E402
from tests.support import wired  # noqa: E402


async def run(storage: str, projector: str, batches: list[list[Record]], data_dir: str) -> float:
    c = wired(storage, data_dir=data_dir, trends_prune_every_seconds=0)
    p = getattr(c.services, projector)()
    started = time.perf_counter()
    for batch in batches:
        await p.apply_records(batch)
    seconds = time.perf_counter() - started
    if storage == "sqlite":
        c.storage.db().close()
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=300_000)
    ap.add_argument("--batch", type=int, default=50_000, help="events per projection batch")
    args = ap.parse_args()
    raw = events(args.events, films=catalog())
    batches = [[Record(payload=p, partition=0, position=a + i) for i, p in enumerate(raw[a:a + args.batch])]
               for a in range(0, len(raw), args.batch)]
    gc.collect()
    gc.freeze()  # the generated input lives for the whole run
    runs = [("memory", "projector", "embedded/kafka projector (stats + affinities + trends)"),
            ("memory", "stats_projector", "Spark statistics projector (stats + affinities)"),
            ("memory", "trends_projector", "Spark trends projector (trend facts)"),
            ("sqlite", "projector", "embedded/kafka projector (stats + affinities + trends)")]
    for storage, projector, label in runs:
        with tempfile.TemporaryDirectory() as d:
            seconds = asyncio.run(run(storage, projector, batches, d))
        print(f"{label:55s} {storage:6s}: {len(raw) / seconds:>9,.0f} events/s ({seconds:.2f}s)")


if __name__ == "__main__":
    main()
