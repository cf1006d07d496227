"""Write -> visible probe shared by the kafka and spark benchmarks."""

from __future__ import annotations

import asyncio
import time

from cinematch.services.diary import NewEntry


async def write_to_visible(container, writes: int, warmup: int = 5, timeout: float = 60,
                           trace: list | None = None) -> list[float]:
    """One diary write at a time through the diary service, then poll the user's statistics
    until their high-water mark reaches the diary's version; seconds per write, sorted.
    The first `warmup` writes are not counted (they wait for the projector to start).
    `trace` collects `(user, seq, written at, visible at)` per counted write, wall-clock seconds."""
    diary, stats = container.services.diary(), container.storage.stats()
    lat = []
    for k in range(writes + warmup):
        user = f"fresh{k % 10}"
        t0, wall = time.perf_counter(), time.time()
        await diary.add_many(user, [NewEntry(name=f"Film {k}", rating=1 + k % 5, date="2025-03-01",
                                             genres=["Drama"], director="D", actors=["A"])])
        version = await container.storage.diary().version(user)
        while (await stats.hwms([user])).get(user, 0) < version:
            await asyncio.sleep(0.005)
            if time.perf_counter() - t0 > timeout:
                raise RuntimeError(f"a write did not become visible within {timeout:g} s")
        if k >= warmup:
            lat.append(time.perf_counter() - t0)
            if trace is not None:
                trace.append((user, version, wall, wall + lat[-1]))
    return sorted(lat)


def pct_ms(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of seconds, in milliseconds."""
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else float("nan")
