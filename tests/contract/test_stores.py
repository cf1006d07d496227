"""Contract suites for the store ports (users, diary, catalog, stats, affinities, trends, dead letters)."""

import msgspec
import pytest

from cinematch.domain import DiaryEntry, Event, catalog_movie
from cinematch.domain.deltas import TrendFact
from cinematch.domain.ports import AffinityWrite, Conflict, DeadLetter, DiaryChange, StaleWrite, StatsWrite, User
from cinematch.domain.ratings import RATING_KEYS
from cinematch.domain.stats import AffinityState, StatsState
from cinematch.domain.trends import fact_wins

# --- UserStore -------------------------------------------------------------------

async def test_users_unique_case_insensitive(storage):
    users = storage.users()
    await users.create(User(id="1", username="Alice", password_hash="h"))
    with pytest.raises(Conflict):
        await users.create(User(id="2", username="alice", password_hash="h"))
    assert (await users.by_username("ALICE")).id == "1"
    assert (await users.by_id("1")).username == "Alice"
    assert await users.by_id("nope") is None


async def test_users_password_hash_is_replaced(storage):
    users = storage.users()
    await users.create(User(id="1", username="Alice", password_hash="old", is_admin=True))
    await users.set_password_hash("1", "new")
    user = await users.by_username("alice")
    assert (user.password_hash, user.is_admin, user.username) == ("new", True, "Alice")


async def test_users_language_is_kept_and_changed(storage):
    users = storage.users()
    await users.create(User(id="1", username="Bruno", password_hash="h", language="it"))
    assert (await users.by_username("bruno")).language == "it"
    await users.set_language("1", "")
    assert (await users.by_id("1")).language == ""  # their browser's again
    await users.set_language("1", "en")
    assert (await users.by_id("1")).language == "en"
    assert (await users.by_id("1")).password_hash == "h"  # nothing else changed


# --- DiaryStore ------------------------------------------------------------------

def entry(i, user="u", date="2025-01-01", name=None):
    return DiaryEntry(id=f"e{i}", user_id=user, name=name or f"M{i}", rating=3, date=date, added_at=f"2025-01-0{i % 9 + 1}T00:00:00+00:00")


def change(e, **kw):
    return DiaryChange(event=Event(event_type="ADD", user_id=e.user_id, entry_id=e.id), put=e, **kw)


async def test_diary_assigns_per_user_seq_and_keeps_entries(storage):
    diary = storage.diary()
    evs = await diary.write("u", [change(entry(1)), change(entry(2, date="2025-02-01"))])
    assert [e.seq for e in evs] == [1, 2]
    assert [e.seq for e in await diary.write("v", [change(entry(3, user="v"))])] == [1]
    page, total = await diary.page("u", 10, 0)
    assert total == 2 and [e.id for e in page] == ["e2", "e1"]  # newest watched first
    assert (await diary.get("u", "e1")).seq == 1
    assert await diary.get("v", "e1") is None  # another user's entry is invisible
    entries, version = await diary.snapshot("u")
    assert version == 2 and {e.id for e in entries} == {"e1", "e2"}
    assert await diary.user_ids() == ["u", "v"]
    await diary.write("v", [DiaryChange(event=Event(event_type="DELETE", user_id="v", entry_id="e3"), delete_id="e3")])
    assert await diary.user_ids() == ["u", "v"]  # an emptied diary still has a user to reconcile


async def test_diary_conflict_writes_nothing(storage):
    diary = storage.diary()
    await diary.write("u", [change(entry(1))])
    stale = DiaryChange(event=Event(event_type="DELETE", user_id="u", entry_id="e1"), delete_id="e1", expected_seq=99)
    with pytest.raises(Conflict):
        await diary.write("u", [change(entry(2)), stale])
    assert await diary.version("u") == 1
    assert await diary.get("u", "e2") is None
    ok = DiaryChange(event=Event(event_type="DELETE", user_id="u", entry_id="e1"), delete_id="e1", expected_seq=1)
    assert [e.seq for e in await diary.write("u", [ok])] == [2]
    assert await diary.get("u", "e1") is None


