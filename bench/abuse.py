"""/health latency while one client abuses a real `cinematch serve` (embedded profile):
(a) imports 50,000 diary rows, (b) polls the statistics of that 50,000-entry diary,
(c) floods sign-ins from 4 clients; side by side with /health idle. Also the statistics
read's own latency at 50,000 entries. Goals: /health p99 <= 50 ms in every case, the
statistics read p99 <= 20 ms.

    python bench/abuse.py [--rows 50000] [--seconds 8]

Every loop is bounded by count and time, and talks only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time

import httpx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repository: tests.support
from probes import pct_ms as pct  # noqa: E402

from tests.support import serving  # noqa: E402

PASSWORD = "correct-horse-42"


async def health_probe(http: httpx.AsyncClient, stop: asyncio.Event, out: list[float], limit: int = 20_000) -> None:
    """GET /health one after another (20 per second) until `stop`."""
    while not stop.is_set() and len(out) < limit:
        t0 = time.perf_counter()
        r = await http.get("/health")
        assert r.status_code == 200
        out.append(time.perf_counter() - t0)
        await asyncio.sleep(0.05)


async def during(http: httpx.AsyncClient, load, seconds: float) -> list[float]:
    """/health latencies while `load(stop)` runs (it stops at `stop` or when done)."""
    stop = asyncio.Event()
    out: list[float] = []
    probe = asyncio.create_task(health_probe(http, stop, out))
    await asyncio.sleep(0.2)
    try:
        await asyncio.wait_for(load(stop), seconds + 120)
    finally:
        stop.set()
        await probe
    return out


async def sign_in(http: httpx.AsyncClient, name: str) -> dict:
    await http.post("/api/auth/register", json={"username": name, "password": PASSWORD})
    token = (await http.post("/api/auth/token", json={"username": name, "password": PASSWORD})).json()
    return {"Authorization": f"Bearer {token['access_token']}"}


async def run(base: str, rows: int, seconds: float) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http, \
            httpx.AsyncClient(base_url=base, timeout=60) as probe_http:
        idle = await during(probe_http, lambda stop: asyncio.sleep(seconds), seconds)
        h = await sign_in(http, "heavy")
        csv = "name,year,rating,date\n" + "".join(
            f"Film {i},{1950 + i % 70},{1 + i % 5},{2000 + i % 25}-{1 + i % 12:02d}-{1 + i % 28:02d}\n"
            for i in range(rows))
        report: dict = {}

        async def do_import(stop: asyncio.Event) -> None:
            t0 = time.perf_counter()
            r = await http.post("/api/movies/import", content=csv, headers={**h, "content-type": "text/csv"})
            report.update(r.json(), seconds=time.perf_counter() - t0)

        importing = await during(probe_http, do_import, seconds)
        t0 = time.perf_counter()
        while (await http.get("/api/me/stats", headers=h)).json()["sync"]["status"] != "synced":
            await asyncio.sleep(0.1)
            if time.perf_counter() - t0 > 300:
                raise RuntimeError("the import's statistics never synced")
        synced_after = time.perf_counter() - t0

        stats_lat: list[float] = []

        async def poll_stats(stop: asyncio.Event) -> None:
            end = time.monotonic() + seconds
            while time.monotonic() < end and len(stats_lat) < 100_000:
                t = time.perf_counter()
                r = await http.get("/api/me/stats", headers=h)
                assert r.json()["total_watched"] == rows
                stats_lat.append(time.perf_counter() - t)

        polling = await during(probe_http, poll_stats, seconds)

        flooders = [await sign_in(http, f"flood{i}") for i in range(4)]
        logins: list[float] = []

        async def flood(stop: asyncio.Event) -> None:
            end = time.monotonic() + seconds

            async def one(i: int) -> None:
                async with httpx.AsyncClient(base_url=base, timeout=60) as c:
                    while time.monotonic() < end and len(logins) < 100_000:
                        t = time.perf_counter()
                        r = await c.post("/api/auth/token", json={"username": f"flood{i}", "password": PASSWORD})
                        assert r.status_code == 200, r.text
                        logins.append(time.perf_counter() - t)
            await asyncio.gather(*(one(i) for i in range(len(flooders))))

        flooding = await during(probe_http, flood, seconds)

    print(f"import: {report.get('imported')} rows in {report['seconds']:.1f} s "
          f"({report.get('imported', 0) / report['seconds']:,.0f} rows/s), "
          f"statistics synced {synced_after:.1f} s later")
    print(f"{'/health while':<32} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, lat in (("idle", idle), (f"(a) importing {rows:,} rows", importing),
                      (f"(b) polling a {rows:,}-entry diary", polling), ("(c) 4 clients signing in", flooding)):
        print(f"{name:<32} {len(lat):>6} {pct(lat, .5):>8.1f} {pct(lat, .99):>8.1f} {pct(lat, 1):>8.1f}")
    print(f"statistics read at {rows:,} entries: n {len(stats_lat)}, p50 {pct(stats_lat, .5):.1f} ms, "
          f"p99 {pct(stats_lat, .99):.1f} ms")
    print(f"sign-in under the flood: n {len(logins)}, p50 {pct(logins, .5):.1f} ms, p99 {pct(logins, .99):.1f} ms")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--seconds", type=float, default=8.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as data, serving(data) as base:
        asyncio.run(run(base, args.rows, args.seconds))


if __name__ == "__main__":
    main()
