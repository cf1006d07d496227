"""Test helpers shipped with the package: a wired core on any storage backend,
and fault injection for the stores. Used by the test suite and the benchmarks."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .adapters.memory import FixedClock
from .container import Application, build_container
from .domain.stats import compute_user_state
from .settings import load_settings


def wired(storage: str = "memory", data_dir: str | Path | None = None, clock=None, **settings) -> Application:
    """The real wiring with the given storage backend and a fixed clock."""
    s = load_settings(env={}, storage=storage, data_dir=str(data_dir) if data_dir else ".cinematch", **settings)
    return build_container(s, clock=clock or FixedClock())


class Crash(Exception):
    """Raised by a FailingWrites wrapper: the process 'died' here."""


class FailingWrites:
    """Wraps a store; the n-th write call (apply/replace) raises Crash."""

    WRITES = ("apply", "replace", "replace_user")

    def __init__(self, inner, fail_on: int | None = None) -> None:
        self._inner = inner
        self.fail_on = fail_on
        self.calls = 0

    def __getattr__(self, name):
        attr = getattr(self._inner, name)
        if name not in self.WRITES:
            return attr

        async def write(*args, **kwargs):
            self.calls += 1
            if self.fail_on is not None and self.calls == self.fail_on:
                raise Crash(f"{type(self._inner).__name__}.{name}")
            return await attr(*args, **kwargs)
        return write


async def recompute_matches(container: Application, user_ids: Sequence[str]) -> list[str]:
    """Differences between the projected state and the full recompute (empty when equal)."""
    storage = container.storage
    tz = container.config.timezone()
    problems = []
    for user_id in user_ids:
        entries, version = await storage.diary().snapshot(user_id)
        state, affs, facts = compute_user_state(user_id, entries, tz)
        stored = await storage.stats().get(user_id)
        got = (stored.total_watched, stored.sum_ratings, stored.watch_time_minutes,
               stored.rating_distribution, stored.monthly_counts) if stored else (0, 0, 0, None, {})
        want = (state.total_watched, state.sum_ratings, state.watch_time_minutes,
                state.rating_distribution, state.monthly_counts)
        if stored is None and not entries:
            got = want
        if got != want:
            problems.append(f"{user_id} stats {got} != {want}")
        if stored is not None and stored.hwm != version:
            problems.append(f"{user_id} stats hwm {stored.hwm} != diary version {version}")
        live = {(a.type, a.name_key): (a.count, a.sum_ratings) for a in await storage.affinities().for_user(user_id)}
        expect = {k: (a.count, a.sum_ratings) for k, a in affs.items()}
        if live != expect:
            problems.append(f"{user_id} affinities {sorted(live.items())} != {sorted(expect.items())}")
        got_facts = {f.entry_key: f.as_tuple() for f in await storage.trends().facts(user_id) if f.live}
        want_facts = {k: f.as_tuple() for k, f in facts.items()}
        if got_facts != want_facts:
            problems.append(f"{user_id} trend facts {got_facts} != {want_facts}")
    return problems
