"""The LimitStore contract, on this process's store and on MongoDB's shared one: a sliding
window of uses, and the sign-in throttle's counts, blocks and forgetting."""

from __future__ import annotations

import asyncio


async def test_uses_within_the_window_are_limited_and_leave_it_in_time(storage):
    limits = storage.limits()
    assert await limits.use("training", 2, 60, now=1000.0) == 0
    assert await limits.use("training", 2, 60, now=1010.0) == 0
    assert await limits.use("training", 2, 60, now=1020.0) == 40  # the first use leaves the window at 1060
    assert await limits.use("other", 2, 60, now=1020.0) == 0  # each limit its own
    assert await limits.use("training", 2, 60, now=1060.0) == 0  # it left
    assert await limits.use("training", 2, 60, now=1061.0) == 9


async def test_concurrent_uses_never_take_more_than_the_limit(storage):
    limits = storage.limits()
    waits = await asyncio.gather(*(limits.use("k-optimization", 3, 3600, now=5000.0 + i / 100) for i in range(12)))
    assert sum(w == 0 for w in waits) == 3


async def test_the_throttle_counts_blocks_clears_and_forgets(storage):
    limits = storage.limits()
    assert await limits.blocked_until(["account:ann", "client:1.2.3.4"]) == 0
    assert [await limits.failure("account:ann", now=100.0 + i, forget=3600) for i in range(3)] == [1, 2, 3]
    await limits.block("account:ann", 200.0)
    await limits.block("account:ann", 150.0)  # an earlier block never shortens a later one
    assert await limits.blocked_until(["account:ann", "client:1.2.3.4"]) == 200.0
    assert await limits.failure("account:ann", now=103.0 + 3601, forget=3600) == 1  # forgotten: a new count
    assert await limits.blocked_until(["account:ann"]) == 0
    await limits.failure("client:1.2.3.4", now=100.0, forget=3600)
    await limits.block("client:1.2.3.4", 500.0)
    await limits.clear("account:ann")
    assert await limits.blocked_until(["account:ann"]) == 0
    assert await limits.blocked_until(["account:ann", "client:1.2.3.4"]) == 500.0
    counts = await asyncio.gather(*(limits.failure("account:bo", now=10.0, forget=3600) for _ in range(10)))
    assert sorted(counts)[-1] == 10  # no count lost to a concurrent one
