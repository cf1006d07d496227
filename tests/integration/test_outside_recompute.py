"""The outside check (tests/outside.py) on the kafka and spark runtimes: the HTTP API (with the
outbox relay in the app) takes random edits, renames across the catalog among them, while the
projection's process is SIGKILLed and started again; once it has caught up, every statistic and
affinity equals the recompute from the diary listing, and the experiment's report (its impressions
and clicks through the feedback topic, folded by the killed process) what the driver saw."""

from __future__ import annotations

import random
import threading
import time

import httpx
import pytest
from cinematch.adapters.clock import SystemClock
from tests import outside, outside_recs
from tests.support import Proc, free_port, kafka_wiring, process_env, require_spark, serving, spark_env

STEPS = 900  # over three people, in three stretches with kills between and during them


class Killer(threading.Thread):
    """SIGKILLs the projection's process at random moments while the edits go on, then starts
    it again; `kills` are done in all."""

    def __init__(self, proc: Proc, rnd: random.Random, kills: int, ready) -> None:
        super().__init__(daemon=True)
        self.proc, self.rnd, self.kills, self.ready = proc, rnd, kills, ready
        self.failed: BaseException | None = None

    def run(self) -> None:
        try:
            for _ in range(self.kills):
                end = time.monotonic() + 240
                while not self.ready():  # killed after it has done some work, not while starting
                    assert self.proc.alive() and time.monotonic() < end, self.proc.log()[-3000:]
                    time.sleep(0.2)
                time.sleep(self.rnd.uniform(0.0, 1.5))
                self.proc.kill()
                time.sleep(self.rnd.uniform(0.0, 1.0))
                self.proc.start()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.failed = exc


def run_check(env: dict[str, str], tmp_path, proc: Proc, ready, kills: int, seed: int) -> None:
    """`cinematch serve` (with the outbox relay) wired like the projection's process."""
    rnd = random.Random(seed)
    wiring = {k: v for k, v in env.items() if k.startswith(("CINEMATCH_", "MONGODB_", "KAFKA_"))}
    wiring.pop("CINEMATCH_METRICS_PORT", None)  # the projection's; serve has its own /metrics
    wiring.update(CINEMATCH_ADMIN_USERNAME="admin", CINEMATCH_ADMIN_PASSWORD="adminpass1")
    with serving(tmp_path / "serve", log=tmp_path / "serve.log", **wiring) as base, \
            httpx.Client(base_url=base, timeout=60) as client:
        admin = outside.sign_up(client, "admin", "adminpass1").headers
        outside.load_catalog(client, admin)
        ids = outside.catalog_ids_of(client)
        people = [outside.sign_up(client, f"person{i}") for i in range(3)]
        proc.start()
        killer = Killer(proc, random.Random(seed + 1), kills, ready)
        killer.start()
        kinds = outside.drive(client, people, rnd, STEPS // 3, ids)
        fans = outside_recs.start_experiment(client, admin, people, rnd)  # lists, clicks, dismissals from here on
        kinds += outside.drive(client, people, rnd, STEPS - STEPS // 3, ids)
        killer.join(600)
        assert killer.failed is None, killer.failed
        assert proc.kills == kills and proc.alive(), proc.log()[-3000:]
        problems: list[str] = []
        for i, p in enumerate(people):
            outside.wait_synced(client, p, timeout=300)
            problems += outside.mismatches(client, p, f"person{i}")
        problems += outside.trend_problems(client, people + fans, timeout=300)
        problems += outside.film_problems(client, people + fans, ids)
        problems += outside_recs.experiment_problems(client, admin, people, timeout=300)
        proc.stop()
    assert problems == [], "\n".join(problems[:20])
    assert kinds["rename"] >= 50 and kinds["import"] >= 10, kinds
    acts = ("click", "not_interested", "seen", "log a shown film", "watchlist a shown film")
    assert kinds["recs"] + sum(kinds[k] for k in acts) >= 30 and sum(kinds[k] for k in acts[:3]) >= 5, kinds


@pytest.mark.service("kafka")
async def test_kafka_worker_killed_while_edits_go_on(tmp_path):
    async with kafka_wiring(tmp_path) as c:
        port = free_port()
        env = process_env(c, CINEMATCH_METRICS_PORT=str(port))
        worker = Proc(["worker"], env, tmp_path / "worker.log")

        def ready() -> bool:  # this start of the worker has projected something
            try:
                text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
            except httpx.TransportError:
                return False
            return any(line.startswith("cinematch_events_projected_total ") and float(line.split()[-1]) > 0
                       for line in text.splitlines())

        run_check(env, tmp_path, worker, ready, kills=3, seed=31)


@pytest.mark.service("spark")
@pytest.mark.slow
async def test_spark_job_killed_while_edits_go_on(tmp_path):
    require_spark()
    async with kafka_wiring(tmp_path, clock=SystemClock()) as c:
        env = spark_env(c, tmp_path / "ckpt", CINEMATCH_SPARK_MAX_OFFSETS_PER_TRIGGER="500")
        job = Proc(["spark", "stream", "--trigger", "0.5", "--trends-trigger", "2"], env, tmp_path / "spark.log")
        seen = {"batches": 0}

        def ready() -> bool:  # a statistics batch written since the last start
            n = job.log().count("user-stats batch")
            if n > seen["batches"]:
                seen["batches"] = n
                return True
            return False

        run_check(env, tmp_path, job, ready, kills=1, seed=32)
