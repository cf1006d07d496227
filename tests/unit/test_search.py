"""The search's answer (domain/search.py): the kinds of match, the typo rule, and "no" rather than a
film that merely shares letters with the query."""

import pytest

from cinematch.domain.catalog import catalog_movie
from cinematch.domain.search import edits_allowed, match_kind, rank_search, within
from cinematch.domain.text import normalize_title

FILMS = [catalog_movie(id=i, title=t, year=y, votes=v) for i, t, y, v in [
    ("se7en", "Seven (Se7en)", 1995, 500), ("mm", "MatchMaker, The", 1997, 20), ("fwc", "First Wives Club, The", 1996, 90),
    ("dun", "Dunston Checks In", 1996, 10), ("gf", "Godfather, The", 1972, 900), ("gf2", "Godfather: Part II, The", 1974, 800),
    ("sw", "Snow White and the Seven Dwarfs", 1937, 300), ("m", "Matrix, The", 1999, 1000),
    ("mr", "Matrix Reloaded, The", 2003, 600), ("ml", "Matrix of Leadership", 2015, 1)]]


def search(q, limit=10):
    return [m.id for m in rank_search(FILMS, normalize_title(q), limit)]


@pytest.mark.parametrize("a,b,most,expected", [
    ("godfater", "godfather", 2, 1), ("matrx", "matrix", 1, 1), ("dune", "duns", 1, 1), ("fight", "first", 1, None),
    ("samurai", "seven", 1, None), ("kitten", "sitting", 3, 3), ("kitten", "sitting", 2, None), ("", "ab", 2, 2),
    ("same", "same", 0, 0), ("ab", "ba", 1, None), ("ab", "ba", 2, 2),
])
def test_the_edit_distance_within_a_bound(a, b, most, expected):
    assert within(a, b, most) == expected


def test_the_edits_a_word_may_hold():
    assert [edits_allowed(w) for w in ("of", "dune", "godfathr", "seven")] == [0, 1, 2, 1]


@pytest.mark.parametrize("query", ["the matrix reloadd samurai", "fight club", "seven samurai", "dune", "zzzz"])
def test_a_query_that_names_no_film_answers_nothing(query):
    assert search(query) == []


def test_the_matrix_is_not_the_matchmaker():
    without = [f for f in FILMS if not f.id.startswith("m") or f.id == "mm"]
    assert [m.id for m in rank_search(without, normalize_title("the matrix"), 10)] == []
    assert search("the matrix") == ["m", "mr"]  # the film so named, then the one continuing it


def test_kinds_in_order_then_edits_then_votes():
    assert search("godfather") == ["gf", "gf2"]  # exact, then prefix
    assert [match_kind(f, "godfather") for f in FILMS if f.id in ("gf", "gf2")] == ["exact", "prefix"]
    assert search("godfater") == ["gf", "gf2"]  # a typo: one edit, the most voted first
    assert match_kind(FILMS[4], "godfater") == "typo"
    assert search("snow white seven") == ["sw"]  # every word, in any place
    assert match_kind(FILMS[6], "snow white seven") == "words"
    assert search("matrix of lead") == ["ml"]  # a prefix of a key
    assert search("of leader") == ["ml"]  # the last word begun
    assert search("matrx") == ["m", "mr", "ml"]
    assert search("godfathe") == ["gf", "gf2"]  # still typing: a prefix
    assert search("godfathr part") == ["gf2"]  # a typo in a word, the next one begun
    assert search("godfatr") == ["gf", "gf2"]  # the last word, unfinished and mistyped (7 letters: one edit)
    assert search("dunsto checks") == ["dun"]
    assert search("dune") == []  # four letters: a whole word within one edit, never a beginning


def test_the_bounded_distance_agrees_with_a_full_levenshtein():
    import random

    def full(a, b):
        row = list(range(len(b) + 1))
        for i, ca in enumerate(a, 1):
            previous, row[0] = row[:], i
            for j, cb in enumerate(b, 1):
                row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (ca != cb))
        return row[-1]

    rnd = random.Random(3)
    for _ in range(20_000):
        a, b = ("".join(rnd.choice("abc ") for _ in range(rnd.randint(0, 8))) for _ in range(2))
        for most in (0, 1, 2):
            expected = full(a, b)
            assert within(a, b, most) == (expected if expected <= most else None), (a, b, most)
