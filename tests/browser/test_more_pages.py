"""The other pages in a real browser: a Letterboxd import and its report, recommendations on
a platform with a trained model, settings, and the admin's ML dashboard training and
watching a K optimization complete."""

import json
import re
import zipfile

import httpx
import pytest
from playwright.sync_api import expect

from cinematch.ml.synthetic import synthetic_catalog, synthetic_ratings
from tests.support import serving

from .conftest import ADMIN, violations, shoot

PASSWORD = "correct-horse-42"
LETTERBOXD = ("Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\r\n"
              "2025-01-03,Film 1,{y1},https://boxd.it/a1,4,,,2025-01-02\r\n"
              "2025-01-04,Film 2,{y2},https://boxd.it/a2,3.5,,,2025-01-03\r\n"
              "2025-01-05,Broken,2020,https://boxd.it/a3,11,,,2025-01-04\r\n"
              "2025-01-06,Unrated,2020,https://boxd.it/a4,,,,2025-01-05\r\n")


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    """A server whose catalog and 40 synthetic users (seed 004's generator) give a model data."""
    data = tmp_path_factory.mktemp("platform")
    films = synthetic_catalog(60, random_state=1)
    ratings = synthetic_ratings(films, 40, min_ratings=8, max_ratings=20, random_state=2)
    with serving(data, CINEMATCH_ADMIN_USERNAME=ADMIN[0], CINEMATCH_ADMIN_PASSWORD=ADMIN[1]) as base, \
            httpx.Client(base_url=base, timeout=30) as http:
        def bearer(name, password=PASSWORD):
            http.post("/api/auth/register", json={"username": name, "password": password})
            token = http.post("/api/auth/token", json={"username": name, "password": password}).json()
            return {"Authorization": f"Bearer {token['access_token']}"}
        admin = bearer(*ADMIN)
        catalog = [{"title": f.title, "year": f.year, "genres": list(f.genres), "director": f"Director {i % 7}"}
                   for i, f in enumerate(films)]
        assert http.post("/api/admin/catalog", json=catalog, headers=admin).status_code == 200
        by_user: dict = {}
        for r in ratings:
            by_user.setdefault(r.user, []).append(r)
        for user, rs in by_user.items():
            body = "name,year,rating,date\n" + "".join(f"{r.film.title},{r.film.year},{r.rating},2025-02-0{1 + k % 9}\n"
                                                        for k, r in enumerate(rs))
            out = http.post("/api/movies/import", content=body,
                            headers={**bearer(user.replace("synth", "user")), "content-type": "text/csv"}).json()
            assert out["imported"] == len(rs), out
        yield base, films


def sign_in(page, base, name, password=PASSWORD, new=False):
    page.goto(f"{base}/")
    prefix = "signup" if new else "signin"
    page.locator(f"#{prefix}-username").fill(name)
    page.locator(f"#{prefix}-password").fill(password)
    page.get_by_role("button", name="Sign up" if new else "Sign in").click()
    expect(page).to_have_url(f"{base}/diary")


