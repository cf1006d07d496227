"""The catalog kept current by the server (docs/contract.md §4): a fetch of IMDb's datasets and
their import, started from the admin page (`/admin/catalog`) or every day or week
(`CINEMATCH_CATALOG_REFRESH`), one at a time, with its progress for the page to show.

The download and the reading of the files run in a worker thread (they are blocking and long);
the import's writes go through the catalog port on the server's loop, like any other write."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..data.imdb import read_catalog
from ..data.imdb_fetch import FetchFailed, fetch_datasets
from ..domain.ports import CatalogStore
from ..progress import Progress

log = logging.getLogger(__name__)
EVERY = {"off": None, "daily": dt.timedelta(days=1), "weekly": dt.timedelta(days=7)}
LAST = "last-refresh.json"
CHUNK = 5000


class CatalogRefresh:
    def __init__(self, folder: str | Path, base_url: str, catalog: CatalogStore, every: str = "off",
                 now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> None:
        if every not in EVERY:
            raise ValueError(f"CINEMATCH_CATALOG_REFRESH must be off, daily or weekly, got {every!r}")
        self.folder, self.base_url, self.catalog, self.every, self.now = Path(folder), base_url, catalog, every, now
        self.step = ""  # what runs now: "" (nothing), a file's name (downloading), "import"
        self.done = 0
        self.total: int | None = None
        self.error = ""
        self._task: asyncio.Task[None] | None = None

    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> bool:
        """Start a fetch and import unless one runs; whether one was started."""
        if self.running():
            return False
        self.error, self.step, self.done, self.total = "", "", 0, None
        self._task = asyncio.get_running_loop().create_task(self.refresh())
        return True

    def _progress(self, step: str, done: int, total: int | None = None) -> None:
        self.step, self.done, self.total = step, done, total

    async def refresh(self) -> None:
        """Fetch (what changed only), then import when a file changed or none was ever imported."""
        try:
            progress = _Recorder(self._progress)
            report = await asyncio.to_thread(fetch_datasets, self.folder, self.base_url, progress=progress)
            last = self.last()
            if report.changed or not last.get("imported_at"):
                self._progress("import", 0, None)
                upserted = await self._import(progress)
                last.update(imported_at=self.now().isoformat(), upserted=upserted)
            last.update(fetched_at=self.now().isoformat(), downloaded=report.downloaded, bytes=report.bytes)
            (self.folder / LAST).write_text(json.dumps(last))
        except (FetchFailed, OSError, ValueError) as exc:
            self.error = str(exc)[:500]
            log.warning("catalog refresh failed: %s", self.error)
        finally:
            self.step = ""

    async def _import(self, progress: _Recorder) -> int:
        """`data.imdb.import_catalog`, its reading in a worker thread a chunk at a time (the files'
        passes take minutes at full size: never on the server's loop)."""
        films = read_catalog(self.folder, progress)
        total = 0
        while batch := await asyncio.to_thread(lambda: list(itertools.islice(films, CHUNK))):
            total += await self.catalog.upsert(batch)
            progress("import", total)
        return total

    def last(self) -> dict[str, Any]:
        try:
            found = json.loads((self.folder / LAST).read_text())
        except (OSError, ValueError):
            return {}
        return found if isinstance(found, dict) else {}

    def files(self) -> list[tuple[str, int]]:
        return sorted((p.name, p.stat().st_size) for p in self.folder.glob("*.tsv.gz")) if self.folder.is_dir() \
            else []

    async def status(self) -> dict[str, Any]:
        return {"films": await self.catalog.count(), "source": self.base_url, "every": self.every,
                "running": self.running(), "step": self.step, "done": self.done, "total": self.total,
                "error": self.error, "last": self.last(), "files": self.files()}

    async def run_forever(self, stop: asyncio.Event) -> None:
        """With `every` set: a refresh when the last one is older than that (at start too)."""
        period = EVERY[self.every]
        if period is None:
            return
        while not stop.is_set():
            fetched = self.last().get("fetched_at")
            due = not fetched or self.now() - dt.datetime.fromisoformat(fetched) >= period
            if due and self.start() and self._task is not None:
                await asyncio.wait([self._task])
            try:
                await asyncio.wait_for(stop.wait(), timeout=3600)  # looked at hourly
            except TimeoutError:
                pass


class _Recorder(Progress):
    """A `progress.Progress` that keeps the latest step for the page instead of drawing bars."""

    def __init__(self, record: Callable[[str, int, int | None], None]) -> None:
        super().__init__(False)
        self.record = record

    def __call__(self, step: str, done: int, total: int | None = None) -> None:
        self.record(step, done, total)

    def done(self, step: str, done: int | None = None) -> None:
        self.record(step, done or 0, done)

    def close(self) -> None:
        return None
