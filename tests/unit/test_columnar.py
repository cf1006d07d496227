"""The vectorised batch fold means exactly what folding event by event means."""

import random

import pytest

from cinematch.domain import Event, Movie, encode_event
from cinematch.domain.deltas import fold_events
from cinematch.domain.ports import Record
from cinematch.services.projection import fold as columnar
from cinematch.services.projection.caches import FoldCache
from cinematch.services.projection import Columns, fold_batch, reference_fold
from cinematch.services.projection import decode_records

PEOPLE = ["Ann Lee", "Bo $mith", "C. Dot", "Émile Zola", " Ann Lee ", "x" * 300]
GENRES = ["Drama", "Comedy", "Sci.Fi", "$where", "Noir"]
CODES = ["US", "IT", "FR", "$x", "J.P"]


def some_rating(rnd: random.Random):
    """Half stars, whole stars (ints, as seed producers send them) and unrated."""
    return rnd.choice([None, rnd.randint(1, 5), rnd.randint(1, 10) / 2])


def movie(rnd: random.Random, rating: int | None = None) -> Movie:
    return Movie(
        name=f"Film {rnd.randint(1, 30)}", title=rnd.choice([None, "Catalog title"]), rating=rating or some_rating(rnd),
        genres=rnd.choice([None, [], rnd.sample(GENRES, rnd.randint(1, 3))]), duration=rnd.choice([None, 0, 95, 140]),
        director=rnd.choice([None, "", ", ".join(rnd.sample(PEOPLE, rnd.randint(1, 3)))]),
        actors=rnd.choice([None, " | ".join(rnd.sample(PEOPLE, rnd.randint(1, 6)))]),
        date=rnd.choice([None, f"2025-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"]),
        added_at=rnd.choice([None, "2025-06-01T23:30:00+00:00", "2025-06-02T10:00:00+02:00"]),
        catalog_id=rnd.choice([None, f"film-{rnd.randint(1, 12)}"]),
        private=rnd.random() < 0.2,  # a private entry counts for its owner, in no public trend
        writers=rnd.choice([None, "", ", ".join(rnd.sample(PEOPLE, rnd.randint(1, 3)))]),
        countries=rnd.choice([None, (), tuple(rnd.sample(CODES, rnd.randint(1, 3)))]),
        languages=rnd.choice([None, tuple(rnd.sample(CODES, 1))]),
        year=rnd.choice([None, 1899, 1994, 1999, 2000, 2024]),
        rewatch=rnd.random() < 0.3,
    )


def random_events(seed: int, n: int = 400) -> list[Event]:
    rnd = random.Random(seed)
    out, seqs, live = [], {}, {}
    for i in range(n):
        user = f"u{rnd.randint(1, 8)}"
        legacy = rnd.random() < 0.1  # seed-era event: no seq, no entry_id
        seq = None if legacy else seqs.setdefault(user, 0) + 1
        if seq:
            seqs[user] = seq
        mine = live.setdefault(user, {})
        roll = rnd.random()
        ts = rnd.choice([None, "2025-05-05T12:00:00+02:00"])
        if mine and roll < 0.15:
            eid, m = rnd.choice(list(mine.items()))
            del mine[eid]
            out.append(Event(event_type="DELETE", user_id=user, entry_id=eid, movie=m, seq=seq, timestamp=ts,
                             schema_version=2))
        elif mine and roll < 0.3:
            eid, m = rnd.choice(list(mine.items()))
            new = some_rating(rnd)
            m2 = Movie(**{**{f: getattr(m, f) for f in m.__struct_fields__}, "rating": new})
            mine[eid] = m2
            rated = Movie(**{**{f: getattr(m, f) for f in m.__struct_fields__}, "old_rating": m.rating,
                             "new_rating": new, "rating": None})
            out.append(Event(event_type="UPDATE_RATING", user_id=user, entry_id=eid, movie=rated, seq=seq,
                             schema_version=2))
        elif mine and roll < 0.45:
            eid, m = rnd.choice(list(mine.items()))
            m2 = movie(rnd)
            mine[eid] = m2
            out.append(Event(event_type="UPDATE", user_id=user, entry_id=eid, movie=m2, previous=m, seq=seq,
                             timestamp=ts, schema_version=2))
        else:
            eid = None if legacy else f"e{i}"
            m = movie(rnd)
            if eid:
                mine[eid] = m
            out.append(Event(event_type=rnd.choice(["ADD", "BULK_IMPORT"]), user_id=user, entry_id=eid, movie=m,
                             seq=seq, timestamp=ts, schema_version=2))
    return out


