"""The importers on exports real people published (shared/real-exports beside the repository,
origin in its MANIFEST; never copied into the project), and on fixtures written for what those
files lack (IMDb sites in other languages, lists, CineMatch's own CSV). Counts come from the files
themselves, never typed in."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest

from ..unit.test_imports import zipped  # a folder as one ZIP, the way each service ships it
from .test_api import client, login  # noqa: F401 - the fixture

REAL = Path(__file__).resolve().parents[3] / "shared" / "real-exports"
LETTERBOXD = sorted((REAL / "letterboxd").glob("*")) if REAL.is_dir() else []


def rows_of(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def send(client, h, raw: bytes, filename: str, **query):  # noqa: F811
    r = client.post("/api/movies/import", params=query, files={"file": (filename, raw, "text/csv")}, headers=h)
    assert r.status_code == 200, r.text
    return r.json()


def test_the_real_exports_are_here():
    """CI lays shared/ beside the checkout: the tests below must not pass by finding nothing."""
    assert LETTERBOXD and all((d / "watchlist.csv").exists() for d in LETTERBOXD)


@pytest.mark.parametrize("folder", LETTERBOXD, ids=lambda p: p.name)
def test_a_letterboxd_watchlist_uploaded_alone_goes_to_the_watchlist(client, folder):  # noqa: F811
    h = login(client)
    path = folder / "watchlist.csv"
    films = {(r["Name"].strip().casefold(), r["Year"]) for r in rows_of(path)}
    report = send(client, h, path.read_bytes(), "watchlist.csv")
    assert (report["format"], report["imported"]) == ("letterboxd-watchlist", 0)
    assert client.get("/api/movies", headers=h).json()["total"] == 0  # never watches
    listed = client.get("/api/me/watchlist", headers=h).json()["items"]
    assert report["watchlist"] == len(listed) == len(films)
    # the same bytes as a plain body with its name in the query: the same place
    h2 = login(client, "bob")
    r = client.post("/api/movies/import", params={"filename": "watchlist.csv", "dry_run": "true"},
                    content=path.read_bytes(), headers={**h2, "content-type": "text/csv"})
    assert r.json()["watchlist"] == len(films) and r.json()["imported"] == 0


@pytest.mark.parametrize("folder", LETTERBOXD, ids=lambda p: p.name)
def test_a_letterboxd_diary_imports_every_row_once(client, folder):  # noqa: F811
    h = login(client)
    path = folder / "diary.csv"
    rows = rows_of(path)
    report = send(client, h, path.read_bytes(), "diary.csv")
    assert report["imported"] + report["duplicates"] + len(report["errors"]) == len(rows)
    assert client.get("/api/movies", headers=h).json()["total"] == report["imported"]
    again = send(client, h, path.read_bytes(), "diary.csv")
    assert again["imported"] == 0


def list_films(path: Path) -> tuple[str, int]:
    """A list file's name and the number of its films, read from the file: the rows of its
    Position table."""
    text = path.read_text(encoding="utf-8-sig")
    head, _, films = text.partition("\nPosition,")
    meta = list(csv.DictReader(io.StringIO(head[head.index("Date,Name"):])))
    return meta[0]["Name"].strip(), len(list(csv.DictReader(io.StringIO("Position," + films)))) if films else 0


@pytest.mark.parametrize("folder", LETTERBOXD, ids=lambda p: p.name)
def test_a_whole_letterboxd_export_keeps_its_reviews_likes_and_lists(client, folder):  # noqa: F811
    h = login(client)
    report = send(client, h, zipped(folder), "letterboxd-export.zip")
    entries = client.get("/api/movies", params={"limit": 1000}, headers=h).json()
    items = entries["items"]
    while len(items) < entries["total"]:
        items += client.get("/api/movies", params={"limit": 1000, "offset": len(items)}, headers=h).json()["items"]
    # every review row is an entry's review: its diary entry's, or a watch of its own
    reviews = [r for r in rows_of(folder / "reviews.csv") if r["Review"].strip()]
    assert sorted(e["review"] for e in items if e["review"]) == sorted(r["Review"].strip() for r in reviews)
    assert not any("review of a diary entry" in n["reason"] for n in report.get("notes", []))
    # every like reaches the latest watch of its film, or is said to have none
    likes = rows_of(folder / "likes" / "films.csv") if (folder / "likes" / "films.csv").exists() else []
    liked = {(e["name"].casefold(), e["year"]) for e in items if e["liked"]}
    unmatched = [n for n in report.get("notes", []) if n["reason"].startswith("likes/films.csv")]
    assert len(liked) + len(unmatched) == len(likes)
    # every list, in its order, with every film it names
    files = sorted((folder / "lists").glob("*.csv"))
    mine = client.get("/api/me/lists", headers=h).json()["items"]
    assert report["lists"] == len(mine) == len(files)
    assert sorted((m["name"], m["count"]) for m in mine) == sorted(list_films(f) for f in files)
    again = send(client, h, zipped(folder), "letterboxd-export.zip")
    assert (again["imported"], again["updated"], again["lists"]) == (0, 0, 0)


EVERY_FILE = sorted(p for d in LETTERBOXD for p in d.rglob("*.csv"))
# What each Letterboxd file is, uploaded alone: where its rows go, or the reason it is refused.
NOT_IMPORTS = {"comments.csv", "profile.csv", "lists.csv"}  # comments, the profile, likes of others' lists


@pytest.mark.parametrize("path", EVERY_FILE, ids=lambda p: p.relative_to(REAL).as_posix())
def test_every_real_file_alone_goes_to_its_place_or_says_why_not(client, path):  # noqa: F811
    h = login(client)
    raw = path.read_bytes()
    r = client.post("/api/movies/import", params={"filename": path.name}, content=raw,
                    headers={**h, "content-type": "text/csv"})
    where = path.relative_to(path.parents[1]).as_posix()
    if path.parent.name == "likes" and path.name == "films.csv":
        assert r.status_code == 400 and "likes/films.csv" in r.json()["detail"]
    elif path.name in NOT_IMPORTS or (path.parent.name == "likes" and path.name == "reviews.csv"):
        assert r.status_code == 400 and r.json()["detail"], where  # said, never a silent drop
    elif path.parent.name == "lists":
        name, films = list_films(path)
        assert r.status_code == 200 and (r.json()["format"], r.json()["lists"], r.json()["imported"]) == (
            "letterboxd-list", 1, 0)
        [made] = client.get("/api/me/lists", headers=h).json()["items"]
        assert (made["name"], made["count"]) == (name, films)
    else:
        assert r.status_code == 200, (where, r.text)
        report, rows = r.json(), rows_of(path)
        assert report["imported"] + report["duplicates"] + report["skipped"] + len(report["errors"]) + \
            report["watchlist"] >= len(rows) or report["format"] == "letterboxd-watchlist", where


# An IMDb export from a site in another language: "Title Type" is translated (the words of each
# site), the other columns are not.
TRANSLATED = {
    "it": [("Film", True), ("Film TV", True), ("Corto", True), ("Serie TV", False), ("Episodio TV", False),
           ("Miniserie TV", False)],
    "de": [("Film", True), ("Fernsehfilm", True), ("Kurzfilm", True), ("Fernsehserie", False),
           ("Mini-Serie", False), ("Videospiel", False)],
    "es": [("Película", True), ("Película de TV", True), ("Cortometraje", True), ("Serie de TV", False),
           ("Episodio de TV", False), ("Videojuego", False)],
    "fr": [("Film", True), ("Téléfilm", True), ("Court métrage", True), ("Série TV", False),
           ("Épisode TV", False), ("Jeu vidéo", False)],
    "pt": [("Filme", True), ("Filme para TV", True), ("Curta-metragem", True), ("Série de TV", False),
           ("Minissérie", False), ("Episódio de TV", False)],
}


def imdb_export(kinds: list[tuple[str, bool]]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["Const", "Your Rating", "Date Rated", "Title", "Original Title", "URL", "Title Type", "IMDb Rating",
                "Runtime (mins)", "Year", "Genres", "Num Votes", "Release Date", "Directors"])
    for i, (kind, _) in enumerate(kinds):
        w.writerow([f"tt{1000000 + i}", 7, f"2024-02-{i + 1:02d}", f"Titolo {i}", f"Titolo {i}", "", kind, 7.1, 100,
                    2001 + i, "Drama", 10, "2001-01-01", "Someone"])
    return out.getvalue().encode()


@pytest.mark.parametrize("language", list(TRANSLATED))
def test_an_imdb_export_from_another_language_imports_its_films(client, language):  # noqa: F811
    h = login(client)
    kinds = TRANSLATED[language]
    report = send(client, h, imdb_export(kinds), "ratings.csv")
    assert report["imported"] == sum(film for _, film in kinds)
    assert report["skipped"] == sum(not film for _, film in kinds)


def test_an_imdb_list_export_goes_to_the_watchlist(client):  # noqa: F811
    h = login(client)
    raw = ("Position,Const,Created,Modified,Description,Title,Original Title,URL,Title Type,IMDb Rating,"
           "Runtime (mins),Year,Genres,Num Votes,Release Date,Directors\n"
           "1,tt0113277,2024-03-01,2024-03-01,,Heat,Heat,,Movie,8.3,170,1995,Crime,1,1995-12-15,Michael Mann\n"
           "2,tt0078748,2024-03-02,2024-03-02,,Alien,Alien,,Movie,8.5,117,1979,Horror,1,1979-05-25,Ridley Scott\n"
           "3,tt0903747,2024-03-03,2024-03-03,,Breaking Bad,Breaking Bad,,TV Series,9.5,49,2008,Drama,1,,\n")
    report = send(client, h, raw.encode(), "WATCHLIST.csv")
    assert (report["format"], report["imported"], report["watchlist"], report["skipped"]) == ("imdb-list", 0, 2, 1)
    assert client.get("/api/movies", headers=h).json()["total"] == 0


def test_cinematchs_own_letterboxd_csv_imports_back_as_the_person_logged_it(client):  # noqa: F811
    h = login(client)
    for body in ({"name": "Christine", "year": 1983, "rating": 5, "date": "2017-09-30"},
                 {"name": "Se7en", "rating": 4.5, "date": "2018-01-02", "rewatch": True, "tags": ["cinema", "=cmd"]},
                 {"name": "Unrated One", "date": "2019-03-04"}):
        assert client.post("/api/movies", json=body, headers=h).status_code == 201
    exported = client.get("/api/me/export", params={"format": "letterboxd"}, headers=h)
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"
    h2 = login(client, "bob")
    report = send(client, h2, exported.content, "cinematch-letterboxd.csv")
    assert (report["format"], report["imported"], report["errors"]) == ("letterboxd-import", 3, [])

    def mine(headers):
        return sorted((e["name"], e["rating"], e["date"], e["rewatch"], e["tags"])
                      for e in client.get("/api/movies", headers=headers).json()["items"])
    assert mine(h2) == mine(h)


@pytest.mark.parametrize("raw,filename,reason", [
    (b"name,year\nHeat,1995\n", "export.zip", "not a readable ZIP archive"),
    (b"PK\x03\x04" + b"\0" * 40, "letterboxd.zip", "ZIP archive"),
])
def test_a_file_that_is_not_what_its_name_says_is_refused_with_the_reason(client, raw, filename, reason):  # noqa: F811
    h = login(client)
    r = client.post("/api/movies/import", files={"file": (filename, raw, "application/zip")}, headers=h)
    assert r.status_code == 400 and reason in r.json()["detail"], r.text


def test_a_damaged_letterboxd_zip_is_named_as_such(client):  # noqa: F811
    h = login(client)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("diary.csv", "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n" * 50)
    cut = buf.getvalue()[:60]  # the archive cut short
    r = client.post("/api/movies/import", files={"file": ("letterboxd.zip", cut, "application/zip")}, headers=h)
    assert r.status_code == 400 and "ZIP" in r.json()["detail"]


def test_a_later_export_updates_what_it_names_and_undo_puts_it_back(client):  # noqa: F811
    """A real diary.csv, then "a year later" the same file with rows edited the way people edit them
    (another date, a corrected title, a new rating, new tags) and new rows: the edited entries are
    updated in place, none doubled; undoing the later import puts them back as they were."""
    from tests.outside import recompute
    from tests.support import wait_synced
    path = LETTERBOXD[0] / "diary.csv"
    rows = rows_of(path)
    header = list(rows[0])
    later = [dict(r) for r in rows]
    edited = {}
    for i, r in enumerate(later[:40]):
        change = i % 4
        if change == 0:
            r["Watched Date"] = "2020-01-0" + str(1 + i % 9)
        elif change == 1:
            r["Name"] = r["Name"] + " (Director's Cut)"
        elif change == 2:
            r["Rating"] = "5" if r["Rating"] != "5" else "1"
        else:
            r["Tags"] = "rewatched at home"
        edited[r["Letterboxd URI"]] = r
    later += [{**rows[0], "Name": f"New Film {k}", "Letterboxd URI": f"https://boxd.it/new{k}",
               "Watched Date": "2019-11-0" + str(k + 1)} for k in range(3)]

    def csv_of(records):
        out = io.StringIO()
        w = csv.DictWriter(out, fieldnames=header)
        w.writeheader()
        w.writerows(records)
        return out.getvalue().encode()

    h = login(client)
    first = send(client, h, path.read_bytes(), "diary.csv")
    before = sorted((e["id"], e["name"], e["date"], e["rating"], tuple(e["tags"]))
                    for e in client.get("/api/movies", params={"limit": 1000}, headers=h).json()["items"])
    preview = send(client, h, csv_of(later), "diary.csv", dry_run="true")
    second = send(client, h, csv_of(later), "diary.csv")
    assert (second["imported"], second["updated"]) == (3, len(edited))
    assert {k: preview[k] for k in ("imported", "updated", "duplicates")} == {
        k: second[k] for k in ("imported", "updated", "duplicates")}  # the preview said what the import did
    items = client.get("/api/movies", params={"limit": 1000}, headers=h).json()["items"]
    assert len(items) == first["imported"] + 3  # nothing doubled
    stats = wait_synced(client, h)
    want, _ = recompute(items)
    assert {k: stats[k] for k in want} == want
    assert client.delete(f"/api/me/imports/{second['batch_id']}", headers=h).status_code == 204
    after = sorted((e["id"], e["name"], e["date"], e["rating"], tuple(e["tags"]))
                   for e in client.get("/api/movies", params={"limit": 1000}, headers=h).json()["items"])
    assert after == before
    stats = wait_synced(client, h)
    want, _ = recompute(client.get("/api/movies", params={"limit": 1000}, headers=h).json()["items"])
    assert {k: stats[k] for k in want} == want


TRAKT = sorted((REAL / "trakt").glob("*")) if REAL.is_dir() else []


@pytest.fixture
def live(tmp_path):
    """The API on today's clock: these exports hold watches up to a few months ago."""
    from litestar.testing import TestClient

    from cinematch.adapters.clock import SystemClock
    from cinematch.entrypoints.web import create_app
    from tests.support import wired
    c = wired("sqlite", data_dir=tmp_path, clock=SystemClock())
    with TestClient(create_app(c)) as cl:
        yield cl
    c.storage.db().close()


