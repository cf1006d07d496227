"""Reviews, likes, privacy and lists on the pages, at desktop and phone width: a review written
with the log form shows as text under its entry (never as HTML), a like and privacy show and
can be changed, and a list says how many of its films the diary has."""

import pytest
from playwright.sync_api import expect

from .conftest import shoot, violations
from .test_first_minute import element_at_centre, signed_up


@pytest.mark.parametrize("width,height,label", [(1280, 900, "desktop"), (390, 844, "phone")])
def test_a_review_a_like_and_privacy_from_the_log_form_to_the_row(server, browser, width, height, label):
    page = signed_up(browser, server, f"reviewer-{label}", width, height)
    page.get_by_label("Title", exact=True).fill("Heat")
    page.get_by_role("option", name="Heat").first.click()  # the film picked from the suggestions
    page.get_by_text("Write a review").click()
    review = page.get_by_label("Review", exact=True)
    review.fill("<b>The diner.</b>\nTwo men, one table.")
    page.get_by_label("Contains spoilers").check()
    page.get_by_label("Liked", exact=True).check()
    page.get_by_label("Private", exact=True).check()
    button = page.get_by_role("button", name="Log a film")
    button.scroll_into_view_if_needed()
    assert element_at_centre(page, button)
    button.click()
    row = page.locator("#entries tr").first
    expect(row).to_contain_text("Heat")
    expect(row).to_contain_text("liked")
    expect(row).to_contain_text("private")
    row.get_by_text("Review (spoilers)").click()
    expect(row.locator("details.review p")).to_have_text("<b>The diner.</b>\nTwo men, one table.")  # text, not HTML
    assert row.locator("details.review b").count() == 0
    assert violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shoot(page, f"review-{label}")
    # edit: no longer private, the review changed
    row.get_by_role("button", name="Edit Heat").click()
    editing = page.locator("tr.editing")
    editing.get_by_label("Private", exact=True).uncheck()
    editing.get_by_label("Review", exact=True).fill("Seen again.")
    assert violations(page) == [], "editing"
    editing.get_by_role("button", name="Save").click()
    row = page.locator("#entries tr").first
    expect(row).not_to_contain_text("private")
    row.get_by_text("Review (spoilers)").click()
    expect(row.locator("details.review p")).to_have_text("Seen again.")
    page.context.close()


@pytest.mark.parametrize("width,height,label", [(1280, 900, "desktop"), (390, 844, "phone")])
def test_a_list_made_on_the_page_says_how_much_of_it_was_watched(server, browser, width, height, label):
    page = signed_up(browser, server, f"lister-{label}", width, height)
    page.get_by_label("Title", exact=True).fill("Alien")
    page.get_by_role("option", name="Alien").first.click()
    page.get_by_role("button", name="Log a film").click()
    expect(page.locator("#entries")).to_contain_text("Alien")
    page.get_by_role("link", name="Lists").click()
    expect(page.get_by_text("No lists yet")).to_be_visible()
    assert violations(page) == []
    page.get_by_label("List name").fill("Late shows")
    page.get_by_label("Ranked").check()
    page.get_by_role("button", name="Make the list").click()
    expect(page.get_by_role("heading", name="Late shows", level=1)).to_be_visible()
    for title, note in (("Heat", "The diner."), ("Alien", ""), ("Brazil", "")):
        page.get_by_label("Film title").fill(title)
        page.get_by_label("Note").fill(note)
        page.get_by_role("button", name="Add to the list").click()
    page.get_by_label("Film title").fill("Heathers")
    page.get_by_label("Position").fill("1")
    page.get_by_role("button", name="Add to the list").click()
    films = page.locator("#list-films > li")
    expect(films).to_have_count(4)
    assert page.locator("#list-films").evaluate("el => el.tagName") == "OL"  # ranked: numbered
    expect(films.first).to_contain_text("Heathers")
    expect(films.nth(1)).to_contain_text("The diner.")
    expect(page.locator("#list-progress")).to_have_text("1 of 4 watched")
    expect(films.nth(2)).to_contain_text("watched")
    assert violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shoot(page, f"list-{label}")
    page.get_by_role("button", name="Remove Brazil from the list").click()
    expect(films).to_have_count(3)
    page.get_by_role("link", name="All lists").click()
    expect(page.locator(".cards")).to_contain_text("1 of 3 watched")
    page.context.close()