async def test_diary_create_only_puts_skip_existing_ids(storage):
    diary = storage.diary()
    first = await diary.write("u", [change(entry(1), create_only=True), change(entry(2), create_only=True)])
    assert [(e.entry_id, e.seq) for e in first] == [("e1", 1), ("e2", 2)]
    again = await diary.write("u", [change(entry(1, name="changed"), create_only=True),
                                    change(entry(3), create_only=True)])
    assert [(e.entry_id, e.seq) for e in again] == [("e3", 3)]  # e1 is there: skipped, no seq, no event
    assert (await diary.get("u", "e1")).name == "M1" and await diary.version("u") == 3


async def poll_until(source, n, timeout=20.0):
    """Poll until `n` records arrived (a Kafka consumer needs a moment to join its group)."""
    import time
    out, end = [], time.monotonic() + timeout
    while len(out) < n and time.monotonic() < end:
        out += await source.poll(10, 0.2)
    return out


async def test_diary_events_reach_the_subscription_in_order(container, storage):
    diary, source = storage.diary(), container.bus.events()
    await source.start()
    for i in range(1, 4):
        await diary.write("u", [change(entry(i))])
    if container.config.bus() == "kafka":  # the outbox relay carries them to the topic
        relay = container.bus.relay()
        await relay.publisher.start()
        assert await relay.run_once() == 3
        assert await relay.run_once() == 0  # marked sent
        await relay.publisher.stop()
    records = await poll_until(source, 3)
    import msgspec
    assert [msgspec.json.decode(r.payload)["seq"] for r in records] == [1, 2, 3]
    await source.commit(records[:1])
    await source.rewind()
    again = await poll_until(source, 2)
    assert [(r.partition, r.position) for r in again] == [(r.partition, r.position) for r in records[1:]]
    await source.commit(again)
    assert await source.poll(10, 0.2) == []
    await source.stop()


async def test_names_are_data(storage):
    diary = storage.diary()
    weird = "$where.x \u00e9\U0001F3AC " + "x" * 10_000
    await diary.write("u", [change(entry(1, name=weird))])
    assert (await diary.get("u", "e1")).name == weird


# --- CatalogStore ----------------------------------------------------------------

async def test_catalog_candidates_search_genres_posters(storage):
    cat = storage.catalog()
    await cat.upsert([
        catalog_movie(id="1", title="La città incantata", original_title="Spirited Away", year=2001,
                      genres=["Animation", "Fantasy"], poster_url="p1"),
        catalog_movie(id="2", title="Spirit", year=2010, genres=["Animation"]),
        catalog_movie(id="3", title="100%_real", year=2010, genres=["Drama"]),
    ])
    assert await cat.count() == 3
    assert [m.id for m in await cat.candidates("Spirited Away")] == ["1"]
    assert [m.id for m in await cat.candidates("la citta incantata")] == ["1"]
    assert [m.id for m in await cat.search("spirit", 10)] == ["2", "1"]  # exact before prefix
    assert [m.id for m in await cat.search("%", 10)] == []
    assert [m.id for m in await cat.search("100 _real", 10)] == ["3"]
    assert await cat.genres() == [("Animation", 2), ("Drama", 1), ("Fantasy", 1)]
    found = await cat.by_ids(["1", "2", "nope"])
    assert sorted(found) == ["1", "2"] and found["1"].poster_url == "p1" and found["2"].genres == ["Animation"]


async def test_catalog_candidates_many_is_candidates_of_each_name(storage):
    cat = storage.catalog()
    await cat.upsert([
        catalog_movie(id="1", title="La città incantata", original_title="Spirited Away", year=2001),
        catalog_movie(id="2", title="Heat", year=1995), catalog_movie(id="3", title="Heat", year=1986),
        catalog_movie(id="4", title="heat!", year=2000), catalog_movie(id="5", title="Se7en", original_title="Seven"),
    ])
    names = ["Spirited Away", "la citta incantata", "Heat", "HEAT", "heat!", "Seven", "nope", "", "Heat"]
    many = await cat.candidates_many(names)
    assert set(many) == set(names)
    for name in names:
        assert sorted(m.id for m in many[name]) == sorted(m.id for m in await cat.candidates(name)), name
    assert sorted(m.id for m in many["Heat"]) == ["2", "3", "4"]


# --- StatsStore ------------------------------------------------------------------

