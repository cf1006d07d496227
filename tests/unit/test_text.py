import pytest

from cinematch.domain import clean_key, normalize_title, split_people


@pytest.mark.parametrize("raw, expected", [
    ("Città d'Ombra", "citta d ombra"),
    ("Ønskebørn", "onskeborn"),
    ("Æon Flux", "aeon flux"),
    ("Straße", "strasse"),
    ("Œuvre", "oeuvre"),
    ("Łódź", "lodz"),
    ("Đorđe ð", "dorde d"),
    ("Þór", "thor"),
    ("  Amélie!!  (2001) ", "amelie 2001"),
    ("Spider-Man: No Way Home", "spider man no way home"),
    ("snake_case title", "snake_case title"),
    ("", ""),
    (None, ""),
])
def test_normalize_title(raw, expected):
    assert normalize_title(raw) == expected


def test_clean_key_replaces_operators_and_spaces():
    assert clean_key("J.J. Abrams") == "J_J__Abrams"
    assert clean_key("Robert Downey Jr.") == "Robert_Downey_Jr_"
    assert clean_key(" $where ") == "_where"
    assert clean_key("   ") == "Unknown"


def test_split_people_trims_drops_empties_and_limits():
    assert split_people("A, B | C,,  ", 2) == ["A", "B"]
    assert split_people("A|B|C") == ["A", "B", "C"]
    assert split_people(["  X ", ""]) == ["X"]
    assert split_people(None) == []
