"""`scripts/run`'s demo as a person meets it: `cinematch demo` (MovieLens-100k's catalog and
its most active raters as demo accounts), `cinematch serve` training its first model, and a
demo account's recommendations page in a real browser."""

import json
import os
import re
import time

import httpx
import pytest
from playwright.sync_api import expect

from cinematch.data.movielens import dataset_dir, fetch_ml100k
from tests.support import serving

from ..e2e.test_ml_evaluate import DATA_DIR
from ..security.support import cinematch
from .conftest import violations, shoot


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    data = tmp_path_factory.mktemp("demo")
    source = fetch_ml100k(DATA_DIR)  # one download per machine, shared with the ML tests
    dataset_dir(data).parent.mkdir(parents=True)
    os.symlink(source, dataset_dir(data))
    done = cinematch("demo", "--users", "6", "--entries", "30", env={"CINEMATCH_DATA_DIR": str(data)}, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["catalog_movies"] == 1682 and len(report["users_created"]) == 6
    with serving(data, CINEMATCH_ML_TRAIN_ON_START="1") as base:
        token = httpx.post(f"{base}/api/auth/token", json={"username": report["users_created"][0],
                                                           "password": report["password"]}).json()["access_token"]
        end = time.monotonic() + 300
        while not httpx.get(f"{base}/api/recommendations/status",
                            headers={"Authorization": f"Bearer {token}"}).json()["is_trained"]:
            assert time.monotonic() < end, "the first model was not trained"
            time.sleep(0.5)
        status = httpx.get(f"{base}/api/recommendations/status", headers={"Authorization": f"Bearer {token}"}).json()
        assert status["training_source"] == "movielens+platform"  # the demo diaries matched the catalog
        yield base, report


def test_a_demo_account_gets_recommendations_it_has_not_seen(demo, browser):
    base, report = demo
    page = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True).new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{base}/")
    page.locator("#signin-username").fill(report["users_created"][0])
    page.locator("#signin-password").fill(report["password"])
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(f"{base}/diary")
    expect(page.locator("#entries tr")).to_have_count(20)  # a page of the 30 demo entries
    page.get_by_role("link", name="Recommendations").click()
    expect(page.locator(".muted", has_text="Strategy")).to_contain_text("hybrid")
    titles = [t.split(" (")[0].strip() for t in page.locator(".rec-title").all_inner_texts()]
    assert len(titles) == 12
    token = httpx.post(f"{base}/api/auth/token", json={"username": report["users_created"][0],
                                                       "password": report["password"]}).json()["access_token"]
    mine = httpx.get(f"{base}/api/movies?limit=100", headers={"Authorization": f"Bearer {token}"}).json()["items"]
    assert not set(titles) & {e["title"] for e in mine}
    assert all(re.search(r"\w", t) for t in page.locator(".why").all_inner_texts())  # every card says why
    assert violations(page) == []
    shoot(page, "recommendations-demo-desktop")
    page.context.close()