async def test_stats_apply_guard_and_replace(storage):
    stats = storage.stats()
    await stats.apply([StatsWrite(user_id="u", expected_hwm=0, new_hwm=2, total=3, rated=2, sum_ratings=9.5,
                                  dist=[0, 0, 0, 0, 0, 0, 0, 0, 1, 1], monthly={"2025-01": 3}, watch_time=100,
                                  timed=1)])
    assert await stats.hwms(["u", "x"]) == {"u": 2}
    with pytest.raises(StaleWrite):
        await stats.apply([StatsWrite(user_id="u", expected_hwm=0, new_hwm=3, total=1)])
    await stats.apply([StatsWrite(user_id="u", expected_hwm=2, new_hwm=3, total=-1, rated=-1, sum_ratings=-4.5,
                                  dist=[0, 0, 0, 0, 0, 0, 0, 0, -1, 0], monthly={"2025-01": -1, "2024-12": 0})])
    s = await stats.get("u")
    assert (s.total_watched, s.rated_count, s.sum_ratings, s.watch_time_minutes, s.timed_count, s.hwm) == \
        (2, 1, 5, 100, 1, 3)
    assert s.rating_distribution == {**dict.fromkeys(RATING_KEYS, 0), "5": 1}
    assert s.monthly_counts == {"2025": {"01": 2}}
    await stats.replace(StatsState(user_id="u", hwm=7))
    assert (await stats.get("u")).total_watched == 0
    assert await stats.get("nobody") is None


# --- AffinityStore ---------------------------------------------------------------

def aw(i, name, count, sums, expected=0, new=1, kind="director", rated=None):
    return AffinityWrite(id=f"u_{kind}_{i}", user_id="u", type=kind, name_key=i, name=name, count=count,
                         rated=count if rated is None else rated, sum_ratings=sums, expected_hwm=expected,
                         new_hwm=new)


async def test_affinities_ranking_tombstones_and_guard(storage):
    affs = storage.affinities()
    await affs.apply([aw("A", "A", 2, 6), aw("B", "B", 2, 10), aw("C", "C", 1, 5), aw("Z", "Z", 3, 3),
                      aw("G", "G", 1, 1, kind="genre")])
    by_count = await affs.query("u", "director", "count", 10, 1)
    assert [a.name for a in by_count] == ["Z", "A", "B", "C"]
    by_avg = await affs.query("u", "director", "avg_rating", 10, 1)
    assert [a.name for a in by_avg] == ["B", "C", "A", "Z"]
    # half stars add up exactly; the average is over the rated entries only
    await affs.apply([aw("H", "H", 3, 9.5, rated=2)])
    [h] = [a for a in await affs.query("u", "director", "avg_rating", 10, 1) if a.name == "H"]
    assert (h.count, h.rated_count, h.sum_ratings, h.avg_rating) == (3, 2, 9.5, 4.75)
    await affs.apply([aw("H", "H", -3, -9.5, rated=-2, expected=1, new=2)])
    assert [a.name for a in await affs.query("u", "director", "avg_rating", 2, 2)] == ["B", "A"]
    with pytest.raises(StaleWrite):
        await affs.apply([aw("A", "A", 1, 1, expected=0, new=2)])
    with pytest.raises(StaleWrite):
        await affs.apply([aw("B", "B", 1, 1, expected=5, new=6)])  # stored at 1, not 5
    with pytest.raises(StaleWrite):
        await affs.apply([aw("Q", "Q", 1, 1, expected=3, new=4)])  # absent: its mark is 0, not 3
    assert await affs.hwms(["u_director_B", "u_director_Q"]) == {"u_director_B": 1}
    await affs.apply([aw("A", "A", -2, -6, expected=1, new=2)])
    assert await affs.hwms(["u_director_A"]) == {"u_director_A": 2}  # tombstone keeps its guard
    # read by user: only the asked ids come back, and another user's documents never
    assert await affs.hwms(["u_director_A", "u_director_B", "v_director_A"], ["u", "v"]) == \
        {"u_director_A": 2, "u_director_B": 1}
    assert "A" not in [a.name for a in await affs.for_user("u")]
    doc = AffinityState(id="u_actor_N", user_id="u", type="actor", name="N", name_key="N", count=1, sum_ratings=4)
    await affs.replace_user("u", [doc], hwm=9)
    assert [(a.name, a.hwm) for a in await affs.for_user("u")] == [("N", 9)]
    assert (await affs.hwms(["u_director_Z"]))["u_director_Z"] == 9


