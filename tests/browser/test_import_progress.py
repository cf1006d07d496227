"""A large upload on the Import page: the page shows how far the import got (rows done of all),
accessible as it changes, and then the report, without the person doing anything."""

from playwright.sync_api import expect

from .conftest import shoot, violations
from .test_first_minute import signed_up

ROWS = 60_000


def test_a_large_import_shows_its_progress_then_its_report(server, browser, tmp_path):
    page = signed_up(browser, server, "big-importer", 390, 844)
    big = tmp_path / "history.csv"
    big.write_text("name,year,rating,date\n" + "".join(
        f"Film {i},,{(i % 10 + 1) / 2},20{10 + i % 15}-0{i % 9 + 1}-1{i % 9}\n" for i in range(ROWS)))
    page.goto(f"{server}/import")
    page.get_by_label("File to import").set_input_files(str(big))
    page.get_by_role("button", name="Import", exact=True).click()
    progress = page.locator("#import-progress")
    expect(progress).to_be_visible(timeout=30_000)
    assert int(progress.get_attribute("max")) == ROWS
    assert violations(page) == [], "while importing"
    shoot(page, "import-progress-phone")
    expect(page.locator("#import-imported")).to_have_text(f"{ROWS:,}", timeout=120_000)
    expect(page.locator("#batches")).to_contain_text(f"{ROWS:,}")  # the import is listed, undoable
    assert violations(page) == [], "the report"
    page.context.close()
