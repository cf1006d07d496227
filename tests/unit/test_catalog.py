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


def test_year_breaks_ties():
    assert match_movie("Solaris", 2002, movies()).id == "c"
    assert match_movie("Solaris", 1972, movies()).id == "b"
    assert match_movie("Solaris", 2000, movies()).id == "c"  # nearest year


def test_no_match():
    assert match_movie("Nothing", None, movies()) is None
    assert match_movie("", None, movies()) is None
