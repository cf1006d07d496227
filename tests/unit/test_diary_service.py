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
    assert {k: v for k, v in got.items() if k not in ("sync", "year", "mark")} == want
    assert got["year"] == 2024 and got["sync"] == {"status": "synced", "pending_events": 0}
    version = await app.storage.diary().version("u")
    assert got["mark"] == f"{version}-{version}"  # read from the diary at its version


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


# --- the year of an entry (docs/contract.md §2) -------------------------------------------------

async def _with_catalog():
    from cinematch.domain.catalog import catalog_movie
    app = wired("memory")
    await app.storage.catalog().upsert([
        catalog_movie(id="garden", title="Garden", year=1990, genres=["Drama"], duration=100, director="Ann Lee",
                      votes=5),
        catalog_movie(id="harbor", title="Red Harbor", year=2012, genres=["Crime"], duration=95, votes=5),
        catalog_movie(id="heat", title="Heat", year=1995, genres=["Crime"], duration=170, votes=9, imdb_id="tt0113277"),
        catalog_movie(id="heat86", title="Heat", year=1986, genres=["Action"], duration=101, votes=2),
    ])
    return app, app.services.diary()


async def test_a_linked_entry_shows_its_films_year_not_the_typed_one():
    app, diary = await _with_catalog()
    heat = await diary.add("u", NewEntry(name="Heat", year=1996))
    assert (heat.catalog_id, heat.year, heat.title) == ("heat", 1995, "Heat")
    typed = await diary.add("u", NewEntry(name="Some Home Movie", year=2003))
    assert (typed.catalog_id, typed.year) == (None, 2003)  # unlinked: the typed year is kept


async def test_a_rename_is_resolved_like_a_new_entry_without_the_old_films_year():
    from cinematch.services.diary import EntryPatch
    app, diary = await _with_catalog()
    garden = await diary.add("u", NewEntry(name="Garden", rating=4))
    assert (garden.catalog_id, garden.year) == ("garden", 1990)
    renamed = await diary.update("u", garden.id, EntryPatch(name="Red Harbor"))
    assert (renamed.catalog_id, renamed.year, renamed.genres, renamed.duration) == ("harbor", 2012, ["Crime"], 95)
    # with a year in the same request, the year picks among the candidates
    again = await diary.update("u", garden.id, EntryPatch(name="Heat", year=1987))
    assert (again.catalog_id, again.year, again.imdb_id) == ("heat86", 1986, None)
    # a year far from every candidate links nothing, and the typed year is kept
    lone = await diary.update("u", garden.id, EntryPatch(name="Garden", year=1960))
    assert (lone.catalog_id, lone.year, lone.genres, lone.duration) == (None, 1960, [], 0)
    # a rename with no year forgets the year typed for the previous name
    plain = await diary.update("u", garden.id, EntryPatch(name="Nothing Like It"))
    assert (plain.catalog_id, plain.year) == (None, None)
    mine, _ = await app.storage.diary().snapshot("u")
    assert await app.services.queries().user_stats("u") is not None and mine[0].name == "Nothing Like It"


async def test_a_renamed_import_entry_still_belongs_to_its_import():
    from cinematch.services.diary import EntryPatch
    app, diary = await _with_catalog()
    report = await app.services.imports().import_file("u", b"name,year,rating,date\nGarden,1990,4,2024-01-02\n")
    [entry], _ = await app.storage.diary().snapshot("u")
    await diary.update("u", entry.id, EntryPatch(name="Red Harbor"))
    assert await app.services.imports().undo_import("u", report.batch_id)
    assert (await app.storage.diary().snapshot("u"))[0] == []


async def test_choosing_the_same_film_again_keeps_the_name_typed():
    from cinematch.services.diary import EntryPatch
    app, diary = await _with_catalog()
    e = await diary.add("u", NewEntry(name="heat", year=1995))
    same = await diary.update("u", e.id, EntryPatch(catalog_id="heat", rating=3))
    assert (same.name, same.catalog_id, same.rating) == ("heat", "heat", 3)
    other = await diary.update("u", e.id, EntryPatch(catalog_id="heat86"))
    assert (other.name, other.catalog_id, other.year) == ("Heat", "heat86", 1986)


async def test_undoing_an_import_takes_off_the_watchlist_items_it_added_and_only_those():
    import io
    import zipfile
    app, diary = await _with_catalog()
    await app.services.watchlist().watch("u", "Mine Before")
    await app.services.watchlist().watch("u", "Alien")  # on the list before the import, and in its watchlist too: stays
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("diary.csv", "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\r\n"
                                "2025-01-03,Garden,1990,https://boxd.it/a1,4,,,2025-01-02\r\n")
        z.writestr("watchlist.csv", "Date,Name,Year,Letterboxd URI\r\n2024-05-01,Someday,2019,https://boxd.it/w1\r\n"
                                    "2024-05-02,Alien,,https://boxd.it/w2\r\n")
    report = await app.services.imports().import_file("u", archive.getvalue())
    assert report.watchlist == 1
    assert {i.name for i in await app.services.watchlist().watchlist_of("u")} == {"Mine Before", "Alien", "Someday"}
    assert await app.services.imports().undo_import("u", report.batch_id)
    assert {i.name for i in await app.services.watchlist().watchlist_of("u")} == {"Mine Before", "Alien"}
    assert (await app.storage.diary().snapshot("u"))[0] == []