def test_a_letterboxd_import_previewed_imported_repeated_and_undone(platform, page, tmp_path):
    base, films = platform
    sign_in(page, base, "importer", new=True)
    csv = tmp_path / "diary.csv"
    csv.write_text(LETTERBOXD.format(y1=films[0].year, y2=films[1].year).replace("Film 1", films[0].title)
                   .replace("Film 2", films[1].title), newline="")
    page.get_by_role("link", name="Import", exact=True).click()
    page.get_by_label("File to import").set_input_files(str(csv))
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#report-title")).to_have_text("Preview: nothing was written yet")
    expect(page.locator("#import-imported")).to_have_text("3")
    assert page.context.request.get(f"{base}/api/movies").json()["total"] == 0  # the preview wrote nothing
    page.get_by_role("button", name="Import", exact=True).click()  # the file is still chosen
    expect(page.locator("#report-title")).to_have_text("Import report")
    expect(page.locator("#batches")).to_contain_text("letterboxd-diary")  # its Undo is there at once
    expect(page.locator("#import-format")).to_have_text("letterboxd-diary")
    expect(page.locator("#import-imported")).to_have_text("3")  # the unrated watch too
    expect(page.locator("#import-skipped")).to_have_text("0")
    expect(page.locator("#import-errors")).to_contain_text("4")  # the line of the broken rating
    shoot(page, "import-desktop")
    page.get_by_label("File to import").set_input_files(str(csv))  # the same file again: nothing twice
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("#import-imported")).to_have_text("0")
    expect(page.locator("#import-duplicates")).to_have_text("3")
    with page.expect_download() as download:  # and take it away again
        page.get_by_role("link", name="Download the CineMatch backup (JSON)").click()
    saved = tmp_path / "backup.json"
    download.value.save_as(saved)
    backup = json.loads(saved.read_text())["diary"]
    assert [(e["name"], e.get("rating")) for e in backup] == [("Unrated", None), (films[1].title, 3.5),
                                                              (films[0].title, 4)]
    page.goto(f"{base}/diary")
    expect(page.locator("#entries tr")).to_have_count(3)
    expect(page.locator("#entries")).to_contain_text("not rated")
    expect(page.locator("#entries")).to_contain_text("★★★½")
    page.goto(f"{base}/import")
    page.get_by_role("button", name=re.compile(r"^Undo the letterboxd-diary import")).click()
    expect(page.get_by_role("status")).to_contain_text("The import was undone")
    page.goto(f"{base}/diary")
    expect(page.locator("#entries tr")).to_have_count(0)

    # An export with a watchlist: undoing the import takes its watchlist items off too (and only those).
    page.goto(f"{base}/watchlist")
    page.get_by_label("Film title").fill("Mine Before")
    page.get_by_role("button", name="Add to watchlist").click()
    archive = tmp_path / "letterboxd.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("diary.csv", LETTERBOXD.format(y1=films[0].year, y2=films[1].year))
        z.writestr("watchlist.csv", "Date,Name,Year,Letterboxd URI\r\n2024-05-01,Someday Film,2019,https://boxd.it/w1\r\n"
                                    "2024-05-02,Another Day,2020,https://boxd.it/w2\r\n")
    page.goto(f"{base}/import")
    page.get_by_label("File to import").set_input_files(str(archive))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("#import-watchlist")).to_have_text("2")
    page.goto(f"{base}/watchlist")
    expect(page.locator("#watchlist li")).to_have_count(3)
    page.goto(f"{base}/import")
    page.get_by_role("button", name=re.compile(r"^Undo the letterboxd-export import")).click()
    page.goto(f"{base}/watchlist")
    expect(page.locator("#watchlist li")).to_have_count(1)
    expect(page.locator("#watchlist")).to_contain_text("Mine Before")


def test_the_watchlist_and_a_half_star_rating(platform, browser):
    base, films = platform
    page = browser.new_context(viewport={"width": 1280, "height": 860}, bypass_csp=True).new_page()  # to inject axe
    page.set_default_timeout(10_000)
    sign_in(page, base, "watcher", new=True)
    page.get_by_role("link", name="Watchlist").click()
    page.get_by_label("Film title").fill(films[2].title)
    page.get_by_role("button", name="Add to watchlist").click()
    expect(page.locator("#watchlist li")).to_have_count(1)
    expect(page.locator("#watchlist")).to_contain_text(str(films[2].year))  # matched to the catalog
    assert violations(page) == []
    shoot(page, "watchlist-desktop")
    page.get_by_label("Rating").select_option("4.5")
    page.get_by_role("button", name=f"Watched it: {films[2].title}").click()
    expect(page).to_have_url(f"{base}/diary")
    expect(page.locator("#entries")).to_contain_text("★★★★½")
    page.get_by_role("link", name="Watchlist").click()
    expect(page.locator("#watchlist li")).to_have_count(0)  # logging it took it off
    page.context.close()


