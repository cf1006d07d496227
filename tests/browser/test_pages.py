"""A person's first steps through the pages, in a real browser: sign up, log films by picking
catalog suggestions, watch the statistics change on the open page, edit and delete, sign
out; every page at desktop and phone width, and no serious accessibility violation."""

import os
import re
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.support import serving

from .conftest import violations, shoot

PASSWORD = "correct-horse-42"


def sign_up(page, base, name):
    page.goto(f"{base}/")
    page.get_by_label("Username").first.fill(name)
    page.locator("#signup-password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(f"{base}/diary")


def log_film(page, typed: str, pick: str, stars: int, date: str):
    before = page.locator("#entries tr").count()
    page.get_by_label("Title").fill(typed)
    page.locator("#suggestions").get_by_role("option", name=re.compile(re.escape(pick))).click()
    page.get_by_label("Rating").select_option(str(stars))
    page.get_by_label("Watched on").fill(date)
    page.get_by_role("button", name="Log a film").click()
    expect(page.locator("#entries tr")).to_have_count(before + 1)  # logged in place, no page load
    expect(page).to_have_url(re.compile(r"/diary$"))
    expect(page.get_by_label("Title")).to_be_focused()  # ready for the next film


def test_first_steps(server, browser, page):
    sign_up(page, server, "newcomer")
    expect(page.get_by_role("heading", name="Log a film")).to_be_visible()
    log_film(page, "Hea", "Heat (1995) · Michael Mann", 5, "2025-03-01")
    log_film(page, "ali", "Alien (1979)", 4, "2025-03-02")
    log_film(page, "braz", "Brazil (1985)", 3, "2025-04-10")
    rows = page.locator("#entries tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("Brazil")  # newest watched first

    # The statistics page, open in a second tab, changes without a reload when a film is logged.
    stats = page.context.new_page()
    stats.goto(f"{server}/stats")
    expect(stats.locator("#total-films")).to_have_text("3")
    expect(stats.locator("#sync")).to_have_text("Up to date")
    stats.evaluate("window.__sameDocument = true")
    log_film(page, "heathers", "Heathers (1988)", 4, "2025-04-11")
    expect(stats.locator("#total-films")).to_have_text("4")
    assert stats.evaluate("window.__sameDocument") is True  # no reload happened
    expect(stats.locator("#favorite-genre")).to_have_text("Comedy")
    expect(stats.locator("#hours")).to_have_text(str(round((170 + 117 + 132 + 103) / 60, 1)))
    shoot(stats, "stats-first-steps")

    # Edit a rating in place, then delete an entry.
    page.get_by_role("button", name="Edit Alien").click()
    page.locator("select[id^=edit-rating]").select_option("2")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#entries tr", has_text="Alien")).to_contain_text("★★")
    expect(page.locator("#entries tr", has_text="Alien")).not_to_contain_text("★★★")
    # A delete says what went, offers it back, and the count follows without a reload.
    page.get_by_role("button", name="Delete Brazil").click()
    expect(page.locator("#entries tr.deleted")).to_contain_text("Deleted Brazil")
    expect(page.locator("#entries-title")).to_have_text("3 films logged")
    expect(stats.locator("#total-films")).to_have_text("3")
    page.get_by_role("button", name="Undo: put Brazil back").click()
    expect(page.locator("#entries tr", has_text="Brazil")).to_contain_text("★★★")
    expect(page.locator("#entries-title")).to_have_text("4 films logged")
    expect(stats.locator("#total-films")).to_have_text("4")
    page.get_by_role("button", name="Delete Brazil").click()
    expect(page.locator("#entries-title")).to_have_text("3 films logged")
    page.reload()
    expect(page.locator("#entries tr")).to_have_count(3)

    page.get_by_role("button", name=re.compile(r"^Sign out \(")).click()
    expect(page).to_have_url(f"{server}/")
    page.goto(f"{server}/diary")
    expect(page).to_have_url(re.compile(r"/\?next=%2Fdiary"))


def test_a_wrong_password_and_a_common_one_say_why(server, page):
    page.goto(f"{server}/")
    page.locator("#signup-username").fill("weakling")
    page.locator("#signup-password").fill("password12")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("alert")).to_contain_text("password")
    page.locator("#signin-username").fill("weakling")
    page.locator("#signin-password").fill("wrong-password-1")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("wrong username or password")


@pytest.mark.parametrize("width,height,label", [(1280, 860, "desktop"), (390, 844, "phone")])
def test_every_page_renders_and_is_accessible(server, browser, width, height, label):
    context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)  # to inject axe
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_up(page, server, f"viewer-{label}")
    log_film(page, "Hea", "Heat (1995)", 4, "2025-05-01")
    for path in ("/diary", "/stats", "/trends", "/recommendations", "/import", "/settings"):
        page.goto(f"{server}{path}")
        expect(page.locator("h1")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), f"{path} scrolls sideways"
        assert violations(page) == [], path
        shoot(page, f"{path.strip('/')}-{label}")
    page.get_by_role("button", name=re.compile(r"^Sign out \(")).click()
    expect(page.get_by_role("button", name="Sign up")).to_be_visible()
    assert violations(page) == [], "/"
    shoot(page, f"home-{label}")
    context.close()


