"""A film only TMDB knows, through the API, against our local TMDB stand-in (adapters/tmdb/fake.py,
TMDB's documented shapes; TMDB cannot be reached from here): the catalog's search says it lacks it,
TMDB's search finds it, logging the pick brings it into the catalog (IMDb id, runtime, genres,
credits, countries, language) and links the entry; its poster is downloaded once and then served by
CineMatch from its own store; TMDB down leaves the catalog's answer alone."""

import pytest
from litestar.testing import TestClient

from cinematch.adapters.tmdb.fake import PNG
from cinematch.entrypoints.web.app import create_app
from tests.support import wired


@pytest.fixture
def client(tmdb, tmp_path):
    c = wired("sqlite", data_dir=tmp_path, tmdb_api_key="test-key", tmdb_url=tmdb.url, tmdb_image_url=tmdb.image_url,
              tmdb_requests_per_second=100, ml_train_on_start=False)
    with TestClient(create_app(c, run_projections=False)) as test_client:
        yield test_client
    c.storage.db().close()


def signed_in(client):
    client.post("/api/auth/register", json={"username": "cinefila", "password": "correct-horse-42"})
    token = client.post("/api/auth/token", json={"username": "cinefila", "password": "correct-horse-42"}).json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def test_a_film_only_tmdb_knows_is_found_picked_linked_and_its_poster_kept(client, tmdb):
    h = signed_in(client)
    [found] = client.get("/api/catalog/search", params={"q": "past lives"}).json()["items"]
    assert (found["id"], found["title"], found["year"], found["match"]) == ("tmdb:666277", "Past Lives", 2023, "tmdb")
    entry = client.post("/api/movies", json={"name": "Past Lives", "catalog_id": found["id"], "rating": 4.5},
                        headers=h).json()
    assert (entry["catalog_id"], entry["year"], entry["director"], entry["duration"]) == (
        "tt13238346", 2023, "Celine Song", 106)
    assert entry["genres"] == ["Drama", "Romance"]
    # The entry carries what the film brings for the statistics: its writer, countries, language.
    assert (entry["writers"], entry["countries"], entry["languages"]) == ("Celine Song", ["US", "KR"], ["en"])
    [film] = client.get("/api/catalog/search", params={"q": "past lives"}).json()["items"]  # the catalog's now
    assert (film["id"], film["match"], film["countries"], film["languages"]) == ("tt13238346", "exact", ["US", "KR"],
                                                                                ["en"])
    assert film["tmdb_id"] == 666277 and film["actors"].startswith("Greta Lee")
    asked = len(tmdb.requests)
    assert len(client.get("/api/catalog/search", params={"q": "past lives"}).json()["items"]) == 1
    assert len(tmdb.requests) == asked  # a good answer of the catalog's asks TMDB nothing
    first = client.get("/posters/tt13238346")
    assert (first.status_code, first.headers["content-type"], first.content) == (200, "image/png", PNG)
    again = client.get("/posters/tt13238346")
    assert again.content == PNG and tmdb.images == ["/t/p/w342/k3waqVXSnvCZWfJYNtdamTgTtTA.jpg"]  # fetched once
    # A page's srcset asks for other widths: TMDB's nearest size at or above each, each fetched once
    # (300 is the w342 already kept).
    for width in (100, 100, 300, 450, 2000):
        assert client.get("/posters/tt13238346", params={"w": width}).content == PNG
    assert tmdb.images[1:] == [f"/t/p/{size}/k3waqVXSnvCZWfJYNtdamTgTtTA.jpg" for size in ("w154", "w500", "w780")]


def test_tmdb_down_leaves_the_catalogs_answer_and_a_pick_says_why(client, tmdb):
    h = signed_in(client)
    tmdb.stop()
    assert client.get("/api/catalog/search", params={"q": "past lives"}).json()["items"] == []
    r = client.post("/api/movies", json={"name": "Past Lives", "catalog_id": "tmdb:666277"}, headers=h)
    assert r.status_code == 400 and "TMDB cannot be reached" in r.json()["detail"]
    r = client.post("/api/movies", json={"name": "Nothing", "catalog_id": "tmdb:1"}, headers=h)
    assert r.status_code == 400


def test_a_poster_that_cannot_be_fetched_is_drawn(client, tmdb):
    h = signed_in(client)
    client.post("/api/movies", json={"name": "Oppenheimer", "catalog_id": "tmdb:872585"}, headers=h)
    tmdb.films[872585]["poster_path"] = "/gone.jpg"  # the image host no longer has it
    r = client.get("/posters/tt15398776")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml") and ">Oppenheimer<" in r.text


def test_a_backdrop_is_kept_here_and_the_film_page_shows_it_once_kept(client, tmdb):
    """TMDB's backdrop of a picked film: downloaded once into CineMatch's store and served from it
    (other widths too, TMDB's sizes); the film page leaves it out until it is kept (its first visit
    starts the download) and never points at another host; a film without one has none."""
    import time

    h = signed_in(client)
    client.post("/api/movies", json={"name": "Past Lives", "catalog_id": "tmdb:666277"}, headers=h)
    film = client.get("/api/films/tt13238346").json()["film"]
    assert film["backdrop_url"].endswith("/pastlives-backdrop.jpg")
    first = client.get("/films/tt13238346").text
    assert 'class="backdrop"' not in first and "image.tmdb" not in first and tmdb.image_url not in first
    for _ in range(100):  # the download the visit started
        if "/t/p/w780/pastlives-backdrop.jpg" in tmdb.images:
            break
        time.sleep(0.05)
    page = client.get("/films/tt13238346").text
    assert '<img class="backdrop" src="/posters/tt13238346/backdrop?w=780"' in page and 'alt=""' in page
    r = client.get("/posters/tt13238346/backdrop", params={"w": 780})
    assert (r.status_code, r.headers["content-type"], r.content) == (200, "image/png", PNG)
    assert client.get("/posters/tt13238346/backdrop", params={"w": 1000}).content == PNG  # TMDB's w1280
    assert [p for p in tmdb.images if "backdrop" in p] == ["/t/p/w780/pastlives-backdrop.jpg",
                                                           "/t/p/w1280/pastlives-backdrop.jpg"]  # each once
    client.post("/api/movies", json={"name": "Oppenheimer", "catalog_id": "tmdb:872585"}, headers=h)
    assert client.get("/posters/tt15398776/backdrop").status_code == 404  # it has none
    assert 'class="backdrop"' not in client.get("/films/tt15398776").text
    assert client.get("/posters/nothing-here/backdrop").status_code == 404


def test_the_title_field_says_tmdb_was_asked_or_could_not_be(client, tmdb):
    """A title neither the catalog nor TMDB knows: the diary's suggestions say both were looked in,
    with the one-click *Log it as typed*; TMDB down: they say it could not be reached, not that it
    has nothing; in Italian too."""
    h = signed_in(client)
    token = h["Authorization"].removeprefix("Bearer ")
    client.cookies.set("cinematch_session", token)
    asked = client.get("/diary/suggest", params={"title": "Our Holiday Film"}).text
    assert "is not in the catalog, nor on TMDB." in asked and "Log it as typed" in asked
    assert "/3/search/movie" in tmdb.requests
    italian = client.get("/diary/suggest", params={"title": "Our Holiday Film"},
                         headers={"Accept-Language": "it"}).text
    assert "non è nel catalogo, né su TMDB." in italian
    tmdb.stop()
    down = client.get("/diary/suggest", params={"title": "Our Holiday Film"}).text
    assert "is not in the catalog, and TMDB cannot be reached now." in down and "Log it as typed" in down