def comparable(deltas):
    return {
        u: (d.stats.total, d.stats.rated, d.stats.halves, d.stats.watch_time, d.stats.timed, d.stats.rewatch,
            list(d.stats.dist),
            {m: n for m, n in d.stats.monthly.items() if n},
            {k: (a.count, a.rated, a.halves) for k, a in d.affinities.items() if a.count or a.rated or a.halves},
            {k: (*f.as_tuple(), f.seq) for k, f in d.trends.items()},
            d.first_seq, d.last_seq, d.events)
        for u, d in deltas.items()
    }


@pytest.mark.parametrize("seed", range(25))
def test_fold_batch_equals_event_by_event(seed):
    events = random_events(seed)
    assert comparable(fold_batch(events).user_deltas()) == comparable(fold_events(events))


def writes(batch):
    """What a projector writes of a batch on empty stores: every document's write, by id."""
    return ({w.user_id: w for w in batch.stats_writes("now")}, {w.id: w for w in batch.affinity_writes("now")},
            {k: (*f.as_tuple(), f.seq) for k, f in batch.facts.items()}, batch.ordered, batch.documents)


@pytest.mark.parametrize("seed", range(25))
def test_the_reference_fold_writes_what_the_vectorised_fold_writes(seed):
    """Both behind one interface (`fold.Fold`): the same documents, to the zero sums that
    only move a mark (an entry added and deleted, a rating set to what it was)."""
    events = random_events(seed)
    got, want = writes(fold_batch(events)), writes(reference_fold(events))
    assert got == want and got[0] and got[1] and got[2]


@pytest.mark.parametrize("part", [{"affinities": False}, {"facts": False}])
def test_the_reference_fold_leaves_out_what_the_vectorised_fold_leaves_out(part):
    events = random_events(3)
    got, want = writes(fold_batch(events, **part)), writes(reference_fold(events, **part))
    assert got == want and (not got[1] if "affinities" in part else not got[2])


def test_a_rating_set_to_what_it_was_still_moves_its_names_marks():
    same = Movie(name="A", old_rating=4, new_rating=4, genres=["Drama"], director="Ann", date="2025-01-02")
    events = [Event(event_type="UPDATE_RATING", user_id="u", entry_id="e1", movie=same, seq=2)]
    for fold in (fold_batch, reference_fold):
        batch = fold(events)
        assert {(w.name_key, w.count, w.sum_ratings, w.new_hwm) for w in batch.affinity_writes("now")} == {
            ("Ann", 0, 0, 2), ("Drama", 0, 0, 2), ("a|", 0, 0, 2), ("4", 0, 0, 2)}  # and its film, its weekday
        (stats,) = batch.stats_writes("now")
        assert (stats.rated, stats.sum_ratings, stats.dist, stats.new_hwm) == (0, 0, [0] * 10, 2)


@pytest.mark.parametrize("users", [3, 400])
def test_monthly_counts_on_a_small_grid_and_on_a_large_one(users):
    """(user, month) cells are counted in place when users × months is small, sorted otherwise."""
    rnd = random.Random(users)
    events = [Event(event_type="ADD", user_id=f"u{i % users}", entry_id=f"e{i}", seq=i // users + 1,
                    movie=Movie(name="A", rating=3, date=f"{1900 + rnd.randrange(120)}-0{rnd.randint(1, 9)}-01"))
              for i in range(600)]
    events += [Event(event_type="DELETE", user_id=e.user_id, entry_id=e.entry_id, movie=e.movie, seq=e.seq + 100)
               for e in events[:50]]
    got = fold_batch(events)
    assert writes(got) == writes(reference_fold(events))
    cells = len(got.users) * len(got.months)
    assert (cells > 8 * 600 + 4096) == (users == 400)  # each case takes the path it names


def test_out_of_order_seqs_are_reported_by_both_folds():
    m = Movie(name="A", rating=4, genres=["Drama"], date="2025-01-02")
    events = [Event(event_type="ADD", user_id="u", entry_id=f"e{s}", movie=m, seq=s) for s in (2, 1)]
    assert not fold_batch(events).ordered and not reference_fold(events).ordered
    assert fold_batch(events[::-1]).ordered and reference_fold(events[::-1]).ordered


def test_empty_batch():
    batch = fold_batch([])
    assert batch.users == [] and batch.user_deltas() == {} and batch.documents == 0


def test_documents_counts_stats_affinities_and_facts():
    m = Movie(name="A", rating=4, genres=["Drama"], director="Ann", actors="Bo, Cy", date="2025-01-02")
    batch = fold_batch([Event(event_type="ADD", user_id="u", entry_id="e1", movie=m, seq=1)])
    assert batch.documents == 1 + 6 + 1  # stats, director+2 actors+genre+film+weekday, one trend fact


