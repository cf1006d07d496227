"""Reconciliation through the real wiring (memory and SQLite backends): the recompute
goes to the shadow stores, differences are found and classified, repair converges."""

import msgspec
import pytest

from cinematch.domain.stats import affinity_id
from cinematch.services.diary import EntryPatch, NewEntry
from tests.support import recompute_matches, wired


@pytest.fixture(params=["memory", "sqlite"])
async def app(request, tmp_path):
    c = wired(request.param, data_dir=tmp_path)
    await c.services.runner().source.start()
    diary = c.services.diary()
    for user in ("u1", "u2", "u3"):
        for i in range(4):
            await diary.add(user, NewEntry(name=f"Film {i}", rating=1 + i, genres=["Drama", "War"][: 1 + i % 2],
                                           director="Ann $Lee", actors="Bo.Dot, Cy", duration=100))
    await c.services.runner().drain()
    return c


async def test_a_caught_up_system_reports_zero(app):
    report = await app.services.reconciler().run()
    assert (report.users, report.ok, report.documents, report.clean) == (3, 3, 0, True)
    # The recompute sits in the shadow stores, equal to the live documents.
    shadow = app.services.reconciler().shadow
    live = await app.storage.stats().get("u1")
    assert (await shadow.stats.get("u1")).total_watched == live.total_watched == 4
    assert len(await shadow.affinities.for_user("u1")) == len(await app.storage.affinities().for_user("u1"))


async def test_drift_is_reported_and_repaired(app):
    stats = app.storage.stats()
    # Drift: a counter moved without an event (a bug, a hand edit, a lost write).
    state = await stats.get("u2")
    state.total_watched += 3
    await stats.replace(state)
    aff = [a for a in await app.storage.affinities().for_user("u3") if a.type == "director"][0]
    aff.count = 99
    await app.storage.affinities().replace_user("u3", [aff], aff.hwm)  # every other u3 affinity drops to 0
    reconciler = app.services.reconciler()
    report = await reconciler.run()
    assert (report.ok, report.drift, report.clean) == (1, 2, False)
    by_user = {c.user_id: c for c in report.examples}
    assert by_user["u2"].differences == ["stats"]
    assert f"affinity director {aff.name_key}" in by_user["u3"].differences
    assert await recompute_matches(app, ["u2", "u3"]) != []

    repaired = await reconciler.run(repair=True)
    assert repaired.repaired == 2
    assert await recompute_matches(app, ["u1", "u2", "u3"]) == []
    assert (await reconciler.run()).clean


class StreamMovesDuringSnapshot:
    """A diary store whose first snapshot lets the stream run before it returns: the
    user writes again and the projection applies it while the repair holds version V."""

    def __init__(self, inner, move) -> None:
        self.inner, self.move = inner, move

    async def snapshot(self, user_id):
        entries, version = await self.inner.snapshot(user_id)
        if self.move is not None:
            move, self.move = self.move, None
            await move()
        return entries, version

    def __getattr__(self, name):
        return getattr(self.inner, name)


async def test_a_repair_racing_the_stream_undoes_nothing(app):
    diary, runner, projector = app.services.diary(), app.services.runner(), app.services.projector()
    await diary.add("u1", NewEntry(name="Film 9", rating=5, genres=["Noir"], director="Ann $Lee", actors="Cy"))
    # u1 is behind (its newest event is not projected yet): the repair recomputes it.

    async def the_user_writes_again():
        await diary.add("u1", NewEntry(name="Film 10", rating=2, genres=["Drama"], director="Di Vo", actors="Bo.Dot"))
        await runner.drain()  # the stream applies both events, after the repair read the diary

    projector.diary = StreamMovesDuringSnapshot(projector.diary, the_user_writes_again)
    report = await app.services.reconciler().run(repair=True)
    assert report.behind == 1 and report.repaired == 1
    # The repair wrote the recompute of the older version only where the stream had not moved on.
    assert await recompute_matches(app, ["u1", "u2", "u3"]) == []
    assert (await app.storage.stats().get("u1")).total_watched == 6


async def test_a_lagging_projection_is_behind_not_drift(app):
    diary = app.services.diary()
    entry = (await app.storage.diary().page("u1", 1, 0))[0][0]
    await diary.update("u1", entry.id, EntryPatch(rating=5))
    await diary.delete("u1", entry.id)  # not projected yet
    report = await app.services.reconciler().run()
    assert (report.behind, report.drift) == (1, 0)
    assert report.examples[0].hwm < report.examples[0].version
    await app.services.reconciler().run(repair=True)
    assert await recompute_matches(app, ["u1"]) == []
    await app.services.runner().drain()  # the stream's late events are then skipped by the guard
    assert await recompute_matches(app, ["u1"]) == []
    assert affinity_id("u1", "genre", "Drama") in {a.id for a in await app.storage.affinities().for_user("u1")}


async def test_a_drifted_trend_fact_shows_in_the_trends_window(app):
    trends = app.storage.trends()
    facts = await trends.facts("u1")
    fact = [f for f in facts if f.live][0]
    # A lost or wrong write: the fact keeps its mark but not its content.
    version = (await app.storage.stats().get("u1")).hwm
    await trends.replace_user("u1", [msgspec.structs.replace(f, film="drifted") if f is fact else f for f in facts],
                              version)
    report = await app.services.reconciler().run()
    assert (report.drift, report.trends_equal) == (1, False)
    assert report.examples[0].differences == [f"trend {fact.entry_key}"]
    assert (await app.services.reconciler().run(repair=True)).repaired == 1
    assert (await app.services.reconciler().run()).clean


async def test_a_user_who_emptied_the_diary_is_still_checked(app):
    diary = app.services.diary()
    for entry in (await app.storage.diary().page("u3", 10, 0))[0]:
        await diary.delete("u3", entry.id)
    await app.services.runner().drain()
    assert (await app.services.reconciler().run()).users == 3  # u3 has no entries and is checked
    state = await app.storage.stats().get("u3")
    state.total_watched = 2  # drift on an empty diary
    await app.storage.stats().replace(state)
    report = await app.services.reconciler().run()
    assert report.drift == 1 and report.examples[0].user_id == "u3"
    await app.services.reconciler().run(repair=True)
    assert (await app.storage.stats().get("u3")).total_watched == 0
