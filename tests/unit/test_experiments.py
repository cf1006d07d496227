"""The experiments' and the feedback's pure rules (domain/experiments.py, domain/feedback.py)."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import subprocess
import sys
import uuid
import zoneinfo

import pytest
from scipy import stats

from cinematch.domain.events import InvalidEvent
from cinematch.domain.experiments import (
    BadExperiment, Experiment, Variant, assigned, check, two_proportion_p, verdict, wilson,
)
from cinematch.domain.feedback import (
    converted, decode_feedback, feedback_event, first_impressions, hidden_films, signals_by_user,
)

ROME = zoneinfo.ZoneInfo("Europe/Rome")


def contract_rule(name: str, user_id: str, traffic: float, n: int) -> int | None:
    if int(hashlib.md5((name + "_traffic_" + user_id).encode()).hexdigest(), 16) % 10000 >= traffic * 10000:
        return None
    return int(hashlib.md5((name + "_" + user_id).encode()).hexdigest(), 16) % n


@pytest.mark.parametrize("traffic", [0.0, 0.1, 0.5, 1.0])
def test_assignment_is_the_contracts_md5_rule_for_any_user(traffic):
    rng = random.Random(7)
    variants = [Variant(name=f"v{i}") for i in range(3)]
    e = Experiment(id="exp", name="exp", variants=variants, traffic=traffic)
    users = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(2000)] + ["alice", "ß", "1"]
    got = [assigned(e, u) for u in users]
    want = [contract_rule("exp", u, traffic, 3) for u in users]
    assert [None if g is None else variants.index(g) for g in got] == want
    share = sum(w is not None for w in want) / len(want)
    assert abs(share - traffic) < 0.05
    if traffic == 1.0:  # the variants split the users about evenly
        counts = [want.count(i) for i in range(3)]
        assert min(counts) > 0.28 * len(users)


def test_assignment_is_the_same_in_another_process():
    users = [f"user-{i}" for i in range(200)]
    code = ("import sys; from cinematch.domain.experiments import *; "
            "e = Experiment(id='x', name='x', variants=[Variant(name='a'), Variant(name='b')], traffic=0.6); "
            "print(','.join((assigned(e, u).name if assigned(e, u) else '-') for u in sys.argv[1:]))")
    out = subprocess.run([sys.executable, "-c", code, *users], capture_output=True, text=True, check=True,
                         env={"PYTHONHASHSEED": "123"}).stdout.strip().split(",")
    e = Experiment(id="x", name="x", variants=[Variant(name="a"), Variant(name="b")], traffic=0.6)
    assert out == [(assigned(e, u).name if assigned(e, u) else "-") for u in users]


def test_a_stopped_experiment_assigns_nobody():
    e = Experiment(id="x", name="x", variants=[Variant(name="a"), Variant(name="b")], traffic=1.0, status="stopped")
    assert all(assigned(e, f"u{i}") is None for i in range(50))


@pytest.mark.parametrize("variants,traffic,problem", [
    ([Variant(name="a")], 0.5, "2 to 5"),
    ([Variant(name=str(i)) for i in range(6)], 0.5, "2 to 5"),
    ([Variant(name="a"), Variant(name="a")], 0.5, "same name"),
    ([Variant(name="a"), Variant(name="b")], -0.1, "traffic"),
    ([Variant(name="a", params={"k_svd": 1}), Variant(name="b")], 0.5, "k_svd"),
    ([Variant(name="a", params={"k_svd": True}), Variant(name="b")], 0.5, "k_svd"),
    ([Variant(name="a", params={"cf": 2}), Variant(name="b")], 0.5, "cf"),
    ([Variant(name="a", params={"lr": 0.1}), Variant(name="b")], 0.5, "unknown parameter lr"),
    ([Variant(name="../../etc"), Variant(name="b")], 0.5, "variant's name"),  # a folder of the models
    ([Variant(name=".."), Variant(name="b")], 0.5, "variant's name"),
])
def test_a_bad_definition_says_why(variants, traffic, problem):
    with pytest.raises(BadExperiment, match=problem):
        check("name", variants, traffic)


@pytest.mark.parametrize("name", ["..", ".", "a/b", "a b", "", "x" * 65])
def test_an_experiments_name_never_leaves_its_folder(name):
    with pytest.raises(BadExperiment, match="experiment's name"):
        check(name, [Variant(name="a"), Variant(name="b")], 0.5)


def test_intervals_and_p_values_agree_with_scipy():
    rng = random.Random(3)
    for _ in range(200):
        n1, n2 = rng.randint(1, 5000), rng.randint(1, 5000)
        x1, x2 = rng.randint(0, n1), rng.randint(0, n2)
        lo, hi = wilson(x1, n1)
        ref = stats.binomtest(x1, n1).proportion_ci(0.95, method="wilson")
        assert lo == pytest.approx(ref.low, abs=1e-9) and hi == pytest.approx(ref.high, abs=1e-9)
        pooled = (x1 + x2) / (n1 + n2)
        if 0 < pooled < 1:
            z = (x1 / n1 - x2 / n2) / (pooled * (1 - pooled) * (1 / n1 + 1 / n2)) ** 0.5
            assert two_proportion_p(x1, n1, x2, n2) == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-9, abs=1e-15)
    assert wilson(0, 0) == (0.0, 0.0) and two_proportion_p(0, 0, 1, 2) == 1.0


def test_a_winner_only_when_the_best_is_significantly_better_than_every_other():
    assert verdict([("a", 120, 1000), ("b", 80, 1000)])[1] == "a"
    assert verdict([("a", 12, 100), ("b", 8, 100)])[1] is None  # too few to tell
    p, winner = verdict([("a", 120, 1000), ("b", 80, 1000), ("c", 118, 1000)])
    assert winner is None and p == 1.0  # a and c cannot be told apart (Bonferroni: x2, capped)
    assert verdict([("a", 0, 0), ("b", 5, 10)]) == (1.0, None)


def test_feedback_folds_into_signals_once_however_the_batch_is_cut():
    at = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.timezone.utc)  # already 2 March in Rome
    events = [feedback_event("IMPRESSION", "u", "heat|1995", at, "exp", "a"),
              feedback_event("IMPRESSION", "u", "heat|1995", at + dt.timedelta(hours=1), "exp", "a"),
              feedback_event("IMPRESSION", "u", "heat|1995", at),  # outside the experiment: its own
              feedback_event("CLICK", "u", "heat|1995", at, "exp", "a"),
              feedback_event("NOT_INTERESTED", "u", "alien|1979", at),
              feedback_event("NOT_INTERESTED", "u", "alien|1979", at + dt.timedelta(days=3)),
              feedback_event("SEEN", "v", "heat|1995", at)]
    whole = signals_by_user(events, ROME)
    assert sorted(s.id for s in whole["u"]) == ["click:exp:2026-03-02:heat|1995", "impression::2026-03-02:heat|1995",
                                                "impression:exp:2026-03-02:heat|1995", "not_interested:alien|1979"]
    parts: dict[str, dict[str, object]] = {}
    for cut in range(len(events)):  # any cut, first kept: the store's insert-when-absent
        for batch in (events[:cut], events[cut:]):
            for user, signals in signals_by_user(batch, ROME).items():
                for s in signals:
                    parts.setdefault(user, {}).setdefault(s.id, s)
        assert {u: sorted(d) for u, d in parts.items()} == {u: sorted(s.id for s in ss) for u, ss in whole.items()}
    assert hidden_films(whole["u"]) == {"alien|1979"} and hidden_films(whole["v"]) == {"heat|1995"}


def test_a_conversion_is_an_act_within_30_days_of_the_first_impression():
    day = dt.date(2026, 1, 1)
    signals = [s for e in (feedback_event("IMPRESSION", "u", f, dt.datetime(2026, 1, d, 12, tzinfo=ROME), "x")
                           for f, d in (("a", 1), ("a", 5), ("b", 1), ("c", 1), ("d", 1)))
               for s in signals_by_user([e], ROME)["u"]]
    first = first_impressions(signals, "x")
    assert {f: s.day for f, s in first.items()} == {f: "2026-01-01" for f in "abcd"}
    acted = {"a": [(day + dt.timedelta(days=30)).isoformat()], "b": [(day + dt.timedelta(days=31)).isoformat()],
             "c": ["2025-12-31"], "e": ["2026-01-02"]}
    assert converted(first, acted) == {"a"}
    assert first_impressions(signals, "other") == {}


def test_a_feedback_event_from_the_wire_is_checked():
    ok = feedback_event("CLICK", "u", "m", dt.datetime(2026, 1, 1, tzinfo=ROME))
    import msgspec
    assert decode_feedback(msgspec.json.encode(ok)) == ok
    for bad in (b"{", b'{"event_type": "LIKE", "user_id": "u", "movie_id": "m", "timestamp": "2026-01-01T00:00:00Z"}',
                b'{"event_type": "CLICK", "user_id": "u", "movie_id": "m", "timestamp": "yesterday"}',
                b'{"event_type": "CLICK", "user_id": "", "movie_id": "m", "timestamp": "2026-01-01T00:00:00Z"}'):
        with pytest.raises(InvalidEvent):
            decode_feedback(bad)


async def test_feedback_the_broker_does_not_take_is_a_503_not_a_500():
    """The kafka profile's sink: a broker that refuses is StoreUnavailable (the web answers 503
    with Retry-After), never an unexplained error, and nothing is claimed recorded."""
    from cinematch.domain.ports import StoreUnavailable
    from cinematch.services.feedback import StreamedFeedback

    class Down:
        async def start(self):
            raise ConnectionError("no broker")

        async def publish_raw(self, items):  # pragma: no cover - start fails first
            raise AssertionError

        async def stop(self):
            return None

    sink = StreamedFeedback(Down())
    with pytest.raises(StoreUnavailable) as caught:
        await sink.record([feedback_event("CLICK", "u", "m", dt.datetime(2026, 1, 1, tzinfo=ROME))])
    assert caught.value.retry_after == 5 and "broker" in caught.value.reason
