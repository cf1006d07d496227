"""CSV import parsing: formats, rating rounding, per-line errors."""

import pytest

from cinematch.domain.imports import UnreadableImport, parse_import

LETTERBOXD_DIARY = """Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date
2024-01-05,Heat,1995,https://boxd.it/a,3.5,,,2024-01-02
2024-01-06,Alien,1979,https://boxd.it/b,0.5,,,
2024-01-07,Unrated,2001,https://boxd.it/c,,,,2024-01-07
2024-01-08,Broken,1999,https://boxd.it/d,seven,,,2024-01-08
2024-01-09,Bad Date,1999,https://boxd.it/e,4,,,2024-13-40
"""


def test_letterboxd_diary_rounding_watched_date_and_line_errors():
    p = parse_import(LETTERBOXD_DIARY.encode())
    assert p.format == "letterboxd-diary"
    assert [(r.line, r.name, r.rating, r.date, r.year) for r in p.rows] == [
        (2, "Heat", 4, "2024-01-02", 1995),  # 3.5 rounds half up; Watched Date wins over Date
        (3, "Alien", 1, "2024-01-06", 1979),  # 0.5 -> 1; no Watched Date: Date
    ]
    assert p.skipped == 1  # watched, not rated
    assert [(e.line, "rating" in e.reason or "date" in e.reason) for e in p.errors] == [(5, True), (6, True)]


def test_letterboxd_ratings():
    p = parse_import("Date,Name,Year,Letterboxd URI,Rating\n2023-05-01,Fargo,1996,https://boxd.it/x,2.5\n")
    assert p.format == "letterboxd-ratings"
    assert [(r.name, r.rating, r.date) for r in p.rows] == [("Fargo", 3, "2023-05-01")]


@pytest.mark.parametrize("points,stars", [(1, 1), (2, 1), (3, 2), (4, 2), (5, 3), (6, 3), (7, 4), (8, 4), (9, 5), (10, 5)])
def test_imdb_ratings_map_half_up(points, stars):
    csv = ("Const,Your Rating,Date Rated,Title,Original Title,URL,Title Type,IMDb Rating,Runtime (mins),Year,"
           "Genres,Num Votes,Release Date,Directors\n"
           f'tt0113277,{points},2020-02-02,Heat,Heat,https://imdb,Movie,8.3,170,1995,"Action, Crime, Drama",1,'
           "1995-12-15,Michael Mann\n")
    [row] = parse_import(csv).rows
    assert (row.rating, row.imdb_id, row.genres, row.director, row.duration, row.date) == (
        stars, "tt0113277", ["Action", "Crime", "Drama"], "Michael Mann", 170, "2020-02-02")


def test_imdb_out_of_range():
    csv = "Const,Your Rating,Date Rated,Title,Year\ntt1,11,2020-01-01,X,2000\ntt2,0,2020-01-01,Y,2000\n"
    p = parse_import(csv)
    assert p.rows == [] and [e.line for e in p.errors] == [2, 3]


def test_generic_names_are_data():
    long = "x" * 10_000
    csv = f'name,year,rating,date\n"a.b$c",,5,2024-02-29\n"{long}",2000,3,\n"Ünïcødé 映画",,2,\n ,,3,\n'
    p = parse_import(csv)
    assert [r.name for r in p.rows] == ["a.b$c", long, "Ünïcødé 映画"]
    assert [(e.line, e.reason) for e in p.errors] == [(5, "name is empty")]


def test_too_many_fields_and_blank_lines():
    p = parse_import("name,rating\nA,3\n\nB,4,extra\nC,5\n")
    assert [r.name for r in p.rows] == ["A", "C"] and [e.line for e in p.errors] == [4]


@pytest.mark.parametrize("data", [b"", b"foo,bar\n1,2\n", b"\xff\xfe\x00garbage", "name,rating\nA\x00,3\n"])
def test_unreadable_files(data):
    with pytest.raises(UnreadableImport):
        parse_import(data)
