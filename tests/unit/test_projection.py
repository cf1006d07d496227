"""The projection service through the real wiring on the memory backend, with either fold."""

import msgspec
import pytest

from cinematch.domain import catalog_movie
from cinematch.services.diary import EntryPatch, NewEntry
from tests.support import Crash, FailingWrites, recompute_matches, wired


@pytest.fixture(params=["vectorised", "reference"])
async def app(request):
    """Every test here runs on both folds (CINEMATCH_FOLD): the same documents, the same marks."""
    c = wired("memory", fold=request.param)
    await c.storage.catalog().upsert([
        catalog_movie(id="1", title="Inception", year=2010, genres=["Sci-Fi", "Action"], director="Christopher Nolan",
                      actors="Leonardo DiCaprio, Elliot Page", duration=148),
        catalog_movie(id="2", title="Amélie", original_title="Le Fabuleux Destin d'Amélie Poulain", year=2001,
                      genres=["Comedy", "Romance"], director="Jean-Pierre Jeunet", actors="Audrey Tautou", duration=122),
    ])
    await c.services.runner().source.start()
    return c


async def test_add_update_delete_converge_to_recompute(app):
    diary, runner = app.services.diary(), app.services.runner()
    a = await diary.add("u1", NewEntry(name="inception", rating=5, date="2025-01-20"))
    b = await diary.add("u1", NewEntry(name="Le Fabuleux Destin d'Amélie Poulain", rating=3, date="2025-02-01"))
    assert b.title == "Amélie" and b.director == "Jean-Pierre Jeunet"
    await diary.update("u1", a.id, EntryPatch(rating=2))
    await diary.update("u1", b.id, EntryPatch(name="Inception", date="2024-12-01"))
    await runner.drain()
    assert await recompute_matches(app, ["u1"]) == []
    await diary.delete("u1", a.id)
    await runner.drain()
    assert await recompute_matches(app, ["u1"]) == []
    stats = await app.services.queries().user_stats("u1")
    assert stats["total_watched"] == 1 and stats["sync"] == {"status": "synced", "pending_events": 0}


async def test_a_batch_applied_twice_changes_nothing(app):
    diary, runner = app.services.diary(), app.services.runner()
    for i in range(5):
        await diary.add("u1", NewEntry(name="Inception", rating=1 + i, date=f"2025-01-0{i + 1}"))
    records = await runner.source.poll(100, 0)
    projector = app.services.projector()
    await projector.apply_records(records)
    first = await app.storage.stats().get("u1")
    await projector.apply_records(records)  # replay after a crash before commit
    await projector.apply_records(records[2:])  # replay cut differently
    assert await app.storage.stats().get("u1") == first
    assert await recompute_matches(app, ["u1"]) == []


async def test_a_batch_mixing_a_replayed_user_and_new_users(app):
    # The batch is folded as a whole; only the user whose documents already hold part
    # of it is folded again event by event, the others are written from the batch.
    diary, runner = app.services.diary(), app.services.runner()
    for i in range(3):
        await diary.add("u1", NewEntry(name="Inception", rating=1 + i, date=f"2025-01-0{i + 1}"))
    projector = app.services.projector()
    await projector.apply_records(await runner.source.poll(100, 0))
    await diary.add("u1", NewEntry(name="Amélie", rating=5, date="2025-03-01"))
    await diary.add("u2", NewEntry(name="Inception", rating=2, date="2025-03-02"))
    await diary.add("u3", NewEntry(name="Amélie", rating=4, date="2025-03-03"))
    await runner.source.rewind()  # the crashed worker resumes from the start: u1's first three again
    report = await projector.apply_records(await runner.source.poll(100, 0))
    assert report.users == 3
    assert await recompute_matches(app, ["u1", "u2", "u3"]) == []
    stats = app.storage.stats()
    assert [(await stats.get(u)).total_watched for u in ("u1", "u2", "u3")] == [4, 1, 1]


async def test_a_resent_event_of_an_entry_added_and_deleted_in_one_batch_applies_once(app):
    # The batch nets to zero on every affinity of the film; the marks must still move,
    # or the re-sent DELETE would be taken as new (found by the property test).
    diary, runner = app.services.diary(), app.services.runner()
    entry = await diary.add("u1", NewEntry(name="Inception", rating=4))
    await diary.delete("u1", entry.id)
    await runner.drain()
    log = app.storage.log()
    log.append_raw(log.records[-1])  # the outbox relay published the DELETE again
    await diary.add("u1", NewEntry(name="Inception", rating=4))
    await runner.drain()
    assert await recompute_matches(app, ["u1"]) == []
    directors = await app.storage.affinities().query("u1", "director", "count", 10, 1)
    assert [(a.name, a.count) for a in directors] == [("Christopher Nolan", 1)]


