import msgspec

from cinematch.domain import catalog_movie, match_movie


def movies():
    return [
        catalog_movie(id="a", title="La città incantata", original_title="Spirited Away", year=2001),
        catalog_movie(id="b", title="Solaris", year=1972),
        catalog_movie(id="c", title="Solaris", year=2002),
        catalog_movie(id="d", title="Città d'Ombra", year=2020),
    ]


def test_exact_title_then_original_then_normalized():
    assert match_movie("La città incantata", None, movies()).id == "a"
    assert match_movie("Spirited Away", None, movies()).id == "a"
    assert match_movie("la citta incantata", None, movies()).id == "a"
    assert match_movie("SPIRITED-AWAY", None, movies()).id == "a"
    assert match_movie("citta d ombra", None, movies()).id == "d"


def test_a_given_year_admits_films_within_a_year_of_it():
    assert match_movie("Solaris", 2002, movies()).id == "c"
    assert match_movie("Solaris", 1972, movies()).id == "b"
    assert match_movie("Solaris", 2003, movies()).id == "c"  # a year off: the same film
    assert match_movie("Solaris", 1990, movies()) is None  # no Solaris of 1989-1991: nothing is linked
    assert match_movie("Solaris", None, movies()).id == "b"  # no year: the first by votes, then id


HEATS = [catalog_movie(id="tt0113277", title="Heat", year=1995, votes=700_000),
         catalog_movie(id="tt0091209", title="Heat", year=1986, votes=9_000)]


def test_heat_of_1986_is_not_heat_of_1995_and_votes_break_ties():
    assert match_movie("Heat", 1986, HEATS).id == "tt0091209"
    assert match_movie("Heat", 1995, HEATS).id == "tt0113277"
    assert match_movie("Heat", None, HEATS).id == "tt0113277"  # the more popular one


def test_titles_are_found_under_their_other_forms():
    catalog = [catalog_movie(id="g", title="Godfather, The", year=1972),
               catalog_movie(id="s", title="Seven (Se7en)", year=1995),
               catalog_movie(id="p", title="Gisaengchung", year=2019, akas=["Parasite", "Parasit", "Parásitos"]),
               catalog_movie(id="m", title="The Matrix", year=1999),
               catalog_movie(id="l", title="City of Lost Children, The (Cité des enfants perdus, La)", year=1995)]
    assert match_movie("The Godfather", 1972, catalog).id == "g"
    assert match_movie("Godfather", None, catalog).id == "g"  # a leading article ignored
    assert match_movie("Se7en", 1995, catalog).id == "s" and match_movie("Seven", None, catalog).id == "s"
    assert match_movie("Parasite", 2019, catalog).id == "p" and match_movie("parasitos", None, catalog).id == "p"
    assert match_movie("Matrix", 1999, catalog).id == "m"
    assert match_movie("La Cité des enfants perdus", None, catalog).id == "l"
    assert match_movie("The City of Lost Children", 1995, catalog).id == "l"
    assert match_movie("Parasite", 2005, catalog) is None


def test_an_exact_title_wins_over_another_form():
    catalog = [catalog_movie(id="x", title="Heat Wave", akas=["Heat"], year=1995, votes=10**6),
               catalog_movie(id="h", title="Heat", year=1995, votes=1)]
    assert match_movie("Heat", 1995, catalog).id == "h"


def test_no_match():
    assert match_movie("Nothing", None, movies()) is None
    assert match_movie("", None, movies()) is None


def test_word_starts_are_the_tails_of_each_key_from_a_later_word():
    from cinematch.domain.catalog import word_starts
    assert word_starts(["godfather part ii", "il padrino"]) == ["part ii", "ii", "padrino"]
    assert word_starts(["heat"]) == []


def test_a_typo_is_looked_up_by_the_longest_beginnings_titles_have():
    from cinematch.domain.catalog import find_typo_anchors
    keys = ["the godfather part ii", "godfather part ii", "part ii", "ii", "the matrix", "matrix"]

    def begins(text):
        return any(k.startswith(text) for k in keys)
    # the typo follows the anchor: "godfath" from the start, "part ii" from the third word
    assert find_typo_anchors("godfathr part ii", begins) == ["godfath", "part ii"]
    assert find_typo_anchors("th matrix", begins) == ["matrix"]  # "th " begins nothing; "th" is too short
    assert find_typo_anchors("zz qq", begins) == []


def test_tmdb_writers_are_the_screenplay_first_each_person_once():
    """TMDB lists writing credits by job: the screenplay's writers come first, the story's after,
    and a person credited twice is named once."""
    import json
    from pathlib import Path

    from cinematch.adapters.tmdb.client import TmdbFilm
    films = json.loads((Path(__file__).parents[1] / "fixtures/tmdb/films.json").read_text())
    parasite = msgspec.convert(next(f for f in films if f["id"] == 496243), TmdbFilm)
    assert parasite.writers == ["Bong Joon Ho", "Han Jin-won"] and parasite.found().writers == ("Bong Joon Ho",
                                                                                                  "Han Jin-won")
