"""The MongoDB data migrations on documents an older version wrote (FerretDB)."""

import pytest

from cinematch.adapters.mongo import migrate
from cinematch.adapters.mongo.migrations import MIGRATIONS
from cinematch.services.diary import NewEntry
from tests.support import drop_database, require_service, wired_services


@pytest.fixture
async def mongo_profile(tmp_path):
    require_service("mongo")
    c = wired_services(tmp_path)
    yield c
    await drop_database(c)


async def test_half_stars_migration_counts_ratings_apart_and_recomputes_every_user(mongo_profile):
    c = mongo_profile
    db = c.storage.mongo().db
    await migrate(c.storage.mongo())
    await db.schema_migrations.delete_many({"_id": {"$gte": 6, "$lte": 12}})  # as a version before half stars left it
    await c.services.diary().add_many("u", [NewEntry(name="Heat", rating=4, duration=170, director="Michael Mann")])
    await db.user_stats.insert_one({"_id": "u", "user_id": "u", "total_watched": 1, "sum_ratings": 4,
                                    "watch_time_minutes": 170, "rating_distribution": {"4": 1}, "hwm": 1})
    await db.user_affinities.insert_one({"_id": "u_director_Michael_Mann", "user_id": "u", "type": "director",
                                         "name": "Michael Mann", "name_key": "Michael_Mann", "count": 1,
                                         "sum_ratings": 4, "hwm": 1})
    version = await c.storage.diary().version("u")
    assert await migrate(c.storage.mongo()) == [v for v, *_ in MIGRATIONS if 6 <= v <= 12]
    [aff] = await c.storage.affinities().for_user("u")
    assert (aff.count, aff.rated_count, aff.sum_ratings) == (1, 1, 4)
    assert await c.storage.diary().version("u") == version + 1  # a RECALCULATE, in the diary's outbox
    outbox = (await db.diaries.find_one({"_id": "u"}))["outbox"]
    assert b'"RECALCULATE"' in bytes(outbox[-1]["payload"])
    assert await migrate(c.storage.mongo()) == []  # applied once


async def test_the_new_breakdowns_recompute_every_user_with_statistics(mongo_profile):
    """Migration 13: writers, countries, languages, decades, years, weekdays, rewatches and films
    come from a recompute of each diary (a RECALCULATE through the diary's own outbox)."""
    c = mongo_profile
    db = c.storage.mongo().db
    await migrate(c.storage.mongo())
    await c.services.diary().add_many("u", [NewEntry(name="Heat", rating=4, date="2025-03-03", rewatch=True)])
    await db.user_stats.insert_one({"_id": "u", "user_id": "u", "total_watched": 1, "hwm": 1})
    await db.schema_migrations.delete_many({"_id": 13})
    version = await c.storage.diary().version("u")
    assert await migrate(c.storage.mongo()) == [13]
    assert await c.storage.diary().version("u") == version + 1
    outbox = (await db.diaries.find_one({"_id": "u"}))["outbox"]
    assert b'"RECALCULATE"' in bytes(outbox[-1]["payload"])


async def test_catalog_films_stored_before_get_their_keys_and_word_starts(mongo_profile):
    c = mongo_profile
    db = c.storage.mongo().db
    await migrate(c.storage.mongo())
    await db.schema_migrations.delete_many({"_id": {"$gte": 8}})  # as a version before title keys left it
    await db.catalog.insert_one({"_id": "gf2", "id": "gf2", "title": "The Godfather Part II", "year": 1974,
                                 "director": "Francis Ford Coppola", "actors": "Al Pacino"})
    assert await migrate(c.storage.mongo()) == [v for v, *_ in MIGRATIONS if v >= 8]
    doc = await db.catalog.find_one({"_id": "gf2"})
    assert "godfather part ii" in doc["keys"] and "part ii" in doc["words"]
    for query in ("godfather", "part ii", "godfathr part ii"):
        assert [m.id for m in await c.storage.catalog().search(query, 5)] == ["gf2"], query
    assert [m.id for m in await c.storage.catalog().by_person("al pacino")] == ["gf2"]  # migration 12


async def test_films_audiences_are_kept_for_diaries_written_before(mongo_profile):
    """Migration 15: each diary's share of its films' audiences, for diaries that had none."""
    from cinematch.domain import DiaryEntry, Event
    from cinematch.domain.audience import Audience
    from cinematch.domain.ports import DiaryChange

    c = mongo_profile
    db, diary = c.storage.mongo().db, c.storage.diary()
    await migrate(c.storage.mongo())
    for user, rating in (("u", 4.5), ("v", None)):
        e = DiaryEntry(id="e1", user_id=user, name="Heat", rating=rating, date="2025-03-03",
                       added_at="2025-03-03T10:00:00+00:00", catalog_id="tt0113277")
        await diary.write(user, [DiaryChange(event=Event(event_type="ADD", user_id=user, entry_id="e1"), put=e)])
    await db.diaries.update_many({}, {"$unset": {"film_shares": "", "films": ""}})  # as an older version wrote them
    await db.schema_migrations.delete_many({"_id": 15})
    assert await diary.audience("tt0113277") == Audience(0, 0, 0)
    assert await migrate(c.storage.mongo()) == [15]
    assert await diary.audience("tt0113277") == Audience(2, 1, 9)


async def test_feedback_and_experiments_are_found_by_person(mongo_profile):
    """Migration 16: every list shown reads its person's dismissed films by an index, not a scan."""
    db = mongo_profile.storage.mongo().db
    await migrate(mongo_profile.storage.mongo())
    for collection in ("signals", "dismissed", "experiments"):
        assert "user" in await db[collection].index_information(), collection
