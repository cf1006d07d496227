"""Taking a diary away and back: the JSON backup imported into an empty account gives the
same diary and the same statistics; the Letterboxd CSV is guarded against formulas."""

import csv
import io

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from cinematch.domain import catalog_movie
from cinematch.domain.exports import LETTERBOXD_COLUMNS, backup, letterboxd_csv, safe_cell
from cinematch.domain.stats import compute_user_stats
from cinematch.services.diary import NewEntry
from tests.support import recompute_matches, wired

CATALOG = [catalog_movie(id="heat|1995", title="Heat", year=1995, genres=["Crime"], director="Michael Mann",
                         actors="Al Pacino", duration=170),
           catalog_movie(id="heat|1986", title="Heat", year=1986, genres=["Action"], duration=101),
           catalog_movie(id="amelie|2001", title="Amélie", original_title="Le Fabuleux Destin d'Amélie Poulain",
                         year=2001, genres=["Comedy", "Romance"], director="Jean-Pierre Jeunet")]

entry = st.builds(
    NewEntry,
    name=st.sampled_from(["Heat", "heat", "Le Fabuleux Destin d'Amélie Poulain", "=HYPERLINK(1)", "Film, with comma",
                          "typed by me", "Zoë 東京"]),
    rating=st.one_of(st.none(), st.integers(1, 5), st.integers(1, 10).map(lambda h: h / 2)),
    rewatch=st.booleans(),
    tags=st.one_of(st.none(), st.lists(st.sampled_from(["cinema", "=cmd", "with Ana"]), max_size=3)),
    date=st.sampled_from(["1999-12-31", "2024-02-29", "2025-06-30", None]),
    year=st.sampled_from([None, 1986, 1995, 2001]),
    genres=st.one_of(st.none(), st.lists(st.sampled_from(["Drama", "Noir"]), max_size=2)),
    director=st.one_of(st.none(), st.just("Someone Else")),
    actors=st.one_of(st.none(), st.just("A, B | C")),
    duration=st.one_of(st.none(), st.integers(0, 300)),
    review=st.sampled_from([None, "", "The diner.", "=SUM(1)", "two\nlines", "<b>not HTML</b>"]),
    spoilers=st.booleans(), liked=st.booleans(), private=st.booleans())
film_list = st.fixed_dictionaries({
    "name": st.sampled_from(["Favourites", "=1+1", "Zoë 東京"]), "description": st.sampled_from(["", "Mine."]),
    "ranked": st.booleans(),
    "items": st.lists(st.tuples(st.sampled_from(["Heat", "Amélie", "typed by me"]), st.sampled_from([None, 1995, 1986]),
                                st.sampled_from(["", "a note"])), max_size=4)})

SAME = ("name", "title", "year", "rating", "date", "genres", "director", "actors", "duration", "catalog_id", "imdb_id",
        "rewatch", "tags", "review", "spoilers", "liked", "private")


def comparable(entries):
    return sorted((tuple(msgspec.to_builtins(getattr(e, f)) for f in SAME) for e in entries), key=repr)


def figures(stats: dict) -> dict:
    """The statistics without the entry ids (a new account's entries have new ids). Entries added
    at the same instant and watched on the same day are ordered by id among themselves, so of the
    recent list only its days can be compared, and of the top rated what ranks them (entries that
    tie on rating, day and name are picked by id)."""
    out = dict(stats)
    out["top_rated_movies"] = sorted((i["rating"], i["date"], i["name"]) for i in stats["top_rated_movies"])
    out["recent_movies"] = sorted(i["date"] for i in stats["recent_movies"])
    return out


async def list_views(lists, user: str) -> list:
    out = []
    for s in await lists.lists_of(user):
        v = await lists.view(user, s.id)
        out.append((v.name, v.description, v.ranked, v.count, v.watched,
                    [(i.name, i.year, i.catalog_id, i.note, i.watched) for i in v.items]))
    return sorted(out, key=repr)


@settings(max_examples=40, deadline=None)
@given(st.lists(entry, min_size=1, max_size=25), st.lists(film_list, max_size=3))
async def test_the_backup_imported_into_an_empty_account_is_the_same_diary_and_statistics(entries, made):
    app = wired("memory")
    await app.storage.catalog().upsert(CATALOG)
    await app.services.runner().source.start()
    diary, store, lists = app.services.diary(), app.storage.diary(), app.services.lists()
    await diary.add_many("a", entries)
    for spec in made:
        new = await lists.create("a", spec["name"], spec["description"], spec["ranked"])
        for name, year, note in spec["items"]:
            await lists.add_item("a", new.id, name=name, year=year, note=note)
    mine, _ = await store.snapshot("a")
    saved = backup("alice", mine, "2025-07-01T00:00:00+02:00", lists=await lists.backup_of("a"))
    report = await app.services.imports().import_file("b", saved)
    assert (report.format, report.imported, report.errors, report.lists) == (
        "cinematch-backup", len(entries), [], len(made))
    theirs, _ = await store.snapshot("b")
    assert comparable(theirs) == comparable(mine)
    assert await list_views(lists, "b") == await list_views(lists, "a")
    assert figures(compute_user_stats("b", theirs)) == figures(compute_user_stats("a", mine))
    await app.services.runner().drain()
    assert await recompute_matches(app, ["a", "b"]) == []
    again = await app.services.imports().import_file("b", saved)
    assert (again.imported, again.duplicates, again.lists) == (0, len(entries), 0)  # the same file: nothing twice
    assert await list_views(lists, "b") == await list_views(lists, "a")


async def test_the_letterboxd_csv_has_its_columns_and_no_formulas():
    app = wired("memory")
    await app.storage.catalog().upsert(CATALOG)
    await app.services.diary().add_many("a", [NewEntry(name="=cmd|' /C calc'!A0", rating=2, date="2025-01-02"),
                                              NewEntry(name="Heat", year=1995, rating=5, date="2025-01-01")])
    entries, _ = await app.storage.diary().snapshot("a")
    text = letterboxd_csv(entries)
    assert text.startswith(",".join(LETTERBOXD_COLUMNS) + "\r\n")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["Title"], r["Year"], r["Rating"], r["WatchedDate"]) for r in rows] == [
        ("Heat", "1995", "5", "2025-01-01"), ("'=cmd|' /C calc'!A0", "", "2", "2025-01-02")]
    assert [safe_cell(v) for v in ("+1", "-1", "@x", "ok", None)] == ["'+1", "'-1", "'@x", "ok", ""]
