"""The pages' languages: choosing one, the catalogs, messages from below the pages, dates and numbers,
and the check that keeps the catalogs complete (docs/translating.md)."""

import datetime as dt
import shutil

import pytest

from cinematch import i18n
from cinematch.domain.messages import N_
from cinematch.i18n import catalogs


@pytest.fixture
def italian():
    token = i18n._language.set("it")
    yield
    i18n._language.reset(token)


@pytest.mark.parametrize("header,chosen", [
    ("it-IT,it;q=0.9,en;q=0.8", "it"), ("fr-FR, en;q=0.5", "en"), ("fr", None), ("", None),
    ("en;q=0.1, it;q=0.9", "it"), ("it;q=0, en;q=0.2", "en"), ("it;q=abc, en", "en"), ("IT", "it"),
])
def test_the_browsers_language_by_its_weights(header, chosen):
    assert i18n.negotiate(header) == chosen


def test_english_is_the_default_and_an_unknown_language_falls_back_to_it():
    assert i18n.current() == "en"
    token = i18n._language.set("en")
    i18n.use("xx")
    assert i18n.current() == "en"
    i18n._language.reset(token)


def test_italian_words_and_plurals(italian):
    assert i18n.gettext("Diary") == "Diario"
    assert i18n.gettext("Watchlist") == "Da vedere"
    assert i18n.ngettext("Why %(count)s row was skipped", "Why %(count)s rows were skipped", 1) \
        == "Perché %(count)s riga è stata saltata"
    assert i18n.ngettext("Why %(count)s row was skipped", "Why %(count)s rows were skipped", 2) \
        == "Perché %(count)s righe sono state saltate"
    assert i18n.gettext("a message nobody marked") == "a message nobody marked"


def test_a_message_from_below_is_found_from_the_english_it_became(italian):
    english = N_("rating {raw!r} is not a number").format(raw="abc")
    assert english == "rating 'abc' is not a number"  # the API keeps this
    assert i18n.translate(english) == "il voto 'abc' non è un numero"  # the value as written, quoted once
    assert i18n.translate("rating 9 is outside 0.5-5") == "il voto 9 è fuori da 0,5-5"  # numbers the Italian way
    assert i18n.translate("a review is at most 20,000 characters, got 20,001") \
        == "una recensione può avere al massimo 20.000 caratteri, ricevuti 20.001"
    assert i18n.translate("signing in is rate limited; retry in 3 s") == "accesso: troppi tentativi; riprova tra 3 s"
    assert i18n.translate("because you rated Heat ★★★★ · on your watchlist") \
        == "perché hai dato ★★★★ a Heat · è tra i tuoi Da vedere"
    assert i18n.translate("ratings.csv: the rating of a film in the diary (one watch)") \
        == "ratings.csv: il voto di un film già nel diario (una sola visione)"
    assert i18n.translate("Crime") == "Poliziesco"
    assert i18n.translate("a film title nobody translates") == "a film title nobody translates"


def test_english_pages_show_messages_as_they_are():
    assert i18n.translate("rating 9 is outside 0.5-5") == "rating 9 is outside 0.5-5"
    assert i18n.translate(None) == ""


def test_dates_and_numbers_follow_the_language(italian):
    assert i18n.format_date("2026-12-07") == "7 dic 2026"
    assert i18n.format_date(dt.date(2026, 12, 7)) == "7 dic 2026"
    assert i18n.format_date("not a date") == "not a date"
    assert i18n.format_number(4.5) == "4,5"
    assert i18n.format_number(3.7, 2) == "3,70"
    assert i18n.format_number(60000) == "60.000"
    assert i18n.month_name(1) == "gen"
    assert i18n.format_moment("2026-12-07T13:56:55+00:00") == "7 dic 2026, 13:56"
    assert i18n.format_moment("soon") == "soon"
    i18n.use("en")
    assert (i18n.format_date("2026-12-07"), i18n.format_number(4.5), i18n.format_number(60000)) \
        == ("Dec 7, 2026", "4.5", "60,000")


def test_the_catalogs_are_complete_and_current():
    """What the test command checks: every shown string marked, every message translated, nothing stale."""
    assert list(catalogs.problems()) == []


def test_the_check_finds_a_string_not_marked(tmp_path):
    (tmp_path / "page.html").write_text(
        '{% extends "base.html" %}<h1>{{ _("Diary") }}</h1><p>{% trans n=1 %}Seen {{ n }}{% endtrans %}</p>'
        '<button aria-label="{{ _(\'Edit\') }}">CineMatch</button>{# a comment #}')
    assert list(catalogs.unmarked_text(tmp_path)) == []
    (tmp_path / "page.html").write_text('<h1>Diary</h1><input placeholder="cinema, with Ana"><p>{{ x }} ★ 4</p>')
    assert list(catalogs.unmarked_text(tmp_path)) == [
        "page.html: not marked for translation: 'Diary'",
        "page.html: not marked for translation: 'cinema, with Ana'"]


def test_the_check_finds_a_missing_translation_and_a_stale_compiled_catalog(tmp_path, monkeypatch):
    shutil.copytree(i18n.LOCALES_DIR, tmp_path / "locales")
    monkeypatch.setattr(catalogs, "LOCALES_DIR", tmp_path / "locales")
    po = catalogs.po_path("it")
    po.write_text(po.read_text("utf-8").replace('msgstr "Diario"', 'msgstr ""'), "utf-8")
    found = list(catalogs.problems())
    assert "it: no translation: 'Diary'" in found
    assert any(".mo is not its .po" in line for line in found)
    catalogs.compile_all()
    assert list(catalogs.problems()) == ["it: no translation: 'Diary'"]

