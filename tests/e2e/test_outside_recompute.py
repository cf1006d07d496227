"""The outside check on the embedded profile (tests/outside.py): five people, random adds, renames
across the catalog (with and without years), re-dates, rating changes, picks (films only our TMDB
stand-in knows among them), deletes and imports, all through the HTTP API, and once an experiment
runs, recommendation lists, clicks, dismissals, and shown films logged or watchlisted; then every
statistic and affinity, every film page's instance line, every person page's `you` and the
experiment's report equal the recompute from the diary listings and what the driver saw, and every
entry is linked as docs/contract.md §2 says. The same check runs on kafka and spark in
tests/integration/test_outside_recompute.py."""

import json
import random

from litestar.testing import TestClient

from cinematch.adapters.tmdb.fake import FakeTmdb
from cinematch.entrypoints.web import create_app
from tests import outside, outside_recs
from tests.support import wired


def test_every_statistic_is_the_recompute_of_the_listing_after_random_edits(tmp_path):
    tmdb = FakeTmdb(json.loads(outside.TMDB_FIXTURE.read_text())).start()  # films only TMDB knows, picked too
    c = wired("sqlite", data_dir=tmp_path, admin_username="admin", admin_password="adminpass1",
              tmdb_api_key="test-key", tmdb_url=tmdb.url, tmdb_image_url=tmdb.image_url, tmdb_requests_per_second=100)
    rnd = random.Random(30)
    outside.FIXED_DAY[:] = [c.clock().now().date().isoformat()]  # the test client sends no Date header
    with TestClient(create_app(c)) as client:
        admin = outside.sign_up(client, "admin", "adminpass1").headers
        outside.load_catalog(client, admin)
        ids = outside.catalog_ids_of(client)
        ids.update({(f["title"], f["year"]): f["tmdb"] for f in outside.TMDB_FILMS})
        people = [outside.sign_up(client, f"person{i}") for i in range(5)]
        problems = []
        kinds = outside.drive(client, people, rnd, 1500, ids)
        fans = outside_recs.start_experiment(client, admin, people, rnd)  # from here on, lists too
        for round_ in range(2):
            for i, p in enumerate(people):
                outside.wait_synced(client, p)
                problems += outside.mismatches(client, p, f"round {round_} person{i}")
            problems += outside.trend_problems(client, people + fans)
            problems += outside.film_problems(client, people + fans, ids)
            problems += outside_recs.experiment_problems(client, admin, people)
            if round_ == 0:
                kinds += outside.drive(client, people, rnd, 1500, ids)
        listed = {e["catalog_id"] for p in people for e in outside.listing(client, p) if e["catalog_id"]}
        shown = sum(client.get(f"/api/films/{i}").json()["instance"] is not None for i in listed)
        adopted = {e["title"] for p in people for e in outside.listing(client, p)} & {
            f["title"] for f in outside.TMDB_FILMS}
    c.storage.db().close()
    tmdb.stop()
    outside.FIXED_DAY.clear()
    assert problems == [], "\n".join(problems[:20])
    assert shown >= 3  # the film lines compared were not all empty
    assert kinds["tmdb pick"] >= 10 and adopted, kinds  # films only TMDB knew were picked, and are in diaries
    # the mix really had every kind of edit, renames across the catalog most of all
    assert min(kinds[k] for k in ("add", "rename", "redate", "rating", "pick", "delete", "import", "private")) >= 20, kinds
    # …and, once the experiment ran, lists shown, clicked, waved away, logged and watchlisted
    acts = ("click", "not_interested", "seen", "log a shown film", "watchlist a shown film")
    assert kinds["recs"] + sum(kinds[k] for k in acts) >= 100 and min(kinds[k] for k in acts) >= 10, kinds


