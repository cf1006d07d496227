"""Import parsing, format by format, from files shaped like the real exports (CRLF line ends,
the exact headers; tests/fixtures/exports/): half stars kept, unrated watches kept, rows
that are not films skipped with their reason, a watch said twice in one export kept once."""

import io
import zipfile
from pathlib import Path

import pytest

from cinematch.domain.imports import UnreadableImport, parse_import

FIXTURES = Path(__file__).parents[1] / "fixtures" / "exports"


def zipped(folder: str | Path, prefix: str = "") -> bytes:
    """The folder (a fixture's name, or any path) as a ZIP archive, the way the service hands it out."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted((FIXTURES / folder).rglob("*")):
            if path.is_file():
                z.write(path, prefix + path.relative_to(FIXTURES / folder).as_posix())
    return out.getvalue()


def watches(p):
    return [(r.name, r.year, r.rating, r.date, r.rewatch, r.tags) for r in p.rows]


def test_letterboxd_diary_keeps_half_stars_unrated_rewatches_and_tags():
    raw = (FIXTURES / "letterboxd" / "diary.csv").read_bytes()
    assert b"\r\n" in raw
    p = parse_import(raw)
    assert p.format == "letterboxd-diary" and p.errors == []
    assert watches(p) == [
        ("Heat", 1995, 4.5, "2024-01-02", False, ["cinema", "with Ana"]),  # Watched Date wins over Date
        ("Alien", 1979, 0.5, "2024-01-05", False, None),
        ("Alien", 1979, 3, "2024-02-09", True, None),
        ("Brazil", 1985, None, "2024-02-28", False, None),  # watched, not rated
        ("Crouching Tiger, Hidden Dragon", 2000, 5, "2024-03-03", False, None),
    ]


def test_the_letterboxd_export_zip_is_one_watch_per_watch():
    p = parse_import(zipped("letterboxd"))
    assert p.format == "letterboxd-export" and p.errors == []
    assert sorted(watches(p), key=repr) == sorted([
        ("Heat", 1995, 4.5, "2024-01-02", False, ["cinema", "with Ana"]),  # diary + review + rating + watched: one
        ("Alien", 1979, 0.5, "2024-01-05", False, None),
        ("Alien", 1979, 3, "2024-02-09", True, None),  # a rewatch is a watch of its own
        ("Brazil", 1985, 3.5, "2024-02-28", False, None),  # unrated in the diary: the film's rating goes to it
        ("Crouching Tiger, Hidden Dragon", 2000, 5, "2024-03-03", False, None),
        ("Fargo", 1996, 4, "2023-11-20", False, None),  # reviewed without a diary entry: a watch
        ("Amélie", 2001, 5, "2022-06-01", False, None),  # rated, never logged: one watch, on the day rated
        ("Paris Texas", 1984, None, "2021-09-09", False, None),  # marked watched only: unrated
    ], key=repr)
    assert [(w.name, w.year, w.added) for w in p.watchlist] == [("Stalker", 1979, "2024-04-01"),
                                                                 ("Heat", 1995, "2024-04-02")]
    assert "Deleted Film" not in {r.name for r in p.rows}  # deleted/ holds what the person deleted
    # the review of a diary entry is not a row of its own: it gives the entry its words
    assert p.skipped == 4 and all(n.reason.split(":")[0].endswith(".csv") for n in p.notes)
    reviews = {(r.name, r.date): r.review for r in p.rows if r.review}
    assert reviews == {("Heat", "2024-01-02"): "The diner scene, again.", ("Fargo", "2023-11-20"): "Yah."}
    assert [r.name for r in p.rows if r.liked] == ["Heat"]  # likes/films.csv: the film's latest watch
    [favourites] = p.lists
    assert (favourites.name, favourites.identity, favourites.description) == (
        "favourites", "letterboxd:https://boxd.it/l", "The ones I go back to.")
    assert [(i.name, i.year, i.note) for i in favourites.items] == [
        ("Heat", 1995, "The diner."), ("Stalker", 1979, ""), ("Fargo", 1996, "")]
    # in a folder of its own inside the archive, the same
    assert sorted(watches(parse_import(zipped("letterboxd", "letterboxd-ana-2024-04-05-10-00-utc/"))), key=repr) == \
        sorted(watches(p), key=repr)


def test_a_list_export_alone_is_a_list_and_likes_alone_are_refused_with_the_reason():
    p = parse_import((FIXTURES / "letterboxd" / "lists" / "favourites.csv").read_bytes(), filename="favourites.csv")
    assert (p.format, p.rows, p.watchlist, len(p.lists), len(p.lists[0].items)) == ("letterboxd-list", [], [], 1, 3)
    # the first line some exports leave empty, a list without films, a broken year
    empty = "\nDate,Name,Tags,URL,Description\n2024-01-01,Empty,,https://boxd.it/e,\n"
    assert parse_import(empty).lists[0].items == []
    broken = empty + "\nPosition,Name,Year,URL,Description\n1,Heat,19x5,,\n2,Alien,1979,,\n"
    p = parse_import(broken)
    assert [i.name for i in p.lists[0].items] == ["Alien"] and [e.line for e in p.errors] == [6]
    with pytest.raises(UnreadableImport, match="likes/films.csv"):
        parse_import((FIXTURES / "letterboxd" / "likes" / "films.csv").read_bytes(), filename="films.csv")


def test_reviews_are_read_as_text_and_held_to_their_bound():
    long = "x" * 20_001
    p = parse_import(f"Title,Year,WatchedDate,Review\nHeat,1995,2024-01-02,<b>bold</b>\nAlien,1979,2024-01-03,{long}\n")
    assert [r.review for r in p.rows] == ["<b>bold</b>"]  # kept as written: the pages show it as text
    assert "20,000" in p.errors[0].reason


@pytest.mark.parametrize("name", ["ratings-2024.csv", "ratings-classic.csv"])
def test_imdb_ratings_in_both_header_variants(name):
    p = parse_import((FIXTURES / "imdb" / name).read_bytes())
    assert p.format == "imdb" and p.errors == []
    assert [(r.name, r.rating, r.imdb_id, r.year, r.date, r.duration, r.director) for r in p.rows] == [
        ("Heat", 4.5, "tt0113277", 1995, "2024-01-02", 170, "Michael Mann"),  # 9/10 -> 4.5 stars
        ("Amélie", 3.5, "tt0211915", 2001, "2024-01-05", 122, "Jean-Pierre Jeunet"),
    ]
    assert p.rows[0].genres == ["Action", "Crime", "Drama"]
    assert p.skipped == len(p.notes) >= 1 and all("not a film" in n.reason for n in p.notes)


@pytest.mark.parametrize("points,stars", [(1, 0.5), (2, 1), (3, 1.5), (7, 3.5), (10, 5)])
def test_imdb_points_are_half_the_stars(points, stars):
    csv = ("Const,Your Rating,Date Rated,Title,Year\n"
           f"tt0113277,{points},2020-02-02,Heat,1995\n")
    [row] = parse_import(csv).rows
    assert row.rating == stars


def test_the_trakt_export_zip():
    p = parse_import(zipped("trakt"), tz="Europe/Rome")
    assert p.format == "trakt-export" and p.errors == []
    assert sorted((r.name, r.year, r.rating, r.date, r.imdb_id) for r in p.rows) == [
        ("Alien", 1979, None, "2024-01-06", "tt0078748"),  # 23:30 UTC is the next day in Rome
        ("Alien", 1979, None, "2024-02-09", "tt0078748"),
        ("Fargo", 1996, 4, "2023-11-20", "tt0116282"),  # rated, never in the history: one watch
        ("Heat", 1995, 4.5, "2024-01-02", "tt0113277"),  # the film's rating goes to its play
    ]
    assert [(w.name, w.year) for w in p.watchlist] == [("Stalker", 1979)]
    assert any("not a film (episode)" in n.reason for n in p.notes)
    assert any("not a film (show)" in n.reason for n in p.notes)


def test_letterboxd_ratings_alone():
    p = parse_import("Date,Name,Year,Letterboxd URI,Rating\r\n2023-05-01,Fargo,1996,https://boxd.it/x,2.5\r\n")
    assert p.format == "letterboxd-ratings"
    assert [(r.name, r.rating, r.date) for r in p.rows] == [("Fargo", 2.5, "2023-05-01")]


def test_bad_rows_are_reported_by_line():
    csv = ("Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n"
           "2024-01-08,Broken,1999,https://boxd.it/d,seven,,,2024-01-08\n"
           "2024-01-09,Bad Date,1999,https://boxd.it/e,4,,,2024-13-40\n"
           "2024-01-09,Quarter,1999,https://boxd.it/f,4.25,,,2024-01-09\n")
    p = parse_import(csv)
    assert p.rows == [] and [e.line for e in p.errors] == [2, 3, 4]


def test_imdb_out_of_range():
    csv = "Const,Your Rating,Date Rated,Title,Year\ntt1,11,2020-01-01,X,2000\ntt2,0,2020-01-01,Y,2000\n"
    p = parse_import(csv)
    assert p.rows == [] and [e.line for e in p.errors] == [2, 3]


def test_generic_names_are_data():
    long = "x" * 10_000
    csv = f'name,year,rating,date\n"a.b$c",,5,2024-02-29\n"{long}",2000,3,\n"Ünïcødé 映画",,,\n ,,3,\n'
    p = parse_import(csv)
    assert [(r.name, r.rating) for r in p.rows] == [("a.b$c", 5), (long, 3), ("Ünïcødé 映画", None)]
    assert [(e.line, e.reason) for e in p.errors] == [(5, "name is empty")]


def test_too_many_fields_and_blank_lines():
    p = parse_import("name,rating\nA,3\n\nB,4,extra\nC,5\n")
    assert [r.name for r in p.rows] == ["A", "C"] and [e.line for e in p.errors] == [4]


def huge_member() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("diary.csv", b"Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n" + b" " * (65 << 20))
    return out.getvalue()


@pytest.mark.parametrize("data", [b"", b"foo,bar\n1,2\n", b"\xff\xfe\x00garbage", "name,rating\nA\x00,3\n",
                                  b"PK\x03\x04 not really a zip", zipped("imdb")])
def test_unreadable_files(data):
    with pytest.raises(UnreadableImport):
        parse_import(data)


def test_an_archive_that_unpacks_to_too_much_is_refused():
    data = huge_member()
    assert len(data) < 1 << 20  # a small upload
    with pytest.raises(UnreadableImport, match="larger"):
        parse_import(data)


def test_a_file_over_the_row_limit_is_refused_whole_not_cut(monkeypatch):
    from cinematch.domain.imports import UnreadableImport, parse_import
    from cinematch.domain.imports import rows as module
    monkeypatch.setattr(module, "MAX_ROWS", 10)
    body = "name,year,rating,date\n" + "".join(f"Film {i},2001,3,2024-01-01\n" for i in range(11))
    with pytest.raises(UnreadableImport, match="more than 10 rows"):
        parse_import(body.encode(), filename="big.csv")
    assert len(parse_import(body.encode()[: body.rindex("Film 10")]).rows) == 10  # at the limit: whole


async def test_a_trakt_rows_tmdb_id_links_the_catalog_film_that_has_it():
    """Two films of one title and year: the name alone picks the most voted; Trakt's `ids.tmdb`
    (and an IMDb id, first) picks the one it names."""
    from cinematch.domain import catalog_movie
    from tests.support import wired
    app = wired("memory")
    await app.storage.catalog().upsert([
        catalog_movie(id="a", title="The Killer", year=2023, votes=900, tmdb_id=800158),
        catalog_movie(id="b", title="The Killer", year=2023, votes=10, tmdb_id=1011985)])
    history = b'[{"id": 1, "type": "movie", "watched_at": "2024-05-01T20:00:00Z", "movie": {"title": "The Killer", ' \
              b'"year": 2023, "ids": {"trakt": 7, "tmdb": 1011985}}}, {"id": 2, "type": "movie", "watched_at": ' \
              b'"2024-05-02T20:00:00Z", "movie": {"title": "The Killer", "year": 2023, "ids": {"trakt": 8}}}]'
    report = await app.services.imports().import_file("u", history, filename="watched-history.json")
    assert report.imported == 2
    entries, _ = await app.storage.diary().snapshot("u")
    assert sorted((e.date, e.catalog_id) for e in entries) == [("2024-05-01", "b"), ("2024-05-02", "a")]
