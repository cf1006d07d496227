import pytest
from hypothesis import given
from hypothesis import strategies as st

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
    assert clean_key("Christopher Nolan") == "Christopher_Nolan"  # the seed's readable key
    assert clean_key("J.J. Abrams") == "J%2EJ%2E_Abrams"
    assert clean_key("Robert Downey Jr.") == "Robert_Downey_Jr%2E"
    assert clean_key(" $where ") == "%24where"
    assert clean_key("   ") == "Unknown"
    for key in map(clean_key, ["J.J. Abrams", "Robert Downey Jr.", "$where", "a b"]):
        assert "." not in key and "$" not in key and " " not in key


@given(st.text(max_size=12), st.text(max_size=12))
def test_two_different_names_never_share_a_key(a, b):
    if a.strip() and b.strip() and a.strip() != b.strip():
        assert clean_key(a) != clean_key(b)


def test_names_the_seed_merged_get_keys_of_their_own():
    names = [".", "$", "_", " x", "J.J", "J$J", "J_J", "J J", "J%2EJ", "J%J"]
    assert len({clean_key(n) for n in names}) == len(names)


def test_split_people_trims_drops_empties_and_limits():
    assert split_people("A, B | C,,  ", 2) == ["A", "B"]
    assert split_people("A|B|C") == ["A", "B", "C"]
    assert split_people(["  X ", ""]) == ["X"]
    assert split_people(None) == []
