"""Imports a person can repeat, through the API: every format twice adds nothing the second
time, another export of the same history adds only what is new, `dry_run` writes nothing, an
import can be undone, watchlists come along, and the backup round-trips with all of it."""

import time

import pytest

from tests.support import wait_synced

from ..unit.test_imports import FIXTURES, zipped
from .test_api import client, login  # noqa: F401 - the fixture

CATALOG = [{"title": "Heat", "year": 1995, "genres": ["Crime", "Drama"], "director": "Michael Mann", "duration": 170},
           {"title": "Alien", "year": 1979, "genres": ["Horror"], "director": "Ridley Scott", "duration": 117},
           {"title": "Stalker", "year": 1979, "genres": ["Sci-Fi"], "director": "Andrei Tarkovsky", "duration": 162}]

UPLOADS = {
    "letterboxd-export": lambda: zipped("letterboxd"),
    "letterboxd-diary": lambda: (FIXTURES / "letterboxd" / "diary.csv").read_bytes(),
    "imdb": lambda: (FIXTURES / "imdb" / "ratings-2024.csv").read_bytes(),
    "trakt-export": lambda: zipped("trakt"),
    "generic": lambda: b"name,year,rating,date\r\nHeat,1995,4.5,2024-01-02\r\nSeen,,,2024-01-03\r\n",
}


def upload(client, h, raw: bytes, **query):  # noqa: F811
    r = client.post("/api/movies/import", params=query, files={"file": ("export", raw, "application/octet-stream")},
                    headers=h)
    assert r.status_code == 200, r.text
    return r.json()


def admin(client):  # noqa: F811
    h = login(client, "admin", "adminpass1")
    assert client.post("/api/admin/catalog", json=CATALOG, headers=h).status_code == 200


@pytest.mark.parametrize("fmt", list(UPLOADS))
def test_every_format_imported_twice_adds_nothing_the_second_time(client, fmt):  # noqa: F811
    admin(client)
    h = login(client)
    raw = UPLOADS[fmt]()
    preview = upload(client, h, raw, dry_run="true")
    assert client.get("/api/movies", headers=h).json()["total"] == 0  # the preview wrote nothing
    assert client.get("/api/me/imports", headers=h).json()["items"] == []
    first = upload(client, h, raw)
    assert first["format"] == fmt and first["imported"] > 0 and first["errors"] == []
    assert {k: preview[k] for k in ("imported", "duplicates", "skipped", "watchlist")} == \
        {k: first[k] for k in ("imported", "duplicates", "skipped", "watchlist")}
    second = upload(client, h, raw)
    assert (second["imported"], second["duplicates"]) == (0, first["imported"])
    assert second["batch_id"] == first["batch_id"]
    assert client.get("/api/movies", headers=h).json()["total"] == first["imported"]
    assert [b["imported"] for b in client.get("/api/me/imports", headers=h).json()["items"]] == [first["imported"]]


def test_another_export_of_the_same_history_adds_only_what_is_new(client):  # noqa: F811
    h = login(client)
    diary = upload(client, h, UPLOADS["letterboxd-diary"]())
    whole = upload(client, h, UPLOADS["letterboxd-export"]())
    assert diary["imported"] == 5
    # Fargo, Amélie, Paris Texas are new; one diary entry the export rates (ratings.csv) is updated, and
    # Heat too: the export's reviews.csv and likes/films.csv give it its review and its like
    assert (whole["imported"], whole["duplicates"], whole["updated"]) == (3, 3, 2)
    assert client.get("/api/movies?limit=100", headers=h).json()["total"] == 8


def test_an_import_can_be_undone(client):  # noqa: F811
    h = login(client)
    mine = client.post("/api/movies", json={"name": "By hand", "rating": 3}, headers=h).json()
    report = upload(client, h, UPLOADS["letterboxd-export"]())
    assert client.get("/api/movies?limit=100", headers=h).json()["total"] == 1 + report["imported"]
    wait_synced(client, h)
    assert client.delete(f"/api/me/imports/{report['batch_id']}", headers=h).status_code == 204
    assert [i["id"] for i in client.get("/api/movies", headers=h).json()["items"]] == [mine["id"]]
    assert client.get("/api/me/imports", headers=h).json()["items"] == []
    assert client.delete(f"/api/me/imports/{report['batch_id']}", headers=h).status_code == 404
    stats = wait_synced(client, h)
    assert (stats["total_watched"], stats["sum_ratings"]) == (1, 3)
    other = login(client, "bruno")  # another user cannot undo (or see) it
    again = upload(client, h, UPLOADS["letterboxd-export"]())
    assert again["imported"] == report["imported"]  # undone, the same file imports again
    assert client.delete(f"/api/me/imports/{again['batch_id']}", headers=other).status_code == 404


