"""The in-process projection on an event loop of its own, in a thread.

Folding a batch is CPU work (tens to hundreds of milliseconds for thousands of events):
on the web app's event loop it would hold every request for that long. On the embedded
SQLite store the projection runs beside the app instead; the store's lock serialises
their statements and the new-event signal crosses threads (`Database.notify`)."""

from __future__ import annotations

import asyncio
import logging
import threading

log = logging.getLogger(__name__)


class ThreadedRunner:
    def __init__(self, runner) -> None:
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
