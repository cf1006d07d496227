"""Experiments on recommendations (docs/contract.md §5): define, assign, report, stop.

An experiment is kept in the `experiments` item store under one platform-wide owner. Who is
in it is never stored: `domain.experiments.assigned` answers from the name and the user id.
Its figures are read from the signals of the people who saw its lists (`feedback` items
tagged with it) and from their diaries and watchlists (a conversion is a film logged or put
on the watchlist within 30 days of its first impression): a recompute at every read, so
they are exact whatever was replayed, and cannot drift from the diary.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import zoneinfo
from collections.abc import Sequence
from typing import Any

from ..domain.diary import DiaryEntry
from ..domain.experiments import BadExperiment, Experiment, Variant, assigned, check, verdict, wilson
from ..domain.feedback import Signal, converted, first_impressions
from ..domain.messages import N_
from ..domain.ports import Clock, Conflict, DiaryStore, ItemStore
from ..ml.training import item_key
from .recommendations import Arm, Recommendations

OWNER = "*"  # experiments belong to the platform: one owner key in the item store (never a user id)
RUNNING_TTL = 2.0  # seconds a process reuses the list of running experiments


class UnknownExperiment(LookupError):
    pass


class Experiments:
    def __init__(self, *, store: ItemStore, feedback: ItemStore, diary: DiaryStore, watchlist: ItemStore,
                 recommendations: Recommendations, clock: Clock, tz: str) -> None:
        self.store, self.feedback, self.diary, self.watchlist = store, feedback, diary, watchlist
        self.recommendations, self.clock = recommendations, clock
        self.tz = zoneinfo.ZoneInfo(tz)
        self._running: tuple[float, list[Experiment]] = (-1e9, [])
        self._creating = asyncio.Lock()

    # --- defining ---------------------------------------------------------------------------
    async def create(self, name: str, variants: Sequence[Variant], traffic: float) -> dict[str, Any]:
        """Check, train each variant's model (on today's data, with its parameters), then start."""
        variants = list(variants)
        check(name, variants, traffic)
        async with self._creating:
            if await self._get(name) is not None:
                raise Conflict(N_("an experiment named {name} exists already").format(name=name))
            for v in variants:
                arm = self._arm(name, v)
                trained = await self.recommendations.train_arm(arm, {k: p for k, p in v.params.items()
                                                                     if k != "strategy"})
                v.model = trained["model_version"] if trained else ""
            experiment = Experiment(id=name, name=name, variants=variants, traffic=traffic,
                                    started_at=self.clock.now().isoformat(timespec="seconds"))
            await self.store.put(OWNER, [experiment])
        self._running = (-1e9, [])
        return await self.report(name)

    async def stop(self, name: str, promote: str = "") -> dict[str, Any]:
        """Stop it (its users get the served model again); `promote` names a variant whose model
        then becomes the served one."""
        experiment = await self._need(name)
        if promote:
            variant = next((v for v in experiment.variants if v.name == promote), None)
            if variant is None:
                raise BadExperiment(N_("no variant named {name}").format(name=promote))
            if await self.recommendations.promote(self._arm(name, variant)) is None:
                raise BadExperiment(N_("variant {name} has no model of its own to promote").format(name=promote))
            experiment.promoted = promote
        if experiment.status == "running":
            experiment.status = "stopped"
            experiment.stopped_at = self.clock.now().isoformat(timespec="seconds")
        await self.store.put(OWNER, [experiment])
        self._running = (-1e9, [])
        return await self.report(name)

    # --- serving ----------------------------------------------------------------------------
    async def arm_for(self, user_id: str) -> tuple[Experiment, Variant, Arm] | None:
        """The running experiment (the earliest started) the user takes part in, if any."""
        for experiment in await self._running_now():
            variant = assigned(experiment, user_id)
            if variant is not None:
                return experiment, variant, self._arm(experiment.name, variant)
        return None

    def _arm(self, name: str, variant: Variant) -> Arm:
        return self.recommendations.arm(name, variant.name, variant.params.get("strategy", "hybrid"))

    async def _running_now(self) -> list[Experiment]:
        at, running = self._running
        if time.monotonic() - at > RUNNING_TTL:
            running = sorted((e for e in await self.store.all(OWNER) if e.status == "running"),
                             key=lambda e: (e.started_at, e.name))
            self._running = (time.monotonic(), running)
        return running

    # --- reading ----------------------------------------------------------------------------
    async def all(self) -> list[dict[str, Any]]:
        found = sorted(await self.store.all(OWNER), key=lambda e: (e.started_at, e.name), reverse=True)
        return [await self.report(e.name) for e in found]

    async def report(self, name: str) -> dict[str, Any]:
        experiment = await self._need(name)
        names = [v.name for v in experiment.variants]
        rows = {n: {"users": 0, "impressions": 0, "clicks": 0, "conversions": 0, "shown": 0} for n in names}
        for user_id in await self.feedback.owners():
            signals: list[Signal] = await self.feedback.all(user_id)
            first = first_impressions(signals, name)
            if not first:
                continue
            # A user stays in one variant (the md5 rule); their first impression names it.
            variant = min(first.values(), key=lambda s: (s.day, s.at)).variant
            if variant not in rows:
                continue
            row = rows[variant]
            row["users"] += 1
            row["impressions"] += sum(1 for s in signals if s.kind == "impression" and s.experiment == name)
            row["clicks"] += sum(1 for s in signals if s.kind == "click" and s.experiment == name)
            row["shown"] += len(first)
            row["conversions"] += len(converted(first, await self._acted(user_id)))
        p_value, winner = verdict([(n, rows[n]["conversions"], rows[n]["shown"]) for n in names])
        by_name = {v.name: v for v in experiment.variants}
        return {"name": experiment.name, "status": experiment.status, "started_at": experiment.started_at,
                "stopped_at": experiment.stopped_at or None, "traffic": experiment.traffic,
                "promoted": experiment.promoted or None,
                "variants": [_figures(by_name[n], rows[n]) for n in names],
                "p_value": round(p_value, 6), "winner": winner}

    async def _acted(self, user_id: str) -> dict[str, list[str]]:
        return acted_days((await self.diary.snapshot(user_id))[0], await self.watchlist.all(user_id), self.tz)

    async def _get(self, name: str) -> Experiment | None:
        return next((e for e in await self.store.all(OWNER) if e.name == name), None)

    async def _need(self, name: str) -> Experiment:
        experiment = await self._get(name)
        if experiment is None:
            raise UnknownExperiment(N_("no experiment named {name}").format(name=name))
        return experiment


def _figures(variant: Variant, row: dict[str, int]) -> dict[str, Any]:
    lo, hi = wilson(row["conversions"], row["shown"])
    return {"name": variant.name, "params": variant.params, "model_version": variant.model or None,
            "users": row["users"], "impressions": row["impressions"], "clicks": row["clicks"],
            "conversions": row["conversions"],
            "ctr": round(row["clicks"] / row["impressions"], 6) if row["impressions"] else 0.0,
            "conversion_rate": round(row["conversions"] / row["shown"], 6) if row["shown"] else 0.0,
            "ci95": [round(lo, 6), round(hi, 6)]}


def acted_days(entries: Sequence[DiaryEntry], watchlist: Sequence[Any], tz: dt.tzinfo) -> dict[str, list[str]]:
    """Film (the recommendations' movie id) -> the days the person logged it or put it on the
    watchlist: what a conversion is made of."""
    acted: dict[str, list[str]] = {}
    for e in entries:
        day = _day(e.added_at, tz)
        if day:
            acted.setdefault(item_key(e.title or e.name, e.year), []).append(day)
    for item in watchlist:
        if item.added:
            acted.setdefault(item_key(item.title or item.name, item.year), []).append(item.added[:10])
    return acted


def _day(instant: str, tz: dt.tzinfo) -> str:
    try:
        at = dt.datetime.fromisoformat(instant)
    except ValueError:
        return instant[:10]
    return (at.astimezone(tz) if at.tzinfo else at).date().isoformat()