def test_the_outside_check_sees_a_rename_that_keeps_the_old_films_year():
    """The check itself can fail: an entry renamed to Red Harbor but left on Garden's year and
    unlinked (the defect of #30) is reported."""
    typed = {"e1": outside.Typed("Red Harbor")}
    entry = {"id": "e1", "name": "Red Harbor", "title": "Red Harbor", "year": 1990, "catalog_id": None,
             "genres": [], "duration": 0}
    assert outside.link_problems([entry], typed)
    linked = {**entry, "year": 2012, "catalog_id": "x", "genres": ["Crime", "Drama"], "duration": 95}
    assert outside.link_problems([linked], typed) == []
    watched = {**linked, "rating": 4.5, "date": "2024-03-02", "director": "J.J. Abrams", "actors": "Ann $Lee|Dee Fox",
               "writers": "J.J. Abrams", "countries": ["US"], "languages": ["en", "es"], "rewatch": False}
    again = {**watched, "id": "e2", "rating": None, "date": "2024-03-04", "rewatch": True}
    stats, aff = outside.recompute([watched, again])
    assert stats["rating_distribution"]["4.5"] == 1 and stats["monthly_counts"] == {"2024": {"03": 2}}
    assert aff["actor"] == {"Ann $Lee": (2, 1, 4.5), "Dee Fox": (2, 1, 4.5)}
    assert (stats["rewatch_count"], stats["distinct_films"], stats["most_rewatched"]) == (
        1, 1, [{"title": "Red Harbor", "year": 2012, "count": 2, "catalog_id": "x"}])
    assert aff["weekday"] == {"6": (1, 1, 4.5), "1": (1, 0, 0.0)}  # a Saturday and a Monday
    assert aff["decade"] == {"2010s": (2, 1, 4.5)} and aff["language"]["es"] == (2, 1, 4.5)


def test_the_outside_trends_leave_out_private_entries_and_unlinked_names():
    """The trends recompute itself: three people on Heat make it public, a private entry or an
    unlinked name does not count."""
    heat = {"title": "Heat", "year": 1995, "catalog_id": "x", "private": False}
    top, genres = outside.expected_trends([[heat], [heat], [heat]])
    assert top == [("Heat", 3)] and genres == [("Crime", 3, 50.0), ("Thriller", 3, 50.0)]
    top, _ = outside.expected_trends([[heat], [heat], [{**heat, "private": True}]])
    assert top == []
    top, _ = outside.expected_trends([[heat], [heat], [{**heat, "catalog_id": None}]])
    assert top == []


def test_the_outside_instance_line_counts_people_from_three_and_no_private_entry():
    """The film line recompute itself: distinct people (a rewatch counts once), the mean over rated
    entries, nothing under three people, a private entry nowhere."""
    heat = {"catalog_id": "x", "private": False, "rating": 4.5}
    listings = [[heat, {**heat, "rating": None}], [{**heat, "rating": 3}], [{**heat, "private": True}]]
    assert outside.expected_instance(listings, "x") is None  # two people counted
    listings.append([{**heat, "rating": 1}])
    assert outside.expected_instance(listings, "x") == {"users": 3, "avg_rating": 2.83}
    assert outside.expected_instance(listings, "y") is None


def test_the_outside_calendar_follows_the_listing_order():
    """The calendar recompute itself: days, the earliest longest run, milestones in watched order
    with ties in the order added (the listing, newest first, reversed)."""
    listing = [{"id": f"e{i}", "date": d, "title": f"T{i}"} for i, d in enumerate(
        ["2024-01-03", "2024-01-02", "2024-01-02", "2023-05-01", "2023-04-30"])]
    cal = outside.expected_calendar(listing)
    assert cal["days"] == {"2023-04-30": 1, "2023-05-01": 1, "2024-01-02": 2, "2024-01-03": 1}
    assert cal["longest_streak"] == {"days": 2, "start": "2023-04-30", "end": "2023-05-01"}
    assert cal["current_streak"] == {"days": 0, "start": None, "end": None}
    assert cal["milestones"] == [{"n": 1, "date": "2023-04-30", "title": "T4", "entry_id": "e4"}]
