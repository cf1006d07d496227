"""Class 2: one set of bounds holds on every path that accepts an entry (the API, every
importer, the event decoder), and the fast fold equals the recompute for every value
the bounds accept."""

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cinematch.domain import InvalidEvent, decode_event, encode_event
from cinematch.domain.bounds import MAX_DURATION, MAX_GENRES, MAX_NAME, MAX_PEOPLE
from cinematch.domain.events import Event, Movie
from cinematch.domain.ports import Record
from cinematch.services.projection.caches import FoldCache
from cinematch.services.diary import NewEntry
from cinematch.services.projection import decode_records
from tests.support import recompute_matches, wired

from .support import sign_up, wait_synced

TOO_MUCH = [
    {"name": "x" * (MAX_NAME + 1)},
    {"genres": [f"g{i}" for i in range(MAX_GENRES + 1)]},
    {"genres": ["g" * 65]},
    {"director": ", ".join(f"D{i}" for i in range(MAX_PEOPLE + 1))},
    {"actors": [f"A{i}" for i in range(MAX_PEOPLE + 1)]},
    {"duration": MAX_DURATION + 1},
    {"duration": 10**23},
    {"duration": -1},
    {"year": 1869},
    {"year": 2101},
    {"date": "1869-12-31"},
    {"date": "2030-01-01"},
    {"date": "2025-13-40"},
    {"date": "20250301xx"},
]


@pytest.mark.parametrize("extra", TOO_MUCH, ids=lambda e: next(iter(e)))
def test_the_api_refuses_what_is_out_of_bounds(app_client, extra):
    _, client = app_client
    r = client.post("/api/movies", json={"name": "Heat", "rating": 4, **extra}, headers=sign_up(client))
    assert r.status_code == 400 and r.json()["detail"]


def test_the_bounds_themselves_are_accepted(app_client):
    container, client = app_client
    h = sign_up(client)
    today = container.clock().now().date()
    tomorrow = today.fromordinal(today.toordinal() + 1).isoformat()
    ok = {"name": "x" * MAX_NAME, "rating": 4, "genres": [f"g{i}" for i in range(MAX_GENRES)],
          "director": [f"D{i}" for i in range(MAX_PEOPLE)], "duration": MAX_DURATION, "year": 1870,
          "date": tomorrow}
    assert client.post("/api/movies", json=ok, headers=h).status_code == 201
    assert client.post("/api/movies", json={**ok, "date": "1870-01-01", "year": 2100}, headers=h).status_code == 201
    assert wait_synced(client, h)["watch_time_minutes"] == 2 * MAX_DURATION


def test_an_import_row_out_of_bounds_is_a_row_error_and_the_sums_stay_exact(app_client):
    _, client = app_client
    h = sign_up(client)
    csv = ("Const,Your Rating,Date Rated,Title,Year,Runtime (mins),Genres,Directors\r\n"
           "tt1,8,2024-01-01,Huge,1999,100000000000000000000000,Drama,Someone\r\n"
           "tt2,8,2024-01-02,Future,1999,100,Drama,Someone\r\n"
           "tt3,8,2099-01-02,Later,1999,100,Drama,Someone\r\n"
           "tt4,6,2024-01-03,Fine,1999,120,Drama,Someone\r\n")
    r = client.post("/api/movies/import", content=csv, headers={**h, "content-type": "text/csv"}).json()
    assert r["imported"] == 2 and [e["line"] for e in r["errors"]] == [2, 4]
    assert "duration" in r["errors"][0]["reason"] and "date" in r["errors"][1]["reason"]
    stats = wait_synced(client, h)
    assert stats["watch_time_minutes"] == 220 and stats["total_watched"] == 2


def movie_event(**movie):
    return encode_event(Event(event_type="ADD", user_id="u", entry_id="e1", seq=1,
                              movie=Movie(name="A", rating=3, **movie)))


