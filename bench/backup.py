"""`cinematch backup` of a 1 GB embedded store while a server writes to it: the backup's time
and rate, and the p50/p99 of diary writes through a real `cinematch serve` meanwhile (the
same writes measured before the backup, for comparison).

    python bench/backup.py [--data DIR] [--gb 1.0]

Without --data, a store of about --gb gigabytes is made first in a temporary folder (synthetic
catalog films, which is what makes a real store large); --data reuses a data directory, e.g.
the one `python bench/imdb_catalog.py --data DIR` kept.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repository: tests.support
import httpx  # noqa: E402
from probes import pct_ms  # noqa: E402

PASSWORD = "correct-horse-42"


def make_store(data: Path, gb: float) -> None:
    from cinematch.domain.catalog import catalog_movie
    from tests.support import wired
    catalog = wired("sqlite", data_dir=data).storage.catalog()
    db = data / "cinematch.db"
    n = 0
    while not db.exists() or db.stat().st_size < gb * 1e9:
        films = [catalog_movie(id=f"tt{n + i:08d}", title=f"Film number {n + i} of the night", year=1950 + i % 70,
                               genres=["Drama", "Comedy"], director=[f"Director {i % 5000}"],
                               actors=[f"Actor {(i * 7 + k) % 90000}" for k in range(5)], duration=90 + i % 60,
                               akas=[f"Another title {n + i} {k}" for k in range(3)], votes=i)
                 for i in range(20_000)]
        asyncio.run(catalog.upsert(films))
        n += len(films)
    print(f"store: {n:,} films, {db.stat().st_size / 1e9:.2f} GB")


def writes(base: str, headers: dict, stop: threading.Event, out: list[float]) -> None:
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        k = 0
        while not stop.is_set():
            t0 = time.perf_counter()
            r = client.post("/api/movies", json={"name": f"Bench {k}", "rating": 3.5})
            out.append(time.perf_counter() - t0)
            assert r.status_code == 201, r.text
            k += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="an existing data directory to back up")
    parser.add_argument("--gb", type=float, default=1.0, help="size of the store to make (without --data)")
    args = parser.parse_args()
    from tests.support import serving
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(args.data) if args.data else Path(tmp) / "data"
        if not args.data:
            make_store(data, args.gb)
        size = (data / "cinematch.db").stat().st_size
        with serving(data) as base:
            httpx.post(f"{base}/api/auth/register", json={"username": "bench", "password": PASSWORD})
            token = httpx.post(f"{base}/api/auth/token", json={"username": "bench", "password": PASSWORD}).json()
            headers = {"Authorization": f"Bearer {token['access_token']}"}
            for phase in ("before", "during"):
                stop, lat = threading.Event(), []
                writer = threading.Thread(target=writes, args=(base, headers, stop, lat))
                writer.start()
                t0 = time.perf_counter()
                if phase == "before":
                    time.sleep(5)
                else:
                    run = subprocess.run([sys.executable, "-m", "cinematch", "backup", str(Path(tmp) / "b.db")],
                                         env={**os.environ, "CINEMATCH_DATA_DIR": str(data)},
                                         capture_output=True, text=True)
                    seconds = time.perf_counter() - t0
                    if run.returncode:
                        raise SystemExit(run.stderr)
                stop.set()
                writer.join()
                print(f"diary writes {phase} the backup: {len(lat)} writes, p50 {pct_ms(lat, 0.5):.1f} ms, "
                      f"p99 {pct_ms(lat, 0.99):.1f} ms")
        report = json.loads(run.stdout)
        print(f"backup: {size / 1e9:.2f} GB in {seconds:.1f} s ({size / 1e6 / seconds:,.0f} MB/s), "
              f"{report['entries']:,} entries in the snapshot")


if __name__ == "__main__":
    main()