# --- TrendStore ------------------------------------------------------------------

def fact(key, day, title, genres, live=True, seq=1, user="u", film=None):
    return TrendFact(user, key, day, title, tuple(genres), live, seq, title.lower() if film is None else film)


async def test_trend_facts_last_writer_wins_and_window(storage):
    trends = storage.trends()
    await trends.apply([fact("e1", "2025-01-10", "A", ["Drama", "War"]), fact("e2", "2025-01-20", "B", ["Drama"]),
                        fact("e3", "2025-01-20", "A", [], user="v")])
    await trends.apply([fact("e2", "2025-01-20", "B", ["Drama"], live=False, seq=5)])
    await trends.apply([fact("e2", "2025-01-20", "B", ["Drama"], live=True, seq=3)])  # stale replay: ignored
    assert await trends.window_counts("2025-01-01") == {"a": 2}
    assert await trends.window_counts("2025-01-15") == {"a": 1}
    await trends.replace_user("u", [fact("e9", "2025-01-21", "C", ["Comedy"], seq=6)], hwm=6)
    assert await trends.window_counts("2025-01-01") == {"a": 1, "c": 1}
    assert await trends.prune("2025-01-20") == 1
    assert {f.entry_key for f in await trends.facts()} == {"e2", "e3", "e9"}
    assert {f.entry_key: f.film for f in await trends.facts()} == {"e2": "b", "e3": "a", "e9": "c"}


@pytest.mark.parametrize("stored,new,kept", [(5, 3, 5), (5, 5, 5), (5, 6, 6), (5, 0, 0), (0, 4, 4), (None, 2, 2)])
async def test_which_trend_fact_a_store_keeps_is_the_domains_rule(storage, stored, new, kept):
    """domain.trends.fact_wins: newer wins, a replay or re-send (same or lower seq) does not,
    a fact without seq (0: a seed-era producer) always does. Every store keeps to it."""
    trends = storage.trends()
    if stored is not None:
        await trends.apply([fact("e1", "2025-01-10", "Old", [], seq=stored)])
    await trends.apply([fact("e1", "2025-01-11", "New", [], seq=new)])
    (kept_fact,) = await trends.facts()
    assert kept_fact.seq == kept
    assert (kept_fact.title == "New") == fact_wins(fact("e1", "", "", [], seq=new), stored)


async def test_trend_window_counts_distinct_users_of_catalog_films_only(storage):
    trends = storage.trends()
    await trends.apply([fact("e1", "2025-01-10", "A", []), fact("e2", "2025-01-11", "A", []),  # one user, twice
                        fact("e3", "2025-01-12", "A", [], user="v"),
                        fact("e4", "2025-01-12", "typed by u", ["Spam"], film=""),  # not in the catalog
                        fact("e5", "2025-01-12", "typed by v", ["Spam"], user="v", film="")])
    assert await trends.window_counts("2025-01-01") == {"a": 2}
    assert await trends.window_counts("2025-01-11") == {"a": 2}  # u's second entry of A is in the window


# --- A recompute never undoes what the stream applied after it read the diary -------

def sw(user, total, expected, new):
    return StatsWrite(user_id=user, expected_hwm=expected, new_hwm=new, total=total, rated=total, sum_ratings=3 * total,
                      dist=[0, 0, 0, 0, 0, total, 0, 0, 0, 0])


async def test_stats_replace_keeps_newer_statistics(storage):
    stats = storage.stats()
    await stats.apply([sw("u", 5, 0, 5)])  # the stream is at seq 5
    await stats.replace(StatsState(user_id="u", total_watched=4, hwm=4))  # a recompute of version 4
    assert ((await stats.get("u")).total_watched, (await stats.get("u")).hwm) == (5, 5)
    await stats.replace(StatsState(user_id="u", total_watched=6, hwm=5))  # same version: a repair, applied
    assert ((await stats.get("u")).total_watched, (await stats.get("u")).hwm) == (6, 5)
    await stats.replace(StatsState(user_id="new", total_watched=1, hwm=1))
    assert (await stats.get("new")).total_watched == 1


