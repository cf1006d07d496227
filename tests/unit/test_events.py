import json

import pytest

from cinematch.domain import InvalidEvent, decode_event, encode_event


def event(**over):
    base = {
        "event_type": "ADD", "user_id": "u1", "entry_id": "e1",
        "movie": {"name": "Inception", "year": 2010, "rating": 5, "genres": ["Sci-Fi"], "duration": 148,
                  "director": "Christopher Nolan", "actors": "Leonardo DiCaprio", "date": "2025-01-20"},
        "timestamp": "2025-01-21T00:45:00+01:00",
    }
    base.update(over)
    return json.dumps(base).encode()


def test_seed_era_event_without_ids_is_accepted():
    ev = decode_event(event())
    assert ev.event_id is None and ev.schema_version == 1 and ev.movie.rating == 5


def test_unknown_fields_are_ignored_and_roundtrip_is_stable():
    ev = decode_event(event(extra="x", event_id="abc", schema_version=1, seq=3))
    assert decode_event(encode_event(ev)) == ev
    assert ev.seq == 3


@pytest.mark.parametrize("over, reason", [
    ({"event_type": "WHATEVER"}, "event_type"),
    ({"user_id": ""}, "user_id"),
    ({"user_id": 5}, "user_id"),
    ({"movie": None}, "movie is required"),
    ({"movie": {"name": "X", "rating": 0, "date": "2025-01-01"}}, "0.5 to 5"),
    ({"movie": {"name": "X", "rating": 6, "date": "2025-01-01"}}, "0.5 to 5"),
    ({"movie": {"name": "X", "rating": "5"}}, "rating"),
    ({"movie": {"name": "X", "rating": 4.25}}, "steps of 0.5"),
    ({"movie": {"name": "X", "rating": True}}, "rating"),
    ({"movie": {"name": "X"}}, "schema_version 1"),  # a seed-era event always has a rating
    ({"movie": {"name": "X", "rating": 3, "date": "2025-13-40"}}, "real date"),
    ({"movie": {"name": "", "rating": 3}}, "name"),
    ({"movie": {"name": "X", "rating": 3, "duration": -1}}, "duration"),
    ({"event_type": "UPDATE_RATING", "movie": {"name": "X", "old_rating": 2}}, "new_rating"),
    ({"event_type": "UPDATE", "movie": {"name": "X", "rating": 3}}, "previous"),
    ({"timestamp": "yesterday"}, "ISO-8601"),
])
def test_malformed_events_are_rejected_with_a_reason(over, reason):
    with pytest.raises(InvalidEvent) as err:
        decode_event(event(**over))
    assert reason in err.value.reason


def test_missing_required_field_and_garbage():
    with pytest.raises(InvalidEvent, match="event_type"):
        decode_event(b'{"user_id": "u"}')
    with pytest.raises(InvalidEvent, match="undecodable"):
        decode_event(b"\xff{not json")


def test_recalculate_needs_no_movie():
    assert decode_event(b'{"event_type": "RECALCULATE", "user_id": "u"}').movie is None


def test_version_2_events_carry_half_stars_and_unrated_entries():
    half = decode_event(event(schema_version=2, movie={"name": "X", "rating": 4.5, "date": "2025-01-01"}))
    unrated = decode_event(event(schema_version=2, movie={"name": "X", "date": "2025-01-01"}))
    removed = decode_event(event(schema_version=2, event_type="UPDATE_RATING",
                                 movie={"name": "X", "old_rating": 0.5, "new_rating": None}))
    assert half.movie.rating == 4.5 and unrated.movie.rating is None and removed.movie.new_rating is None
    assert decode_event(encode_event(half)) == half
    assert b'"rating":4,' in encode_event(decode_event(event(movie={"name": "X", "rating": 4, "date": "2025-01-01"})))