def test_the_open_stats_page_says_syncing_then_shows_a_big_import(browser, tmp_path):
    """The projection runs as its own process here (`CINEMATCH_PROJECT_IN_SERVE=0`) and starts
    only after the import, so the page is certain to see the statistics behind the diary."""
    data = tmp_path / "data"
    with serving(data, CINEMATCH_PROJECT_IN_SERVE="0") as base:
        context = browser.new_context(bypass_csp=True)  # the observer below is an injected script
        page = context.new_page()
        page.set_default_timeout(30_000)
        sign_up(page, base, "bigimport")
        stats = context.new_page()
        stats.goto(f"{base}/stats")
        stats.evaluate("""() => { window.__states = []; window.__sameDocument = true;
            new MutationObserver(() => { const s = document.getElementById('sync');
                if (s && window.__states.at(-1) !== s.textContent.trim()) window.__states.push(s.textContent.trim()); })
              .observe(document.body, {subtree: true, childList: true, characterData: true}); }""")
        rows = 3000
        csv = tmp_path / "big.csv"
        csv.write_text("name,year,rating,date\n" + "".join(f"Film {i},2001,{1 + i % 5},2024-0{1 + i % 9}-01\n"
                                                            for i in range(rows)))
        page.goto(f"{base}/import")
        page.get_by_label("File to import").set_input_files(str(csv))
        page.get_by_role("button", name="Import", exact=True).click()
        expect(page.locator("#import-imported")).to_have_text(f"{rows:,}")  # numbers as the language writes them
        expect(stats.locator("#sync")).to_contain_text("Syncing…")  # diary ahead of the statistics
        worker = subprocess.Popen([sys.executable, "-m", "cinematch", "worker", "--profile", "embedded"],
                                  env={**os.environ, "CINEMATCH_DATA_DIR": str(data)})
        try:
            expect(stats.locator("#total-films")).to_have_text(f"{rows:,}")
            expect(stats.locator("#sync")).to_have_text("Up to date")
        finally:
            worker.terminate()
            worker.wait(15)
        states = stats.evaluate("window.__states")
        assert any(s.startswith("Syncing…") for s in states), states
        assert states[-1] == "Up to date" and stats.evaluate("window.__sameDocument") is True  # no reload
        context.close()


def test_the_pages_load_nothing_from_another_host(server, page):
    hosts = set()
    page.on("request", lambda r: hosts.add(r.url.split("/")[2]))
    sign_up(page, server, "offline")
    page.goto(f"{server}/stats")
    page.goto(f"{server}/trends")
    assert hosts == {server.split("/")[2]}


def test_the_api_docs_work_offline(server, page):
    hosts = set()
    page.on("request", lambda r: hosts.add(r.url.split("/")[2]))
    response = page.goto(f"{server}/schema")
    assert "script-src 'self'" in response.headers["content-security-policy"]  # local scripts only
    expect(page.get_by_text("/api/movies").first).to_be_visible()
    assert hosts == {server.split("/")[2]}