async def test_affinity_replace_user_keeps_newer_documents(storage):
    affs = storage.affinities()
    await affs.apply([aw("A", "A", 2, 6, new=3), aw("B", "B", 1, 5, new=7)])  # B moved by seq 7
    recompute = [AffinityState(id="u_director_A", user_id="u", type="director", name="A", name_key="A", count=1,
                               sum_ratings=4),
                 AffinityState(id="u_director_B", user_id="u", type="director", name="B", name_key="B", count=9,
                               sum_ratings=9),
                 AffinityState(id="u_director_C", user_id="u", type="director", name="C", name_key="C", count=1,
                               sum_ratings=2)]
    await affs.replace_user("u", recompute, hwm=5)
    got = {a.name: (a.count, a.sum_ratings, a.hwm) for a in await affs.for_user("u")}
    assert got == {"A": (1, 4, 5), "B": (1, 5, 7), "C": (1, 2, 5)}
    await affs.replace_user("u", [], hwm=5)  # an emptied diary at version 5: B (seq 7) stays
    assert {a.name: a.count for a in await affs.for_user("u")} == {"B": 1}


async def test_trend_replace_user_keeps_newer_facts(storage):
    trends = storage.trends()
    await trends.apply([fact("e1", "2025-01-10", "A", ["Drama"], seq=2), fact("e2", "2025-01-10", "B", [], seq=8)])
    await trends.replace_user("u", [fact("e1", "2025-01-10", "A2", ["War"], seq=5),
                                    fact("e2", "2025-01-10", "B2", [], seq=5)], hwm=5)
    assert {f.entry_key: (f.title, f.seq) for f in await trends.facts("u")} == {"e1": ("A2", 5), "e2": ("B", 8)}
    await trends.replace_user("u", [], hwm=5)  # e1 stops being live; e2 (seq 8) is newer and stays
    assert {f.entry_key: f.live for f in await trends.facts("u")} == {"e1": False, "e2": True}


# --- DeadLetterStore -------------------------------------------------------------

async def test_dead_letters_keep_payload_and_reason(storage):
    dl = storage.dead_letters()
    await dl.add([DeadLetter(payload="{bad", reason="undecodable", partition=1, position=7, at="t")])
    [letter] = await dl.all()
    assert (letter.payload, letter.reason, letter.partition, letter.position) == ("{bad", "undecodable", 1, 7)


async def test_a_replayed_dead_letter_is_stored_once(storage):
    dl = storage.dead_letters()
    letter = DeadLetter(payload="{bad", reason="undecodable", partition=1, position=7, at="t")
    await dl.add([letter, DeadLetter(payload="x", reason="r", partition=0, position=7, at="t")])
    await dl.add([letter, DeadLetter(payload="y", reason="r", partition=1, position=8, at="t2")])  # batch replayed
    assert [(d.partition, d.position) for d in await dl.all()] == [(0, 7), (1, 7), (1, 8)]


# --- ItemStore (import batches, the watchlist) -----------------------------------------

async def test_items_are_kept_per_user_and_kind(storage):
    from cinematch.domain.library import ImportBatch, WatchItem
    imports, watchlist = storage.imports(), storage.watchlist()
    a = WatchItem(id="w1", name="Heat", year=1995, catalog_id="heat|1995", added="2025-01-01")
    b = WatchItem(id="w2", name="Alien")
    assert await watchlist.put("u", [a, b], only_new=True) == 2
    assert await watchlist.put("u", [WatchItem(id="w1", name="changed")], only_new=True) == 0  # kept as it was
    assert sorted(await watchlist.all("u"), key=lambda i: i.id) == [a, b]
    await imports.put("u", [ImportBatch(id="w1", format="imdb", at="2025-01-01T00:00:00+00:00")])
    await imports.put("u", [ImportBatch(id="w1", format="imdb", at="2025-01-01T00:00:00+00:00", imported=7)])
    assert [(x.id, x.imported) for x in await imports.all("u")] == [("w1", 7)]  # replaced; another kind apart
    assert await watchlist.all("v") == [] and await imports.all("v") == []
    assert await watchlist.remove("u", ["w1", "w1", "nope"]) == 1
    assert [i.id for i in await watchlist.all("u")] == ["w2"]
    await watchlist.put("v", [a])
    await watchlist.remove_user("u")
    assert await watchlist.all("u") == [] and [i.id for i in await watchlist.all("v")] == ["w1"]
    assert [x.id for x in await imports.all("u")] == ["w1"]
    assert await watchlist.owners() == ["v"] and await imports.owners() == ["u"]  # each kind its own holders
    await watchlist.remove("v", ["w1"])
    assert await watchlist.owners() == []


