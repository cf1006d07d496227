"""The pages through Litestar's test client: sessions, CSRF, the syncing badge, escaping."""

import re

import pytest
from litestar.testing import TestClient

from cinematch.entrypoints.web import create_app
from tests.support import wired

PASSWORD = "correct-horse-42"


def csrf(html: str) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def pages(tmp_path):
    container = wired("sqlite", data_dir=tmp_path, ml_train_on_start=False, trends_min_users=1)
    with TestClient(create_app(container, run_projections=False)) as client:
        yield container, client
    container.storage.db().close()


def sign_up(client, name="pia"):
    token = csrf(client.get("/").text)
    r = client.post("/signup", data={"username": name, "password": PASSWORD, "_csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/diary"
    session = r.headers["set-cookie"].lower()
    assert "httponly" in session and "samesite=lax" in session
    return client


def test_forms_need_the_csrf_token(pages):
    _, client = pages
    client.get("/")
    r = client.post("/signup", data={"username": "mallory", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403
    sign_up(client)
    r = client.post("/diary", data={"title": "Heat", "rating": "4"}, follow_redirects=False)
    assert r.status_code == 403


def test_signed_out_pages_send_to_sign_in_and_the_api_keeps_its_401(pages):
    _, client = pages
    r = client.get("/stats", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/?next=%2Fstats")
    assert client.get("/api/me/stats").status_code == 401
    # an open statistics page whose session ended: its event stream is told to stop, not redirected
    r = client.get("/stats/events", headers={"Accept": "text/event-stream"}, follow_redirects=False)
    assert r.status_code == 204


async def test_the_stats_page_says_syncing_until_the_projection_applied(pages):
    container, client = pages
    sign_up(client)
    token = csrf(client.get("/diary").text)
    client.post("/diary", data={"title": "Heat", "rating": "4", "date": "2025-03-01", "_csrf_token": token})
    page = client.get("/stats").text
    assert "Syncing…" in page and 'id="total-films">0<' in page
    await container.services.runner().drain()
    figures = client.get("/stats/figures").text
    assert "Up to date" in figures and 'id="total-films">1<' in figures


def test_a_bad_form_says_why_and_names_are_escaped(pages):
    container, client = pages
    sign_up(client)
    token = csrf(client.get("/diary").text)
    r = client.post("/diary", data={"title": "Heat", "rating": "9", "_csrf_token": token})
    assert "rating from 0.5 to 5 stars" in r.text
    r = client.post("/diary", data={"title": "<script>alert(1)</script>", "rating": "3", "_csrf_token": token})
    assert "<script>alert(1)</script>" not in r.text and "&lt;script&gt;" in r.text


def test_suggestions_come_from_the_catalog(pages):
    container, client = pages
    import asyncio

    from cinematch.domain import catalog_movie
    asyncio.run(container.storage.catalog().upsert([catalog_movie(id="heat|1995", title="Heat", year=1995,
                                                                  director="Michael Mann")]))
    sign_up(client)
    html = client.get("/diary/suggest?title=hea").text
    assert 'data-title="Heat"' in html and "Michael Mann" in html
    assert client.get("/diary/suggest?title=h").text.strip() == ""


def test_sign_in_returns_to_the_page_asked_for_but_never_to_another_host(pages):
    _, client = pages
    sign_up(client, "returner")
    client.post("/signout", data={"_csrf_token": csrf(client.get("/diary").text)})
    for asked, landed in (("/stats", "/stats"), ("//evil.example/x", "/diary"), ("https://evil.example", "/diary")):
        page = client.get(f"/?next={asked}").text
        r = client.post("/signin", data={"username": "returner", "password": PASSWORD, "_csrf_token": csrf(page),
                                         "next": re.search(r'name="next" value="([^"]*)"', page).group(1)},
                        follow_redirects=False)
        assert r.headers["location"] == landed, asked
        client.post("/signout", data={"_csrf_token": csrf(client.get("/diary").text)})


def test_deleting_the_account_from_settings(pages):
    container, client = pages
    sign_up(client, "gone")
    token = csrf(client.get("/settings").text)
    client.post("/diary", data={"title": "Heat", "rating": "4.5", "_csrf_token": token})
    r = client.post("/settings/delete", data={"current": PASSWORD, "_csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and "confirm" in r.headers["location"]  # the box was not ticked
    r = client.post("/settings/delete", data={"current": "wrong-password-1", "confirm": "delete",
                                              "_csrf_token": token}, follow_redirects=False)
    assert "error=" in r.headers["location"]
    r = client.post("/settings/delete", data={"current": PASSWORD, "confirm": "delete", "_csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/?")
    assert "were deleted" in client.get(r.headers["location"]).text
    assert client.get("/diary", follow_redirects=False).status_code in (302, 303, 401)
    assert diary_users(container) == []


def diary_users(container):
    import asyncio
    return asyncio.run(container.storage.diary().user_ids())


def test_the_year_in_review_page(pages):
    container, client = pages
    sign_up(client, "reviewer")
    token = csrf(client.get("/diary").text)
    for title, date in (("Heat", "2024-03-01"), ("Alien", "2025-02-02")):
        client.post("/diary", data={"title": title, "rating": "4.5", "date": date, "_csrf_token": token})
    import asyncio
    asyncio.run(container.services.runner().drain())
    page = client.get("/stats").text
    assert 'href="/stats/2024"' in page and 'href="/stats/2025"' in page
    review = client.get("/stats/2024").text
    assert "Your 2024 in review" in review and 'id="total-films">1<' in review and "★★★★½" in review
    assert 'id="total-films">1<' in client.get("/stats/figures?review=2025").text
    assert client.get("/stats/1500").status_code == 404


def test_a_refused_form_comes_back_filled_in_and_a_new_one_rates_nothing(pages):
    container, client = pages
    sign_up(client)
    page = client.get("/diary").text
    assert re.search(r'<option value="" selected>Not rated</option>', page)
    today = container.clock().now().date()
    import datetime as dt
    assert f'max="{(today + dt.timedelta(days=1)).isoformat()}"' in page
    r = client.post("/diary", data={"title": "Heat", "rating": "3.5", "date": "2025-02-03", "tags": "a, b",
                                    "rewatch": "1", "catalog_id": "nope", "year": "1995",
                                    "_csrf_token": csrf(page)})
    assert r.status_code == 422 and "no catalog film has the id" in r.text
    assert 'value="Heat"' in r.text and 'value="2025-02-03"' in r.text and 'value="a, b"' in r.text
    assert re.search(r'<option value="3.5" selected>', r.text) and "checked" in r.text
    assert 'value="nope"' in r.text and 'value="1995"' in r.text


def test_small_words_are_right(pages):
    """One skipped row is "1 row was skipped"; a year with no rated film shows no average."""
    container, client = pages
    sign_up(client)
    token = csrf(client.get("/import").text)
    imdb = ("Const,Your Rating,Date Rated,Title,URL,Title Type,IMDb Rating,Runtime (mins),Year,Genres,"
            "Num Votes,Release Date,Directors\n"
            "tt0113277,8,2024-01-02,Heat,https://www.imdb.com/title/tt0113277/,Movie,8.3,170,1995,Crime,1,"
            "1995-12-15,Michael Mann\n"
            "tt0000002,7,2024-01-03,An Episode,https://www.imdb.com/title/tt0000002/,TV Episode,7,30,2001,Drama,1,"
            "2001-01-01,Someone\n")
    r = client.post("/import", data={"mode": "import", "_csrf_token": token},
                    files={"file": ("ratings.csv", imdb.encode(), "text/csv")})
    assert "Why 1 row was skipped" in r.text and "were skipped" not in r.text
    token = csrf(client.get("/diary").text)
    client.post("/diary", data={"title": "Unrated Thing", "date": "2023-05-01", "_csrf_token": token})
    import asyncio
    asyncio.run(container.services.runner().drain())
    review = client.get("/stats/2023").text
    assert 'id="avg-rating">—<' in review and "0.00" not in review
