"""The catalog from IMDb's dataset files (tests/fixtures/imdb/: gzipped and plain TSV, `\\N`
nulls, several genres, an adult film, series and episodes, unicode names, two directors, akas
in other languages, more billed actors than count)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cinematch.data.imdb import MissingFile, read_catalog
from cinematch.domain.catalog import match_movie

FIXTURES = Path(__file__).parents[1] / "fixtures" / "imdb"


@pytest.fixture(scope="module")
def films():
    return {m.id: m for m in read_catalog(FIXTURES)}


def test_films_only_and_no_adult_films(films):
    assert "tt1234567" not in films  # isAdult
    assert "tt0903747" not in films and "tt0959621" not in films  # a series and an episode
    assert {"tt0120338", "tt15239678", "tt0113277"} <= set(films)  # a tvMovie is a film


def test_fields_nulls_and_credits(films):
    heat = films["tt0113277"]
    assert (heat.title, heat.year, heat.duration, heat.genres, heat.imdb_id, heat.votes) == (
        "Heat", 1995, 170, ["Action", "Crime", "Drama"], "tt0113277", 712345)
    assert heat.director == "Michael Mann"  # the director's row in principals is not an actor
    assert heat.actors == "Al Pacino, Robert De Niro, Kevin Spacey, Tom Hanks, Val Kilmer"  # first five billed
    tv = films["tt0120338"]
    assert (tv.year, tv.duration, tv.genres, tv.director, tv.votes) == (None, 0, [], "", 0)  # \N everywhere
    assert films["tt0133093"].director == "Lana Wachowski, Lilly Wachowski"
    # Writers from title.crew: the first two, in its order; none where it says \N.
    assert (heat.writers, films["tt0133093"].writers, tv.writers) == ("Michael Mann", "Lilly Wachowski, Lana Wachowski", "")
    assert films["tt0068646"].writers == "Mario Puzo, Francis Ford Coppola"
    assert films["tt6751668"].director == "Bong Joon Ho" and films["tt6751668"].original_title == "Gisaengchung"
    assert films["tt0211915"].original_title == "Le fabuleux destin d'Amélie Poulain"
    assert films["tt0113277"].original_title is None  # the same as the title


def test_alternative_titles_find_the_film(films):
    catalog = list(films.values())
    assert "기생충" in films["tt6751668"].akas and "Parasit" in films["tt6751668"].akas
    assert match_movie("Parásitos", 2019, catalog).id == "tt6751668"
    assert match_movie("Seven", 1995, catalog).id == "tt0114369"
    assert match_movie("Il Padrino", None, catalog).id == "tt0068646"
    assert match_movie("Godfather", 1972, catalog).id == "tt0068646"
    assert match_movie("Heat", 1986, catalog).id == "tt0091209" and match_movie("Heat", None, catalog).id == "tt0113277"
    assert match_movie("Matrix", 1999, catalog).id == "tt0133093"
    assert match_movie("Dune Part Two", 2024, catalog).id == "tt15239678"


def test_a_folder_without_the_files_says_which(tmp_path):
    with pytest.raises(MissingFile, match="title.basics"):
        list(read_catalog(tmp_path))


def test_the_command_imports_and_a_second_run_updates_in_place(tmp_path):
    env = {**os.environ, "CINEMATCH_DATA_DIR": str(tmp_path / "data")}
    run = [sys.executable, "-m", "cinematch", "catalog", "import-imdb", str(FIXTURES)]
    first = subprocess.run(run, capture_output=True, text=True, env=env, timeout=120)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout.splitlines()[-1]) == {"upserted": 9}
    again = subprocess.run(run, capture_output=True, text=True, env=env, timeout=120)
    assert json.loads(again.stdout.splitlines()[-1]) == {"upserted": 9} and again.stderr == ""  # quiet off a terminal
    import asyncio

    from tests.support import wired
    c = wired("sqlite", data_dir=tmp_path / "data")
    assert asyncio.run(c.storage.catalog().count()) == 9
    found = asyncio.run(c.storage.catalog().candidates_many(["Parasit", "Der Pate"]))
    assert [m.id for m in found["Parasit"]] == ["tt6751668"] and [m.id for m in found["Der Pate"]] == ["tt0068646"]
    c.storage.db().close()
    bad = subprocess.run([*run[:-1], str(tmp_path / "nowhere")], capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


def test_names_are_found_whatever_order_the_file_lists_them_in(tmp_path):
    from cinematch.data.imdb import _bitmap, _names
    path = tmp_path / "name.basics.tsv"
    path.write_text("nconst\tprimaryName\nnm0000030\tZoë\nnm0000010\tÅsa\nnm0000020\tBo\nnm0000040\tNot wanted\n")
    names = _names(path, _bitmap([10, 20, 30]))
    assert [names.get(p) for p in (10, 20, 30, 40, 5)] == ["Åsa", "Bo", "Zoë", None, None]
