"""The diary workload of the fault-injection tests: many users, adds in batches, then rating
changes, re-dates and deletes, written through the real diary service."""

from __future__ import annotations

import asyncio
import random
import time

from cinematch.services.diary import EntryPatch, NewEntry

PEOPLE = [f"Director {i}" for i in range(6)] + ["Ann $Lee", "Bo.Dot"]
ACTORS = [f"Actor {i}" for i in range(10)]
GENRES = ["Drama", "Comedy", "Sci-Fi", "Noir", "War"]



def new_entry(rnd: random.Random, i: int) -> NewEntry:
    # whole stars, half stars and unrated watches (schema_version 2) all travel the runtimes
    return NewEntry(name=f"Film {rnd.randint(1, 80)}", rating=rnd.choice([None, rnd.randint(1, 5), rnd.randint(1, 10) / 2]),
                    date=f"2025-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
                    genres=rnd.sample(GENRES, rnd.randint(1, 2)), director=rnd.choice(PEOPLE),
                    actors=rnd.sample(ACTORS, 2), duration=rnd.choice([90, 120]))


async def change_one(container, user: str, rnd: random.Random, renames: float = 0.0) -> None:
    """One change to a random entry of `user`: a rating change (40%), a re-date (20%), a
    rename (`renames`, taken from the re-dates' and deletes' share) or a delete."""
    diary = container.services.diary()
    entries, _ = await container.storage.diary().snapshot(user)
    target = rnd.choice(entries)
    roll = rnd.random()
    if roll < 0.4:
        await diary.update(user, target.id, EntryPatch(rating=rnd.choice([None, rnd.randint(1, 5), rnd.randint(1, 10) / 2])))
    elif roll < 0.6 - renames / 2:
        await diary.update(user, target.id, EntryPatch(date=f"2024-{rnd.randint(1, 12):02d}-01"))
    elif roll < 0.6 + renames / 2:
        await diary.update(user, target.id, EntryPatch(name=f"Film {rnd.randint(1, 80)}", year=1999))
    else:
        await diary.delete(user, target.id)


async def write_load(container, users: list[str], events: int, rnd: random.Random, on_progress,
                     writers: int = 6) -> int:
    """Adds in batches (BULK_IMPORT), then rating changes, re-dates and deletes one at a time;
    `writers` concurrent clients, each on its own users (a diary is one document)."""
    diary = container.services.diary()
    state = {"written": 0}
    adds = int(events * 0.9)

    async def add(mine: list[str]) -> None:
        while state["written"] < adds:
            for user in mine:
                if state["written"] >= adds:
                    return
                batch = [new_entry(rnd, state["written"] + k) for k in range(10)]
                await diary.add_many(user, batch)
                state["written"] += len(batch)
                await on_progress(state["written"])

    async def mutate(mine: list[str]) -> None:
        while state["written"] < events:
            await change_one(container, rnd.choice(mine), rnd)
            state["written"] += 1
            await on_progress(state["written"])

    await asyncio.gather(*(add(users[k::writers]) for k in range(writers)))
    await asyncio.gather(*(mutate(users[k::writers]) for k in range(writers)))
    return state["written"]


async def converged(container, users: list[str], timeout: float) -> None:
    """Wait until every event was relayed and projected (stats hwm = diary version)."""
    diary, stats = container.storage.diary(), container.storage.stats()
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        versions = {u: await diary.version(u) for u in users}
        hwms = await stats.hwms(users)
        if all(hwms.get(u, 0) == v for u, v in versions.items()) and not await diary.unsent():
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"not converged: versions {versions}, stats hwms {hwms}")
