"""A Letterboxd watchlist into a long diary, on the embedded store (SQLite) through the import
service: 2,540 watchlist rows (a real account's size) into a diary of 3,000 entries, the preview
and the import timed apart (goal: each under 1 s).

    python bench/watchlist_import.py [--rows 2540] [--entries 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repository
from cinematch.services.diary import NewEntry  # noqa: E402
from tests.support import wired  # noqa: E402


async def main(rows: int, entries: int) -> None:
    app = wired("sqlite", data_dir=tempfile.mkdtemp(prefix="cinematch-watchlist-"))
    await app.services.diary().add_many("u", [NewEntry(name=f"Seen {i}", year=1950 + i % 70, date="2024-01-01")
                                              for i in range(entries)])
    body = "Date,Name,Year,Letterboxd URI\r\n" + "".join(
        f"2024-02-01,Wanted {i},{1950 + i % 70},https://boxd.it/w{i}\r\n" for i in range(rows))
    imports = app.services.imports()
    for label, dry in (("preview", True), ("import", False)):
        start = time.perf_counter()
        report = await imports.import_file("u", body.encode(), filename="watchlist.csv", dry_run=dry)
        print(f"{label}: {report.watchlist} films to the watchlist in {time.perf_counter() - start:.2f} s "
              f"({rows} rows, a diary of {entries})")
    app.storage.db().close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2540)
    parser.add_argument("--entries", type=int, default=3000)
    args = parser.parse_args()
    asyncio.run(main(args.rows, args.entries))
