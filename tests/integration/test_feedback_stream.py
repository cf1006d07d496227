"""Feedback on recommendations through Kafka (docs/contract.md §5): the worker's feedback runner
keeps exactly the signals the events say, through a SIGKILL mid-stream and a whole replay, and
an experiment's report reads them as the embedded profile does."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
import zoneinfo

import pytest

from cinematch.domain.feedback import feedback_event, signals_by_user
from tests.support import Proc, process_env, unique_name

pytestmark = [pytest.mark.service("kafka")]
ROME = zoneinfo.ZoneInfo("Europe/Rome")


def workload(n: int = 3000, seed: int = 5) -> list:
    """Impressions over several days, clicks and dismissals, some sent twice (a retried request)."""
    rng = random.Random(seed)
    start = dt.datetime(2026, 3, 1, 9, 0, tzinfo=ROME)
    events = []
    for _ in range(n):
        kind = rng.choices(["IMPRESSION", "CLICK", "NOT_INTERESTED", "SEEN"], [80, 12, 5, 3])[0]
        at = start + dt.timedelta(hours=rng.randrange(24 * 10))
        experiment = rng.choice(["", "exp"])
        e = feedback_event(kind, f"user{rng.randrange(25)}", f"film{rng.randrange(60)}|2001", at,
                           experiment, "a" if experiment else "")
        events.append(e)
        if rng.random() < 0.1:
            events.append(e)
    return events


async def stored(c, users) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for u in users:
        ids = {s.id for s in await c.storage.signals().all(u)} | {s.id for s in await c.storage.dismissed().all(u)}
        if ids:
            out[u] = ids
    return out


async def settle(c, users, want, proc: Proc, timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while (got := await stored(c, users)) != want:
        assert proc.alive(), proc.log()[-2000:]
        assert time.monotonic() < end, (sum(map(len, got.values())), sum(map(len, want.values())))
        await asyncio.sleep(0.5)


async def test_feedback_is_kept_exactly_through_a_worker_kill_and_a_replay(tmp_path):
    """…and an experiment's report, read from those signals and the diaries, counts its people,
    impressions, clicks and conversions as the events say (a shown film logged within 30 days of
    its first impression converts; a film never shown does not)."""
    from cinematch.adapters.memory.clock import FixedClock
    from tests.support import kafka_wiring
    async with kafka_wiring(tmp_path, clock=FixedClock(dt.datetime(2026, 3, 20, 12, 0, tzinfo=ROME))) as c:
        await _through_a_kill_and_a_replay(c, tmp_path)


async def _through_a_kill_and_a_replay(c, tmp_path) -> None:
    events = workload()
    want = {u: {s.id for s in ss} for u, ss in signals_by_user(events, ROME).items()}
    users = sorted(want)
    sink = c.services.feedback_sink()
    env = process_env(c, CINEMATCH_PROJECTION_BATCH_SIZE="40")
    worker = Proc(["worker", "--part", "feedback"], env, tmp_path / "w1.log")
    worker.start()
    try:
        for i in range(0, len(events), 100):
            await sink.record(events[i:i + 100])
        end = time.monotonic() + 90
        while sum(map(len, (await stored(c, users)).values())) < 200:  # mid-stream
            assert time.monotonic() < end and worker.alive(), worker.log()[-2000:]
            await asyncio.sleep(0.05)
        worker.kill()
        assert sum(map(len, (await stored(c, users)).values())) < sum(map(len, want.values()))
        worker = Proc(["worker", "--part", "feedback"], env, tmp_path / "w2.log")
        worker.start()
        await settle(c, users, want, worker)
        worker.stop()
        # A whole replay (a new consumer group reads the topic from its start): nothing changes.
        replay = Proc(["worker", "--part", "feedback"], {**env, "CINEMATCH_KAFKA_FEEDBACK_GROUP": unique_name("r")},
                      tmp_path / "w3.log")
        replay.start()
        await asyncio.sleep(3)
        await settle(c, users, want, replay)
        replay.stop()
    finally:
        worker.stop()
        await sink.stop()
    await _the_report_reads_them(c, events, users)


async def _the_report_reads_them(c, events, users) -> None:
    from cinematch.domain.experiments import Experiment, Variant
    from cinematch.domain.feedback import first_impressions
    from cinematch.services.diary import NewEntry
    from cinematch.services.experiments import OWNER
    await c.storage.experiments().put(OWNER, [Experiment(id="exp", name="exp", variants=[
        Variant(name="a"), Variant(name="b")], traffic=1.0, started_at="2026-03-01T00:00:00+01:00")])
    signals = signals_by_user(events, ROME)
    today = c.clock().now().date().isoformat()
    converted = 0
    for n, user in enumerate(users[:8]):
        first = first_impressions(signals[user], "exp")
        films = sorted(first)[:3]
        # logged today (20 March): a conversion when first shown on or after 18 February and not after today
        converted += sum(1 for f in films if first[f].day <= today)
        names = [NewEntry(name=f.split("|")[0], year=int(f.split("|")[1]), rating=4) for f in films]
        names.append(NewEntry(name=f"never shown {n}", rating=3))
        await c.services.diary().add_many(user, names)
    report = await c.services.experiments().report("exp")
    exp = {u: [s for s in ss if s.experiment == "exp"] for u, ss in signals.items()}
    a = next(v for v in report["variants"] if v["name"] == "a")
    assert a["users"] == sum(1 for ss in exp.values() if any(s.kind == "impression" for s in ss))
    assert a["impressions"] == sum(s.kind == "impression" for ss in exp.values() for s in ss)
    assert a["clicks"] == sum(s.kind == "click" for ss in exp.values() for s in ss)
    assert a["conversions"] == converted > 0
    assert next(v for v in report["variants"] if v["name"] == "b")["users"] == 0


async def test_serve_sends_feedback_and_the_worker_keeps_it(kafka_profile, tmp_path):
    """The API's feedback on the kafka profile: "not interested" hides the film at once (kept
    before the answer), and the worker folds the same event without a second signal."""
    c = kafka_profile
    feedback = c.services.feedback()
    await feedback.act("alice", "heat|1995", "not_interested")
    await feedback.shown("alice", ["alien|1979", "heat|1995"])
    assert await feedback.hidden("alice") == {"heat|1995"}
    worker = Proc(["worker"], process_env(c), tmp_path / "w.log")  # part "all": the feedback runner too
    worker.start()
    try:
        end = time.monotonic() + 90
        while len(await c.storage.signals().all("alice")) < 2:
            assert time.monotonic() < end and worker.alive(), worker.log()[-2000:]
            await asyncio.sleep(0.3)
        assert len(await c.storage.dismissed().all("alice")) == 1
        assert sorted(s.film for s in await c.storage.signals().all("alice")) == ["alien|1979", "heat|1995"]
    finally:
        worker.stop()
        await c.services.feedback_sink().stop()
