"""The projection's wire view (credits kept raw) accepts, rejects and means exactly what the
domain's decoder does."""

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cinematch.domain import Event, InvalidEvent, Movie, decode_event, encode_event
from cinematch.domain.deltas import film_credits
from cinematch.domain.profiles import movie_profile
from cinematch.domain.ports import Record
from cinematch.services.projection import wire
from cinematch.services.projection.caches import FoldCache
from cinematch.services.projection import decode_records
from cinematch.services.projection.wire import WireEvent, as_domain, decode_wire, profile_hits

BASE = '{"event_type":"ADD","user_id":"u","entry_id":"e","seq":1,"movie":{"name":"A","rating":3%s}}'
CREDITS = [
    '', ',"director":null,"actors":null,"genres":null', ',"director":"Ann Lee","actors":"Bo, Cy","genres":["Drama"]',
    ',"director":"A\\u0020B"', ',"genres":[]', ',"actors":"  ,|  "', ',"director":"\\u00c9mile $where.x"',
    ',"director":1', ',"actors":["x"]', ',"genres":"Drama"', ',"genres":["a",2]', ',"genres":[["a"]]',
    ',"genres":{"a":1}', ',"director":true', ',"actors":{"$gt":""}', ',"genres":[null]',
]


def outcome(decode, payload: bytes):
    try:
        return "ok", decode(payload)
    except InvalidEvent as exc:
        return "rejected", exc.reason


CACHE = FoldCache()  # shared by the tests below: a key cached by one is a hit in the next


def domain_of_wire(payload: bytes):
    events = decode_wire([payload], CACHE).events
    return as_domain(events[0])


@pytest.mark.parametrize("credits", CREDITS)
def test_same_verdict_same_reason_same_event_as_the_domain_decoder(credits):
    payload = (BASE % credits).encode()
    assert outcome(domain_of_wire, payload) == outcome(decode_event, payload)


@pytest.mark.parametrize("credits", CREDITS)
def test_a_cached_key_never_lets_bad_credits_through(credits):
    """The cache holds only credits that passed; the same payload twice gets the same verdict."""
    payload = (BASE % credits).encode()
    assert outcome(domain_of_wire, payload) == outcome(domain_of_wire, payload) == outcome(decode_event, payload)


def test_one_bad_credit_makes_one_dead_letter_with_its_path():
    good = (BASE % ',"director":"Ann"').encode()
    bad = (BASE % ',"genres":["Drama",7]').encode()
    decoded, dead = decode_records([Record(payload=p, partition=0, position=i) for i, p in
                                    enumerate([good, bad, good])], "now", FoldCache())
    assert len(decoded.events) == 2 and decoded.columns is not None and len(decoded.columns) == 2
    assert [(d.position, d.reason) for d in dead] == [
        (1, "invalid event: Expected `str`, got `int` - at `$.movie.genres[1]`")]


def test_equal_credits_spelled_differently_share_one_profile():
    plain = msgspec.json.decode((BASE % ',"director":"Ann Lee","genres":["Drama"]').encode(), type=WireEvent)
    escaped = msgspec.json.decode((BASE % ',"director":"Ann\\u0020Lee","genres":[ "Drama" ]').encode(),
                                  type=WireEvent)
    domain = Movie(name="A", director="Ann Lee", genres=("Drama",))
    hits = profile_hits([plain.movie, escaped.movie, domain], FoldCache())
    assert hits[0] == hits[1] == hits[2]


def test_wire_and_domain_movies_mixed_in_one_call():
    w = msgspec.json.decode((BASE % ',"director":"Dee","actors":"Bo"').encode(), type=WireEvent).movie
    d = Movie(name="B", director="Eve", actors="Bo", genres=("Noir",))
    cache = FoldCache()
    (pw, _), (pd, genres) = profile_hits([w, d], cache)
    assert pw != pd and genres == ("Noir",)
    assert profile_hits([d, w], cache) == profile_hits([d], cache) + profile_hits([w], cache)


def test_a_recalculate_needs_no_movie_but_a_carried_one_is_checked():
    ok = b'{"event_type":"RECALCULATE","user_id":"u","seq":4}'
    events, _, hits = decode_wire([ok, (BASE % "").encode()], FoldCache())
    assert hits[0] is None and hits[1] is not None and events[0].movie is None
    bad = b'{"event_type":"RECALCULATE","user_id":"u","movie":{"name":"A","director":5}}'
    assert outcome(domain_of_wire, bad) == outcome(decode_event, bad)


names = st.one_of(st.none(), st.text(max_size=30), st.sampled_from(["Ann, Bo | Cy", " . $ ", "Émile", "x" * 200]))
movies = st.builds(
    Movie, name=st.text(min_size=1, max_size=20).filter(lambda s: not s.isspace()), rating=st.one_of(st.none(), st.integers(1, 5), st.integers(1, 10).map(lambda h: h / 2)),
    director=names, actors=names, genres=st.one_of(st.none(), st.lists(st.text(max_size=12), max_size=4).map(tuple)),
    duration=st.one_of(st.none(), st.integers(0, 400)), date=st.sampled_from([None, "2025-02-03"]),
    title=st.one_of(st.none(), st.text(max_size=10)), writers=names,
    countries=st.one_of(st.none(), st.lists(st.sampled_from(["US", "IT", " ", "$x"]), max_size=3).map(tuple)),
    languages=st.one_of(st.none(), st.lists(st.sampled_from(["en", "it", "J.p"]), max_size=2).map(tuple)),
    year=st.one_of(st.none(), st.integers(1870, 2100)), catalog_id=st.one_of(st.none(), st.text(min_size=1, max_size=8)),
)


@given(movies, st.sampled_from(["ADD", "DELETE", "BULK_IMPORT"]))
def test_any_event_round_trips_through_the_wire_view(movie, kind):
    payload = encode_event(Event(event_type=kind, user_id="u", entry_id="e", movie=movie, seq=3, schema_version=2))
    domain = decode_event(payload)
    assert domain_of_wire(payload) == domain
    (pid, genres), = profile_hits([msgspec.json.decode(payload, type=WireEvent).movie], CACHE)
    assert CACHE.profiles[pid] == movie_profile(*film_credits(domain.movie))


def test_the_wire_view_has_the_domain_fields_and_settings():
    for wire_type, domain_type in ((wire.WireMovie, Movie), (WireEvent, Event)):
        assert [f.name for f in msgspec.structs.fields(wire_type)] == [
            f.name for f in msgspec.structs.fields(domain_type)]
        assert wire_type.__struct_config__.omit_defaults and not wire_type.__struct_config__.gc
    types = {f.name: f.type for f in msgspec.structs.fields(wire.WireMovie)}
    domain_types = {f.name: f.type for f in msgspec.structs.fields(Movie)}
    assert all(types[c] is msgspec.Raw for c in wire.CREDITS) and types["name"] == domain_types["name"]
