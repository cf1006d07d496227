"""Events/s folding synthetic events through the core vs the seeds' per-event algorithm.

    python bench/projection_throughput.py [--events 1000000]

Both sides start from the same JSON bytes and end with one aggregated update per
touched document (what a bulk write would send). Printed: events/s and the ratio.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

from seed_algorithm import process_partition_incremental  # noqa: E402
from synthetic import catalog, events  # noqa: E402

from cinematch.domain.ports import Record  # noqa: E402
from cinematch.services.columnar import fold_batch  # noqa: E402
from cinematch.services.projection import decode_records  # noqa: E402


def core(records: list[Record]) -> int:
    # The projection's fast path: decode + validate (bad events become dead letters),
    # then the vectorised fold to per-document arrays (stats per user, affinity per
    # (user, key), trend fact per entry).
    events, _dead = decode_records(records, "")
    return fold_batch(events).documents


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=50_000, help="events per projection batch")
    args = ap.parse_args()
    films = catalog()
    catalog_map = {f["title"]: f for f in films}
    t = time.perf_counter()
    raw = events(args.events, films=films)
    print(f"generated {len(raw):,} events in {time.perf_counter() - t:.1f}s "
          f"({len({r[r.index(b'user_id'):r.index(b'user_id') + 20] for r in raw[:1000]})} users in the first 1000)")

    batches = [raw[i:i + args.batch] for i in range(0, len(raw), args.batch)]
    # What a consumer hands the projection: the payload and its topic position.
    records = [[Record(payload=p, partition=0, position=i) for i, p in enumerate(b)] for b in batches]
    # The generated input lives for the whole run; keep the collector from
    # rescanning it on every collection (same for both sides).
    gc.collect()
    gc.freeze()
    # Batch by batch, the two sides in turn: the shared machine's speed drifts by ±15%
    # over a run, and alternating puts both sides under the same drift.
    seed_s = core_s = 0.0
    docs_seed = docs_core = 0
    # Each side's time includes freeing what the batch left behind (the seed's
    # dictionaries; the core's decoded events and arrays), as a long-running
    # consumer pays it.
    for raw_batch, record_batch in zip(batches, records):
        t = time.perf_counter()
        s, a = process_partition_incremental(raw_batch, catalog_map)
        docs_seed += len(s) + len(a)
        del s, a
        seed_s += time.perf_counter() - t
        t = time.perf_counter()
        docs_core += core(record_batch)
        core_s += time.perf_counter() - t

    seed_rate, core_rate = len(raw) / seed_s, len(raw) / core_s
    print(f"seed per-event algorithm : {seed_rate:>12,.0f} events/s  ({seed_s:.2f}s, {docs_seed:,} document updates)")
    print(f"cinematch core           : {core_rate:>12,.0f} events/s  ({core_s:.2f}s, {docs_core:,} document updates)")
    print(f"ratio                    : {core_rate / seed_rate:.2f}x")


if __name__ == "__main__":
    main()