async def test_diary_reads_one_year_and_forgets_a_removed_user(storage):
    diary = storage.diary()
    dates = ["2023-12-31", "2024-01-01", "2024-12-31", "2025-01-01"]
    for i, date in enumerate(dates):
        await diary.write("u", [DiaryChange(event=Event(event_type="ADD", user_id="u", entry_id=f"e{i}"),
                                            put=entry(i, date=date))])
    await diary.write("v", [DiaryChange(event=Event(event_type="ADD", user_id="v", entry_id="e9"),
                                        put=entry(9, user="v", date="2024-05-05"))])
    assert sorted(e.date for e in await diary.watched_in("u", 2024)) == ["2024-01-01", "2024-12-31"]
    assert await diary.watched_in("u", 1999) == []
    await diary.remove_user("u")
    assert await diary.snapshot("u") == ([], 0) and await diary.watched_in("u", 2024) == []
    assert [e.id for e in await diary.watched_in("v", 2024)] == ["e9"]


async def test_diary_calendar_counts_days_and_finds_positions_in_watched_order(storage):
    """Per day its entries; the nth entries by date, then in the order they were added (added_at,
    then id), whatever order they were written in; another person's diary apart."""
    diary = storage.diary()
    rows = [("e1", "2024-03-02", "2024-03-05T10:00:00+00:00"), ("e2", "2024-03-01", "2024-03-09T10:00:00+00:00"),
            ("e3", "2024-03-02", "2024-03-04T10:00:00+00:00"), ("e4", "2024-03-02", "2024-03-04T10:00:00+00:00"),
            ("e5", "2023-12-31", "2024-01-01T00:00:00+00:00")]
    for i, (eid, date, added) in enumerate(rows):
        put = msgspec.structs.replace(entry(i, date=date), id=eid, added_at=added, title=f"T{eid}")
        await diary.write("u", [DiaryChange(event=Event(event_type="ADD", user_id="u", entry_id=eid), put=put)])
    await diary.write("v", [DiaryChange(event=Event(event_type="ADD", user_id="v", entry_id="x"),
                                        put=entry(9, user="v", date="2024-03-01"))])
    asked: list[int] = []
    days, nth = await diary.calendar("u", lambda total: asked.append(total) or [1, 2, 3, 4, 5])
    assert asked == [5] and days == {"2023-12-31": 1, "2024-03-01": 1, "2024-03-02": 3}
    assert [(n, e.id) for n, e in nth] == [(1, "e5"), (2, "e2"), (3, "e3"), (4, "e4"), (5, "e1")]
    assert nth[0][1].title == "Te5"  # the whole entry
    assert await diary.calendar("nobody", lambda total: [1] if total else []) == ({}, [])
    # a re-date moves an entry's day, a rewrite on its day and a delete count once and no more
    moved = msgspec.structs.replace(nth[4][1], date="2024-03-01")
    same = msgspec.structs.replace(nth[2][1], rating=1.0)
    await diary.write("u", [DiaryChange(event=Event(event_type="EDIT", user_id="u", entry_id="e1"), put=moved),
                            DiaryChange(event=Event(event_type="EDIT", user_id="u", entry_id="e3"), put=same),
                            DiaryChange(event=Event(event_type="DELETE", user_id="u", entry_id="e5"), delete_id="e5")])
    days, nth = await diary.calendar("u", lambda total: [total])
    assert days == {"2024-03-01": 2, "2024-03-02": 2} and [(n, e.id) for n, e in nth] == [(4, "e4")]
    await diary.remove_user("u")
    assert await diary.calendar("u", lambda total: [1] if total else []) == ({}, [])
    assert (await diary.calendar("v", lambda total: []))[0] == {"2024-03-01": 1}


