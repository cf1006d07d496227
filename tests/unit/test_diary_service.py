"""The diary service's own rules: import event ids, film identity, the year in review's exactness."""

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from cinematch.domain.stats import compute_user_stats
from cinematch.services.diary import NewEntry, uuid4_strings
from tests.support import wired


def test_import_event_ids_are_distinct_version_4_uuids():
    ids = uuid4_strings(5000)
    assert len(set(ids)) == 5000
    assert all(str(uuid.UUID(i)) == i and uuid.UUID(i).version == 4 and uuid.UUID(i).variant == uuid.RFC_4122
               for i in ids)
    assert uuid4_strings(0) == []


entries = st.lists(st.builds(NewEntry, name=st.sampled_from(["Heat", "Alien", "Brazil"]),
                             rating=st.one_of(st.none(), st.integers(1, 10).map(lambda h: h / 2)),
                             date=st.sampled_from(["2023-12-31", "2024-01-01", "2024-06-15", "2024-12-31",
                                                   "2025-01-01"]),
                             duration=st.one_of(st.none(), st.integers(60, 200))), max_size=20)


@settings(max_examples=30, deadline=None)
@given(entries)
async def test_the_year_in_review_is_the_recompute_of_that_years_entries(items):
    app = wired("memory")
    await app.services.diary().add_many("u", items)
    mine, _ = await app.storage.diary().snapshot("u")
    got = await app.services.queries().year_stats("u", 2024)
    want = compute_user_stats("u", [e for e in mine if e.date.startswith("2024")])
    assert {k: v for k, v in got.items() if k not in ("sync", "year")} == want
    assert got["year"] == 2024 and got["sync"] == {"status": "synced", "pending_events": 0}


async def test_a_slow_year_recompute_serves_the_previous_review_marked_syncing():
    import asyncio
    app = wired("memory")
    diary, queries = app.services.diary(), app.services.queries()
    await diary.add_many("u", [NewEntry(name="Heat", rating=4, date="2024-03-01")])
    assert (await queries.year_stats("u", 2024))["total_watched"] == 1
    gate = asyncio.Event()
    store = app.storage.diary()
    read = store.watched_in

    async def slow(user_id, year):
        await gate.wait()
        return await read(user_id, year)
    store.watched_in = slow
    await diary.add_many("u", [NewEntry(name="Alien", rating=3, date="2024-04-01")])
    queries.view_wait = 0.01
    stale = await queries.year_stats("u", 2024)
    assert stale["total_watched"] == 1 and stale["sync"] == {"status": "syncing", "pending_events": 1}
    gate.set()
    for _ in range(100):
        fresh = await queries.year_stats("u", 2024)
        if fresh["sync"]["status"] == "synced":
            break
        await asyncio.sleep(0.01)
    assert fresh["total_watched"] == 2 and fresh["sync"]["status"] == "synced"