def test_watchlists_come_with_the_exports_and_logging_a_film_takes_it_off(client):  # noqa: F811
    admin(client)
    h = login(client)
    report = upload(client, h, UPLOADS["letterboxd-export"]())
    assert report["watchlist"] == 1  # Stalker; Heat is already in the diary
    [item] = client.get("/api/me/watchlist", headers=h).json()["items"]
    assert (item["title"], item["year"], item["catalog_id"]) == ("Stalker", 1979, "stalker|1979")
    assert upload(client, h, UPLOADS["trakt-export"]())["watchlist"] == 0  # the same film: one item
    added = client.post("/api/me/watchlist", json={"name": "Alien"}, headers=h)
    assert added.status_code == 201 and added.json()["year"] == 1979
    assert len(client.get("/api/me/watchlist", headers=h).json()["items"]) == 2
    client.post("/api/movies", json={"name": "Stalker", "rating": 5}, headers=h)
    assert [i["title"] for i in client.get("/api/me/watchlist", headers=h).json()["items"]] == ["Alien"]
    assert client.delete(f"/api/me/watchlist/{added.json()['id']}", headers=h).status_code == 204
    assert client.get("/api/me/watchlist", headers=h).json()["items"] == []
    assert client.delete(f"/api/me/watchlist/{added.json()['id']}", headers=h).status_code == 404
    assert client.post("/api/me/watchlist", json={"name": ""}, headers=h).status_code == 400


def test_the_backup_carries_half_stars_rewatches_tags_and_the_watchlist(client):  # noqa: F811
    admin(client)
    h = login(client)
    upload(client, h, UPLOADS["letterboxd-export"]())
    before = wait_synced(client, h)
    backup = client.get("/api/me/export?format=json", headers=h).content
    other = login(client, "bruno")
    out = upload(client, other, backup)
    assert (out["format"], out["errors"], out["watchlist"]) == ("cinematch-backup", [], 1)
    after = wait_synced(client, other)
    for key in ("total_watched", "rated_count", "sum_ratings", "watch_time_minutes", "avg_duration",
                "rating_distribution", "monthly_counts", "genres"):
        assert after[key] == before[key], key
    mine = sorted((e["name"], e["rating"], e["date"], e["rewatch"], e["tags"])
                  for e in client.get("/api/movies?limit=100", headers=h).json()["items"])
    theirs = sorted((e["name"], e["rating"], e["date"], e["rewatch"], e["tags"])
                    for e in client.get("/api/movies?limit=100", headers=other).json()["items"])
    assert mine == theirs and ("Heat", 4.5, "2024-01-02", False, ["cinema", "with Ana"]) in mine
    csv_text = client.get("/api/me/export?format=letterboxd", headers=h).text
    assert "Heat,1995,,4.5,2024-01-02,,\"cinema, with Ana\"" in csv_text.replace("\r\n", "\n")


def test_an_import_in_the_background_is_followed_to_the_same_report(client):  # noqa: F811
    """`background=true`: 202 with a job at once; the job says how far it got, then gives the report
    the same upload gets in the foreground; only its owner sees it."""
    admin(client)
    h, other = login(client), login(client, "bob")
    rows = "".join(f"Film {i},,{(i % 10 + 1) / 2},2024-01-{i % 28 + 1:02d}\n" for i in range(5000))
    raw = ("name,year,rating,date\n" + rows).encode()
    r = client.post("/api/movies/import", params={"background": "true"}, content=raw,
                    headers={**h, "content-type": "text/csv"})
    assert r.status_code == 202 and r.json()["state"] in ("reading", "importing", "done")
    job = r.json()["job_id"]
    seen = []
    for _ in range(600):
        state = client.get(f"/api/me/imports/jobs/{job}", headers=h).json()
        seen.append((state["state"], state["done"]))
        if state["state"] in ("done", "failed"):
            break
        time.sleep(0.02)
    assert state["state"] == "done" and state["done"] == state["total"] == 5000, state
    assert [d for _, d in seen] == sorted(d for _, d in seen)  # progress only grows
    report = state["report"]
    assert (report["imported"], report["errors"]) == (5000, [])
    assert client.get("/api/movies", headers=h).json()["total"] == 5000
    assert client.get(f"/api/me/imports/jobs/{job}", headers=other).status_code == 404
    # the same upload in the foreground: the same report (nothing twice)
    again = upload(client, h, raw)
    assert (again["imported"], again["duplicates"], again["batch_id"]) == (0, 5000, report["batch_id"])
    # a file that cannot be read fails the job with the reason
    r = client.post("/api/movies/import", params={"background": "true"}, content=b"\x00\x01",
                    headers={**h, "content-type": "text/csv"})
    bad = r.json()["job_id"]
    for _ in range(200):
        state = client.get(f"/api/me/imports/jobs/{bad}", headers=h).json()
        if state["state"] != "reading":
            break
        time.sleep(0.02)
    assert state["state"] == "failed" and "not text" in state["error"]
