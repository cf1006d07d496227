"""A film page's instance line (GET /api/films/{id} "instance") on the embedded store (SQLite):
p50 and p99 of the read through the service the API calls, at `--users` diaries of `--entries`
entries over `--films` catalog films; beside it, what the line cost before it was kept with the
entries (every diary read, as session 18's `FilmService` did on each minute's first page view).

    python bench/film_audience.py [--users 200] [--entries 500] [--films 2000] [--reads 500]
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
from cinematch.domain import DiaryEntry, Event  # noqa: E402
from cinematch.domain.ports import DiaryChange  # noqa: E402
from tests.support import wired  # noqa: E402
from probes import pct_ms  # noqa: E402  (bench/: the nearest-rank quantile the benches share)



async def main(users: int, entries: int, films: int, reads: int) -> None:
    app = wired("sqlite", data_dir=tempfile.mkdtemp(prefix="cinematch-audience-"))
    rnd, diary = random.Random(11), app.storage.diary()
    for u in range(users):
        user = f"u{u}"
        puts = [DiaryEntry(id=f"e{i}", user_id=user, name="F", date=(dt.date(2000, 1, 1) + dt.timedelta(i)).isoformat(),
                           added_at="2025-01-01T00:00:00+00:00", catalog_id=f"tt{rnd.randrange(films):07d}",
                           rating=rnd.choice([None, 2.5, 4.0]), private=rnd.random() < 0.05) for i in range(entries)]
        await diary.write(user, [DiaryChange(event=Event(event_type="ADD", user_id=user, entry_id=e.id), put=e)
                                 for e in puts])
    films_service = app.services.films()
    times = []
    for _ in range(reads):
        film = f"tt{rnd.randrange(films):07d}"
        t = time.perf_counter()
        await films_service.instance(film)
        times.append(time.perf_counter() - t)
    print(f"instance line, kept with the entries: p50 {pct_ms(times, 0.5):6.2f} ms   "
          f"p99 {pct_ms(times, 0.99):6.2f} ms   "
          f"({users} diaries x {entries} entries, {films} films, {reads} reads)")
    t = time.perf_counter()
    for user in await diary.user_ids():
        await diary.snapshot(user)
    print(f"every diary read (the line before, once a minute): {(time.perf_counter() - t) * 1000:8.1f} ms")
    app.storage.db().close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--entries", type=int, default=500)
    parser.add_argument("--films", type=int, default=2000)
    parser.add_argument("--reads", type=int, default=500)
    args = parser.parse_args()
    asyncio.run(main(args.users, args.entries, args.films, args.reads))
