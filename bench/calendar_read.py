"""The calendar and the statistics of a 50,000-entry diary, read on the embedded store (SQLite)
through the service the API calls: p50 and p99 of each read (goal, #35: each ≤ 20 ms p99), and
the calendar's first read after a write (read from the diary again).

    python bench/calendar_read.py [--entries 50000] [--reads 200] [--writes 200]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repository
from cinematch.services.diary import NewEntry  # noqa: E402
from tests.support import wired  # noqa: E402
from probes import pct_ms  # noqa: E402  (bench/: the nearest-rank quantile the benches share)



async def main(entries: int, reads: int, writes: int) -> None:
    app = wired("sqlite", data_dir=tempfile.mkdtemp(prefix="cinematch-calendar-"))
    rnd = random.Random(7)
    start = dt.date(1990, 1, 1)
    diary = app.services.diary()
    for first in range(0, entries, 5000):
        await diary.add_many("u", [NewEntry(name=f"Film {rnd.randrange(20_000)}", rating=rnd.randint(1, 10) / 2,
                                            date=(start + dt.timedelta(days=rnd.randrange(12_000))).isoformat(),
                                            rewatch=rnd.random() < 0.1)
                                   for _ in range(min(5000, entries - first))])
    await app.services.runner().drain()
    queries = app.services.queries()
    for label, read in (("calendar", lambda: queries.calendar("u")),
                        ("calendar of a year", lambda: queries.calendar("u", 2010)),
                        ("statistics", lambda: queries.user_stats("u"))):
        await read()  # the first read of the statistics builds the view it keeps
        times = []
        for _ in range(reads):
            t = time.perf_counter()
            await read()
            times.append(time.perf_counter() - t)
        print(f"{label:<20} p50 {pct_ms(times, 0.5):6.1f} ms   p99 {pct_ms(times, 0.99):6.1f} ms   "
              f"({entries:,} entries, {reads} reads)")
    times = []
    for i in range(writes):  # the first read after a write: the calendar read from the diary again
        await diary.add("u", NewEntry(name=f"New {i}", date="2020-02-02"))
        t = time.perf_counter()
        await queries.calendar("u")
        times.append(time.perf_counter() - t)
    print(f"{'calendar, new write':<20} p50 {pct_ms(times, 0.5):6.1f} ms   p99 {pct_ms(times, 0.99):6.1f} ms   "
          f"(the first read after each of {writes} writes)")
    cal = await queries.calendar("u")
    print(f"{len(cal['days']):,} days, {len(cal['milestones'])} milestones, "
          f"longest streak {cal['longest_streak']['days']} days")
    app.storage.db().close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--reads", type=int, default=200)
    parser.add_argument("--writes", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.entries, args.reads, args.writes))
