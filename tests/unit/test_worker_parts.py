"""The worker in two parts: the statistics part never waits for a trends write (each part has a
subscription and a projector of its own; the all-in-one worker writes trends in the same batch)."""

import asyncio

from cinematch.services.diary import NewEntry
from tests.support import wired


class SlowTrends:
    """The trend store with writes that take `seconds`."""

    def __init__(self, inner, seconds: float) -> None:
        self.inner, self.seconds = inner, seconds

    def __getattr__(self, name):
        return getattr(self.inner, name)

    async def apply(self, facts):
        await asyncio.sleep(self.seconds)
        return await self.inner.apply(facts)


async def test_the_statistics_part_projects_while_a_trends_write_is_slow():
    c = wired("memory")
    slow = SlowTrends(c.storage.trends(), 30)
    c.services.trends_projector().trends = slow
    c.services.projector().trends = slow
    stats_runner, trends_runner = c.services.stats_runner(), c.services.trends_runner()
    for runner in (stats_runner, trends_runner):
        await runner.source.start()
    await c.services.diary().add_many("u", [NewEntry(name="Heat", rating=4, genres=["Crime"])])
    trends = asyncio.create_task(trends_runner.run_once(timeout=0))  # stuck in its slow write
    await asyncio.wait_for(stats_runner.run_once(timeout=0), 2)  # not held back
    assert (await c.storage.stats().get("u")).total_watched == 1 and not trends.done()
    trends.cancel()
    # the all-in-one worker, by contrast, writes the trends within the batch
    await c.services.diary().add_many("v", [NewEntry(name="Alien", rating=3)])
    all_in_one = c.services.runner()
    await all_in_one.source.start()
    try:
        await asyncio.wait_for(all_in_one.run_once(timeout=0), 1)
        raise AssertionError("the all-in-one batch was meant to wait for its trends write")
    except TimeoutError:
        pass
