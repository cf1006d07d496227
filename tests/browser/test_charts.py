"""#35 in a real browser: the statistics' charts (SVG drawn by the server, with their tables), live
after a film is logged in another tab, the calendar, the year in review, and a shared year opened
signed out; at desktop and phone width, light and dark, axe 0 on each."""

import re

import httpx
import pytest
from playwright.sync_api import expect

from .conftest import shoot, violations
from .test_pages import PASSWORD, log_film

PHONE = {"width": 390, "height": 844}
FILMS = [("Heat", "2025-03-01"), ("Alien", "2025-03-02"), ("Brazil", "2025-03-03"), ("Heat", "2024-11-20")]


@pytest.fixture(scope="module")
def diarist(server):
    """A person with four watches logged through the API (a rewatch of Heat among them)."""
    with httpx.Client(base_url=server, timeout=30) as http:
        http.post("/api/auth/register", json={"username": "charted", "password": PASSWORD})
        token = http.post("/api/auth/token", json={"username": "charted", "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        for i, (name, date) in enumerate(FILMS):
            r = http.post("/api/movies", json={"name": name, "date": date, "rating": 4 - i % 2, "rewatch": i == 3},
                          headers=headers)
            assert r.status_code == 201, r.text
    return "charted"


def sign_in(page, base, name):
    page.goto(f"{base}/")
    page.locator("#signin-username").fill(name)
    page.locator("#signin-password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base}/diary")


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth + 1")


def test_the_charts_and_their_tables_follow_a_film_logged_in_another_tab(server, browser, diarist):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    sign_in(page, server, diarist)
    stats = context.new_page()
    stats.goto(f"{server}/stats")
    for chart in ("chart-weekdays", "chart-decades", "chart-release-years", "chart-ratings", "chart-genres",
                  "chart-years", "chart-days"):
        expect(stats.locator(f"#{chart} svg")).to_be_visible()
    expect(stats.locator("#total-films")).to_have_text("4")
    expect(stats.locator("#distinct-films")).to_have_text("3")
    expect(stats.locator("#rewatches")).to_have_text("1")
    expect(stats.locator("#chart-decades desc")).to_contain_text("1970s: 1 (average 3.0); 1980s: 1 (average 4.0); 1990s: 2 (average 3.5)")
    expect(stats.locator("#most-rewatched")).to_contain_text("Heat")
    stats.locator("#chart-weekdays summary").click()  # the table view of a chart
    expect(stats.locator("#chart-weekdays table")).to_be_visible()
    expect(stats.locator("#chart-weekdays table")).to_contain_text("Mon")
    assert violations(stats) == []
    stats.evaluate("window.__sameDocument = true")
    page.goto(f"{server}/diary")
    log_film(page, "braz", "Brazil (1985)", 5, "2025-03-04")
    expect(stats.locator("#chart-decades desc")).to_contain_text("1980s: 2")  # live, no reload
    expect(stats.locator("#distinct-films")).to_have_text("3")
    assert stats.evaluate("window.__sameDocument") is True
    shoot(stats, "stats-charts-desktop")
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_stats_calendar_and_year_in_review_at_phone_width(server, browser, diarist, scheme):
    context = browser.new_context(viewport=PHONE, color_scheme=scheme, bypass_csp=True)
    page = context.new_page()
    sign_in(page, server, diarist)
    for path, heading in (("/stats", "Your statistics"), ("/calendar", "Your calendar"),
                          ("/stats/2025", "Your 2025 in review")):
        page.goto(f"{server}{path}")
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        no_sideways_scroll(page)
        assert violations(page) == [], path
        shoot(page, f"{path.strip('/').replace('/', '-')}-phone-{scheme}")
    page.goto(f"{server}/calendar")
    expect(page.locator("#longest-streak")).to_contain_text(re.compile(r"^[34] days$"))  # 1-3 (or 4) March 2025
    expect(page.locator("#milestones")).to_contain_text("Film no. 1")
    page.goto(f"{server}/stats/2025")
    expect(page.locator("#first-film")).to_contain_text("Heat")
    context.close()


def test_a_year_shared_opens_signed_out_and_stops_when_revoked(server, browser, diarist):
    owner = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = owner.new_page()
    sign_in(page, server, diarist)
    page.goto(f"{server}/stats/2025")
    page.get_by_role("button", name="Make a link").click()
    link = page.locator("#share-links a").first
    expect(link).to_be_visible()
    url = server + link.get_attribute("href")
    for viewport in ({"width": 1280, "height": 900}, PHONE):
        stranger = browser.new_context(viewport=viewport, bypass_csp=True)
        shared = stranger.new_page()
        shared.goto(url)
        expect(shared.get_by_role("heading", level=1)).to_have_text("charted's 2025 in review")
        expect(shared.locator("#chart-days svg")).to_be_visible()
        expect(shared.locator("#min-count")).to_have_count(0)  # nothing of the owner's controls
        no_sideways_scroll(shared)
        assert violations(shared) == []
        shoot(shared, f"share-{viewport['width']}")
        stranger.close()
    page.get_by_role("button", name="Revoke").first.click()
    expect(page.locator("#share-links")).to_have_count(0)
    assert httpx.get(url).status_code == 404
    owner.close()
