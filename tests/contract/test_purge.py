"""Deleting an account takes everything it owns, on every backend, and events still on their
way (in the log, in Kafka, in a batch) do not bring any of it back."""

import time

import pytest

from cinematch.domain import catalog_movie
from cinematch.domain.shares import token_key
from cinematch.services.diary import NewEntry

CATALOG = [catalog_movie(id="heat|1995", title="Heat", year=1995, genres=["Crime"], director="Michael Mann")]


@pytest.fixture
async def project(container):
    """Relay (kafka profile) and project until the source has nothing more for a moment."""
    runner = container.services.runner()
    relay = container.bus.relay() if container.config.bus() == "kafka" else None
    await runner.source.start()
    if relay is not None:
        await relay.publisher.start()

    async def everything() -> None:
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < (2.0 if relay else 0.1):
            moved = await relay.run_once() if relay else 0
            moved += await runner.run_once(timeout=0.3 if relay else 0)
            if moved:
                quiet_since = time.monotonic()

    yield everything
    await runner.source.stop()
    if relay is not None:
        await relay.publisher.stop()


async def documents_of(container, user_id: str) -> dict:
    s = container.storage
    entries, version = await s.diary().snapshot(user_id)
    return {"diary": len(entries), "version": version, "stats": await s.stats().get(user_id) is not None,
            "affinities": len(await s.affinities().for_user(user_id)), "facts": len(await s.trends().facts(user_id)),
            "imports": len(await s.imports().all(user_id)), "watchlist": len(await s.watchlist().all(user_id)),
            "lists": len(await s.lists().all(user_id)), "user": await s.users().by_id(user_id) is not None,
            "shares": len(await s.shares().all(user_id))}


NOTHING = {"diary": 0, "version": 0, "stats": False, "affinities": 0, "facts": 0, "imports": 0, "watchlist": 0,
           "lists": 0, "user": False, "shares": 0}


async def test_a_deleted_account_leaves_nothing_and_in_flight_events_bring_nothing_back(container, project):
    await container.storage.catalog().upsert(CATALOG)
    accounts, diary, purge = container.services.accounts(), container.services.diary(), container.services.purge()
    gone = await accounts.register("leaving", "correct-horse-42")
    kept = await accounts.register("staying", "correct-horse-42")
    for user in (gone, kept):
        await diary.add_many(user.id, [NewEntry(name="Heat", rating=4.5, date="2025-01-02")])
        await container.services.imports().import_file(user.id, b"name,year,rating,date\nHeat,1995,3,2025-02-03\n")
        await container.services.watchlist().watch(user.id, "Stalker", 1979)
        made = await container.services.lists().create(user.id, "Night films")
        await container.services.lists().add_item(user.id, made.id, name="Heat", note="The diner.")
    links = {user.id: (await container.services.shares().create(user.id, "year", 2025)).id for user in (gone, kept)}
    await project()
    before = await documents_of(container, kept.id)
    assert (await documents_of(container, gone.id))["stats"] and before["stats"]
    # more changes still on their way when the account goes
    await diary.add_many(gone.id, [NewEntry(name="Heat", rating=2, date="2025-03-04")])
    await purge.purge(gone.id)
    await project()
    assert await documents_of(container, gone.id) == NOTHING
    assert await container.storage.users().purged([gone.id, kept.id]) == {gone.id}
    assert await documents_of(container, kept.id) == before  # nobody else's data moved
    shares = container.services.shares()
    assert await shares.resolve(links[gone.id]) is None  # the link of a deleted account opens nothing
    assert await container.storage.shares().all(token_key(links[gone.id])) == []  # and is not kept
    assert (await shares.resolve(links[kept.id])).owner == kept.id
    assert await container.storage.users().pending_purges() == []
    again = await accounts.register("leaving", "another-horse-77")  # the name is free again
    assert again.id != gone.id


async def test_a_deletion_cut_short_is_finished_at_the_next_start(container, project):
    accounts, diary, purge = container.services.accounts(), container.services.diary(), container.services.purge()
    user = await accounts.register("crashing", "correct-horse-42")
    await diary.add_many(user.id, [NewEntry(name="Heat", rating=4, date="2025-01-02")])
    await project()
    await container.storage.users().purge(user.id, "2025-12-31T12:00:00+01:00")  # ... and the process died
    assert await container.storage.users().pending_purges() == [user.id]
    assert await purge.finish_pending() == 1
    assert await documents_of(container, user.id) == NOTHING
