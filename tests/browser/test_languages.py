"""The pages in Italian (docs/contract.md §6), in a real browser: a person whose browser asks for
Italian logs a film, reads the statistics, imports a file, gets recommendations and changes the
settings, finding every control by its Italian accessible name; the language follows the
account's setting, else the visitor's choice, else Accept-Language; no page breaks accessibility."""

import datetime as dt
import re

import httpx
from babel.dates import format_date
from playwright.sync_api import expect

from .conftest import shoot, violations

PASSWORD = "correct-horse-42"
WORDS = re.compile(r"\b(because|popular|logged by|close to|matches your|Sign|Diary|Rating|Watched|films?)\b")


def italian(browser, **extra):
    context = browser.new_context(locale="it-IT", viewport={"width": 1280, "height": 860}, bypass_csp=True, **extra)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


def sign_up_in_italian(page, base, name):
    page.goto(f"{base}/")
    expect(page.locator("html")).to_have_attribute("lang", "it")
    page.get_by_label("Nome utente").first.fill(name)
    page.locator("#signup-password").fill(PASSWORD)
    page.get_by_role("button", name="Registrati").click()
    expect(page).to_have_url(f"{base}/diary")


def another_viewer_logs(base, films):
    """Films of the instance a newcomer's recommendations can draw on."""
    with httpx.Client(base_url=base) as http:
        http.post("/api/auth/register", json={"username": "altro-spettatore", "password": PASSWORD})
        token = http.post("/api/auth/token", json={"username": "altro-spettatore", "password": PASSWORD}).json()
        for title, year in films:
            r = http.post("/api/movies", json={"name": title, "year": year, "rating": 4, "date": "2025-10-01"},
                          headers={"Authorization": f"Bearer {token['access_token']}"})
            assert r.status_code in (200, 201), r.text


