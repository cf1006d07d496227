"""The projector's memory over a long run: 1,000,000 events, every film's credits new.

The fold remembers credits, profiles and affinity keys between batches (its `FoldCache`,
bounded by CINEMATCH_FOLD_CACHE_LIMIT, 200,000 by default). This runs the projection's own
decode + fold over batches of 5,000 events whose director and actors are never seen twice,
and prints the resident memory every 100,000 events: flat once the cache has filled to its
bound means the bound holds.

    python bench/fold_memory.py [--events 1000000] [--limit 200000]
"""

from __future__ import annotations

import argparse
import gc
import resource

import msgspec

from cinematch.domain.events import Event, Movie, encode_event
from cinematch.domain.ports import Record
from cinematch.services.projection.caches import LIMIT, FoldCache
from cinematch.services.projection import fold_batch
from cinematch.services.projection import decode_records

BATCH = 5000


def rss_mb() -> float:
    """Resident memory now (VmRSS), in MB."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def batch(start: int) -> list[Record]:
    """5,000 ADDs by 500 users, each of a film whose director and two actors are new."""
    events = [Event(event_type="ADD", user_id=f"u{k % 500}", entry_id=f"e{k}", seq=1 + k // 500,
                    movie=Movie(name=f"Film {k}", rating=1 + k % 5, date=f"20{10 + k % 15}-{1 + k % 12:02d}-01",
                                genres=("Drama", "Comedy")[: 1 + k % 2], director=f"Director {k}",
                                actors=f"Actor {k}a, Actor {k}b", duration=90 + k % 60))
              for k in range(start, start + BATCH)]
    return [Record(payload=encode_event(e), position=i, partition=0) for i, e in enumerate(events)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--limit", type=int, default=LIMIT)
    args = parser.parse_args()
    cache = FoldCache(limit=args.limit)
    marks: list[tuple[int, float]] = []
    documents = 0
    for start in range(0, args.events, BATCH):
        decoded, dead = decode_records(batch(start), "", cache)
        assert not dead
        documents += fold_batch(decoded.events, cache=cache, columns=decoded.columns).documents
        del decoded
        done = start + BATCH
        if done % 100_000 == 0:
            gc.collect()
            marks.append((done, rss_mb()))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    settled = [mb for _, mb in marks[1:]]  # once the cache has filled to its bound and started over
    print(f"fold memory, {args.events:,} events with distinct credits (cache limit {args.limit:,}):")
    print("  RSS after " + ", ".join(f"{n // 1000:,}k: {mb:,.0f} MB" for n, mb in marks))
    print(f"  from {marks[1][0]:,} events to the end: {min(settled):,.0f}-{max(settled):,.0f} MB "
          f"(first {settled[0]:,.0f}, last {settled[-1]:,.0f}); peak {peak:,.0f} MB; "
          f"cache now {msgspec.json.encode(cache.sizes()).decode()}; {documents:,} documents")


if __name__ == "__main__":
    main()
