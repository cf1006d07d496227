"""Test support: a wired core on any storage backend, the real services' wiring, child
processes wired like a container, and fault injection for the stores. Used by the test suite
and the benchmarks (which put the repository on their path); not part of the package."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path

from cinematch.adapters.memory import FixedClock
from cinematch.container import Application, build_container
from cinematch.domain.stats import affinity_counters, compute_user_state, differences, stats_counters
from cinematch.settings import load_settings


def wired(storage: str = "memory", data_dir: str | Path | None = None, clock=None, **settings) -> Application:
    """The real wiring with the given storage backend and a fixed clock."""
    s = load_settings({}, storage=storage, data_dir=str(data_dir) if data_dir else ".cinematch", **settings)
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
        stored = await storage.stats().get(user_id)
        problems += [f"{user_id} {d}" for d in differences(
            compute_user_state(user_id, entries, tz, version), stored,
            await storage.affinities().for_user(user_id), await storage.trends().facts(user_id))]
        if stored is not None and stored.hwm != version:
            problems.append(f"{user_id} stats hwm {stored.hwm} != diary version {version}")
    return problems


# --- real services ------------------------------------------------------------------

MONGO_URL = os.environ.get("CINEMATCH_TEST_MONGODB_URL", "mongodb://127.0.0.1:27017")
KAFKA = os.environ.get("CINEMATCH_TEST_KAFKA", "127.0.0.1:9092")


def service_up(name: str) -> bool:
    """True when the service answers on its port (scripts/devservices starts them)."""
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
    message = f"{name} is not running: start it with scripts/devservices up {name}"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def wired_services(data_dir: str | Path, clock=None, **settings) -> Application:
    """The kafka profile's wiring on a fresh database, topic and consumer group."""
    return wired("mongo", data_dir=data_dir, clock=clock, profile="kafka",
                 mongodb_url=f"{MONGO_URL}/{unique_name('t')}", kafka_bootstrap_servers=KAFKA,
                 kafka_topic=unique_name("events"), kafka_group=unique_name("group"),
                 kafka_trends_group=unique_name("trends"), kafka_feedback_topic=unique_name("feedback"),
                 kafka_feedback_group=unique_name("fbgroup"), **settings)


@contextlib.asynccontextmanager
async def kafka_wiring(data_dir: str | Path, **settings) -> AsyncIterator[Application]:
    """`wired_services` with its MongoDB migrated, dropped on the way out; skips (fails in CI)
    without the services."""
    from cinematch.adapters.mongo import migrate
    require_service("mongo")
    require_service("kafka")
    container = wired_services(data_dir, **settings)
    await migrate(container.storage.mongo())
    try:
        yield container
    finally:
        await drop_database(container)


def process_env(container: Application, **extra: str) -> dict[str, str]:
    """Environment for a `cinematch worker`/`relay` child process wired like `container`.

    The child keeps its trend facts: the diaries are written at the container's fixed clock
    (2025), which the child's real clock would prune as aged out, and the tests compare every
    fact with the recompute. Pruning has its own tests (tests/unit/test_retention.py)."""
    cfg = container.config
    return {**os.environ, "CINEMATCH_PROFILE": "kafka", "MONGODB_URL": cfg.mongodb_url(),
            "KAFKA_BOOTSTRAP_SERVERS": cfg.kafka_bootstrap_servers(), "CINEMATCH_KAFKA_TOPIC": cfg.kafka_topic(),
            "CINEMATCH_KAFKA_GROUP": cfg.kafka_group(), "CINEMATCH_KAFKA_TRENDS_GROUP": cfg.kafka_trends_group(),
            "CINEMATCH_KAFKA_FEEDBACK_TOPIC": cfg.kafka_feedback_topic(),
            "CINEMATCH_KAFKA_FEEDBACK_GROUP": cfg.kafka_feedback_group(),
            "CINEMATCH_DATA_DIR": cfg.data_dir(),
            "CINEMATCH_TRENDS_PRUNE_EVERY_SECONDS": "0", **extra}


async def drop_database(container: Application) -> None:
    mongo = container.storage.mongo()
    await mongo.client.drop_database(mongo.db_name)
    await mongo.close()


def spark_env(container: Application, checkpoint: str | Path, **extra: str) -> dict[str, str]:
    """Environment for a `cinematch spark` child process wired like `container`."""
    jars = os.environ.get("CINEMATCH_SPARK_JARS") or str(Path(__file__).resolve().parents[1] / "devservices/state/spark/jars")
    return process_env(container, CINEMATCH_PROFILE="spark", CINEMATCH_SPARK_CHECKPOINT_DIR=str(checkpoint),
                       CINEMATCH_SPARK_JARS=jars, **extra)


def require_spark() -> None:
    """Like require_service, for pyspark and the connector jars (scripts/devservices up spark)."""
    import importlib.util

    import pytest
    jars = Path(os.environ.get("CINEMATCH_SPARK_JARS") or Path(__file__).resolve().parents[1] / "devservices/state/spark/jars")
    missing = []
    if importlib.util.find_spec("pyspark") is None:
        missing.append("pyspark (pip install -e '.[spark]')")
    if not list(jars.glob("spark-sql-kafka*.jar")):
        missing.append(f"the connector jars in {jars} (scripts/devservices up spark)")
    if not missing:
        return
    message = "spark is not ready: " + ", ".join(missing)
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


