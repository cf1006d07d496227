"""The HTTP API of docs/contract.md §3 through Litestar's test client, on the embedded (SQLite) profile."""


import pytest
from litestar.testing import TestClient

from cinematch.entrypoints.web import create_app
from tests.support import wait_synced, wired


def make_client(tmp_path, **settings):
    c = wired("sqlite", data_dir=tmp_path, admin_username="admin", admin_password="adminpass1", **settings)
    return c, TestClient(create_app(c))


@pytest.fixture
def client(tmp_path):
    c, cl = make_client(tmp_path)
    with cl:
        yield cl
    c.storage.db().close()


def login(cl, name="alice", password="correct-horse-42"):
    cl.post("/api/auth/register", json={"username": name, "password": password})
    r = cl.post("/api/auth/token", json={"username": name, "password": password})
    assert r.status_code == 200 and r.json()["token_type"] == "bearer"
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_register_rules(client):
    assert client.post("/api/auth/register", json={"username": "bob", "password": "correct-horse-42"}).status_code == 201
    assert client.post("/api/auth/register", json={"username": "BOB", "password": "correct-horse-42"}).status_code == 409
    for bad in ({"username": "b", "password": "correct-horse-42"}, {"username": "bob$", "password": "correct-horse-42"},
                {"username": "carol", "password": "short"}, {"username": "x" * 33, "password": "correct-horse-42"}):
        r = client.post("/api/auth/register", json=bad)
        assert r.status_code == 400 and r.json()["detail"]
    assert client.post("/api/auth/token", json={"username": "bob", "password": "wrong-pass"}).status_code == 401


