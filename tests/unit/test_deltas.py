from collections import Counter

from cinematch.domain import Event, Movie, fold_events
from cinematch.domain.deltas import UserDelta

NOLAN = Movie(name="Inception", title="Inception", rating=5, genres=["Sci-Fi", "Action"], duration=148,
              director="Christopher Nolan", actors="Leonardo DiCaprio, Joseph Gordon-Levitt, Leonardo DiCaprio",
              date="2025-01-20", added_at="2025-01-21T00:45:00+01:00")


def ev(kind, seq, movie=NOLAN, previous=None, entry="e1", user="u1"):
    return Event(event_type=kind, user_id=user, entry_id=entry, movie=movie, previous=previous, seq=seq)


def summary(delta: UserDelta):
    """(total, rated, sum of stars, minutes, timed, distribution by half star, months, affinities)."""
    s = delta.stats
    affs = {k: (a.count, a.rated, a.halves / 2) for k, a in delta.affinities.items() if a.count or a.rated or a.halves}
    return (s.total, s.rated, s.halves / 2, s.watch_time, s.timed, s.dist, {m: n for m, n in s.monthly.items() if n},
            affs)


def dist(**stars):
    """A rating distribution by half star: dist(r4_5=1) has one 4.5."""
    out = [0] * 10
    for key, n in stars.items():
        out[int(float(key[1:].replace("_", ".")) * 2) - 1] = n
    return out


def with_(movie, **fields):
    return Movie(**{**{f: getattr(movie, f) for f in movie.__struct_fields__}, **fields})


def test_add_counts_each_name_once_per_entry():
    d = fold_events([ev("ADD", 1)])["u1"]
    assert summary(d)[:7] == (1, 1, 5, 148, 1, dist(r5=1), {"2025-01": 1})
    assert d.affinities[("actor", "Leonardo_DiCaprio")].count == 1
    assert d.affinities[("genre", "Sci-Fi")].halves == 10
    assert d.trends["e1"].day == "2025-01-21" and d.trends["e1"].live


def test_delete_exactly_reverses_add():
    d = fold_events([ev("ADD", 1), ev("DELETE", 2)])["u1"]
    assert summary(d) == (0, 0, 0, 0, 0, [0] * 10, {}, {})
    assert not d.trends["e1"].live


def test_update_rating_moves_sums_only():
    m = with_(NOLAN, old_rating=5, new_rating=2)
    d = fold_events([ev("ADD", 1), ev("UPDATE_RATING", 2, m)])["u1"]
    total, rated, sums, time, timed, distribution, monthly, affs = summary(d)
    assert (total, rated, sums, time, timed, distribution, monthly) == (1, 1, 2, 148, 1, dist(r2=1), {"2025-01": 1})
    assert affs[("director", "Christopher_Nolan")] == (1, 1, 2)


def test_half_stars_count_exactly_and_unrated_entries_count_as_watched_only():
    half = with_(NOLAN, rating=4.5)
    unrated = with_(NOLAN, rating=None, duration=None)
    d = fold_events([ev("ADD", 1, half), ev("ADD", 2, unrated, entry="e2")])["u1"]
    total, rated, sums, time, timed, distribution, monthly, affs = summary(d)
    assert (total, rated, sums, time, timed) == (2, 1, 4.5, 148, 1)  # the unknown duration is not a 0
    assert distribution == dist(r4_5=1) and monthly == {"2025-01": 2}
    assert affs[("director", "Christopher_Nolan")] == (2, 1, 4.5)


def test_a_rating_can_be_set_changed_and_removed():
    unrated = with_(NOLAN, rating=None)
    events = [ev("ADD", 1, unrated),
              ev("UPDATE_RATING", 2, with_(NOLAN, rating=None, old_rating=None, new_rating=3.5)),
              ev("UPDATE_RATING", 3, with_(NOLAN, rating=None, old_rating=3.5, new_rating=0.5))]
    assert summary(fold_events(events[:2])["u1"])[:6] == (1, 1, 3.5, 148, 1, dist(r3_5=1))
    assert summary(fold_events(events)["u1"])[:6] == (1, 1, 0.5, 148, 1, dist(r0_5=1))
    removed = events + [ev("UPDATE_RATING", 4, with_(NOLAN, rating=None, old_rating=0.5, new_rating=None))]
    total, rated, sums, *_, affs = summary(fold_events(removed)["u1"])
    assert (total, rated, sums) == (1, 0, 0) and affs[("genre", "Action")] == (1, 0, 0)


def test_update_is_remove_previous_add_movie():
    redated = with_(NOLAN, date="2024-12-31")
    d = fold_events([ev("ADD", 1), ev("UPDATE", 2, redated, previous=NOLAN)])["u1"]
    assert summary(d)[6] == {"2024-12": 1}  # a date change moves monthly_counts only
    assert summary(d)[:6] == (1, 1, 5, 148, 1, dist(r5=1))


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
        assert d.affinities[key].halves == 2 * total
    assert ("actor", "F") not in d.affinities  # only the first five actors count
    assert d.affinities[("actor", "A")].count == 40


def test_an_entry_counts_in_its_watch_months_else_in_its_events():
    from cinematch.domain.deltas import entry_month
    stamp = Event(event_type="ADD", user_id="u", timestamp="2026-02-03T10:00:00+00:00")
    assert entry_month(Movie(name="A", date="2025-11-30"), stamp) == "2025-11"
    assert entry_month(Movie(name="A"), stamp) == "2026-02"
    assert entry_month(Movie(name="A"), Event(event_type="ADD", user_id="u")) is None


def test_the_trend_clock_is_when_the_entry_was_added_else_when_its_event_happened():
    from cinematch.domain.deltas import added_instant
    old = Movie(name="A", added_at="2026-01-01T00:00:00+00:00")
    update = Event(event_type="UPDATE", user_id="u", timestamp="2026-02-01T00:00:00+00:00", previous=old)
    assert added_instant(Movie(name="B"), update) == old.added_at  # the previous movie says when
    assert added_instant(Movie(name="B", added_at="2026-01-05T00:00:00+00:00"), update) == "2026-01-05T00:00:00+00:00"
    delete = Event(event_type="DELETE", user_id="u", timestamp="2026-02-01T00:00:00+00:00", previous=old)
    assert added_instant(Movie(name="B"), delete) == delete.timestamp  # only an UPDATE reads its previous movie
