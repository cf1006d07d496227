"""The admin's catalog page in a real browser: a fetch of IMDb's datasets (from a local mirror)
started, followed and done, in English and Italian."""

import re
import tempfile

import pytest
from playwright.sync_api import expect

from tests.imdb_mirror import imdb_mirror
from tests.support import serving

from .conftest import ADMIN, sign_in, violations


@pytest.fixture(scope="module")
def server_with_mirror():
    with imdb_mirror() as url, tempfile.TemporaryDirectory() as data, serving(
            data, CINEMATCH_ADMIN_USERNAME=ADMIN[0], CINEMATCH_ADMIN_PASSWORD=ADMIN[1],
            CINEMATCH_IMDB_DATASETS_URL=url) as base:
        yield base


@pytest.mark.parametrize("locale,names", [
    ("en-US", ("Sign in", "Catalog", "Fetch and import now", "Films", "The last import wrote 9 films.")),
    ("it-IT", ("Accedi", "Catalogo", "Scarica e importa ora", "Film", "L'ultima importazione ha scritto 9 film.")),
])
def test_an_admin_fetches_todays_films(server_with_mirror, browser, locale, names):
    sign_in_button, catalog, fetch, films, done = names
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 860}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    sign_in(page, server_with_mirror, *ADMIN, button=sign_in_button)
    page.get_by_role("link", name=catalog, exact=True).click()
    expect(page.get_by_role("heading", name=catalog, exact=True)).to_be_visible()
    page.get_by_role("button", name=fetch).click()
    expect(page.locator("#catalog-status")).to_contain_text(done)  # followed on the page until done
    expect(page.locator("#catalog-films")).to_have_text("9")
    expect(page.locator("#catalog-last")).not_to_have_text("—")
    expect(page.get_by_role("cell", name=re.compile(r"^title\.basics\.tsv\.gz$"))).to_be_visible()
    assert violations(page) == [], "/admin/catalog"
    context.close()