def test_a_journey_in_italian(server, browser):
    another_viewer_logs(server, [("Brazil", 1985), ("Heathers", 1988)])
    context, page = italian(browser)
    sign_up_in_italian(page, server, "cinefila")
    expect(page.get_by_role("heading", name="Il tuo diario")).to_be_visible()
    page.get_by_label("Titolo", exact=True).fill("Hea")
    page.locator("#suggestions").get_by_role("option", name=re.compile(r"Heat \(1995\)")).click()
    page.get_by_label("Voto").select_option("4.5")
    watched = dt.date(2025, 12, 7)
    page.get_by_label("Visto il").fill(watched.isoformat())
    page.get_by_role("button", name="Registra un film").click()
    expect(page.get_by_role("heading", name="1 film nel diario")).to_be_visible()
    row = page.locator("#entries tr").first
    expect(row.locator("time")).to_have_text(format_date(watched, "medium", locale="it"))  # "7 dic 2025"
    expect(row.get_by_label("4,5 stelle")).to_be_visible()
    expect(row.get_by_role("button", name="Modifica Heat")).to_be_visible()
    assert violations(page) == [], "/diary"

    page.get_by_role("link", name="Statistiche").click()
    expect(page.get_by_role("heading", name="Le tue statistiche")).to_be_visible()
    expect(page.locator("#avg-rating")).to_have_text("4,50")
    genres = page.locator("#chart-genres svg text.axis")
    expect(genres).to_have_text(["Poliziesco", "Drammatico"])  # Crime, Drama: translated for display only
    expect(page.locator("#sync")).to_have_text(re.compile("Aggiornato|Sincronizzazione"))
    expect(page.locator("#chart-months svg text.axis").first).to_have_text("gen")
    expect(page.locator("#chart-weekdays summary")).to_have_text("Mostra come tabella")
    assert violations(page) == [], "/stats"

    page.get_by_role("link", name="Importa").click()
    page.get_by_label("File da importare").set_input_files(files=[{
        "name": "mine.csv", "mimeType": "text/csv",
        "buffer": b"name,year,rating,date\nAlien,1979,5,2025-11-02\nBrazil,1985,9,2025-11-03\n"}])
    page.get_by_role("button", name="Importa", exact=True).click()
    expect(page.get_by_role("heading", name="Resoconto dell'importazione")).to_be_visible()
    errors = page.locator("#import-errors")
    expect(errors.get_by_role("columnheader", name="Perché")).to_be_visible()
    expect(errors.locator("tbody td").nth(1)).to_have_text("il voto 9 è fuori da 0,5-5")
    assert violations(page) == [], "/import"

    page.get_by_role("link", name="Consigli").click()
    expect(page.get_by_role("heading", name="Consigli", exact=True)).to_be_visible()
    reasons = page.locator(".why").all_inner_texts()
    assert reasons and not any(WORDS.search(r) for r in reasons), reasons
    expect(page.get_by_role("button", name=re.compile("^Registra: ")).first).to_be_visible()
    assert violations(page) == [], "/recommendations"

    for link, heading in (("Da vedere", "I tuoi Da vedere"), ("Liste", "Le tue liste"), ("Tendenze", "Tendenze")):
        page.get_by_role("navigation", name="Principale").get_by_role("link", name=link, exact=True).click()
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        assert violations(page) == [], link
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/diary", "/stats", "/import", "/settings"):
        page.goto(f"{server}{path}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), f"{path} scrolls"
        shoot(page, f"it-{path.strip('/')}-phone")
    context.close()


def test_the_account_setting_wins_and_follows_the_person(server, browser):
    context, page = italian(browser)
    sign_up_in_italian(page, server, "poliglotta")
    page.get_by_role("link", name="Impostazioni").click()
    page.get_by_label("Lingua delle pagine").select_option("en")
    page.get_by_role("button", name="Salva la lingua").click()
    expect(page.get_by_role("status")).to_have_text("Language saved.")  # the browser still asks for Italian
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert violations(page) == [], "/settings"
    context.close()
    # Another browser, asking for Italian: once signed in, the account's English wins.
    context, page = italian(browser)
    page.goto(f"{server}/")
    page.locator("#signin-username").fill("poliglotta")
    page.locator("#signin-password").fill(PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    expect(page.get_by_role("heading", name="Your diary")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    context.close()


def test_a_visitor_switches_language_and_the_choice_survives_sign_up(server, browser, page):
    page.goto(f"{server}/trends")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("navigation", name="Language").get_by_role("link", name="Italiano").click()
    expect(page).to_have_url(f"{server}/trends")
    expect(page.get_by_role("heading", name="Tendenze", exact=True)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "it")
    page.goto(f"{server}/")
    page.get_by_label("Nome utente").first.fill("viaggiatore")
    page.locator("#signup-password").fill(PASSWORD)
    page.get_by_role("button", name="Registrati").click()
    expect(page.get_by_role("heading", name="Il tuo diario")).to_be_visible()
    page.context.clear_cookies()  # a new browser asking for English: the account says Italian
    page.goto(f"{server}/")
    page.locator("#signin-username").fill("viaggiatore")
    page.locator("#signin-password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Il tuo diario")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^Esci \("))).to_be_visible()


def test_the_ml_dashboard_in_italian(server, browser):
    from .conftest import ADMIN
    context, page = italian(browser)
    page.goto(f"{server}/")
    page.locator("#signin-username").fill(ADMIN[0])
    page.locator("#signin-password").fill(ADMIN[1])
    page.get_by_role("button", name="Accedi").click()
    page.get_by_role("link", name="Pannello ML").click()
    expect(page.get_by_role("heading", name="Pannello ML")).to_be_visible()
    expect(page.get_by_role("button", name="Ottimizza K")).to_be_visible()
    expect(page.get_by_label("Avanzamento")).to_be_visible()
    expect(page.locator("#ml-state")).to_have_text(re.compile("^(non )?addestrato$"))
    assert violations(page) == [], "/admin/ml"
    context.close()