def test_recommendations_and_the_ml_dashboard(platform, browser):
    base, _ = platform
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    admin = context.new_page()
    admin.set_default_timeout(60_000)
    sign_in(admin, base, *ADMIN)
    admin.get_by_role("link", name="ML dashboard").click()
    expect(admin.locator("#ml-state")).to_have_text("not trained")
    admin.get_by_role("button", name="Train", exact=True).click()
    expect(admin.locator("#ml-message")).to_contain_text("Trained model")
    expect(admin.locator("#ml-state")).to_have_text("trained")
    admin.get_by_role("button", name="Train", exact=True).click()  # the rate limit says how long to wait
    expect(admin.locator("#ml-message")).to_contain_text(re.compile(r"rate limited: try again in \d+ s"))
    admin.get_by_role("button", name="Optimize K").click()
    expect(admin.locator("#k-phase")).to_have_text("Completed.", timeout=120_000)
    assert admin.locator("#k-progress").get_attribute("value") == "100"
    assert admin.locator("#k-chart rect").count() >= 2 and admin.locator("#ml-log li").count() >= 3
    expect(admin.locator("#k-svd")).not_to_contain_text("/ —")  # the grid shows the chosen K (auto-refresh)
    admin.get_by_role("button", name="Clear").click()
    expect(admin.locator("#ml-log li")).to_have_count(0)
    assert violations(admin) == []
    shoot(admin, "admin-ml-desktop")

    user = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True).new_page()
    user.set_default_timeout(30_000)
    sign_in(user, base, "user0")
    user.get_by_role("link", name="Recommendations").click()
    cards = user.locator(".rec")
    expect(cards.first).to_be_visible()
    assert cards.count() >= 5
    diary = {t.strip() for t in httpx.get(f"{base}/api/movies?limit=500", headers={
        "Authorization": "Bearer " + httpx.post(f"{base}/api/auth/token", json={
            "username": "user0", "password": PASSWORD}).json()["access_token"]}).json()["items"] for t in [t["title"]]}
    shown = [t.split(" (")[0].strip() for t in cards.locator(".rec-title").all_inner_texts()]
    assert not set(shown) & diary  # never a film already in the diary
    assert cards.locator(".rec-title a[href^='/films/']").count() >= 1  # catalog films link to their pages
    first = shown[0]
    assert cards.first.locator("select").input_value() == ""  # no rating chosen for the person
    cards.first.get_by_role("button", name=f"Log it: {first}").click()
    expect(user).to_have_url(re.compile(r"/diary$"))  # a plain form post: the diary page follows
    expect(user.locator("#entries")).to_contain_text(first)
    assert violations(user) == []
    shoot(user, "recommendations-desktop")
    user.context.close()
    context.close()


def test_settings_change_the_password_and_sign_out_everywhere(platform, browser):
    base, _ = platform
    one = browser.new_context().new_page()
    two = browser.new_context().new_page()
    sign_in(one, base, "mover", new=True)
    sign_in(two, base, "mover")
    one.get_by_role("link", name="Settings").click()
    one.get_by_label("Current password").fill(PASSWORD)
    one.get_by_label("New password").fill("another-horse-77")
    one.get_by_role("button", name="Change password").click()
    expect(one.get_by_role("status")).to_contain_text("Password changed")
    two.goto(f"{base}/diary")  # the other browser's session ended
    expect(two).to_have_url(re.compile(r"/\?next="))
    one.goto(f"{base}/diary")
    expect(one.get_by_role("heading", name="Log a film")).to_be_visible()  # this one stays signed in
    sign_in(two, base, "mover", "another-horse-77")
    one.goto(f"{base}/settings")
    one.get_by_label("Your password").fill("another-horse-77")
    one.get_by_role("button", name="Sign out everywhere").click()
    expect(one.get_by_role("status")).to_contain_text("Signed out everywhere else")
    two.goto(f"{base}/diary")
    expect(two).to_have_url(re.compile(r"/\?next="))
