"""A film's page through the API and the page (docs/contract.md §3 GET /api/films, §6 /films):
the film with its credits, the caller's own watches, the instance's line only from enough people and
never counting a private entry, similar films from the recommender, and every linked title on the
pages leading there."""

import asyncio
from urllib.parse import quote

import pytest

from tests.e2e.test_api import login, make_client

CATALOG = [{"title": "Heat", "year": 1995, "genres": ["Crime", "Drama"], "director": "Michael Mann",
            "actors": "Al Pacino, Robert De Niro", "duration": 170, "imdb_id": "tt0113277", "writers": "Michael Mann"},
           {"title": "Collateral", "year": 2004, "genres": ["Crime", "Drama", "Thriller"], "director": "Michael Mann",
            "actors": "Tom Cruise, Jamie Foxx", "duration": 120, "writers": "Stuart Beattie"},
           {"title": "Thief", "year": 1981, "genres": ["Crime", "Drama"], "director": "Michael Mann", "duration": 123},
           {"title": "Amélie", "year": 2001, "genres": ["Comedy", "Romance"], "director": "Jean-Pierre Jeunet"}]


@pytest.fixture
def app(tmp_path):
    c, cl = make_client(tmp_path, ml_train_on_start=False)
    with cl:
        admin = login(cl, "admin", "adminpass1")
        assert cl.post("/api/admin/catalog", json=CATALOG, headers=admin).status_code == 200
        yield c, cl
    c.storage.db().close()


def heat_id(cl):
    return next(m["id"] for m in cl.get("/api/catalog/search", params={"q": "heat"}).json()["items"])


def test_the_film_your_watches_and_the_instance_from_three_people(app):
    c, cl = app
    film_id = heat_id(cl)
    anonymous = cl.get(f"/api/films/{film_id}").json()
    assert (anonymous["film"]["title"], anonymous["film"]["director"], anonymous["your_entries"]) == (
        "Heat", "Michael Mann", [])
    assert anonymous["instance"] is None
    people = [login(cl, name) for name in ("ana", "bruno", "carla")]
    cl.post("/api/movies", json={"name": "Heat", "rating": 4, "date": "2025-05-01"}, headers=people[0])
    cl.post("/api/movies", json={"name": "Heat", "rating": 5, "date": "2025-06-01", "rewatch": True},
            headers=people[0])
    cl.post("/api/movies", json={"name": "Heat", "rating": 3}, headers=people[1])
    cl.post("/api/movies", json={"name": "Heat", "rating": 1, "private": True}, headers=people[2])
    assert cl.get(f"/api/films/{film_id}").json()["instance"] is None  # two people: not public yet (3 needed)
    mine = cl.get(f"/api/films/{film_id}", headers=people[0]).json()
    assert [(e["date"], e["rating"]) for e in mine["your_entries"]] == [("2025-06-01", 5), ("2025-05-01", 4)]
    cl.post("/api/movies", json={"name": "Heat", "rating": 4}, headers=people[2])
    instance = cl.get(f"/api/films/{film_id}").json()["instance"]
    assert instance == {"users": 3, "avg_rating": 4.0}  # 4, 5, 3, 4: the private 1 counts nowhere
    assert cl.get("/api/films/no-such-film").status_code == 404


def test_similar_films_come_from_the_recommender_and_link_to_catalog_films(app):
    c, cl = app
    for name in ("dora", "ettore"):
        h = login(cl, name)
        for title, rating in (("Heat", 5), ("Collateral", 4), ("Thief", 4), ("Amélie", 2)):
            cl.post("/api/movies", json={"name": title, "rating": rating}, headers=h)
    asyncio.run(c.services.recommendations().train(limited=False))
    similar = cl.get(f"/api/films/{heat_id(cl)}").json()["similar"]
    titles = [m["title"] for m in similar]
    assert "Heat" not in titles and titles[:2] == ["Thief", "Collateral"] or titles[:2] == ["Collateral", "Thief"]
    assert all(m["id"] for m in similar)


def test_the_film_page_in_both_languages_and_links_to_it(app):
    c, cl = app
    h = login(cl, "fabio")
    cl.post("/api/movies", json={"name": "Heat", "rating": 4.5, "date": "2025-05-01"}, headers=h)
    film_id = heat_id(cl)
    page = cl.get(f"/films/{film_id}", headers={"accept-language": "it"})
    assert page.status_code == 200 and '<html lang="it">' in page.text
    assert "Regia" in page.text and "Michael Mann" in page.text and "Poliziesco" in page.text and "Sceneggiatura" in page.text
    poster = f'/posters/{quote(film_id, safe="")}'
    assert f'src="{poster}?w=150"' in page.text  # the large poster, and its sizes for denser screens
    assert f'srcset="{poster}?w=150 150w, {poster}?w=300 300w, {poster}?w=450 450w" sizes="150px"' in page.text
    assert cl.get("/films/no-such-film").status_code == 404
    trends = cl.get("/trends").text
    assert f'href="/films/{quote(film_id, safe="")}"' not in trends  # one viewer: Heat is in no public list


def test_a_persons_films_by_role_with_yours(app):
    c, cl = app
    anonymous = cl.get("/api/people/Michael Mann").json()
    assert anonymous["name"] == "Michael Mann" and anonymous["you"] is None
    assert [f["title"] for f in anonymous["films"]] == ["Collateral", "Heat", "Thief"]  # equal votes: by title
    assert [f["roles"] for f in anonymous["films"]] == [["director"], ["director", "writer"], ["director"]]
    assert not any(f["watched"] for f in anonymous["films"])
    writer = cl.get("/api/people/Michael Mann", params={"role": "writer"}).json()
    assert [f["title"] for f in writer["films"]] == ["Heat"]  # wrote Heat, not Collateral
    h = login(cl, "gina")
    cl.post("/api/movies", json={"name": "Heat", "rating": 4, "date": "2025-01-01"}, headers=h)
    cl.post("/api/movies", json={"name": "Heat", "rating": 5, "date": "2025-03-01", "rewatch": True}, headers=h)
    cl.post("/api/movies", json={"name": "Thief"}, headers=h)
    mine = cl.get("/api/people/michael mann", headers=h).json()  # the name's key: case and accents aside
    assert mine["you"] == {"count": 3, "rated_count": 2, "avg_rating": 4.5}
    heat = next(f for f in mine["films"] if f["title"] == "Heat")
    assert (heat["watched"], heat["your_rating"]) == (True, 5)  # the latest watch's rating
    assert cl.get("/api/people/Al Pacino", params={"role": "director"}).status_code == 404
    assert [f["title"] for f in cl.get("/api/people/Al Pacino", params={"role": "actor"}).json()["films"]] == ["Heat"]
    assert cl.get("/api/people/Nobody At All").status_code == 404
    assert cl.get("/api/people/Al Pacino", params={"role": "writer"}).status_code == 404
    assert cl.get("/api/people/Al Pacino", params={"role": "producer"}).status_code == 400
    page = cl.get("/people/Michael Mann", headers={**h, "accept-language": "it"})
    assert page.status_code == 200 and "Regia" in page.text and "Collateral" in page.text and "Ha scritto" in page.text
    film = cl.get(f"/films/{heat_id(cl)}").text
    assert 'href="/people/Michael%20Mann"' in film and 'href="/people/Al%20Pacino"' in film