async def test_catalog_search_ranks_keys_prefixes_words_typos_then_votes(storage):
    cat = storage.catalog()
    await cat.upsert([catalog_movie(id="m1", title="The Matrix", year=1999, votes=2_000_000),
                      catalog_movie(id="m2", title="The Matrix Reloaded", year=2003, votes=600_000),
                      catalog_movie(id="m3", title="Matrix of Leadership", year=2015, votes=12),
                      catalog_movie(id="m4", title="The Animatrix", year=2003, votes=100_000),
                      catalog_movie(id="g", title="Godfather, The", year=1972, votes=2_000_000),
                      catalog_movie(id="p", title="Gisaengchung", year=2019, akas=["Parasite"], votes=900_000),
                      catalog_movie(id="x", title="Heat", year=1995)])
    assert [m.id for m in await cat.search("matrix", 10)] == ["m1", "m2", "m3"]  # the film so named, then prefixes
    assert [m.id for m in await cat.search("atrix", 10)] == ["m1", "m2", "m3"]  # a word one edit away, by votes
    assert [m.id for m in await cat.search("matrx", 10)][:2] == ["m1", "m2"]  # a typo still finds it
    assert [m.id for m in await cat.search("godfather", 10)] == ["g"]
    assert [m.id for m in await cat.search("The Godfather", 10)] == ["g"]
    assert [m.id for m in await cat.search("parasite", 10)] == ["p"]
    assert [m.id for m in await cat.search("zzzzqqq", 10)] == []
    assert [m.id for m in await cat.search("reloaded", 10)] == ["m2"]  # a word inside a title
    assert [m.id for m in await cat.search("of leader", 10)] == ["m3"]  # words inside, the last one begun
    assert [m.id for m in await cat.search("the matrx reloaded", 10)] == ["m2"]  # a typo inside a longer title
    assert [m.id for m in await cat.search("th matrix reloaded", 10)] == ["m2"]  # a typo in the first word
    assert [m.id for m in await cat.search("gisaengchng", 10)] == ["p"]  # a one-word typo


async def test_catalog_films_of_a_person_by_their_credits(storage):
    cat = storage.catalog()
    await cat.upsert([catalog_movie(id="heat", title="Heat", year=1995, director="Michael Mann",
                                    actors="Al Pacino, Robert De Niro", votes=900),
                      catalog_movie(id="gf", title="Godfather, The", year=1972, director="Francis Ford Coppola",
                                    actors="Marlon Brando, Al Pacino", votes=2000),
                      catalog_movie(id="thief", title="Thief", year=1981, director="Michael Mann", votes=50)])
    assert [m.id for m in await cat.by_person("Al Pacino")] == ["gf", "heat"]  # the most voted first
    assert [m.id for m in await cat.by_person("michael mann")] == ["heat", "thief"]  # the name's key
    assert [m.id for m in await cat.by_person("Al Pacino", limit=1)] == ["gf"]
    assert await cat.by_person("Nobody") == []
    await cat.upsert([catalog_movie(id="thief", title="Thief", year=1981, director="Someone Else", votes=50)])
    assert [m.id for m in await cat.by_person("Michael Mann")] == ["heat"]  # credits replaced on update


async def test_catalog_search_says_no_rather_than_a_film_that_shares_letters(storage):
    """MovieLens' titles, which once answered these queries with the wrong film (#34)."""
    cat = storage.catalog()
    await cat.upsert([catalog_movie(id="se7en", title="Seven (Se7en)", year=1995, votes=10),
                      catalog_movie(id="mm", title="MatchMaker, The", year=1997, votes=10),
                      catalog_movie(id="fwc", title="First Wives Club, The", year=1996, votes=10),
                      catalog_movie(id="dun", title="Dunston Checks In", year=1996, votes=10),
                      catalog_movie(id="gf", title="Godfather, The", year=1972, votes=10),
                      catalog_movie(id="gf2", title="Godfather: Part II, The", year=1974, votes=9),
                      catalog_movie(id="sw", title="Snow White and the Seven Dwarfs", year=1937, votes=10)])
    for query in ("the matrix", "fight club", "seven samurai", "dune"):
        assert await cat.search(query, 10) == [], query
    assert [m.id for m in await cat.search("godfater", 10)] == ["gf", "gf2"]  # a typo still finds it
    assert [m.id for m in await cat.search("seven", 10)] == ["se7en"]  # the film so named, not every Seven
    assert [m.id for m in await cat.search("snow white seven", 10)] == ["sw"]  # words, in any place


