"""A newcomer's first minute on the diary, at desktop and phone width: the catalog's suggestions
show whole and follow the arrow keys, every field and the button are reachable on a phone, a
refused form keeps what was typed, no rating is chosen for the person, the ML dashboard's
auto-refresh switch really stops the polling."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from .conftest import ADMIN, shoot, sign_in, violations

PASSWORD = "correct-horse-42"


def signed_up(browser, base, name, width=1280, height=900):
    context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)  # to inject axe
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{base}/")
    page.locator("#signup-username").fill(name)
    page.locator("#signup-password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(f"{base}/diary")
    return page


def element_at_centre(page, locator) -> bool:
    """Whether the element a click at the centre of `locator` would reach is that element (or in it)."""
    return locator.evaluate("""el => {
        const r = el.getBoundingClientRect();
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return hit !== null && (hit === el || el.contains(hit));
    }""")


def test_a_film_not_in_the_catalog_is_said_so_and_logged_as_typed(server, browser):
    page = signed_up(browser, server, "newcomer", 1280, 900)
    page.get_by_label("Title").fill("Past Lives")
    note = page.locator("#suggestions").get_by_role("status")
    expect(note).to_have_text(re.compile("“Past Lives” is not in the catalog."))
    expect(page.locator("#suggestions").get_by_role("option")).to_have_count(0)  # no guess at a film
    assert violations(page) == [], "with the note open"
    page.get_by_role("button", name="Log it as typed").click()
    row = page.locator("#entries tr").first
    expect(row).to_contain_text("Past Lives")
    expect(page.get_by_label("Title")).to_be_focused()  # the new form settled (htmx listens to it from then)
    page.get_by_label("Title").fill("hea")
    expect(page.locator("#suggestions").get_by_role("option")).to_have_count(2)  # the catalog still answers
    page.context.close()


@pytest.mark.parametrize("width,height,label", [(1280, 900, "desktop"), (390, 844, "phone")])
def test_the_suggestions_show_whole_and_follow_the_keys(server, browser, width, height, label):
    page = signed_up(browser, server, f"typist-{label}", width, height)
    form = page.locator("#log-form")
    assert "monospace" not in form.evaluate("el => getComputedStyle(el).fontFamily")
    page.get_by_label("Title").fill("hea")
    options = page.locator("#suggestions").get_by_role("option")
    expect(options).to_have_count(2)  # Heat, Heathers
    for i in range(options.count()):
        option = options.nth(i)
        option.scroll_into_view_if_needed()
        assert element_at_centre(page, option), f"option {i} is covered or clipped"
    assert violations(page) == [], "with the suggestions open"
    shoot(page, f"suggestions-{label}")
    title = page.get_by_label("Title")
    title.press("ArrowDown")
    first = options.nth(0)
    expect(first).to_have_attribute("aria-selected", "true")
    expect(title).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
    title.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    expect(first).to_have_attribute("aria-selected", "false")
    title.press("ArrowUp")
    expect(first).to_have_attribute("aria-selected", "true")
    picked = re.sub(r" \(.*", "", first.inner_text().strip())
    title.press("Enter")  # picks the film; it does not submit the form
    expect(options).to_have_count(0)
    expect(title).to_have_value(picked)
    assert page.locator("#catalog-id").input_value() and page.locator("#year").input_value()
    expect(page.locator("#entries tr")).to_have_count(0)
    page.context.close()


def test_on_a_phone_every_field_and_the_button_are_reachable(server, browser):
    page = signed_up(browser, server, "phone-user", 390, 844)
    form = page.locator("#log-form")
    style = form.evaluate("el => [getComputedStyle(el).overflowY, getComputedStyle(el).maxHeight]")
    assert style == ["visible", "none"], style  # not a scroll box of its own
    for name in ("Title", "Rating", "Watched on", "Tags", "Rewatch"):
        field = page.get_by_label(name, exact=True)
        field.scroll_into_view_if_needed()
        assert element_at_centre(page, field), name
    button = page.get_by_role("button", name="Log a film")
    button.scroll_into_view_if_needed()
    assert element_at_centre(page, button)
    page.context.close()


def test_a_refused_form_keeps_what_was_typed_and_no_rating_is_chosen(server, browser):
    page = signed_up(browser, server, "refused")
    expect(page.get_by_label("Rating")).to_have_value("")  # nothing chosen: a forgotten choice is no rating
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    date = page.get_by_label("Watched on")
    assert date.get_attribute("max") in (tomorrow, dt.date.today().isoformat(),
                                         (dt.date.today() + dt.timedelta(days=2)).isoformat())
    page.get_by_label("Title").fill("Alie")
    page.locator("#suggestions").get_by_role("option", name=re.compile("Alien")).click()
    page.get_by_label("Rating").select_option("3.5")
    date.fill("2025-02-03")
    too_many = ", ".join(f"tag{i}" for i in range(25))  # more tags than an entry takes: refused
    page.get_by_label("Tags").fill(too_many)
    page.get_by_label("Rewatch").check()
    page.get_by_role("button", name="Log a film").click()
    expect(page.get_by_role("alert")).to_contain_text("tag")
    expect(page.get_by_label("Title")).to_have_value("Alien")
    expect(page.get_by_label("Rating")).to_have_value("3.5")
    expect(page.get_by_label("Watched on")).to_have_value("2025-02-03")
    expect(page.get_by_label("Tags")).to_have_value(too_many)
    expect(page.get_by_label("Rewatch")).to_be_checked()
    assert page.locator("#catalog-id").input_value()  # still the film picked
    page.get_by_label("Tags").fill("cinema")
    page.get_by_role("button", name="Log a film").click()
    expect(page.locator("#entries tr")).to_have_count(1)
    expect(page.locator("#entries")).to_contain_text("Alien")
    expect(page.get_by_label("Rating")).to_have_value("")  # the next film starts unrated again
    page.context.close()


def test_the_dashboards_auto_refresh_polls_only_while_it_is_on(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, server, *ADMIN)
    page.goto(f"{server}/admin/ml")
    polls = []
    page.on("request", lambda r: polls.append(r.url) if "/admin/ml/status" in r.url else None)
    page.wait_for_timeout(3500)
    assert len(polls) >= 1  # on: it polls every 3 s
    page.get_by_label("Auto-refresh every 3 s").uncheck()
    page.wait_for_timeout(300)
    polls.clear()
    page.wait_for_timeout(6500)
    assert polls == []  # off: nothing is asked
    page.get_by_label("Auto-refresh every 3 s").check()
    page.wait_for_timeout(3500)
    assert len(polls) >= 1
    assert not [e for e in errors if "evalDisallowed" in e or "htmx" in e.lower()], errors
    assert page.locator("#ml-log").evaluate("el => getComputedStyle(el).display") == "block"
    context.close()


@pytest.mark.parametrize("width,height", [(1280, 900), (390, 844)])
def test_the_diary_does_not_shift_as_it_loads(server, browser, width, height):
    """Layout shifts of a full diary page, summed as Chromium reports them (Lighthouse's CLS)."""
    page = signed_up(browser, server, f"shifty-{width}", width, height)
    for i in range(3):
        page.get_by_label("Title").fill("hea")
        page.locator("#suggestions").get_by_role("option").first.click()
        page.get_by_role("button", name="Log a film").click()
        expect(page.locator("#entries tr")).to_have_count(i + 1)
        expect(page.get_by_label("Title")).to_be_focused()  # the new form is live (htmx settled)
    page.add_init_script("""
        window.__shift = 0;
        new PerformanceObserver(list => { for (const e of list.getEntries()) if (!e.hadRecentInput) window.__shift += e.value; })
            .observe({type: 'layout-shift', buffered: true});
    """)
    page.goto(f"{server}/diary")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    assert page.evaluate("window.__shift") < 0.01
    page.context.close()


def test_a_long_watchlist_title_stays_in_its_card_on_a_phone(server, browser):
    page = signed_up(browser, server, "long-titles", 390, 844)
    page.goto(f"{server}/watchlist")
    long_title = "Dr. Strangelove or: How I Learned to Stop Worrying and Love the Bomb" + "X" * 60
    page.get_by_label("Film title").fill(long_title)
    page.get_by_role("button", name="Add to watchlist").click()
    card = page.locator("#watchlist li").first
    expect(card).to_contain_text("Strangelove")
    assert card.evaluate("el => el.scrollWidth <= el.clientWidth + 1")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.context.close()
