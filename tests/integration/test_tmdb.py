"""Optional TMDB enrichment against a local server of ours that answers in TMDB's documented
shapes (TMDB itself cannot be reached from here): a film the catalog lacks is looked up in the
background, added to the catalog with its details, and the entries that asked for it gain them;
each film is asked once; a 429 waits; TMDB down is only a pause, never a failed diary write."""

from cinematch.domain import catalog_movie
from cinematch.services.diary import NewEntry
from tests.support import wired


def app_with(tmdb, tmp_path):
    c = wired("sqlite", data_dir=tmp_path, tmdb_api_key="test-key", tmdb_url=tmdb.url, tmdb_requests_per_second=100)
    return c, c.services.enrichment()


async def test_a_film_the_catalog_lacks_is_found_and_its_entries_gain_its_details(tmdb, tmp_path):
    c, enricher = app_with(tmdb, tmp_path)
    diary = c.services.diary()
    [entry] = await diary.add_many("u", [NewEntry(name="Oppenheimer", year=2023, rating=4.5)])
    assert (entry.genres, entry.director, entry.catalog_id) == ([], "", None)  # written at once, unenriched
    await enricher.drain()
    [film] = await c.storage.catalog().search("oppenheimer", 5)
    assert (film.title, film.year, film.duration, film.genres) == ("Oppenheimer", 2023, 181, ["Drama", "History"])
    assert film.director == "Christopher Nolan" and film.actors == "Cillian Murphy, Emily Blunt"
    assert film.writers == "Christopher Nolan"  # TMDB's writing credits (the screenplay)
    assert film.poster_url.endswith("/8Gxv8gSFCU0XGDykEGv7zR1n2ua.jpg") and film.imdb_id == "tt15398776"
    linked = await c.storage.diary().get("u", entry.id)
    assert (linked.catalog_id, linked.genres, linked.director, linked.duration) == (
        film.id, ["Drama", "History"], "Christopher Nolan", 181)
    await c.services.runner().drain()
    stats = await c.services.queries().user_stats("u")
    assert stats["favorite_genre"] == "Drama" and stats["watch_time_minutes"] == 181
    asked = len(tmdb.requests)
    await diary.add_many("v", [NewEntry(name="Oppenheimer", year=2023, rating=5)])  # the catalog has it now
    await enricher.drain()
    assert len(tmdb.requests) == asked
    c.storage.db().close()


async def test_a_catalog_film_without_details_is_completed_by_its_imdb_id(tmdb, tmp_path):
    c, enricher = app_with(tmdb, tmp_path)
    await c.storage.catalog().upsert([catalog_movie(id="tt6751668", title="Gisaengchung", year=2019,
                                                    imdb_id="tt6751668", akas=["Parasite"], votes=900_000)])
    [entry] = await c.services.diary().add_many("u", [NewEntry(name="Parasite", rating=5)])
    assert entry.catalog_id == "tt6751668" and entry.genres == []
    tmdb.throttle_next = 1  # the first answer is a 429: the client waits its Retry-After
    await enricher.drain()
    [film] = (await c.storage.catalog().by_ids(["tt6751668"])).values()
    assert (film.title, film.votes, film.director, film.duration) == ("Gisaengchung", 900_000, "Bong Joon Ho", 133)
    assert tmdb.requests[0].startswith("/3/find/tt6751668")
    assert (await c.storage.diary().get("u", entry.id)).genres == ["Comedy", "Thriller", "Drama"]
    c.storage.db().close()


async def test_tmdb_down_is_a_pause_never_a_failed_write(tmdb, tmp_path, caplog, monkeypatch):
    c, enricher = app_with(tmdb, tmp_path)
    tmdb.stop()
    [entry] = await c.services.diary().add_many("u", [NewEntry(name="Oppenheimer", rating=4)])  # accepted
    assert enricher.queue.qsize() == 1  # asked for in the background
    monkeypatch.setattr("cinematch.services.enrichment.MAX_BACKOFF", 0.01)  # the test does not wait it out
    await enricher.drain()
    assert enricher.failures >= 1 and "enrichment paused" in caplog.text
    assert (await c.storage.diary().get("u", entry.id)).genres == []
    c.storage.db().close()


async def test_without_a_key_there_is_no_enricher(tmp_path):
    c = wired("memory")
    assert c.services.enrichment() is None and c.services.diary().enricher is None