def test_two_users_sharing_an_entry_key_keep_a_fact_each():
    """Entry keys are per user: when the same key is repeated in a batch by two
    users, each user keeps the last state of their own entry."""
    m = Movie(name="A", rating=4, genres=["Drama"], director="Ann", actors="Bo", date="2025-01-02")
    events = [
        Event(event_type="ADD", user_id="u1", entry_id="e1", movie=m, seq=1),
        Event(event_type="ADD", user_id="u2", entry_id="e1", movie=m, seq=1),
        Event(event_type="DELETE", user_id="u1", entry_id="e1", movie=m, seq=2),
    ]
    facts = fold_batch(events).facts
    assert {k: f.live for k, f in facts.items()} == {("u1", "e1"): False, ("u2", "e1"): True}
    assert comparable(fold_batch(events).user_deltas()) == comparable(fold_events(events))


def test_changed_credits_under_the_same_actors_are_not_mistaken_for_cached_ones():
    """The credits cache is keyed by director, actors and genres together."""
    a = Movie(name="A", rating=4, genres=["Drama"], director="Ann", actors="Bo, Cy", date="2025-01-02")
    b = Movie(name="B", rating=2, genres=["Noir"], director="Dee", actors="Bo, Cy", date="2025-02-02")
    events = [Event(event_type="ADD", user_id="u", entry_id=f"e{i}", movie=m, seq=i + 1)
              for i, m in enumerate([a, b, a, b])]
    affinities = fold_batch(events).user_deltas()["u"].affinities
    assert {k: (x.count, x.halves) for k, x in affinities.items()} == {
        ("director", "Ann"): (2, 16), ("director", "Dee"): (2, 8), ("actor", "Bo"): (4, 24),
        ("actor", "Cy"): (4, 24), ("genre", "Drama"): (2, 16), ("genre", "Noir"): (2, 8),
        ("film", "a|"): (2, 16), ("film", "b|"): (2, 8), ("weekday", "4"): (2, 16), ("weekday", "7"): (2, 8)}


@pytest.mark.parametrize("seed", range(5))
def test_a_fold_without_affinities_or_facts_leaves_only_those_out(seed):
    """The Spark runtime's statistics query owns no trend facts, its trends query no affinities."""
    events = random_events(seed)
    full = comparable(fold_batch(events).user_deltas())
    for kwargs, dropped in (({"affinities": False}, 8), ({"facts": False}, 9)):
        part = comparable(fold_batch(events, **kwargs).user_deltas())
        assert all(not row[dropped] for row in part.values())
        assert {u: row[:dropped] + row[dropped + 1:] for u, row in part.items()} == {
            u: row[:dropped] + row[dropped + 1:] for u, row in full.items()}


def records_of(events: list[Event], bad_at: tuple[int, ...] = ()) -> list[Record]:
    payloads = [encode_event(e) for e in events]
    for i in bad_at:
        payloads.insert(i, b'{"event_type": "ADD", "user_id": "u1", "movie": {"name": "X", "rating": 9}}')
    return [Record(payload=p, partition=0, position=i) for i, p in enumerate(payloads)]


@pytest.mark.parametrize("seed", range(10))
def test_the_columns_read_while_decoding_fold_like_the_events(seed, monkeypatch):
    """decode_records reads the fold's columns chunk by chunk; a chunk holding a bad event
    is decoded again one by one, its good events still land in the columns, in order."""
    monkeypatch.setattr(Columns, "CHUNK", 7)
    events = [e for e in random_events(seed, 120)]
    cache = FoldCache()
    decoded, dead = decode_records(records_of(events, bad_at=(0, 30, 31, 100)), "now", cache)
    assert len(dead) == 4 and all("rating" in d.reason for d in dead)
    assert decoded.columns is not None and len(decoded.columns) == len(events) == len(decoded.events)
    assert comparable(fold_batch(decoded.events, cache=cache, columns=decoded.columns).user_deltas()) == \
        comparable(fold_events(events))
    assert comparable(fold_batch(decoded.events).user_deltas()) == comparable(fold_events(events))


def test_a_projector_without_trends_decodes_no_entry_keys_and_a_fold_with_facts_reads_them_again():
    events = random_events(4, 60)
    cache = FoldCache()
    decoded, _ = decode_records(records_of(events), "now", cache, entries=False)
    assert decoded.columns is not None and decoded.columns.entry_keys == []
    assert comparable(fold_batch(decoded.events, cache=cache, columns=decoded.columns).user_deltas()) == \
        comparable(fold_events(events))


def test_columns_that_are_not_the_events_own_are_refused():
    """A slice of the events, or another projector's cache, cannot fold with the batch's columns."""
    events = random_events(5, 40)
    cache = FoldCache()
    decoded, _ = decode_records(records_of(events), "now", cache)
    with pytest.raises(ValueError):
        fold_batch(decoded.events[:10], cache=cache, columns=decoded.columns)
    with pytest.raises(ValueError):
        fold_batch(decoded.events, cache=FoldCache(), columns=decoded.columns)
    assert comparable(fold_batch(decoded.events[:10], cache=cache).user_deltas()) == comparable(fold_events(events[:10]))


