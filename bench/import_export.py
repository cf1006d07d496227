"""Import and export at scale against a real `cinematch serve` (embedded profile): a
100,000-row Letterboxd diary.csv imported in one upload, then the JSON backup of that diary
exported; rows per second of each, the statistics read all time and for one year after a
change, the server's resident memory (now and peak) before and after, and /health latency
while each runs (and while the statistics catch up with the import, before the export starts).
Goals (#19, #32): import >= 20,000 rows/s, memory flat (the peak grows with the upload, not beyond),
/health p99 <= 50 ms.

    python bench/import_export.py [--rows 100000]

Talks only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repository: tests.support
from abuse import during, sign_in  # noqa: E402
from probes import pct_ms as pct  # noqa: E402

from tests.support import server_pid, serving  # noqa: E402


def letterboxd_diary(rows: int, seed: int = 7) -> bytes:
    """A diary.csv shaped like Letterboxd's: CRLF, its header, half stars, unrated rows, rewatches, tags."""
    rnd = random.Random(seed)
    lines = ["Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date"]
    for i in range(rows):
        day = f"{rnd.randint(2005, 2025)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
        rating = rnd.choice(["", "0.5", "1", "1.5", "2", "2.5", "3", "3.5", "4", "4.5", "5"])
        lines.append(f"{day},Film {i % 20000},{1950 + i % 70},https://boxd.it/{i:x},{rating},"
                     f"{'Yes' if i % 9 == 0 else ''},{'cinema' if i % 4 == 0 else ''},{day}")
    return ("\r\n".join(lines) + "\r\n").encode()


def server_memory(base: str) -> tuple[float, float]:
    """(resident, peak resident) MB of the `cinematch serve` at `base` (from /proc)."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{server_pid(base)}/status").read_text().splitlines()
                  if ":" in line)
    return int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024


async def main(rows: int) -> None:
    body = letterboxd_diary(rows)
    with tempfile.TemporaryDirectory() as data, serving(data) as base:
        async with httpx.AsyncClient(base_url=base, timeout=600) as http:
            h = await sign_in(http, "bench")
            idle, idle_peak = server_memory(base)
            timing: dict[str, float] = {}

            async def imported(stop: asyncio.Event) -> None:
                t0 = time.perf_counter()
                r = await http.post("/api/movies/import", content=body, headers={**h, "content-type": "text/csv"})
                timing["import"] = time.perf_counter() - t0
                report = r.json()
                assert r.status_code == 200 and report["imported"] == rows, report

            health_import = await during(http, imported, 300)
            after_import, peak_import = server_memory(base)

            async def caught_up(stop: asyncio.Event) -> None:  # the projection folds what was imported
                t0 = time.perf_counter()
                while (await http.get("/api/me/stats", headers=h)).json()["sync"]["status"] != "synced":
                    await asyncio.sleep(0.05)
                timing["catch_up"] = time.perf_counter() - t0

            health_catch_up = await during(http, caught_up, 300)

            async def exported(stop: asyncio.Event) -> None:
                t0 = time.perf_counter()
                r = await http.get("/api/me/export?format=json", headers=h)
                timing["export"] = time.perf_counter() - t0
                timing["export_bytes"] = len(r.content)
                assert r.status_code == 200

            health_export = await during(http, exported, 300)
            after_export, peak_export = server_memory(base)
            reads = {}
            for label, path in (("all time", "/api/me/stats"), ("year in review", "/api/me/stats?year=2015")):
                lat = []
                for k in range(60):
                    if k % 20 == 0:  # a change: the next read rebuilds (the projection first catches up)
                        await http.post("/api/movies", json={"name": f"Bench {k}", "date": "2015-06-01"}, headers=h)
                        while (await http.get("/api/me/stats", headers=h)).json()["sync"]["status"] != "synced":
                            await asyncio.sleep(0.05)
                    t0 = time.perf_counter()
                    assert (await http.get(path, headers=h)).status_code == 200
                    lat.append(time.perf_counter() - t0)
                reads[label] = lat
    print(f"upload: {rows:,} rows, {len(body) / 1e6:.1f} MB")
    print(f"import: {rows / timing['import']:,.0f} rows/s ({timing['import']:.1f} s); "
          f"/health p50 {pct(health_import, 0.5):.1f} ms, p99 {pct(health_import, 0.99):.1f} ms "
          f"({len(health_import)} probes)")
    print(f"the statistics caught up {timing['catch_up']:.1f} s after the import's answer; /health meanwhile p50 "
          f"{pct(health_catch_up, 0.5):.1f} ms, p99 {pct(health_catch_up, 0.99):.1f} ms "
          f"({len(health_catch_up)} probes)")
    print(f"export (JSON backup, {timing['export_bytes'] / 1e6:.1f} MB): {rows / timing['export']:,.0f} rows/s "
          f"({timing['export']:.2f} s); /health p50 {pct(health_export, 0.5):.1f} ms, "
          f"p99 {pct(health_export, 0.99):.1f} ms ({len(health_export)} probes)")
    for label, lat in reads.items():
        print(f"GET statistics, {label}, {rows:,}-entry diary: p50 {pct(lat, 0.5):.1f} ms, p99 {pct(lat, 0.99):.1f} ms "
              f"(the first read after each of 3 changes included)")
    print(f"server memory MB (resident / peak): idle {idle:.0f} / {idle_peak:.0f}, after the import "
          f"{after_import:.0f} / {peak_import:.0f}, after the export {after_export:.0f} / {peak_export:.0f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    asyncio.run(main(parser.parse_args().rows))