async def test_a_name_without_a_document_has_absorbed_what_a_recompute_covered(app):
    # A recompute at version 5 leaves no document for the film of a deleted entry; the
    # DELETE at seq 5, read again in the next batch, must not reach that film's names
    # (found by the property test).
    diary, runner = app.services.diary(), app.services.runner()
    a = await diary.add("u1", NewEntry(name="Amélie", rating=3))
    await diary.delete("u1", a.id)
    await diary.recalculate("u1")
    b = await diary.add("u1", NewEntry(name="Inception", rating=4))  # seq 4
    await diary.delete("u1", b.id)  # seq 5
    runner.batch_size = 4
    await runner.run_once(timeout=0)  # the recompute runs at the diary's version: 5
    await diary.add("u1", NewEntry(name="Inception", rating=4))  # seq 6
    await runner.drain()  # [DELETE 5, ADD 6]: u1's statistics already hold 5
    assert await recompute_matches(app, ["u1"]) == []
    directors = await app.storage.affinities().query("u1", "director", "count", 10, 1)
    assert [(a.name, a.count) for a in directors] == [("Christopher Nolan", 1)]


async def test_duplicated_event_ids_apply_once(app):
    diary, runner = app.services.diary(), app.services.runner()
    await diary.add("u1", NewEntry(name="Inception", rating=4))
    log = app.storage.log()
    log.append_raw(log.records[0])  # the outbox relay published it again
    await runner.drain()
    assert (await app.storage.stats().get("u1")).total_watched == 1


@pytest.mark.parametrize("store", ["trends", "affinities", "stats"])
async def test_crash_between_document_writes_is_repaired_by_replay(app, store):
    diary, runner, projector = app.services.diary(), app.services.runner(), app.services.projector()
    await diary.add("u1", NewEntry(name="Inception", rating=4))
    await runner.drain()
    await diary.add("u1", NewEntry(name="Amélie", rating=2))
    await diary.add("u2", NewEntry(name="Inception", rating=5))
    original = getattr(projector, store)
    setattr(projector, store, FailingWrites(original, fail_on=1))
    with pytest.raises(Crash):
        await runner.run_once(timeout=0)
    setattr(projector, store, original)
    await runner.source.rewind()
    await runner.drain()
    assert await recompute_matches(app, ["u1", "u2"]) == []


async def test_malformed_events_are_dead_lettered_and_the_rest_applied(app):
    diary, runner = app.services.diary(), app.services.runner()
    log = app.storage.log()
    await diary.add("u1", NewEntry(name="Inception", rating=4))
    log.append_raw(b"{not json")
    log.append_raw(msgspec.json.encode({"event_type": "ADD", "user_id": "u9", "movie": {"name": "X", "rating": 9}}))
    await diary.add("u1", NewEntry(name="Amélie", rating=5))
    await runner.drain()
    letters = await app.storage.dead_letters().all()
    assert [letter.position for letter in letters] == [1, 2]
    assert "undecodable" in letters[0].reason and "0.5 to 5" in letters[1].reason
    assert (await app.storage.stats().get("u1")).total_watched == 2
    assert await app.storage.stats().get("u9") is None  # never half-applied
    assert runner.totals.dead_letters == 2


async def test_recalculate_rebuilds_from_the_diary(app):
    diary, runner = app.services.diary(), app.services.runner()
    await diary.add("u1", NewEntry(name="Inception", rating=4))
    await runner.drain()
    # Corrupt the projection behind the projection's back, then ask for a recompute.
    stats = app.storage.stats()
    bad = await stats.get("u1")
    await stats.replace(msgspec.structs.replace(bad, total_watched=99))
    await diary.recalculate("u1")
    await diary.add("u1", NewEntry(name="Amélie", rating=3))
    await runner.drain()
    assert await recompute_matches(app, ["u1"]) == []


async def test_seed_era_events_without_seq_are_applied(app):
    runner = app.services.runner()
    app.storage.log().append_raw(msgspec.json.encode({
        "event_type": "ADD", "user_id": "legacy", "movie": {"name": "Old", "rating": 3, "date": "2024-05-01",
                                                            "genres": ["Drama"]},
        "timestamp": "2024-05-01T10:00:00+02:00"}))
    await runner.drain()
    s = await app.storage.stats().get("legacy")
    assert (s.total_watched, s.monthly_counts) == (1, {"2024": {"05": 1}})


async def test_a_users_single_write_is_not_held_behind_anothers_import(app):
    """In one batch, the users with few events are written first: a large import (hundreds
    of names to update) never holds back the next person's statistics."""
    diary, runner = app.services.diary(), app.services.runner()
    await diary.add_many("big", [NewEntry(name=f"Film {k}", rating=1 + k % 5, director=f"Director {k}")
                                 for k in range(300)])
    await diary.add("small", NewEntry(name="Inception", rating=4))
    store = app.storage.affinities()
    order, real = [], store.apply

    async def recorded(writes):
        order.append(sorted({w.user_id for w in writes}))
        await real(writes)

    stats, real_stats = app.storage.stats(), app.storage.stats().apply

    async def recorded_stats(writes):
        order.append([f"stats:{u}" for u in sorted({w.user_id for w in writes})])
        await real_stats(writes)

    store.apply, stats.apply = recorded, recorded_stats
    await runner.drain()
    assert order == [["small"], ["stats:small"], ["big"], ["stats:big"]]
    assert await recompute_matches(app, ["big", "small"]) == []
