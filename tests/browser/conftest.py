"""Browser tests: real headless Chromium (Debian's `chromium`, driven by Playwright for Python
through `executable_path`; Playwright never downloads a browser here) against a real
`cinematch serve` on the embedded profile. Screenshots go to tests/browser/screenshots/."""

import os
import shutil
from pathlib import Path

import httpx
import pytest

from tests.support import serving

CHROMIUM = os.environ.get("CINEMATCH_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync"]
SHOTS = Path(__file__).parent / "screenshots"
AXE = Path(__file__).parents[2] / "web" / "node_modules" / "axe-core" / "axe.min.js"
ADMIN = ("admin", "admin-secret-42")
CATALOG = [
    {"title": "Heat", "year": 1995, "genres": ["Crime", "Drama"], "director": "Michael Mann",
     "actors": "Al Pacino, Robert De Niro", "duration": 170},
    {"title": "Alien", "year": 1979, "genres": ["Horror", "Sci-Fi"], "director": "Ridley Scott",
     "actors": "Sigourney Weaver", "duration": 117},
    {"title": "Brazil", "year": 1985, "genres": ["Comedy", "Sci-Fi"], "director": "Terry Gilliam",
     "actors": "Jonathan Pryce", "duration": 132},
    {"title": "Heathers", "year": 1988, "genres": ["Comedy"], "director": "Michael Lehmann", "duration": 103},
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("browser-data")
    with serving(data, CINEMATCH_ADMIN_USERNAME=ADMIN[0], CINEMATCH_ADMIN_PASSWORD=ADMIN[1]) as base:
        token = httpx.post(f"{base}/api/auth/token", json={"username": ADMIN[0], "password": ADMIN[1]}).json()
        r = httpx.post(f"{base}/api/admin/catalog", json=CATALOG,
                       headers={"Authorization": f"Bearer {token['access_token']}"})
        assert r.status_code == 200, r.text
        yield base


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    assert os.path.exists(CHROMIUM), f"no Chromium at {CHROMIUM}: apt-get install chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    yield pg
    context.close()


def sign_in(page, base: str, name: str, password: str, button: str = "Sign in") -> None:
    """Through the home page's own form, as a person does (`button`: its name in the page's language)."""
    page.goto(f"{base}/")
    page.locator("#signin-username").fill(name)
    page.locator("#signin-password").fill(password)
    page.get_by_role("button", name=button, exact=True).click()


def shoot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def layout_shift(page, ms: int = 500) -> float:
    """The page's layout shift so far and over the next `ms` (buffered PerformanceObserver entries)."""
    return page.evaluate("""ms => new Promise(done => { let total = 0;
        new PerformanceObserver(list => { for (const e of list.getEntries()) total += e.value; })
          .observe({type: 'layout-shift', buffered: true});
        setTimeout(() => done(total), ms); })""", ms)


def violations(page) -> list[str]:
    """Every axe-core finding on the page as it is now (minor ones included)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']} ({len(v['nodes'])}) {v['nodes'][0]['target']}"
            for v in result["violations"]]