OUT_OF_BOUNDS_EVENTS = [
    b'{"event_type":"ADD","user_id":"u","seq":1,"movie":{"name":"A","rating":3,"duration":100000000000000000000000}}',
    b'{"event_type":"ADD","user_id":"u","seq":1,"movie":{"name":"A","rating":3,"duration":100001}}',
    b'{"event_type":"ADD","user_id":"u","seq":1,"movie":{"name":"A","rating":3,"genres":[' +
    b",".join(b'"g%d"' % i for i in range(5000)) + b"]}}",
    b'{"event_type":"ADD","user_id":"u","seq":1,"movie":{"name":"' + b"x" * 501 + b'","rating":3}}',
    b'{"event_type":"ADD","user_id":"u","seq":1,"movie":{"name":"A","rating":3,"date":"2199-01-01"}}',
    b'{"event_type":"ADD","user_id":"u","seq":1,"movie":{"name":"A","rating":3,"date":"1800-01-01"}}',
    b'{"event_type":"ADD","user_id":"u","seq":1,"movie":{"name":"A","rating":3,"year":3000}}',
    # Ten characters that are no YYYY-MM-DD (fromisoformat alone reads the first as a date).
    b'{"event_type":"ADD","user_id":"u","seq":1,"movie":{"name":"A","rating":3,"date":"20250301xx"}}',
    b'{"event_type":"ADD","user_id":"u","seq":1,"movie":{"name":"A","rating":3,"date":"2025/03/01"}}',
    b'{"event_type":"ADD","user_id":"u","seq":1,"movie":{"name":"A","rating":3,"date":"2025-03-01T00"}}',
    b'{"event_type":"ADD","user_id":"u","seq":1,"movie":{"name":"A","rating":3,"director":"' +
    b",".join(b"D%d" % i for i in range(60)) + b'"}}',
    b'{"event_type":"ADD","user_id":"' + b"u" * 200 + b'","seq":1,"movie":{"name":"A","rating":3}}',
]


@pytest.mark.parametrize("payload", OUT_OF_BOUNDS_EVENTS, ids=range(len(OUT_OF_BOUNDS_EVENTS)))
def test_the_event_decoder_holds_a_producer_outside_the_web_app_to_the_bounds(payload):
    with pytest.raises(InvalidEvent):
        decode_event(payload)
    decoded, dead = decode_records([Record(payload=payload, position=0)], "now", FoldCache())  # the projection's own decoder
    assert len(decoded.events) == 0 and len(dead) == 1 and dead[0].reason


def test_events_at_the_bounds_decode():
    decode_event(movie_event(duration=MAX_DURATION, genres=tuple(f"g{i}" for i in range(MAX_GENRES)),
                             director=", ".join(f"D{i}" for i in range(MAX_PEOPLE)), year=2100, date="1870-01-01"))


extreme = st.builds(
    NewEntry, name=st.sampled_from(["A", "B", "C"]), rating=st.one_of(st.none(), st.integers(1, 5), st.integers(1, 10).map(lambda h: h / 2)),
    duration=st.one_of(st.none(), st.integers(0, MAX_DURATION), st.just(MAX_DURATION)),
    genres=st.lists(st.sampled_from(["g1", "g2", "g3"]), max_size=3),
    date=st.sampled_from(["1870-01-01", "1999-12-31", "2025-06-30"]))


@settings(max_examples=60, deadline=None)
@given(st.lists(extreme, min_size=1, max_size=40))
async def test_the_fast_fold_equals_the_recompute_at_the_bounds(entries):
    app = wired("memory")
    await app.services.runner().source.start()
    for chunk in range(0, len(entries), 7):
        await app.services.diary().add_many("u", entries[chunk:chunk + 7])
    await app.services.runner().drain()
    assert await recompute_matches(app, ["u"]) == []
    stats = await app.storage.stats().get("u")
    assert stats.watch_time_minutes == sum(e.duration or 0 for e in entries)


def test_a_huge_body_is_refused_before_it_is_read(app_client):
    _, client = app_client
    h = sign_up(client)
    r = client.post("/api/movies", content=b'{"name": "' + b"x" * 2_000_000 + b'", "rating": 3}',
                    headers={**h, "content-type": "application/json"})
    assert r.status_code in (400, 413)
    assert msgspec.json.decode(r.content)["detail"]
