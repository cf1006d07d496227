"""Posters on the pages, in a real browser: the diary's poster view by month, the watchlist and the
recommendations with posters, drawn by CineMatch for every film (offline), at desktop and phone
width, nothing moving as they arrive."""

import re

import httpx
import pytest
from playwright.sync_api import expect

from .conftest import layout_shift, shoot, violations

PASSWORD = "correct-horse-42"


def diarist(base, name, films):
    with httpx.Client(base_url=base) as http:
        http.post("/api/auth/register", json={"username": name, "password": PASSWORD})
        token = http.post("/api/auth/token", json={"username": name, "password": PASSWORD}).json()["access_token"]
        for title, year, date in films:
            assert http.post("/api/movies", json={"name": title, "year": year, "rating": 4, "date": date},
                             headers={"Authorization": f"Bearer {token}"}).status_code == 201


@pytest.mark.parametrize("width,height,label", [(1280, 860, "desktop"), (390, 844, "phone")])
def test_the_diary_as_posters_by_month(server, browser, width, height, label):
    name = f"poster-fan-{label}"
    diarist(server, name, [("Heat", 1995, "2025-11-02"), ("Alien", 1979, "2025-11-20"),
                           ("Past Lives", 2023, "2025-12-01"), ("Brazil", 1985, "2025-12-03")])
    context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{server}/")
    page.locator("#signin-username").fill(name)
    page.locator("#signin-password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Diary view").get_by_role("link", name="Posters").click()
    months = page.locator("section.month h3")
    expect(months).to_have_text(["December 2025", "November 2025"])  # newest first
    december = page.locator("section.month").first.locator(".film")
    expect(december).to_have_text(["Brazil", "Past Lives"])
    posters = page.locator(".poster-grid img.poster")
    expect(posters).to_have_count(4)
    catalog_poster = page.locator(".poster-grid li", has_text="Heat").locator("img")
    assert "/posters/" in catalog_poster.get_attribute("src") and "drawn" not in catalog_poster.get_attribute("src")
    typed_poster = page.locator(".poster-grid li", has_text="Past Lives").locator("img")
    assert "/posters/drawn?title=Past%20Lives&year=2023" in typed_poster.get_attribute("src")  # logged as typed
    for img in posters.all():
        img.scroll_into_view_if_needed()
        expect(img).to_have_js_property("complete", True)
        assert img.evaluate("i => i.naturalWidth") > 0, "a poster did not load"
        assert img.get_attribute("width") and img.get_attribute("height")  # sized before it arrives
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shift = layout_shift(page)
    assert shift < 0.01, shift
    assert violations(page) == [], "/diary?view=posters"
    shoot(page, f"diary-posters-{label}")
    page.goto(f"{server}/stats")
    expect(page.locator("ol.with-posters img.poster").first).to_be_visible()
    context.close()


def test_a_poster_is_drawn_for_any_film_and_cached(server):
    catalog = httpx.get(f"{server}/api/catalog/search", params={"q": "heat"}).json()["items"][0]
    r = httpx.get(f"{server}/posters/{catalog['id']}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert ">Heat<" in r.text and ">1995<" in r.text
    again = httpx.get(f"{server}/posters/{catalog['id']}", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    drawn = httpx.get(f"{server}/posters/drawn", params={"title": 'A "quoted" <title> & more', "year": 2001})
    assert drawn.status_code == 200 and "&lt;title&gt;" in drawn.text and "&quot;quoted&quot;" in drawn.text
    same = httpx.get(f"{server}/posters/drawn", params={"title": "Heat", "year": 1995})
    assert re.findall(r"hsl\([^)]*\)", same.text) == re.findall(r"hsl\([^)]*\)", r.text)  # one film, one look
    assert httpx.get(f"{server}/posters/no-such-film").status_code == 404
