from collections import Counter

from cinematch.domain import Event, Movie, fold_events
from cinematch.domain.deltas import UserDelta

NOLAN = Movie(name="Inception", title="Inception", rating=5, genres=["Sci-Fi", "Action"], duration=148,
              director="Christopher Nolan", actors="Leonardo DiCaprio, Joseph Gordon-Levitt, Leonardo DiCaprio",
              date="2025-01-20", added_at="2025-01-21T00:45:00+01:00")


def ev(kind, seq, movie=NOLAN, previous=None, entry="e1", user="u1"):
    return Event(event_type=kind, user_id=user, entry_id=entry, movie=movie, previous=previous, seq=seq)


def summary(delta: UserDelta):
    s = delta.stats
    affs = {k: (a.count, a.sum_ratings) for k, a in delta.affinities.items() if a.count or a.sum_ratings}
    return (s.total, s.sum_ratings, s.watch_time, s.dist, {m: n for m, n in s.monthly.items() if n}, affs)


def test_add_counts_each_name_once_per_entry():
    d = fold_events([ev("ADD", 1)])["u1"]
    assert summary(d)[:5] == (1, 5, 148, [0, 0, 0, 0, 1], {"2025-01": 1})
    assert d.affinities[("actor", "Leonardo_DiCaprio")].count == 1
    assert d.affinities[("genre", "Sci-Fi")].sum_ratings == 5
    assert d.trends["e1"].day == "2025-01-21" and d.trends["e1"].live


def test_delete_exactly_reverses_add():
    d = fold_events([ev("ADD", 1), ev("DELETE", 2)])["u1"]
    assert summary(d) == (0, 0, 0, [0] * 5, {}, {})
    assert not d.trends["e1"].live


def test_update_rating_moves_sums_only():
    m = Movie(**{**{f: getattr(NOLAN, f) for f in NOLAN.__struct_fields__}, "old_rating": 5, "new_rating": 2})
    d = fold_events([ev("ADD", 1), ev("UPDATE_RATING", 2, m)])["u1"]
    total, sums, time, dist, monthly, affs = summary(d)
    assert (total, sums, time, dist, monthly) == (1, 2, 148, [0, 1, 0, 0, 0], {"2025-01": 1})
    assert affs[("director", "Christopher_Nolan")] == (1, 2)


def test_update_is_remove_previous_add_movie():
    redated = Movie(**{**{f: getattr(NOLAN, f) for f in NOLAN.__struct_fields__}, "date": "2024-12-31"})
    d = fold_events([ev("ADD", 1), ev("UPDATE", 2, redated, previous=NOLAN)])["u1"]
    assert summary(d)[4] == {"2024-12": 1}  # a date change moves monthly_counts only
    assert summary(d)[:4] == (1, 5, 148, [0, 0, 0, 0, 1])


def test_bulk_import_equals_add():
    assert summary(fold_events([ev("BULK_IMPORT", 1)])["u1"]) == summary(fold_events([ev("ADD", 1)])["u1"])


def test_merge_is_a_monoid():
    events = [ev("ADD", i, entry=f"e{i}") for i in range(1, 7)] + [ev("DELETE", 7, entry="e3")]
    whole = fold_events(events)["u1"]
    for cut in range(len(events) + 1):
        left = fold_events(events[:cut]).get("u1", UserDelta("u1"))
        right = fold_events(events[cut:]).get("u1", UserDelta("u1"))
        assert summary(left.merge(right)) == summary(whole)
    # identity
    assert summary(UserDelta("u1").merge(whole)) == summary(whole)


def test_affinity_sums_agree_with_a_plain_count():
    movies = [Movie(name=f"M{i}", rating=1 + i % 5, genres=["G" + str(i % 3)], director=f"D{i % 4}, D{i % 2 + 10}",
                    actors="A, B, C, D, E, F", date="2025-03-01") for i in range(40)]
    d = fold_events([ev("ADD", i + 1, m, entry=str(i)) for i, m in enumerate(movies)])["u1"]
    want = Counter()
    for m in movies:
        for name in m.director.split(", ")[:2]:
            want[("director", name)] += m.rating
    for key, total in want.items():
        assert d.affinities[key].sum_ratings == total
    assert ("actor", "F") not in d.affinities  # only the first five actors count
    assert d.affinities[("actor", "A")].count == 40
