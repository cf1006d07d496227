"""Property: for any sequence of diary changes, crashes, replays and duplicates,
the incrementally maintained state equals the full recompute of the final diary."""

import asyncio
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cinematch.domain import catalog_movie
from cinematch.services.diary import EntryPatch, NewEntry
from tests.support import Crash, FailingWrites, recompute_matches, wired

USERS = ["alice", "bob", "carol"]
NAMES = ["Inception", "Amélie", "Heat", "Unknown Film", "Le Fabuleux Destin d'Amélie Poulain", "heat"]
DATES = ["2024-12-31", "2025-01-01", "2025-01-15", "2025-02-28", "2023-06-10"]
CATALOG = [
    catalog_movie(id="1", title="Inception", year=2010, genres=["Sci-Fi", "Action"], director="Christopher Nolan",
                  actors="Leonardo DiCaprio, Elliot Page, Tom Hardy", duration=148, writers="Christopher Nolan",
                  countries=["US", "GB"], languages=["en"]),
    catalog_movie(id="2", title="Amélie", original_title="Le Fabuleux Destin d'Amélie Poulain", year=2001,
                  genres=["Comedy", "Romance"], director="Jean-Pierre Jeunet", actors="Audrey Tautou", duration=122,
                  writers="Guillaume Laurant, Jean-Pierre Jeunet", countries=["FR", "DE"], languages=["fr"]),
    catalog_movie(id="3", title="Heat", year=1995, genres=["Crime", "Action"], director="Michael Mann",
                  actors="Al Pacino | Robert De Niro | Tom Hardy", duration=170, writers="Michael Mann"),
]

user = st.integers(0, len(USERS) - 1)
# whole stars (ints, as seed producers send them), half stars, and unrated watches
rating = st.one_of(st.none(), st.integers(1, 5), st.integers(1, 10).map(lambda h: h / 2))
pick = st.integers(0, 50)
ops = st.one_of(
    st.tuples(st.just("add"), user, st.integers(0, len(NAMES) - 1), rating, st.integers(0, len(DATES) - 1),
              st.booleans(), st.booleans()),
    st.tuples(st.just("rewatch"), user, pick, st.booleans()),
    st.tuples(st.just("rate"), user, pick, rating),
    st.tuples(st.just("redate"), user, pick, st.integers(0, len(DATES) - 1)),
    st.tuples(st.just("rename"), user, pick, st.integers(0, len(NAMES) - 1)),
    st.tuples(st.just("delete"), user, pick),
    st.tuples(st.just("recalc"), user),
    st.tuples(st.just("project"), st.integers(1, 6)),
    st.tuples(st.just("crash"), st.integers(1, 6), st.sampled_from(["stats", "affinities", "trends"]),
              st.integers(1, 2)),
    st.tuples(st.just("replay"), st.integers(1, 8)),
    st.tuples(st.just("dup"), st.integers(1, 4)),
)


def rewind_committed(c, back: int, storage: str) -> None:
    if storage == "memory":
        log = c.storage.log()
        log.committed["projections"] = max(0, log.committed.get("projections", 0) - back)
    else:
        with c.storage.db().tx() as conn:  # a write: on the writer's connection (query() only reads)
            conn.execute("UPDATE consumer_offsets SET next_position = max(1, next_position - ?)", (back,))


def duplicate_tail(c, n: int, storage: str) -> None:
    if storage == "memory":
        log = c.storage.log()
        for payload in log.records[-n:]:
            log.append_raw(payload)
    else:
        db = c.storage.db()
        with db.tx() as conn:
            rows = conn.execute("SELECT user_id, payload FROM events ORDER BY position DESC LIMIT ?", (n,)).fetchall()
            conn.executemany("INSERT INTO events (user_id, payload) VALUES (?, ?)", rows[::-1])


async def run_scenario(steps, storage: str, data_dir: str, fold: str = "vectorised") -> list[str]:
    c = wired(storage, data_dir=data_dir, fold=fold)
    await c.storage.catalog().upsert(CATALOG)
    diary, runner, projector = c.services.diary(), c.services.runner(), c.services.projector()
    clock = c.clock()
    await runner.source.start()
    for step in steps:
        kind, *args = step
        clock.advance(hours=7)
        if kind == "add":
            u, n, r, d, supply, again = args
            extra = {"genres": ["Drama"], "director": "Someone Else", "writers": "A. Writer"} if supply else {}
            await diary.add(USERS[u], NewEntry(name=NAMES[n], rating=r, date=DATES[d], rewatch=again, **extra))
            continue
        if kind in ("rate", "redate", "rename", "delete", "rewatch"):
            entries, _ = await c.storage.diary().snapshot(USERS[args[0]])
            if not entries:
                continue
            target = sorted(entries, key=lambda e: e.id)[args[1] % len(entries)]
            if kind == "rate":
                await diary.update(USERS[args[0]], target.id, EntryPatch(rating=args[2]))
            elif kind == "redate":
                await diary.update(USERS[args[0]], target.id, EntryPatch(date=DATES[args[2]]))
            elif kind == "rewatch":
                await diary.update(USERS[args[0]], target.id, EntryPatch(rewatch=args[2]))
            elif kind == "rename":
                await diary.update(USERS[args[0]], target.id, EntryPatch(name=NAMES[args[2]]))
            else:
                await diary.delete(USERS[args[0]], target.id)
        elif kind == "recalc":
            await diary.recalculate(USERS[args[0]])
        elif kind == "project":
            runner.batch_size = args[0]
            await runner.run_once(timeout=0)
        elif kind == "crash":
            size, store, nth = args
            runner.batch_size = size
            original = getattr(projector, store)
            setattr(projector, store, FailingWrites(original, fail_on=nth))
            try:
                await runner.run_once(timeout=0)
            except Crash:
                await runner.source.rewind()  # the restarted process resumes from the last commit
            finally:
                setattr(projector, store, original)
        elif kind == "replay":
            rewind_committed(c, args[0], storage)
            await runner.source.rewind()
        elif kind == "dup":
            duplicate_tail(c, args[0], storage)
    runner.batch_size = 7
    await runner.drain()
    problems = await recompute_matches(c, USERS)
    if storage == "sqlite":
        c.storage.db().close()
    return problems


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ops, max_size=60))
def test_incremental_equals_recompute_memory(steps):
    assert asyncio.run(run_scenario(steps, "memory", ".unused")) == []


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ops, max_size=60))
def test_incremental_equals_recompute_with_the_reference_fold(steps):
    """The same scenarios through the fold the vectorised one is held to (`fold.reference_fold`)."""
    assert asyncio.run(run_scenario(steps, "memory", ".unused", fold="reference")) == []


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ops, max_size=40))
def test_incremental_equals_recompute_sqlite(steps):
    with tempfile.TemporaryDirectory() as d:
        assert asyncio.run(run_scenario(steps, "sqlite", d)) == []
