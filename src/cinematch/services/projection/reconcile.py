"""Reconciliation: the batch layer that recomputes every projection from the diary.

For each user the recompute (the seeds' `compute_user_stats`, docs/contract.md §2) is written to
shadow stores, then compared with the live projections. A user is

- `ok`      when the live documents equal the recompute at the diary's version,
- `drift`   when the live statistics claim that version but hold something else,
- `behind`  when the live statistics have not reached the diary's version yet
            (the stream is catching up, or the topic no longer holds those events),
- `moved`   when the diary changed while the user was being checked (check again).

With `repair`, a user in drift or behind is recomputed into the live stores through the
projector's RECALCULATE path, the one the stream itself uses. Trend facts are compared
inside the trends window only: facts that aged out are no longer part of any trend
(the Spark trends query drops them as late data, `prune` deletes them).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from typing import NamedTuple

import msgspec

from ...domain.deltas import DEFAULT_TZ, TrendFact, zone
from ...domain.ports import AffinityStore, Clock, DiaryStore, StatsStore, TrendStore
from ...domain.stats import differences as projection_differences
from ...domain.stats import recompute, state_of
from ...domain.trends import window_start
from .batch import BatchDelta
from .projector import Projector


class Shadow(NamedTuple):
    """Where the recompute is written: stores of their own (shadow collections)."""

    stats: StatsStore
    affinities: AffinityStore
    trends: TrendStore


class UserCheck(msgspec.Struct):
    user_id: str
    status: str  # ok | drift | behind | moved
    version: int  # the diary's version the recompute was made at
    hwm: int  # the live statistics' high-water mark
    differences: list[str] = []  # the documents that differ: "stats", "affinity <type> <key>", "trend <entry>"
    repaired: bool = False


class Window(msgspec.Struct):
    """Trend counts inside the window of the users checked: live, and as the recompute has them.
    Summed over every user they are the global trends, compared without reading the whole
    fact collections back (FerretDB aggregates by decoding every document)."""

    live: dict[str, int] = {}  # catalog film -> distinct users (the genres are the catalog's, per film)
    want: dict[str, int] = {}

    def count(self, side: dict[str, int], facts: Iterable[TrendFact]) -> None:
        """Add one user's facts: each catalog film they have counts once."""
        for film in {f.film for f in facts if f.film}:
            side[film] = side.get(film, 0) + 1

    def merge(self, other: Window) -> None:
        for mine, theirs in ((self.live, other.live), (self.want, other.want)):
            for key, n in theirs.items():
                mine[key] = mine.get(key, 0) + n

    @property
    def equal(self) -> bool:
        return self.live == self.want


class Report(msgspec.Struct):
    users: int = 0
    ok: int = 0
    drift: int = 0
    behind: int = 0
    moved: int = 0
    repaired: int = 0
    documents: int = 0  # differing documents, over every user checked
    trends_equal: bool = True  # the live trends window equals the recomputed one
    seconds: float = 0.0
    examples: list[UserCheck] = []  # a few users that differ, for the operator

    def add(self, check: UserCheck) -> None:
        self.users += 1
        setattr(self, check.status, getattr(self, check.status) + 1)
        self.documents += len(check.differences)
        self.repaired += check.repaired
        if check.status != "ok" and len(self.examples) < 5:
            self.examples.append(check)

    @property
    def clean(self) -> bool:
        return self.drift == self.behind == self.moved == 0 and self.trends_equal


class Reconciler:
    def __init__(self, *, diary: DiaryStore, stats: StatsStore, affinities: AffinityStore, trends: TrendStore,
                 shadow: Shadow, projector: Projector, clear_shadow: Callable[[], Awaitable[None]],
                 clock: Clock, tz: str = DEFAULT_TZ, window_days: int = 30) -> None:
        self.diary = diary
        self.stats = stats
        self.affinities = affinities
        self.trends = trends
        self.shadow = shadow
        self.projector = projector
        self.clear_shadow = clear_shadow
        self.clock = clock
        self.tz = tz
        self.window_days = window_days

    def since_day(self) -> str:
        return window_start(self.clock.now().astimezone(zone(self.tz)).date(), self.window_days)

    async def check_user(self, user_id: str, repair: bool = False, since: str | None = None,
                         window: Window | None = None) -> UserCheck:
        since = since or self.since_day()
        now = self.clock.now().isoformat()
        entries, version = await self.diary.snapshot(user_id)
        delta = recompute(user_id, entries, version, self.tz)
        want = state_of(user_id, delta, version)
        # The shadow stores were emptied at the start of the run: the recompute goes in as
        # new documents (the insert path of the projection's own writes; no reads).
        if delta.trends:
            await self.shadow.trends.apply(list(delta.trends.values()))
        as_writes = BatchDelta.of_deltas({user_id: delta}, facts=False)
        if aff_writes := as_writes.affinity_writes(now):
            await self.shadow.affinities.apply(aff_writes)
        if entries:
            await self.shadow.stats.apply(as_writes.stats_writes(now))

        live = await self.stats.get(user_id)
        hwm = live.hwm if live else 0
        live_facts = await self.trends.facts(user_id)
        differences = [d.what for d in projection_differences(
            want, live, await self.affinities.for_user(user_id), live_facts, since)]
        if window is not None:
            window.count(window.live, (f for f in live_facts if f.live and f.day >= since))
            window.count(window.want, (f for f in want.facts.values() if f.day >= since))

        if hwm > version or await self.diary.version(user_id) != version:
            status = "moved"
        elif hwm < version:
            status = "behind"
        else:
            status = "drift" if differences else "ok"
        check = UserCheck(user_id=user_id, status=status, version=version, hwm=hwm, differences=differences)
        if repair and status in ("drift", "behind"):
            await self.projector.recalculate(user_id)
            check.repaired = True
        return check

    async def run(self, repair: bool = False) -> Report:
        """Every user, in this process (the Spark job spreads `check_user` over executors)."""
        started = time.monotonic()
        report = Report()
        await self.clear_shadow()
        since, window = self.since_day(), Window()
        for user_id in await self.diary.user_ids():
            report.add(await self.check_user(user_id, repair, since, window))
        report.trends_equal = window.equal
        report.seconds = round(time.monotonic() - started, 3)
        return report
