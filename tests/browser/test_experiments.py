"""The admin's experiments page and the ML dashboard's monitor in a real browser: an experiment
started from the form, its figures following what people are shown while the page is open, a
chart of its variants, stopped with a promotion; English and Italian, desktop and phone width."""

import re
import tempfile

import httpx
import pytest
from playwright.sync_api import expect

from tests.support import serving, synthetic_platform

from .conftest import ADMIN, sign_in, violations


def bearer(base: str, name: str, password: str = "correct-horse-42") -> dict:
    httpx.post(f"{base}/api/auth/register", json={"username": name, "password": password})
    token = httpx.post(f"{base}/api/auth/token", json={"username": name, "password": password}).json()
    return {"Authorization": f"Bearer {token['access_token']}"}


@pytest.fixture(scope="module")
def platform():
    with tempfile.TemporaryDirectory() as data, serving(
            data, CINEMATCH_ADMIN_USERNAME=ADMIN[0], CINEMATCH_ADMIN_PASSWORD=ADMIN[1]) as base:
        admin = bearer(base, *ADMIN)
        with httpx.Client(base_url=base, timeout=30) as http:
            people, _ = synthetic_platform(http, admin, films=40, users=12, min_ratings=8, max_ratings=14, seed=2,
                                           year=2026)
        assert httpx.post(f"{base}/api/admin/ml/train", headers=admin, timeout=120).status_code == 200
        yield base, people


def signed_in(browser, base, locale, width, sign_in_button):
    context = browser.new_context(locale=locale, viewport={"width": width, "height": 860}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    sign_in(page, base, *ADMIN, button=sign_in_button)
    page.wait_for_url(re.compile("/diary"))
    return context, page


@pytest.mark.parametrize("locale,width,words", [
    ("en-US", 1280, {"sign_in": "Sign in", "nav": "Experiments", "name": "Name", "share": "Share of people in it, in percent",
                     "variants": "Variants, one a line", "start": "Start the experiment", "started": "Experiment started.",
                     "promote": "Then serve the model of", "stopped": "Experiment stopped.", "chart": "Conversion rate by variant"}),
    ("it-IT", 390, {"sign_in": "Accedi", "nav": "Esperimenti", "name": "Nome", "share": "Quota di persone coinvolte, in percentuale",
                    "variants": "Varianti, una per riga", "start": "Avvia l'esperimento", "started": "Esperimento avviato.",
                    "promote": "Poi usa il modello di", "stopped": "Esperimento fermato.",
                    "chart": "Tasso di conversione per variante"}),
])
def test_an_admin_runs_an_experiment_from_its_page(platform, browser, locale, width, words):
    base, people = platform
    name = f"page-{locale[:2]}"
    context, page = signed_in(browser, base, locale, width, words["sign_in"])
    page.goto(f"{base}/admin/experiments")
    expect(page.get_by_role("heading", name=words["nav"], exact=True)).to_be_visible()
    page.get_by_label(words["name"], exact=True).fill(name)
    page.get_by_label(words["share"]).fill("100")
    page.get_by_label(words["variants"]).fill("control\nsmall k_svd=4")
    page.get_by_role("button", name=words["start"]).click()
    expect(page.locator("#experiments-message")).to_have_text(words["started"])
    section = page.locator("section.experiment", has=page.get_by_role("heading", name=re.compile(name)))
    expect(section.locator("table.entries tbody tr")).to_have_count(2)  # two variants
    # People are shown their lists while the page is open: its figures follow (every 10 s).
    shown = 0
    for h in people.values():
        shown += len(httpx.get(f"{base}/api/recommendations/me", headers=h).json()["items"])
    impressions = section.locator("tbody tr td:nth-child(3)")

    def total() -> int:
        return sum(int(re.sub(r"\D", "", t) or 0) for t in impressions.all_inner_texts())
    for _ in range(60):  # the page asks again every 10 s
        if total() == shown:
            break
        page.wait_for_timeout(500)
    assert total() == shown
    expect(section.get_by_role("img", name=words["chart"])).to_be_visible()
    assert violations(page) == [], f"/admin/experiments {locale}"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    section.get_by_label(words["promote"]).select_option("small")
    section.get_by_role("button", name=re.compile(name)).click()
    expect(page.locator("#experiments-message")).to_have_text(words["stopped"])
    context.close()


@pytest.mark.parametrize("locale,sign_in,heading", [("en-US", "Sign in", "The model in use"),
                                                     ("it-IT", "Accedi", "Il modello in uso")])
def test_the_dashboard_shows_the_model_in_use_live(platform, browser, locale, sign_in, heading):
    base, _ = platform
    context, page = signed_in(browser, base, locale, 1280, sign_in)
    page.goto(f"{base}/admin/ml")
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.locator("#rmse-training")).not_to_have_text("—")
    expect(page.locator("#ml-alerts")).to_be_visible()
    expect(page.locator("#cold-start")).to_contain_text("%")
    assert violations(page) == [], f"/admin/ml {locale}"
    context.close()


def test_a_person_waves_films_away_and_opens_one(platform, browser):
    """"Not interested" and "Seen it" on the page: the card says so at once and the film never
    comes back; opening a recommended film counts a click (the monitor's clicks of the week)."""
    base, people = platform
    admin = bearer(base, *ADMIN)
    clicks = httpx.get(f"{base}/api/admin/ml/monitor", headers=admin, timeout=60).json()["clicks_7d"]
    httpx.post(f"{base}/api/auth/register", json={"username": "waver", "password": "correct-horse-42"})
    context = browser.new_context(viewport={"width": 390, "height": 860}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    sign_in(page, base, "waver", "correct-horse-42")
    page.wait_for_url(re.compile("/diary"))
    page.goto(f"{base}/recommendations")
    cards = page.locator("li.rec[data-movie-id]")
    first, second = cards.nth(0).get_attribute("data-movie-id"), cards.nth(1).get_attribute("data-movie-id")
    title = cards.nth(0).locator("h2").inner_text().rsplit(" (", 1)[0]
    page.get_by_role("button", name=f"Not interested: {title}").click()
    expect(page.get_by_role("status").filter(has_text="will not be suggested again")).to_be_visible()
    page.locator(f'li.rec[data-movie-id="{second}"]').get_by_role("button", name=re.compile("^Seen it")).click()
    expect(page.locator("li.rec.dismissed")).to_have_count(2)
    assert violations(page) == [], "/recommendations after dismissals"
    page.reload()
    shown = [c.get_attribute("data-movie-id") for c in page.locator("li.rec[data-movie-id]").all()]
    assert shown and first not in shown and second not in shown
    link = page.locator("li.rec[data-movie-id] h2 a").first  # the catalog's films: each title links its page
    link.click()
    page.wait_for_url(re.compile("/films/"))
    for _ in range(40):
        now = httpx.get(f"{base}/api/admin/ml/monitor", headers=admin, timeout=60).json()["clicks_7d"]
        if now == clicks + 1:
            break
        page.wait_for_timeout(250)
    assert now == clicks + 1
    context.close()
