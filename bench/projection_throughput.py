"""Events/s folding synthetic events through the core vs the seeds' per-event algorithm.

    python bench/projection_throughput.py [--events 1000000]

Both sides start from the same JSON bytes and end with one aggregated update per
touched document (what a bulk write would send). Printed: events/s and the ratio, for
the core's whole fold (statistics, affinities and one trend fact per entry: what the
embedded runtime and the Kafka worker fold) and for the seed's own outputs only
(statistics and affinities: what the Spark statistics query folds, as the seed's
function did in its statistics stream). Before timing, both sides fold the first batch
and their statistics and affinities are compared: the run stops if they differ.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

from seed_algorithm import process_partition_all, process_partition_incremental  # noqa: E402
from synthetic import catalog, events  # noqa: E402

from cinematch.domain.ports import Record  # noqa: E402
from cinematch.services.projection.caches import FoldCache  # noqa: E402
from cinematch.services.projection import fold_batch  # noqa: E402
from cinematch.services.projection import decode_records  # noqa: E402


def core(records: list[Record], cache: FoldCache, facts: bool = True) -> int:
    # The projection's fast path: decode + validate (bad events become dead letters),
    # then the vectorised fold to per-document arrays (stats per user, affinity per
    # (user, key), trend fact per entry unless `facts` is False), with the projector's
    # cache kept from batch to batch as a running projector keeps it.
    decoded, _dead = decode_records(records, "", cache, entries=facts)
    return fold_batch(decoded.events, cache=cache, columns=decoded.columns, facts=facts).documents


def same_outputs(raw_batch: list[bytes], records: list[Record], catalog_map: dict) -> None:
    """The seed's and the core's statistics and affinities of one batch, compared (SystemExit if they differ).

    One known defect of the seed is accounted for: an UPDATE_RATING whose old and new rating
    are equal adds one to that rating's count (its `{old: -1, new: +1}` dictionary keeps only
    the +1); the core leaves the distribution as it is."""
    seed_stats, seed_aff = process_partition_all(raw_batch, catalog_map)
    cache = FoldCache()
    decoded = decode_records(records, "", cache)[0]
    batch = fold_batch(decoded.events, cache=cache, columns=decoded.columns)
    seed_defect: dict[tuple[str, int], int] = {}
    for event in map(json.loads, raw_batch):
        movie = event["movie"]
        if event["event_type"] == "UPDATE_RATING" and movie["old_rating"] == movie["new_rating"]:
            key = (event["user_id"], movie["new_rating"])
            seed_defect[key] = seed_defect.get(key, 0) + 1
    ours_stats, theirs_stats = {}, {}
    for i, (user, monthly) in enumerate(zip(batch.users, batch.monthly_by_user())):
        # Ours counts in half stars (slot h - 1 holds rating h / 2); the seed's ratings are whole stars.
        fields = {"total_watched": batch.total[i], "sum_ratings": batch.halves[i] / 2,
                  "watch_time_minutes": batch.watch_time[i],
                  **{f"rating_distribution.{(h + 1) // 2}": n + seed_defect.get((user, (h + 1) // 2), 0)
                     for h, n in enumerate(batch.dist[i]) if h % 2 == 1},
                  **{f"monthly_counts.{m[:4]}.{m[5:]}": n for m, n in monthly.items()}}
        ours_stats[user] = {k: int(v) for k, v in fields.items() if v}
    for user, fields in seed_stats.items():
        theirs_stats[user] = {k: v for k, v in fields.items() if v}
    rows = batch.aff
    ours_aff = {i: (c, s / 2) for i, c, s in zip(batch.affinity_ids(), rows.watched.tolist(), rows.halves.tolist())}
    theirs_aff = {i: (a["count"], a["sum_voti"]) for i, a in seed_aff.items()}
    if ours_stats != theirs_stats or ours_aff != theirs_aff:
        raise SystemExit("the seed algorithm and the core disagree on the first batch")
    print(f"same outputs on the first batch: {len(ours_stats):,} users, {len(ours_aff):,} affinities "
          f"({sum(seed_defect.values())} rating changes to the same rating, miscounted by the seed, accounted for)")


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
    same_outputs(batches[0], records[0], catalog_map)
    # The generated input lives for the whole run; keep the collector from
    # rescanning it on every collection (same for both sides).
    gc.collect()
    gc.freeze()
    # Batch by batch, the sides in turn: the shared machine's speed drifts by ±15%
    # over a run, and alternating puts every side under the same drift.
    seed_s = all_s = core_s = part_s = 0.0
    caches = {True: FoldCache(), False: FoldCache()}  # one projector's each
    docs_seed = docs_all = docs_core = docs_part = 0
    # Each side's time includes freeing what the batch left behind (the seed's
    # dictionaries; the core's decoded events and arrays), as a long-running
    # consumer pays it.
    for n, (raw_batch, record_batch) in enumerate(zip(batches, records)):
        t = time.perf_counter()
        s, a = process_partition_incremental(raw_batch, catalog_map)
        docs_seed += len(s) + len(a)
        del s, a
        seed_s += time.perf_counter() - t
        t = time.perf_counter()
        s, a = process_partition_all(raw_batch, catalog_map)
        docs_all += len(s) + len(a)
        del s, a
        all_s += time.perf_counter() - t
        # The two core sides take turns going first after the seed's batch.
        for facts in ((True, False) if n % 2 == 0 else (False, True)):
            t = time.perf_counter()
            docs = core(record_batch, caches[facts], facts)
            if facts:
                docs_core, core_s = docs_core + docs, core_s + time.perf_counter() - t
            else:
                docs_part, part_s = docs_part + docs, part_s + time.perf_counter() - t

    seed_rate, core_rate, part_rate = len(raw) / seed_s, len(raw) / core_s, len(raw) / part_s
    all_rate = len(raw) / all_s
    print(f"seed per-event algorithm : {seed_rate:>12,.0f} events/s  ({seed_s:.2f}s, {docs_seed:,} document updates: "
          "its own three breakdowns)")
    print(f"the same, every breakdown: {all_rate:>12,.0f} events/s  ({all_s:.2f}s, {docs_all:,} document updates: "
          "the core's)")
    print(f"cinematch core           : {core_rate:>12,.0f} events/s  ({core_s:.2f}s, {docs_core:,} document updates)")
    print(f"ratio to the seed        : {core_rate / seed_rate:.2f}x  (like for like: {core_rate / all_rate:.2f}x)")
    print(f"core, without trend facts: {part_rate:>12,.0f} events/s  ({part_s:.2f}s, {docs_part:,} document updates:"
          " statistics and affinities)")
    print(f"ratio to the seed        : {part_rate / seed_rate:.2f}x  (like for like: {part_rate / all_rate:.2f}x)")


if __name__ == "__main__":
    main()