def test_auth_matrix(client):
    alice, bob = login(client, "alice"), login(client, "bob")
    entry = client.post("/api/movies", json={"name": "Heat", "rating": 4}, headers=alice).json()
    assert client.get("/api/movies").status_code == 401
    assert client.get("/api/movies", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    # Another user's token: the entry simply is not there.
    assert client.patch(f"/api/movies/{entry['id']}", json={"rating": 1}, headers=bob).status_code == 404
    assert client.delete(f"/api/movies/{entry['id']}", headers=bob).status_code == 404
    assert client.get("/api/movies", headers=bob).json() == {"items": [], "total": 0}
    assert client.post("/api/admin/catalog", json=[{"title": "X"}], headers=alice).status_code == 403
    admin = login(client, "admin", "adminpass1")
    assert client.post("/api/admin/catalog", json=[{"title": "X"}], headers=admin).json() == {"upserted": 1}
    assert client.get("/api/trends/global").status_code == 200
    assert client.get("/api/genres").status_code == 200


@pytest.mark.parametrize("body", [
    {"name": "X", "rating": 0}, {"name": "X", "rating": 6}, {"name": "X", "rating": "five"},
    {"name": "X", "rating": 4.25}, {"name": "X", "rating": True}, {"name": "X", "rating": 3, "date": "2025-13-40"},
    {"name": "", "rating": 3}, {"rating": 3}, {"name": "X", "tags": ["t"] * 21}, {"name": "X", "rewatch": "yes"}, [], "x",
])
def test_bad_movie_bodies_are_400_with_a_reason(client, body):
    h = login(client)
    r = client.post("/api/movies", json=body, headers=h)
    assert r.status_code == 400, r.text
    assert r.json()["detail"]


@pytest.mark.parametrize("query", ["offset=9223372036854775808", "offset=99999999999999999999", "limit=0",
                                   "limit=abc", "offset=-1"])
def test_out_of_range_paging_is_400(client, query):
    # Found by the schemathesis run: a 2**63 offset overflowed SQLite into a 500.
    r = client.get(f"/api/movies?{query}", headers=login(client))
    assert r.status_code == 400 and r.json()["detail"]


def test_invalid_json_is_400(client):
    h = login(client)
    r = client.post("/api/movies", content=b"{nope", headers={**h, "Content-Type": "application/json"})
    assert r.status_code == 400


def test_names_are_data_not_operators(client):
    h = login(client)
    for name in ["$where", "a.b.c", "Città d'Ombra 🎬", "x" * 500]:
        r = client.post("/api/movies", json={"name": name, "rating": 3, "director": "$set.x", "actors": "J.J. Abrams"},
                        headers=h)
        assert r.status_code == 201 and r.json()["name"] == name
    stats = wait_synced(client, h)
    assert stats["total_watched"] == 4
    directors = client.get("/api/me/affinities?type=director", headers=h).json()["items"]
    assert directors == [{"name": "$set.x", "count": 4, "rated_count": 4, "sum_ratings": 12, "avg_rating": 3.0}]


def test_diary_crud_and_statistics(client):
    h = login(client)
    a = client.post("/api/movies", json={"name": "Inception", "rating": 5, "date": "2025-01-20",
                                         "genres": ["Sci-Fi", "Action"], "director": "Christopher Nolan",
                                         "duration": 148}, headers=h).json()
    b = client.post("/api/movies", json={"name": "Heat", "rating": 3, "date": "2025-02-01", "genres": ["Crime"],
                                         "director": "Michael Mann", "duration": 170}, headers=h).json()
    assert client.patch(f"/api/movies/{b['id']}", json={"rating": 4, "date": "2025-03-05"}, headers=h).json()["rating"] == 4
    listed = client.get("/api/movies", headers=h).json()
    assert listed["total"] == 2 and [e["id"] for e in listed["items"]] == [b["id"], a["id"]]
    stats = wait_synced(client, h)
    assert (stats["total_watched"], stats["sum_ratings"], stats["avg_rating"]) == (2, 9, 4.5)
    assert stats["rating_distribution"] == {"0.5": 0, "1": 0, "1.5": 0, "2": 0, "2.5": 0, "3": 0, "3.5": 0, "4": 1,
                                            "4.5": 0, "5": 1}
    assert stats["monthly_counts"] == {"2025": {"01": 1, "03": 1}}
    assert stats["watch_time_minutes"] == 318
    assert stats["favorite_genre"] == "Action"  # ties: count desc, then name asc
    by_avg = client.get("/api/me/affinities?type=director&sort=avg_rating", headers=h).json()["items"]
    assert [d["name"] for d in by_avg] == ["Christopher Nolan", "Michael Mann"]
    assert client.get("/api/me/affinities?type=nope", headers=h).status_code == 400
    assert client.delete(f"/api/movies/{a['id']}", headers=h).status_code == 204
    assert client.post("/api/me/stats/recalculate", headers=h).status_code == 202
    stats = wait_synced(client, h)
    assert stats["total_watched"] == 1 and stats["monthly_counts"] == {"2025": {"03": 1}}
    trends = client.get("/api/trends/global").json()
    assert trends["top_movies"] == []  # Heat is not in this test's catalog: typed names stay private
    assert trends["trending_genres"] == []


def test_restart_keeps_everything(tmp_path):
    c, cl = make_client(tmp_path, trends_min_users=1)
    with cl:
        admin = cl.post("/api/auth/token", json={"username": "admin", "password": "adminpass1"}).json()
        cl.post("/api/admin/catalog", json=[{"title": "Heat", "year": 1995, "genres": ["Crime"]}],
                headers={"Authorization": f"Bearer {admin['access_token']}"})
        h = login(cl)
        cl.post("/api/movies", json={"name": "Heat", "rating": 4, "genres": ["Crime"]}, headers=h)
        before = wait_synced(cl, h)
    c.storage.db().close()
    c2, cl2 = make_client(tmp_path, trends_min_users=1)
    with cl2:
        r = cl2.post("/api/auth/token", json={"username": "alice", "password": "correct-horse-42"})
        h2 = {"Authorization": f"Bearer {r.json()['access_token']}"}
        after = cl2.get("/api/me/stats", headers=h2).json()
        assert after["total_watched"] == before["total_watched"] == 1
        assert cl2.get("/api/trends/global").json()["top_movies"][0]["title"] == "Heat"
    c2.storage.db().close()


def test_openapi_schema_is_served(client):
    schema = client.get("/schema/openapi.json").json()
    assert "/api/movies" in schema["paths"] and "/api/me/stats" in schema["paths"]
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/ready").status_code == 200


def test_csv_import_reports_bad_lines_and_imports_the_rest(client):
    h = login(client)
    csv = ("Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n"
           "2024-01-05,Heat,1995,u,3.5,,,2024-01-02\n"
           "2024-01-06,Alien,1979,u,five,,,2024-01-06\n"
           "2024-01-07,Seen,2001,u,,,,2024-01-07\n"
           "2024-01-08,a.b$c,1999,u,4.5,,,2024-13-40\n"
           "2024-01-09,Fargo,1996,u,5,,,2024-01-09\n")
    r = client.post("/api/movies/import", content=csv.encode(), headers={**h, "Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["imported"], body["skipped"]) == (3, 0)
    assert [e["line"] for e in body["errors"]] == [3, 5] and all(e["reason"] for e in body["errors"])
    items = client.get("/api/movies", headers=h).json()["items"]
    assert sorted((i["name"], i["rating"], i["date"]) for i in items) == [
        ("Fargo", 5, "2024-01-09"), ("Heat", 3.5, "2024-01-02"), ("Seen", None, "2024-01-07")]
    stats = wait_synced(client, h)
    assert (stats["total_watched"], stats["rated_count"], stats["sum_ratings"]) == (3, 2, 8.5)


def test_csv_import_multipart_and_unreadable(client):
    h = login(client)
    files = {"file": ("ratings.csv", b"name,year,rating,date\nHeat,1995,4,2024-03-01\n", "text/csv")}
    r = client.post("/api/movies/import", files=files, headers=h)
    assert r.status_code == 200 and r.json()["imported"] == 1
    r = client.post("/api/movies/import", files={"other": ("x.csv", b"name,rating\nA,3\n", "text/csv")}, headers=h)
    assert r.status_code == 400 and "file" in r.json()["detail"]
    r = client.post("/api/movies/import", content=b"\x00\x01\x02", headers={**h, "Content-Type": "text/csv"})
    assert r.status_code == 400 and r.json()["detail"]
    assert client.post("/api/movies/import", content=b"name,rating\nA,3\n").status_code == 401


def test_export_and_import_back(client):
    h = login(client)
    for body in ({"name": "Heat", "rating": 4, "date": "2025-01-02", "genres": ["Crime"], "duration": 170},
                 {"name": "=1+1", "rating": 2, "date": "2025-01-03"}):
        assert client.post("/api/movies", json=body, headers=h).status_code == 201
    before = wait_synced(client, h)
    r = client.get("/api/me/export?format=json", headers=h)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    assert "attachment" in r.headers["content-disposition"] and r.json()["format"] == "cinematch-backup"
    backup = r.content
    csv_text = client.get("/api/me/export?format=letterboxd", headers=h).text
    assert csv_text.splitlines()[0] == "Title,Year,imdbID,Rating,WatchedDate,Rewatch,Tags,Review" and "'=1+1" in csv_text
    assert client.get("/api/me/export?format=xml", headers=h).status_code == 400
    assert client.get("/api/me/export").status_code == 401
    other = login(client, "bruno")
    out = client.post("/api/movies/import", content=backup, headers={**other, "content-type": "application/json"}).json()
    assert (out["format"], out["imported"], out["errors"]) == ("cinematch-backup", 2, [])
    after = wait_synced(client, other)
    for key in ("total_watched", "sum_ratings", "watch_time_minutes", "rating_distribution", "monthly_counts", "genres"):
        assert after[key] == before[key], key


def test_change_password_ends_every_older_token(client):
    h = login(client, "carla")
    assert client.post("/api/me/password", json={"password": "wrong-password-9", "new_password": "x"},
                       headers=h).status_code == 400
    assert client.post("/api/me/password", json={"password": "correct-horse-42", "new_password": "password12"},
                       headers=h).status_code == 400  # a common password is refused here too
    assert client.post("/api/me/password", json={"password": "correct-horse-42", "new_password": "another-horse-77"},
                       headers=h).status_code == 204
    assert client.get("/api/me/stats", headers=h).status_code == 401  # the old token is signed out
    assert client.post("/api/auth/token", json={"username": "carla", "password": "correct-horse-42"}).status_code == 401
    r = client.post("/api/auth/token", json={"username": "carla", "password": "another-horse-77"})
    h2 = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert client.post("/api/me/password", json={"password": "another-horse-77"}, headers=h2).status_code == 204
    assert client.get("/api/me/stats", headers=h2).status_code == 401  # without new_password: sign out everywhere


def test_half_stars_unrated_watches_rewatches_and_tags(client):
    h = login(client, "halfstars")
    half = client.post("/api/movies", json={"name": "Heat", "rating": 4.5, "duration": 170, "director": "Michael Mann",
                                            "rewatch": True, "tags": [" cinema ", "Cinema", "with Ana"]}, headers=h)
    assert half.status_code == 201, half.text
    assert (half.json()["rating"], half.json()["rewatch"], half.json()["tags"]) == (4.5, True, ["cinema", "with Ana"])
    unrated = client.post("/api/movies", json={"name": "Alien", "director": "Ridley Scott"}, headers=h).json()
    assert unrated["rating"] is None
    client.post("/api/movies", json={"name": "Brazil", "rating": 0.5, "duration": 132, "director": "Michael Mann"},
                headers=h)
    stats = wait_synced(client, h)
    assert (stats["total_watched"], stats["rated_count"], stats["sum_ratings"], stats["avg_rating"]) == (3, 2, 5, 2.5)
    assert stats["avg_duration"] == 151.0  # the entry of unknown duration is not a 0-minute film
    assert stats["rating_distribution"]["4.5"] == 1 and stats["rating_distribution"]["0.5"] == 1
    assert sum(stats["rating_distribution"].values()) == 2  # the unrated watch is in no bucket
    mann = client.get("/api/me/affinities?type=director", headers=h).json()["items"][0]
    assert (mann["name"], mann["count"], mann["rated_count"], mann["avg_rating"]) == ("Michael Mann", 2, 2, 2.5)
    # rate the unrated one, then take a rating away; absent fields stay as they were
    assert client.patch(f"/api/movies/{unrated['id']}", json={"rating": 3.5}, headers=h).json()["rating"] == 3.5
    patched = client.patch(f"/api/movies/{half.json()['id']}", json={"rating": None}, headers=h).json()
    assert (patched["rating"], patched["rewatch"], patched["tags"]) == (None, True, ["cinema", "with Ana"])
    stats = wait_synced(client, h)
    assert (stats["rated_count"], stats["sum_ratings"], stats["rating_distribution"]["4.5"]) == (2, 4, 0)
    ridley = client.get("/api/me/affinities?type=director", headers=h).json()["items"]
    assert {d["name"]: (d["count"], d["rated_count"], d["sum_ratings"]) for d in ridley} == {
        "Michael Mann": (2, 1, 0.5), "Ridley Scott": (1, 1, 3.5)}


def test_delete_account_takes_everything_and_needs_the_password(client):
    h = login(client, "leaving")
    other = login(client, "staying")
    client.post("/api/movies", json={"name": "Heat", "rating": 4}, headers=h)
    client.post("/api/movies", json={"name": "Heat", "rating": 4}, headers=other)
    wait_synced(client, h)
    assert client.request("DELETE", "/api/me", json={"password": "wrong-password-1"}, headers=h).status_code == 400
    assert client.request("DELETE", "/api/me", json={}, headers=h).status_code == 400
    assert client.request("DELETE", "/api/me", json={"password": "correct-horse-42"}).status_code == 401
    assert client.request("DELETE", "/api/me", json={"password": "correct-horse-42"}, headers=h).status_code == 204
    assert client.get("/api/movies", headers=h).status_code == 401  # its tokens end with it
    assert client.post("/api/auth/token", json={"username": "leaving", "password": "correct-horse-42"}).status_code == 401
    assert wait_synced(client, other)["total_watched"] == 1


def test_the_year_in_review(client):
    h = login(client, "yearly")
    for name, rating, date, duration in (("Heat", 4.5, "2024-03-01", 170), ("Alien", None, "2024-11-30", 117),
                                         ("Brazil", 2, "2025-01-01", 132), ("Fargo", 5, "2023-12-31", 98)):
        client.post("/api/movies", json={"name": name, "rating": rating, "date": date, "duration": duration,
                                         "director": f"{name} Director", "genres": ["Drama"]}, headers=h)
    year = client.get("/api/me/stats?year=2024", headers=h).json()
    assert (year["year"], year["total_watched"], year["rated_count"], year["sum_ratings"]) == (2024, 2, 1, 4.5)
    assert year["monthly_counts"] == {"2024": {"03": 1, "11": 1}} and year["watch_time_minutes"] == 287
    assert [m["name"] for m in year["recent_movies"]] == ["Alien", "Heat"]
    assert [d["name"] for d in year["most_watched_directors"]] == ["Alien Director", "Heat Director"]
    assert year["sync"]["status"] == "synced"
    everything = wait_synced(client, h)
    assert everything["total_watched"] == 4 and "year" not in everything
    assert client.get("/api/me/stats?year=1999", headers=h).json()["total_watched"] == 0
    for bad in ("1800", "abc", "20245"):
        assert client.get(f"/api/me/stats?year={bad}", headers=h).status_code == 400
    client.patch(f"/api/movies/{client.get('/api/movies', headers=h).json()['items'][0]['id']}",
                 json={"date": "2024-06-01"}, headers=h)  # Brazil moves into 2024: the review follows at once
    assert client.get("/api/me/stats?year=2024", headers=h).json()["total_watched"] == 3


def test_a_film_picked_from_search_is_logged_exactly(client):
    admin = login(client, "admin", "adminpass1")
    client.post("/api/admin/catalog", json=[{"title": "Heat", "year": 1995, "director": "Michael Mann", "votes": 700000},
                                            {"title": "Heat", "year": 1986, "director": "Dick Richards", "votes": 9000},
                                            {"title": "Godfather, The", "year": 1972}], headers=admin)
    h = login(client, "picker")
    found = client.get("/api/catalog/search?q=heat").json()["items"]
    old = next(m for m in found if m["year"] == 1986)
    entry = client.post("/api/movies", json={"name": "Heat", "catalog_id": old["id"], "rating": 3}, headers=h).json()
    assert (entry["catalog_id"], entry["year"], entry["director"]) == (old["id"], 1986, "Dick Richards")
    guessed = client.post("/api/movies", json={"name": "Heat", "rating": 3}, headers=h).json()
    assert guessed["year"] == 1995  # no year, no pick: the most voted
    assert client.post("/api/movies", json={"name": "The Godfather", "rating": 5}, headers=h).json()["catalog_id"]
    r = client.post("/api/movies", json={"name": "Heat", "catalog_id": "no such film", "rating": 3}, headers=h)
    assert r.status_code == 400 and "catalog" in r.json()["detail"]


def test_search_says_how_each_film_matched_and_no_when_none_does(client):
    admin = login(client, "admin", "adminpass1")
    client.post("/api/admin/catalog", json=[{"title": "Seven (Se7en)", "year": 1995, "votes": 900},
                                            {"title": "MatchMaker, The", "year": 1997},
                                            {"title": "Dunston Checks In", "year": 1996},
                                            {"title": "Godfather, The", "year": 1972, "votes": 800},
                                            {"title": "Godfather: Part II, The", "year": 1974, "votes": 700}],
                headers=admin)

    def found(q):
        return [(m["title"], m["match"]) for m in client.get("/api/catalog/search", params={"q": q}).json()["items"]]

    assert found("godfather") == [("Godfather, The", "exact"), ("Godfather: Part II, The", "prefix")]
    assert found("godfater") == [("Godfather, The", "typo"), ("Godfather: Part II, The", "typo")]
    assert found("part ii godfather") == [("Godfather: Part II, The", "words")]
    for nothing in ("the matrix", "seven samurai", "dune", "fight club"):
        assert found(nothing) == [], nothing


@pytest.mark.parametrize("value", ["1e3", "2.5", "+5", " 5", "0x10", "5e0", ""])
def test_query_integers_are_digits_only(client, value):
    h = login(client)
    r = client.get("/api/movies", params={"limit": value}, headers=h)
    assert r.status_code == 400 and "whole number" in r.json()["detail"], r.text
    assert client.get("/api/me/affinities", params={"type": "genre", "min_count": value}, headers=h).status_code == 400
    assert client.get("/api/movies", params={"limit": "7", "offset": "-0"}, headers=h).status_code in (200, 400)
    assert client.get("/api/movies", params={"limit": "7"}, headers=h).status_code == 200
