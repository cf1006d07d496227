"""A process's life, by role: what starts with it, what runs beside it, and what stops with it.

The entrypoints are thin: they parse arguments, make a `Runtime` for their role and run it. A
runtime owns, in one place for every role:

- preparing the store: the embedded file's page check before serving, and MongoDB's
  migrations on start (`CINEMATCH_MIGRATE_ON_START`), written here once;
- the background loops of the role, each restarted after a pause if it fails (a broker or a
  database down is never a reason to exit): serve's in-process projection, outbox relay, TMDB
  enrichment, first model and unfinished account deletions; the worker's runner; the relay;
- the role's metrics samplers;
- stopping: the loops are asked to stop (each finishes and commits its batch), waited for,
  and only then is what the container opened closed (`container.close_resources`).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from .adapters.mongo import migrate
from .adapters.observability import (
    Metrics,
    consumer_sampler,
    dead_letter_sampler,
    group_lag_sampler,
    model_sampler,
    projection_sampler,
)
from .container import Application, close_resources
from .services.limits import NotTrained

log = logging.getLogger("cinematch")

Loop = Callable[[asyncio.Event], Awaitable[None]]
RESTART_PAUSE = 1.0  # seconds before a failed loop runs again
STOP_WAIT = 5.0  # seconds a loop has to finish once asked to stop, then it is cancelled


class Runtime:
    """The base of every role: its loops run as tasks between `start` and `stop`."""

    role = "process"

    def __init__(self, container: Application) -> None:
        self.container = container
        self.config = container.config
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    # --- what a role says ------------------------------------------------------------------

    def loops(self) -> list[Loop]:
        """The background loops of this role, each `loop(stop)`."""
        return []

    def samplers(self) -> list[Any]:
        """What this role adds to its /metrics at each scrape."""
        return []

    async def started(self) -> None:
        """One-off work once the store is prepared (before the loops start)."""

    async def stopping(self) -> None:
        """What the role stops itself before the loops are waited for."""

    # --- the life --------------------------------------------------------------------------

    def preflight(self) -> None:
        """Before anything runs: the embedded store opens, passes SQLite's page check and takes a
        write, or the process stops here with the reason (StoreUnavailable, OSError)."""
        if self.config.storage() == "sqlite":
            self.container.storage.db().open().check(integrity=True)

    async def prepare(self) -> None:
        """The store brought up to date: MongoDB's migrations, when this process applies them."""
        if self.config.storage() == "mongo" and self.config.migrate_on_start():
            await migrate(self.container.storage.mongo())

    async def start(self) -> None:
        self._stop = asyncio.Event()
        await self.prepare()
        await self.started()
        self._tasks = [asyncio.create_task(self._supervised(loop)) for loop in self.loops()]

    async def stop(self) -> None:
        self._stop.set()
        await self.stopping()
        for task in self._tasks:
            if task.done():
                continue
            try:
                await asyncio.wait_for(task, STOP_WAIT)
            except (TimeoutError, asyncio.CancelledError):
                task.cancel()
        self._tasks = []
        await close_resources(self.container)  # after the loops: they used the stores

    async def _supervised(self, loop: Loop) -> None:
        while not self._stop.is_set():
            try:
                await loop(self._stop)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - a background loop restarts whatever stopped it
                log.warning("%s (%s); restarting in %.0f s", exc, self.role, RESTART_PAUSE)
                try:
                    await asyncio.wait_for(self._stop.wait(), RESTART_PAUSE)
                except TimeoutError:
                    pass

    def run_until_signalled(self) -> int:
        """Run the loops until SIGTERM or SIGINT (each finishes its batch and commits), serving
        /metrics on `metrics_port` meanwhile when it is set; then close. Exit status 0."""
        async def main() -> None:
            loop = asyncio.get_running_loop()
            done = asyncio.Event()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, done.set)
            refresh = None
            if self.config.metrics_port():
                metrics = Metrics()
                for sampler in self.samplers():
                    metrics.add_sampler(sampler)
                metrics.serve(self.config.metrics_port())
                refresh = asyncio.create_task(metrics.refresh_forever(done))
            await self.start()
            await done.wait()
            await self.stop()
            if refresh is not None:
                await refresh
            log.info("stopped")
        asyncio.run(main())
        return 0


class WorkerRuntime(Runtime):
    """`cinematch worker`: the stream projector as its own process (a Kafka consumer-group member,
    or, on the embedded profile with serve's projection off, the fold over the SQLite log)."""

    role = "worker"

    def __init__(self, container: Application, part: str = "all") -> None:
        super().__init__(container)
        services = container.services
        self.runner = {"all": services.runner, "stats": services.stats_runner, "trends": services.trends_runner,
                       "feedback": services.feedback_runner}[part]()
        # The feedback topic exists on the kafka bus only (the embedded profile folds feedback in the request).
        self.feedback = (services.feedback_runner() if part == "all" and self.config.bus() == "kafka" else None)

    async def prepare(self) -> None:
        return None  # done in the supervised loop: a database down at start is waited for, not fatal

    def loops(self) -> list[Loop]:
        def projecting(runner: Any) -> Loop:
            async def project(stop: asyncio.Event) -> None:
                await Runtime.prepare(self)
                await runner.run_forever(stop)
            return project
        return [projecting(r) for r in (self.runner, self.feedback) if r is not None]

    def samplers(self) -> list[Any]:
        found = [projection_sampler(self.runner), dead_letter_sampler(self.container.storage.dead_letters())]
        if self.config.bus() == "kafka":
            found.append(consumer_sampler(self.runner.source))
        return found