def test_a_batch_with_a_recalculate_carries_no_columns():
    """The projection folds such a batch user by user (the events after the recompute)."""
    events = random_events(3, 20)
    events.insert(5, Event(event_type="RECALCULATE", user_id="u1", seq=99))
    decoded, dead = decode_records(records_of(events), "now", FoldCache())
    assert not dead and len(decoded.events) == len(events) and decoded.columns is None


@pytest.mark.parametrize("seed", range(5))
def test_entries_that_share_a_key_or_a_user_keep_a_fact_each(seed):
    """Facts are grouped by (entry number, user): the same key under two users, or two keys of
    one user, are two facts; the last event of each wins."""
    events = random_events(seed, 200)
    for e in events:  # few keys, shared across users
        if e.entry_id:
            e.entry_id = f"e{int(e.entry_id[1:]) % 7}"
    facts = fold_batch(events).facts
    want: dict = {}
    for e in events:
        if e.event_type != "UPDATE_RATING" and e.entry_id:
            want[e.user_id, e.entry_id] = e.seq or 0
    got = {k: f.seq for k, f in facts.items() if not k[1].startswith("legacy")}
    assert {k: v for k, v in got.items() if k in want} == want and len(want) > 7
    assert comparable(fold_batch(events).user_deltas()) == comparable(fold_events(events))


@pytest.mark.parametrize("seed", range(5))
def test_affinities_by_sort_when_a_user_has_more_rows_than_the_packing_holds(seed, monkeypatch):
    """The sparse product packs three sums in one integer; past its bound the sort path runs."""
    monkeypatch.setattr(columnar, "_MAX_ROWS_PER_USER", 1)
    events = random_events(seed, 200)
    assert comparable(fold_batch(events).user_deltas()) == comparable(fold_events(events))


def test_an_affinity_that_sums_to_zero_in_the_batch_keeps_its_row():
    """An entry added and deleted in one batch: its names still get a write (the mark moves)."""
    m = Movie(name="A", rating=4, genres=["Drama"], director="Ann", actors="Bo", date="2025-01-02")
    other = Movie(name="B", rating=2, genres=["Noir"], director="Dee", actors="Bo", date="2025-01-03")
    events = [Event(event_type="ADD", user_id="u", entry_id="e1", movie=m, seq=1),
              Event(event_type="ADD", user_id="u", entry_id="e2", movie=other, seq=2),
              Event(event_type="DELETE", user_id="u", entry_id="e1", movie=m, seq=3)]
    rows = {(key, c, r, s) for _, key, _, c, r, s in zip(*fold_batch(events).affinity_rows())}
    assert rows == {(("director", "Ann"), 0, 0, 0), (("genre", "Drama"), 0, 0, 0), (("actor", "Bo"), 1, 1, 4),
                    (("director", "Dee"), 1, 1, 4), (("genre", "Noir"), 1, 1, 4), (("film", "a|"), 0, 0, 0),
                    (("film", "b|"), 1, 1, 4), (("weekday", "4"), 0, 0, 0), (("weekday", "5"), 1, 1, 4)}


def test_a_private_entry_is_a_trend_fact_of_no_film_in_both_folds():
    """docs/contract.md §2: a private entry is on no public surface, so its trend fact names no
    film; made public again (an UPDATE), it names its film once more."""
    heat = Movie(name="Heat", catalog_id="heat|1995", added_at="2025-06-01T10:00:00+02:00")
    hidden = Movie(**{**{f: getattr(heat, f) for f in heat.__struct_fields__}, "private": True})
    events = [Event(event_type="ADD", user_id="u1", entry_id="e1", movie=hidden, seq=1, schema_version=2),
              Event(event_type="ADD", user_id="u2", entry_id="e1", movie=heat, seq=1, schema_version=2),
              Event(event_type="ADD", user_id="u3", entry_id="e1", movie=heat, seq=1, schema_version=2),
              Event(event_type="UPDATE", user_id="u3", entry_id="e1", movie=hidden, previous=heat, seq=2,
                    schema_version=2)]
    for fold in (fold_batch, reference_fold):
        assert {k[0]: f.film for k, f in fold(events).facts.items()} == {"u1": "", "u2": "heat|1995", "u3": ""}
        back = Event(event_type="UPDATE", user_id="u3", entry_id="e1", movie=heat, previous=hidden, seq=3,
                     schema_version=2)
        assert fold([*events, back]).facts[("u3", "e1")].film == "heat|1995"
