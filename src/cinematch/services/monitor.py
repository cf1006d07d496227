"""The served model watched and retrained (docs/contract.md §5, seed 004 §8).

Figures, each a recompute from the stores (so exact, whatever was replayed):
- `rmse_live`: the model's error on the ratings logged since it was trained, for films it knows,
  each person's factors folded in from their ratings logged before;
- `ctr_7d`, `conversion_30d`: from the signals (one impression per user, film and day);
- `cold_start_coverage`: the share of newcomers (fewer ratings than the cold-start bound, a
  brand-new account among them) whose list is full; `diversity`: the mean genre diversity of
  the lists (1 - mean pairwise cosine of their genres);
- `latency_p99_ms`, `error_rate`: this process's recent answers (`serving`).
The alert rules are `domain.monitoring`'s. `check` retrains when the schedule says so or the
live RMSE drifted past 1.1 × the training RMSE.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
import time
import zoneinfo
from collections.abc import Callable
from typing import Any

import numpy as np

from ..domain.diary import DiaryEntry
from ..domain.feedback import converted, first_impressions
from ..domain.monitoring import alerts, drifted, period_seconds
from ..domain.ports import Clock, DiaryStore, ItemStore
from ..ml.hybrid import COLD_START_BELOW
from ..ml.training import item_key
from .experiments import acted_days
from .limits import NotTrained, RateLimited
from .recommendations import Recommendations

log = logging.getLogger(__name__)
SAMPLE_USERS = 200  # lists computed for the coverage and diversity figures
LIST_SIZE = 10


class ModelMonitor:
    def __init__(self, *, recommendations: Recommendations, signals: ItemStore, diary: DiaryStore,
                 watchlist: ItemStore, clock: Clock, tz: str, retrain_every: str = "off", every_seconds: float = 600.0,
                 serving: Callable[[], dict[str, float | None]] | None = None) -> None:
        self.recommendations, self.signals, self.diary, self.watchlist = recommendations, signals, diary, watchlist
        self.clock, self.tz = clock, zoneinfo.ZoneInfo(tz)
        self.retrain_every = period_seconds(retrain_every)
        self.every_seconds = every_seconds
        self.serving = serving
        self.last_retrain: dict[str, Any] | None = None  # why and when this process last retrained
        self._last: tuple[float, dict[str, Any]] | None = None

    async def figures(self, max_age: float = 0.0) -> dict[str, Any]:
        """The figures and alerts; `max_age` seconds old at most (the dashboard's live panel)."""
        if max_age and self._last is not None and time.monotonic() - self._last[0] <= max_age:
            return self._last[1]
        out = await self._measure()
        self._last = (time.monotonic(), out)
        return out

    async def _measure(self) -> dict[str, Any]:
        served = await self.recommendations.served()
        diaries = [(u, (await self.diary.snapshot(u))[0]) for u in await self.diary.user_ids()]
        now = self.clock.now()
        out: dict[str, Any] = {"model_version": None, "trained_at": None, "rmse_training": None, "rmse_live": None,
                               "live_ratings": 0}
        if served is not None:
            version, model, meta, _, index = served
            trained_at = dt.datetime.fromisoformat(meta["trained_at"])
            live = _live_errors(model, index, diaries, trained_at)
            out.update(model_version=version, trained_at=meta["trained_at"],
                       rmse_training=meta["metrics"].get("rmse"), live_ratings=len(live),
                       rmse_live=round(math.sqrt(float(np.mean(np.square(live)))), 6) if live else None)
        out.update(await self._engagement(now, dict(diaries)))
        out.update(await self._lists(diaries))
        out.update(self.serving() if self.serving else {"latency_p99_ms": None, "error_rate": None})
        out["alerts"] = alerts(out)
        out["next_retrain"] = self._next_retrain(out["trained_at"])
        out["retrain_every_seconds"] = self.retrain_every or None
        out["last_retrain"] = self.last_retrain
        return out

    def _next_retrain(self, trained_at: str | None) -> str | None:
        if not self.retrain_every:
            return None
        base = dt.datetime.fromisoformat(trained_at) if trained_at else self.clock.now()
        return (base + dt.timedelta(seconds=self.retrain_every)).isoformat(timespec="seconds")

    async def _engagement(self, now: dt.datetime, diaries: dict[str, list[DiaryEntry]]) -> dict[str, Any]:
        today = now.astimezone(self.tz).date()
        week, fortnight, month = ((today - dt.timedelta(days=d)).isoformat() for d in (6, 13, 29))
        # (user, film, day): one impression (and one click) whatever the experiment
        shown: dict[str, set[tuple[str, str, str]]] = {"week": set(), "before": set()}
        clicks: dict[str, set[tuple[str, str, str]]] = {"week": set(), "before": set()}
        pairs = converted_pairs = 0
        for user_id in await self.signals.owners():
            signals = await self.signals.all(user_id)
            for s in signals:
                span = "week" if s.day >= week else "before" if s.day >= fortnight else None
                if span and s.kind == "impression":
                    shown[span].add((user_id, s.film, s.day))
                elif span and s.kind == "click":
                    clicks[span].add((user_id, s.film, s.day))
            first = {f: s for f, s in first_impressions(signals).items() if s.day >= month}
            if first:
                pairs += len(first)
                converted_pairs += len(converted(first, acted_days(diaries.get(user_id, []),
                                                                   await self.watchlist.all(user_id), self.tz)))
        return {"ctr_7d": _share(len(clicks["week"]), len(shown["week"])),
                "ctr_previous_7d": _share(len(clicks["before"]), len(shown["before"])),
                "conversion_30d": _share(converted_pairs, pairs), "impressions_7d": len(shown["week"]),
                "clicks_7d": len(clicks["week"])}

    async def _lists(self, diaries: list[tuple[str, list[DiaryEntry]]]) -> dict[str, Any]:
        """Coverage of newcomers and diversity, from the lists the model gives a sample of people."""
        newcomers = [u for u, entries in diaries if sum(e.rating is not None for e in entries) < COLD_START_BELOW]
        new = set(newcomers)  # once, not per person
        warm = [u for u, _ in diaries if u not in new]
        sample_new = ["\x00new account"] + newcomers[:SAMPLE_USERS // 2]
        sample = sample_new + warm[:SAMPLE_USERS // 2]
        full = 0
        genre_lists: list[list[list[str]]] = []
        for user_id in sample:
            answer = await self.recommendations.for_user(user_id, LIST_SIZE)
            items = answer["items"]
            if user_id in sample_new and len(items) == LIST_SIZE:
                full += 1
            genre_lists.append([i["genres"] for i in items])
        return {"cold_start_coverage": round(full / len(sample_new), 6),
                "diversity": _diversity(genre_lists)}

    # --- retraining -------------------------------------------------------------------------
    async def check(self) -> dict[str, Any] | None:
        """One look: retrain when the schedule is due or the live RMSE drifted; what was trained."""
        figures = await self.figures()
        reason = None
        if figures["model_version"] is not None and drifted(figures):
            reason = "drift"
        elif self.retrain_every and figures["next_retrain"] and \
                dt.datetime.fromisoformat(figures["next_retrain"]) <= self.clock.now():
            reason = "schedule"
        if reason is None:
            return None
        try:
            trained = await self.recommendations.train()  # the shared limit: one process of several retrains
        except (RateLimited, NotTrained) as exc:
            log.info("retraining (%s) not now: %s", reason, exc)
            return None
        self.last_retrain = {"reason": reason, "at": self.clock.now().isoformat(timespec="seconds"),
                             "model_version": trained["model_version"],
                             "rmse_live_before": figures["rmse_live"]}
        log.info("retrained (%s): model %s", reason, trained["model_version"])
        return self.last_retrain

    async def run_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), self.every_seconds)
                return
            except TimeoutError:
                pass
            await self.check()


def _live_errors(model: Any, index: dict[str, int], diaries: list[tuple[str, list[DiaryEntry]]],
                 trained_at: dt.datetime) -> list[float]:
    errors: list[float] = []
    for _, entries in diaries:
        before: list[tuple[int, float]] = []
        after: list[tuple[int, float]] = []
        for e in entries:
            i = index.get(item_key(e.title or e.name, e.year), -1)
            if e.rating is None or i < 0:
                continue
            logged = dt.datetime.fromisoformat(e.added_at)
            (after if _aware(logged) > _aware(trained_at) else before).append((i, float(e.rating)))
        if not after:
            continue
        items = np.array([i for i, _ in before], dtype=np.int64)
        bias, factors = model.fold_in(items, np.array([r for _, r in before], dtype=np.float64))
        for i, r in after:
            predicted = float(np.clip(model.global_mean + bias + model.item_bias[i] + model.item_factors[i] @ factors,
                                      1.0, 5.0))
            errors.append(predicted - r)
    return errors


def _aware(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 6) if whole else None


def _diversity(lists: list[list[list[str]]]) -> float | None:
    """Mean over lists of 1 - the mean pairwise cosine of the films' genre sets."""
    scores = []
    for genres in lists:
        if len(genres) < 2:
            continue
        sets = [set(g) for g in genres]
        sims = [len(a & b) / math.sqrt(len(a) * len(b)) if a and b else 0.0
                for k, a in enumerate(sets) for b in sets[k + 1:]]
        scores.append(1.0 - sum(sims) / len(sims))
    return round(float(np.mean(scores)), 6) if scores else None
