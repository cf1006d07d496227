"""Test helpers shipped with the package: a wired core on any storage backend,
and fault injection for the stores. Used by the test suite and the benchmarks."""

from __future__ import annotations

import os
import socket
import uuid
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


# --- real services ------------------------------------------------------------------

MONGO_URL = os.environ.get("CINEMATCH_TEST_MONGODB_URL", "mongodb://127.0.0.1:27017")
KAFKA = os.environ.get("CINEMATCH_TEST_KAFKA", "127.0.0.1:9092")


def service_up(name: str) -> bool:
    """True when the service answers on its port (scripts/services starts them)."""
    target = {"mongo": MONGO_URL.split("//", 1)[1].split("/", 1)[0], "kafka": KAFKA}[name]
    host, _, port = target.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str) -> None:
    """Skip when a service is missing on a developer machine; fail in CI (CI=true),
    where a missing service is a broken set-up, never a reason to skip."""
    import pytest
    if service_up(name):
        return
    message = f"{name} is not running: start it with scripts/services up {name}"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def wired_services(data_dir: str | Path, clock=None, **settings) -> Application:
    """The kafka profile's wiring on a fresh database, topic and consumer group."""
    return wired("mongo", data_dir=data_dir, clock=clock, profile="kafka",
                 mongodb_url=f"{MONGO_URL}/{unique_name('t')}", kafka_bootstrap_servers=KAFKA,
                 kafka_topic=unique_name("events"), kafka_group=unique_name("group"), **settings)


def process_env(container: Application, **extra: str) -> dict[str, str]:
    """Environment for a `cinematch worker`/`relay` child process wired like `container`."""
    cfg = container.config
    return {**os.environ, "CINEMATCH_PROFILE": "kafka", "MONGODB_URL": cfg.mongodb_url(),
            "KAFKA_BOOTSTRAP_SERVERS": cfg.kafka_bootstrap_servers(), "CINEMATCH_KAFKA_TOPIC": cfg.kafka_topic(),
            "CINEMATCH_KAFKA_GROUP": cfg.kafka_group(), "CINEMATCH_DATA_DIR": cfg.data_dir(), **extra}


async def drop_database(container: Application) -> None:
    mongo = container.storage.mongo()
    await mongo.client.drop_database(mongo.db_name)
    await mongo.close()