async def test_the_imdb_catalog_imports_into_every_store_and_again_in_place(storage):
    from pathlib import Path

    from cinematch.data.imdb import import_catalog
    cat = storage.catalog()
    folder = Path(__file__).parents[1] / "fixtures" / "imdb"
    assert await import_catalog(folder, cat.upsert, chunk=4) == 9  # several bulk writes
    assert await import_catalog(folder, cat.upsert, chunk=4) == 9
    assert await cat.count() == 9  # updated in place
    found = await cat.candidates_many(["Parasite", "Der Pate", "Heat", "Seven"])
    assert [m.id for m in found["Parasite"]] == ["tt6751668"] and [m.id for m in found["Der Pate"]] == ["tt0068646"]
    assert sorted(m.id for m in found["Heat"]) == ["tt0091209", "tt0113277"] and found["Seven"][0].id == "tt0114369"
    assert [m.id for m in await cat.search("godfathr", 5)] == ["tt0068646"]  # a typo


async def test_a_catalog_upsert_may_name_one_film_twice(storage):
    cat = storage.catalog()
    await cat.upsert([catalog_movie(id="d", title="Dup", year=2000), catalog_movie(id="d", title="Dup", year=2000,
                                                                                    genres=["Drama"])])
    [film] = (await cat.by_ids(["d"])).values()
    assert film.genres == ["Drama"] and [m.id for m in await cat.search("dup", 5)] == ["d"]


async def test_diary_audience_counts_people_and_ratings_of_linked_public_entries(storage):
    """A film's audience: distinct people, their rated entries and the sum in half stars; private
    or unlinked entries never count; every write (add, rewatch, re-rate, private, relink, delete,
    a whole diary removed) moves it at once; random writes agree with the recompute."""
    import random

    from cinematch.domain.audience import NOBODY, Audience, audience_of

    diary = storage.diary()
    heat = {"catalog_id": "tt0113277"}

    def put(user, i, **fields):
        e = msgspec.structs.replace(entry(i, user=user), **{"rating": 4.5, **heat, **fields})
        return DiaryChange(event=Event(event_type="ADD", user_id=user, entry_id=e.id), put=e)

    await diary.write("u", [put("u", 1), put("u", 2, rating=None, rewatch=True), put("u", 3, private=True)])
    await diary.write("v", [put("v", 1, rating=3.0), put("v", 2, catalog_id=None)])
    assert await diary.audience("tt0113277") == Audience(2, 2, 9 + 6)
    assert await diary.audience("tt9999999") == NOBODY
    await diary.write("u", [put("u", 1, rating=1.0), put("u", 3, private=False, rating=None)])  # re-rate, made public
    await diary.write("v", [put("v", 1, catalog_id="tt0000001"),  # relinked to another film
                            DiaryChange(event=Event(event_type="DELETE", user_id="v", entry_id="e2"), delete_id="e2")])
    assert await diary.audience("tt0113277") == Audience(1, 1, 2)
    assert await diary.audience("tt0000001") == Audience(1, 1, 9)
    await diary.remove_user("u")
    assert await diary.audience("tt0113277") == NOBODY
    # an entry moved to another film with the same counts (a store that took the new counts for
    # the old ones, as FerretDB does for a whole embedded document, would keep the old film)
    await diary.write("w", [put("w", 1, rating=None)])
    await diary.write("w", [put("w", 1, rating=None, catalog_id="tt0000002")])
    assert (await diary.audience("tt0113277"), await diary.audience("tt0000002")) == (NOBODY, Audience(1, 0, 0))
    await diary.remove_user("w")
    rnd, kept = random.Random(5), {}
    films = ["tt0000001", "tt0000002", None]
    for step in range(60):
        user, i = rnd.choice("abc"), rnd.randrange(6)
        if rnd.random() < 0.2:
            await diary.write(user, [DiaryChange(event=Event(event_type="DELETE", user_id=user, entry_id=f"e{i}"),
                                                 delete_id=f"e{i}")])
            kept.get(user, {}).pop(f"e{i}", None)
            continue
        change_ = put(user, i, catalog_id=rnd.choice(films), private=rnd.random() < 0.2,
                      rating=rnd.choice([None, 0.5, 2.0, 5.0]))
        await diary.write(user, [change_])
        kept.setdefault(user, {})[change_.put.id] = change_.put
    kept["v"] = {e.id: e for e in (await diary.snapshot("v"))[0]}
    for film in films[:2]:
        assert await diary.audience(film) == audience_of(((u, es.values()) for u, es in kept.items()), film), film