@pytest.mark.parametrize("folder", TRAKT, ids=lambda p: p.name)
def test_a_real_trakt_export_counts_every_play_and_its_watchlist(live, folder):
    import json
    watched = json.loads((folder / "watched-movies.json").read_text())
    plays = sum(max(1, item["plays"]) for item in watched)
    listed = [i for i in json.loads((folder / "watchlist.json").read_text()) if i.get("type") == "movie"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:  # as Trakt ships it: the files in one folder
        for f in sorted(folder.glob("*.json")):
            z.writestr(f"{folder.name}/{f.name}", f.read_bytes())
    h = login(live)
    report = send(live, h, buf.getvalue(), "trakt-export.zip")
    assert (report["imported"], report["errors"]) == (plays, [])
    items = live.get("/api/movies", params={"limit": 1000}, headers=h).json()
    assert items["total"] == plays
    rewatches = sum(item["plays"] - 1 for item in watched if item["plays"] > 1)
    everything = []
    for offset in range(0, plays, 1000):
        everything += live.get("/api/movies", params={"limit": 1000, "offset": offset}, headers=h).json()["items"]
    assert sum(e["rewatch"] for e in everything) == rewatches  # a film's later plays are rewatches
    seen: dict[str, set] = {}
    for e in everything:
        seen.setdefault(e["name"].casefold(), set()).add(e["year"])

    def watched(title, year):  # the rule of docs/your-data.md: a film logged, a missing year matching any
        years = seen.get(title.casefold(), set())
        return bool(years) and (year is None or None in years or year in years)
    assert report["watchlist"] == len({(i["movie"]["title"], i["movie"]["year"]) for i in listed
                                       if not watched(i["movie"]["title"], i["movie"]["year"])})
    # each file alone, named or not: the same reading
    h2 = login(live, "bob")
    alone = send(live, h2, (folder / "ratings-movies.json").read_bytes(), "upload.json", dry_run="true")
    ratings = [i for i in json.loads((folder / "ratings-movies.json").read_text()) if i.get("type") == "movie"]
    assert alone["imported"] == len({(i["movie"]["title"], i["movie"]["year"]) for i in ratings})
    alone = send(live, h2, (folder / "watched-movies.json").read_bytes(), "watched-movies.json", dry_run="true")
    assert alone["imported"] == plays