async def test_an_imdb_id_links_its_film_exactly_whatever_the_name_says():
    from cinematch.domain.catalog import catalog_movie
    app = wired("memory")
    await app.storage.catalog().upsert([
        catalog_movie(id="tt17009710", title="Anatomie d'une chute", year=2023, imdb_id="tt17009710", genres=["Drama"]),
        catalog_movie(id="maestros|2022", title="Maestro(s)", year=2022, votes=50),
        catalog_movie(id="maestro|2023", title="Maestro", year=2023, imdb_id="tt5535276", votes=1),
        catalog_movie(id="killer|2023", title="The Killer", year=2023, imdb_id="tt1136617", votes=90),
        catalog_movie(id="killer|2024", title="The Killer", year=2024, imdb_id="tt21942866", votes=5),
    ])
    diary, imports = app.services.diary(), app.services.imports()
    fall = await diary.add("u", NewEntry(name="Anatomy of a Fall", imdb_id="tt17009710"))
    assert (fall.catalog_id, fall.title, fall.year) == ("tt17009710", "Anatomie d'une chute", 2023)
    imdb = ("Const,Your Rating,Date Rated,Title,URL,Title Type,Runtime (mins),Year,Genres,Num Votes,Release Date,"
            "Directors\n"
            "tt5535276,8,2024-01-02,Maestro,,Movie,129,2023,Drama,1,2023-12-20,Bradley Cooper\n"
            "tt21942866,6,2024-02-02,The Killer,,Movie,120,2023,Action,1,2024-08-22,John Woo\n"  # a year off: the id decides
            "tt17009710,9,2024-03-02,Anatomy of a Fall,,Movie,151,2023,Drama,1,2023-08-23,Justine Triet\n")
    report = await imports.import_file("v", imdb.encode())
    assert report.imported == 3
    entries, _ = await app.storage.diary().snapshot("v")
    assert sorted(e.catalog_id for e in entries) == ["killer|2024", "maestro|2023", "tt17009710"]


async def test_a_watchlist_import_previews_what_it_imports_and_skips_a_watch_without_its_year():
    """`watched.csv` has "Save the Green Planet!,2003", `watchlist.csv` the same film without a
    year: the preview and the import both leave it off the watchlist."""
    import io
    import zipfile
    app = wired("memory")
    imports = app.services.imports()
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("watched.csv", "Date,Name,Year,Letterboxd URI\r\n2024-01-01,Save the Green Planet!,2003,"
                                  "https://boxd.it/s1\r\n")
        z.writestr("watchlist.csv", "Date,Name,Year,Letterboxd URI\r\n2024-02-01,Save the Green Planet!,,"
                                    "https://boxd.it/s2\r\n2024-02-02,Someday,2019,https://boxd.it/w1\r\n"
                                    "2024-02-03,Someday,2019,https://boxd.it/w1\r\n")
    preview = await imports.import_file("u", archive.getvalue(), dry_run=True)
    real = await imports.import_file("u", archive.getvalue())
    assert preview.watchlist == real.watchlist == 1
    assert [i.name for i in await app.services.watchlist().watchlist_of("u")] == ["Someday"]


async def test_a_long_watchlist_into_a_long_diary_is_linear():
    """2,540 watchlist rows against a 3,000-entry diary: each row is looked up in an index, not
    compared with every entry (the count of normalisations stays linear)."""
    from cinematch.services import watchlist as module
    app = wired("memory")
    diary, imports = app.services.diary(), app.services.imports()
    await diary.add_many("u", [NewEntry(name=f"Seen {i}", year=2000 + i % 20, date="2024-01-01") for i in range(3000)])
    calls = {"n": 0}
    patched = {name: getattr(module, name) for name in ("normalize_title", "same_film") if hasattr(module, name)}

    def counting(real):
        def counted(*args):
            calls["n"] += 1
            return real(*args)
        return counted
    for name, real in patched.items():  # every comparison of a film with another, however it is made
        setattr(module, name, counting(real))
    try:
        rows = "".join(f"2024-02-01,Wanted {i},2010,https://boxd.it/x{i}\r\n" for i in range(2540))
        report = await imports.import_file("u", ("Date,Name,Year,Letterboxd URI\r\n" + rows).encode(),
                                           filename="watchlist.csv")
    finally:
        for name, real in patched.items():
            setattr(module, name, real)
    assert report.watchlist == 2540
    assert calls["n"] <= 2 * 3000 + 2540 * 2  # once per name indexed, once per row looked up
