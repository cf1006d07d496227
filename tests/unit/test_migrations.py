"""The embedded store's data migrations on a database an older version wrote."""

import msgspec

from cinematch.adapters.sqlite import db as dbmod
from cinematch.domain import DiaryEntry
from cinematch.domain.stats import affinity_id
from tests.support import recompute_matches, wired


def old_database(path, monkeypatch):
    """A database at schema version 2, with an entry matched to the catalog and the affinity
    documents the seed's keys gave ("J.J. Abrams" and "J_J_ Abrams" shared one)."""
    monkeypatch.setattr(dbmod, "MIGRATIONS", dbmod.MIGRATIONS[:2])
    db = dbmod.Database(path).open()
    entries = [DiaryEntry(id="e1", user_id="u", name="Heat", rating=4, date="2024-01-01", added_at="2025-12-30T10:00:00+01:00",
                          title="Heat", director="J.J. Abrams", catalog_id="heat|1995", duration=170, seq=1),
               DiaryEntry(id="e2", user_id="u", name="Other", rating=2, date="2024-01-02", added_at="2025-12-30T10:00:00+01:00",
                          director="J_J_ Abrams", seq=2)]
    with db.tx() as c:
        for e in entries:
            c.execute("INSERT INTO diary VALUES (?, ?, ?, ?, ?, ?)",
                      ("u", e.id, e.date, e.added_at, e.seq, msgspec.json.encode(e)))
        c.execute("INSERT INTO user_seq VALUES ('u', 2)")
        c.execute("INSERT INTO consumer_offsets VALUES ('projections', 0)")
        c.execute("INSERT INTO user_affinities VALUES ('u_director_J_J__Abrams', 'u', 'director', 'J.J. Abrams', "
                  "'J_J__Abrams', 2, 6, 2, NULL)")
        c.execute("INSERT INTO user_stats VALUES ('u', 2, ?)", (msgspec.json.encode(
            {"user_id": "u", "total_watched": 2, "sum_ratings": 6, "watch_time_minutes": 170,
             "rating_distribution": {"2": 1, "4": 1}, "hwm": 2}),))
        for e in entries:
            c.execute("INSERT INTO trend_facts VALUES ('u', ?, '2025-12-30', ?, '[]', 1, ?)", (e.id, e.name, e.seq))
        c.execute("INSERT INTO catalog VALUES ('gf2', 'The Godfather Part II', NULL, 'the godfather part ii', '', ?)",
                  (msgspec.json.encode({"id": "gf2", "title": "The Godfather Part II", "year": 1974,
                                        "director": "Francis Ford Coppola", "actors": "Al Pacino"}),))
    db.close()
    monkeypatch.undo()


async def test_an_old_database_is_migrated_and_recomputed_under_the_new_keys(tmp_path, monkeypatch):
    old_database(tmp_path / "cinematch.db", monkeypatch)
    app = wired("sqlite", data_dir=tmp_path)
    db = app.storage.db().open()
    films = dict(db.query("SELECT entry_key, film FROM trend_facts"))
    assert films == {"e1": "heat|1995", "e2": ""}  # each fact names its entry's catalog film
    await app.services.runner().drain()  # the RECALCULATE the migration queued
    live = {a.name: a.count for a in await app.storage.affinities().for_user("u") if a.type == "director"}
    assert live == {"J.J. Abrams": 1, "J_J_ Abrams": 1}  # two names, two documents again
    assert affinity_id("u", "director", "J%2EJ%2E_Abrams") in {a.id for a in await app.storage.affinities().for_user("u")}
    assert await recompute_matches(app, ["u"]) == []
    # half stars (migration 6): ratings counted apart, the mean duration over known durations only
    stats = await app.services.queries().user_stats("u")
    assert (stats["rated_count"], stats["avg_duration"], stats["rating_distribution"]["4.5"]) == (2, 170.0, 0)
    assert {a.name: a.rated_count for a in await app.storage.affinities().for_user("u") if a.type == "director"} == {
        "J.J. Abrams": 1, "J_J_ Abrams": 1}
    # title keys (migration 8) and word starts (migration 9) for a film stored before them
    catalog = app.storage.catalog()
    for query in ("godfather", "part ii", "godfathr part ii"):
        assert [m.id for m in await catalog.search(query, 5)] == ["gf2"], query
    # who it credits (migration 11), for the people's pages
    assert [m.id for m in await catalog.by_person("Al Pacino")] == ["gf2"]
    assert [m.id for m in await catalog.by_person("francis ford coppola")] == ["gf2"]
    # the entries per day (migration 13), for the calendar, and kept from then on
    assert db.query("SELECT date, n FROM diary_days WHERE user_id = 'u' ORDER BY date") == [
        ("2024-01-01", 1), ("2024-01-02", 1)]
    # each entry's share of its film's audience (migration 14)
    assert await app.storage.diary().audience("heat|1995") == (1, 1, 8)
    await app.services.diary().delete("u", "e2")
    assert (await app.storage.diary().calendar("u", lambda total: []))[0] == {"2024-01-01": 1}
    db.close()
