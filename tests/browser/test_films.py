"""A film's page in a real browser: reached from the diary's linked title, its credits and poster,
your watches, logging a rewatch and adding it to the watchlist from there, in English and Italian,
at desktop and phone width, accessible."""

import re

import httpx
import pytest
from playwright.sync_api import expect

from .conftest import layout_shift, shoot, violations

PASSWORD = "correct-horse-42"


def signed_in(browser, base, name, locale, width, height):
    with httpx.Client(base_url=base) as http:
        http.post("/api/auth/register", json={"username": name, "password": PASSWORD})
        token = http.post("/api/auth/token", json={"username": name, "password": PASSWORD}).json()["access_token"]
        http.post("/api/movies", json={"name": "Heat", "year": 1995, "rating": 4, "date": "2025-05-01"},
                  headers={"Authorization": f"Bearer {token}"})
    context = browser.new_context(locale=locale, viewport={"width": width, "height": height}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{base}/")
    page.locator("#signin-username").fill(name)
    page.locator("#signin-password").fill(PASSWORD)
    page.locator("#signin button[type=submit]").click()
    return page


@pytest.mark.parametrize("locale,width,height,names", [
    ("en-US", 1280, 860, {"director": "Directed by", "yours": "Your watches", "again": "Log a rewatch",
                          "want": "Add to watchlist", "rating": "Rating", "rewatch": "rewatch", "directed": "Directed", "seen": "You have seen 1 of their"}),
    ("it-IT", 390, 844, {"director": "Regia", "yours": "Le tue visioni", "again": "Registra la nuova visione",
                         "want": "Aggiungi ai Da vedere", "rating": "Voto", "rewatch": "rivisto", "directed": "Regia", "seen": "Hai visto 1 del suo 1 film"}),
])
def test_a_film_page_from_the_diary(server, browser, locale, width, height, names):
    page = signed_in(browser, server, f"film-fan-{locale}", locale, width, height)
    page.locator("#entries").get_by_role("link", name="Heat").click()
    expect(page).to_have_url(re.compile(r"/films/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Heat (1995)")
    expect(page.locator(".facts")).to_contain_text(names["director"])
    expect(page.locator(".facts")).to_contain_text("Michael Mann")
    expect(page.locator(".film-head img.poster")).to_have_js_property("complete", True)
    expect(page.locator("#your-watches li")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "scrolls sideways"
    assert violations(page) == [], "/films"
    shoot(page, f"film-{locale}")
    film_url = page.url
    page.locator(".facts").get_by_role("link", name="Michael Mann").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Michael Mann")
    expect(page.locator("#role-director")).to_contain_text(names["directed"])
    expect(page.locator(".poster-grid li.seen")).to_have_count(1)  # Heat, which this person logged
    expect(page.locator("#person-you")).to_contain_text(names["seen"])
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "scrolls sideways"
    assert violations(page) == [], "/people"
    shoot(page, f"person-{locale}")
    page.goto(film_url)
    page.get_by_label(names["rating"]).select_option("4.5")
    page.get_by_role("button", name=names["again"]).click()
    page.goto(film_url)
    expect(page.locator("#your-watches li")).to_have_count(2)
    expect(page.locator("#your-watches li").first).to_contain_text(names["rewatch"])  # the newest, a rewatch
    page.get_by_role("button", name=names["want"]).click()
    expect(page).to_have_url(film_url)  # back on the film's page
    page.goto(f"{server}/watchlist")
    expect(page.locator("#watchlist")).to_contain_text("Heat")
    page.context.close()


@pytest.mark.parametrize("width,height,label", [(1280, 860, "desktop"), (390, 844, "phone")])
def test_a_film_page_with_its_backdrop(server, browser, width, height, label):
    """A film with a backdrop (TMDB's, here from our stand-in's image host): the first visit starts
    its download and shows none, the next shows it, kept by CineMatch, above the title, decorative,
    sized so nothing moves, without sideways scrolling; axe finds nothing."""
    import json
    import time
    from pathlib import Path
    from urllib.parse import quote

    from cinematch.adapters.tmdb.fake import FakeTmdb

    from .conftest import ADMIN

    films = json.loads((Path(__file__).parents[1] / "fixtures" / "tmdb" / "films.json").read_text())
    fake = FakeTmdb(films).start()
    try:
        token = httpx.post(f"{server}/api/auth/token", json={"username": ADMIN[0], "password": ADMIN[1]}).json()
        film = {"title": f"Past Lives {label}", "year": 2023, "genres": ["Drama"], "director": "Celine Song",
                "duration": 106, "backdrop_url": f"{fake.image_url}/pastlives-backdrop.jpg"}
        assert httpx.post(f"{server}/api/admin/catalog", json=[film],
                          headers={"Authorization": f"Bearer {token['access_token']}"}).status_code == 200
        [found] = httpx.get(f"{server}/api/catalog/search", params={"q": film["title"]}).json()["items"]
        context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(f"{server}/films/{found['id']}")
        expect(page.locator("img.backdrop")).to_have_count(0)  # not kept yet: none, never a broken image
        for _ in range(100):
            if any("pastlives-backdrop" in p for p in fake.images):
                break
            time.sleep(0.05)
        page.reload()
        backdrop = page.locator("img.backdrop")
        expect(backdrop).to_have_js_property("complete", True)
        # (the stand-in's image is 1x1: with srcset's width descriptors its naturalWidth rounds to 0,
        # so the image the element chose is decoded on its own)
        decoded = backdrop.evaluate("async i => { const c = new Image(); c.src = i.currentSrc; await c.decode(); "
                                    "return c.naturalWidth; }")
        assert decoded > 0 and backdrop.get_attribute("alt") == ""
        assert backdrop.get_attribute("src") == f"/posters/{quote(found['id'])}/backdrop?w=780"  # ours, not TMDB's
        box = backdrop.bounding_box()
        assert box and box["width"] <= width and box["height"] > 0
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "scrolls sideways"
        shift = layout_shift(page)
        assert shift < 0.01, shift
        assert violations(page) == [], "/films with a backdrop"
        shoot(page, f"film-backdrop-{label}")
        context.close()
    finally:
        fake.stop()