class RelayRuntime(Runtime):
    """`cinematch relay`: the outbox relay as its own process."""

    role = "relay"

    def loops(self) -> list[Loop]:
        return [self.container.bus.relay().run_forever]


class ServeRuntime(Runtime):
    """`cinematch serve`: the web app's process. Embedded profile: the projection folds in
    process (`run_projections`, default the `project_in_serve` setting), in a thread of its own on
    SQLite. Kafka profile: the worker projects elsewhere; serve runs the outbox relay (unless
    `relay_in_serve` is off) and reports the worker group's lag."""

    role = "serve"

    def __init__(self, container: Application, *, run_projections: bool | None = None) -> None:
        super().__init__(container)
        config = self.config
        in_process = ((config.bus() != "kafka" and config.project_in_serve()) if run_projections is None
                      else run_projections)
        self.runner = container.services.runner() if in_process else None
        self.threaded = None
        if self.runner is not None and config.storage() == "sqlite":
            # On SQLite the projection folds in a thread of its own (entrypoints/web/background.py);
            # the memory store is not shared across threads, so there it stays on this loop.
            self.threaded = ThreadedRunner(self.runner)
        self.group_lag = None
        if self.runner is None and config.bus() == "kafka" and config.profile() == "kafka":
            self.group_lag = container.bus.group_lag()  # Spark keeps no group
        self.metrics = container.metrics()
        for sampler in self.samplers():
            self.metrics.add_sampler(sampler)

    def samplers(self) -> list[Any]:
        found = []
        if self.runner is not None:
            found.append(projection_sampler(self.runner))
        elif self.group_lag is not None:
            found.append(group_lag_sampler(self.group_lag.lag))
        found += [dead_letter_sampler(self.container.storage.dead_letters()),
                  model_sampler(self.container.services.recommendations())]
        return found

    async def started(self) -> None:
        await self.container.services.accounts().ensure_admin(self.config.admin_username(),
                                                                self.config.admin_password())
        if self.threaded is not None:
            self.threaded.start()

    def loops(self) -> list[Loop]:
        config, services = self.config, self.container.services
        found: list[Loop] = [self._finish_purges]
        enricher = services.enrichment()  # None unless CINEMATCH_TMDB_API_KEY is set
        if enricher is not None:
            found.append(enricher.run_forever)
        if self.runner is not None and self.threaded is None:
            found.append(self.runner.run_forever)
        if config.ml_train_on_start():
            found.append(self._first_model)
        found.append(services.monitor().run_forever)  # the schedule and the drift retrain
        if config.catalog_refresh() != "off":
            found.append(services.catalog_refresh().run_forever)
        if config.bus() == "kafka" and config.storage() == "mongo" and config.relay_in_serve():
            found.append(self.container.bus.relay().run_forever)
        return found

    async def stopping(self) -> None:
        if self.threaded is not None:
            await self.threaded.stop()
        await self.container.services.posters().stop()  # its HTTP client, when a poster was fetched
        if self.config.bus() == "kafka":
            await self.container.services.feedback_sink().stop()  # its producer, when feedback was sent
        if self.group_lag is not None:
            await self.group_lag.stop()

    async def _finish_purges(self, stop: asyncio.Event) -> None:
        """Account deletions a crash cut short are finished (in the background: a store that
        cannot answer now is reported by /ready, and the next start tries again)."""
        try:
            await self.container.services.purge().finish_pending()
        except Exception as exc:  # noqa: BLE001 - the store down at start: /ready says so, the next start retries
            log.warning("unfinished account deletions not finished now: %s", exc)

    async def _first_model(self, stop: asyncio.Event) -> None:
        """A first model in the background when none exists, so users get the hybrid soon."""
        recommendations = self.container.services.recommendations()
        try:
            if not (await recommendations.status())["is_trained"]:
                await recommendations.train(limited=False)
        except NotTrained as exc:
            log.info("no first model: %s", exc)
        except Exception:  # noqa: BLE001 - serving goes on with the popularity fallback
            log.exception("training the first model failed")


class ThreadedRunner:
    """The in-process projection on an event loop of its own, in a thread.

    Folding a batch is CPU work (tens to hundreds of milliseconds for thousands of events): on
    the web app's event loop it would hold every request for that long. On the embedded SQLite
    store the projection runs beside the app instead; the store's lock serialises their
    statements and the new-event signal crosses threads (`Database.notify`)."""

    def __init__(self, runner: Any) -> None:
        self.runner = runner
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._main, name="cinematch-projection", daemon=True)
        self._thread.start()
        self._started.wait(5)

    def _main(self) -> None:
        try:
            asyncio.run(self._run())
        except Exception:  # noqa: BLE001 - the runner retries batches itself; this is a defect
            log.exception("the projection thread stopped")

    async def _run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._started.set()
        await self.runner.run_forever(self._stop)

    async def stop(self, timeout: float = 10.0) -> None:
        """Ask the runner to stop after its current batch (committed, so nothing is redone)."""
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, timeout)


__all__ = ["RelayRuntime", "Runtime", "ServeRuntime", "WorkerRuntime"]