class Proc:
    """A `cinematch <args>` child process, in a process group of its own, that can be
    SIGKILLed (with everything it started: Spark's JVM and Python workers) and restarted."""

    def __init__(self, args: Sequence[str], env: dict, log_path: Path) -> None:
        self.args, self.env, self.log_path = list(args), env, Path(log_path)
        self.p: subprocess.Popen | None = None
        self.kills = 0

    def start(self) -> None:
        log = open(self.log_path, "ab")
        self.p = subprocess.Popen([sys.executable, "-m", "cinematch", *self.args], env=self.env,
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def alive(self) -> bool:
        return self.p is not None and self.p.poll() is None

    def kill(self) -> None:
        assert self.alive(), f"{self.args} died on its own; see {self.log_path}"
        os.killpg(self.p.pid, signal.SIGKILL)
        self.p.wait()
        self.kills += 1

    def stop(self) -> None:
        if self.alive():
            self.p.terminate()
            try:
                self.p.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


async def projection_snapshot(container: Application, user_ids: Sequence[str]) -> dict:
    """Every projected document of these users, as the ports read them, without the fields
    that depend on when and in which batches events arrived (`updated_at`; an affinity's
    mark is the last seq of the batch that touched it). For parity tests across runtimes."""
    storage = container.storage
    stats, affinities, facts = {}, {}, {}
    for user_id in user_ids:
        s = await storage.stats().get(user_id)
        if s is not None:
            stats[user_id] = (*stats_counters(s), s.hwm)
        for a in await storage.affinities().for_user(user_id):
            affinities[a.id] = (a.user_id, a.type, a.name, a.name_key, *affinity_counters(a))
        for f in await storage.trends().facts(user_id):
            facts[(user_id, f.entry_key)] = (f.day, f.title, f.genres, f.live, f.seq, f.film)
    letters = sorted((d.payload, d.reason) for d in await storage.dead_letters().all())
    window = await storage.trends().window_counts("")  # the public trends' input: catalog films by distinct user
    return {"stats": stats, "affinities": affinities, "facts": facts, "dead_letters": letters, "window": window}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(data_dir: str | Path, log: Path | None = None, log_level: str = "warning", **env: str) -> Iterator[str]:
    """A real `cinematch serve` process on a free loopback port, its data in `data_dir` (its
    output in `log` when given); yields its base URL, and stops it (SIGTERM, then SIGKILL) on
    the way out."""
    import httpx
    port = free_port()
    out = open(log, "ab") if log is not None else None
    proc = subprocess.Popen([sys.executable, "-m", "cinematch", "serve", "--port", str(port),
                             "--log-level", log_level],
                            env={**os.environ, "CINEMATCH_DATA_DIR": str(data_dir), "CINEMATCH_ML_TRAIN_ON_START": "0",
                                 **env}, stdout=out, stderr=subprocess.STDOUT if out else None)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(400):
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
            if proc.poll() is not None:
                raise RuntimeError(f"serve exited with {proc.returncode}")
        else:
            raise RuntimeError("serve did not start")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        if out is not None:
            out.close()


def server_pid(base: str) -> int:
    """The pid of the `cinematch serve` answering at `base` (from /proc: its command line names the port)."""
    port = base.rsplit(":", 1)[1].encode()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in cmd and port in cmd:
            return int(pid)
    raise RuntimeError(f"no cinematch serve at {base}")


def wait_synced(client, headers: dict, timeout: float = 10.0) -> dict:
    """Poll GET /api/me/stats (an HTTP client: httpx's or Litestar's test client) until it
    says synced; the statistics then."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        stats = client.get("/api/me/stats", headers=headers).json()
        if stats["sync"]["status"] == "synced":
            return stats
        time.sleep(0.01)
    raise AssertionError("statistics never synced")


def synthetic_platform(client, admin: dict, *, films: int, users: int, min_ratings: int, max_ratings: int,
                       seed: int, year: int = 2025, password: str = "correct-horse-42",
                       ) -> tuple[dict[str, dict], dict[str, str]]:
    """Seed 004's synthetic films in the catalog and `users` people who imported their ratings
    (`client`: a TestClient or an httpx.Client on the app): each person's bearer header by name
    (`user0`, `user1`, …), and their user ids."""
    from cinematch.ml.synthetic import synthetic_catalog, synthetic_ratings
    catalog = synthetic_catalog(films, random_state=seed)
    r = client.post("/api/admin/catalog", headers=admin, json=[{"title": f.title, "year": f.year,
                                                                "genres": list(f.genres)} for f in catalog])
    assert r.status_code == 200, r.text
    by_user: dict[str, list] = {}
    for rating in synthetic_ratings(catalog, users, min_ratings=min_ratings, max_ratings=max_ratings,
                                    random_state=seed + 1):
        by_user.setdefault(rating.user.replace("synth", "user"), []).append(rating)
    people: dict[str, dict] = {}
    ids: dict[str, str] = {}
    for name, rs in by_user.items():
        made = client.post("/api/auth/register", json={"username": name, "password": password})
        ids[name] = made.json()["user_id"]
        token = client.post("/api/auth/token", json={"username": name, "password": password}).json()
        h = people[name] = {"Authorization": f"Bearer {token['access_token']}"}
        body = "name,year,rating,date\n" + "".join(f"{x.film.title},{x.film.year},{x.rating},{year}-01-0{1 + k % 9}\n"
                                                    for k, x in enumerate(rs))
        out = client.post("/api/movies/import", content=body, headers={**h, "Content-Type": "text/csv"})
        assert out.status_code == 200 and out.json()["imported"] == len(rs), out.text
    return people, ids
