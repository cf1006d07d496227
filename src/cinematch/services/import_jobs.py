"""Imports the pages follow: a large upload runs in the background of the process that took it,
and the page asks how far it got (rows done of all) until the report is there.

A job lives in that process's memory, for `keep_seconds` after it ends. What makes an import
safe is the import itself (its batch is recorded before its first entry, each row's entry id is
derived from the upload, so a server that died mid-import finishes it when the file is sent
again); a job only lets a person watch one run."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Literal

import msgspec

from ..domain.messages import N_
from .diary import DiaryError
from .imports import ImportReport, ImportService

log = logging.getLogger(__name__)
MAX_JOBS_PER_USER = 3  # running at once: each holds its upload in memory


class ImportJob(msgspec.Struct):
    id: str
    user_id: str
    dry_run: bool
    filename: str = ""
    state: Literal["reading", "importing", "done", "failed"] = "reading"
    done: int = 0  # rows written (or, a preview, looked at) so far
    total: int = 0  # rows of the upload, once it is read
    report: ImportReport | None = None
    error: str = ""
    ended: float = 0.0  # monotonic time it ended (0: running)


class ImportJobs:
    def __init__(self, imports: ImportService, keep_seconds: float = 600.0) -> None:
        self.imports = imports
        self.keep_seconds = keep_seconds
        self._jobs: dict[str, ImportJob] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def start(self, user_id: str, raw: bytes, *, filename: str = "", dry_run: bool = False) -> ImportJob:
        """Begin importing `raw` for `user_id` in the background (DiaryError: too many at once)."""
        self._forget_old()
        running = [j for j in self._jobs.values() if j.user_id == user_id and not j.ended]
        if len(running) >= MAX_JOBS_PER_USER:
            raise DiaryError(N_("{n} imports are still running; wait for one to finish").format(n=len(running)))
        job = ImportJob(id=uuid.uuid4().hex, user_id=user_id, dry_run=dry_run, filename=filename[:300])
        self._jobs[job.id] = job
        self._tasks[job.id] = asyncio.create_task(self._run(job, raw))
        return job

    async def _run(self, job: ImportJob, raw: bytes) -> None:
        def progress(done: int, total: int) -> None:
            job.state, job.done, job.total = "importing", done, total
        try:
            job.report = await self.imports.import_file(job.user_id, raw, dry_run=job.dry_run, filename=job.filename,
                                                        progress=progress)
            job.state, job.done = "done", job.total
        except DiaryError as exc:
            job.state, job.error = "failed", str(exc)
        except Exception as exc:  # noqa: BLE001 - told to the person; the log keeps the rest
            log.error("import job %s failed: %s: %s", job.id, type(exc).__name__, exc)
            job.state, job.error = "failed", "the import stopped on a server error; send the file again to finish it"
        finally:
            job.ended = time.monotonic()
            self._tasks.pop(job.id, None)

    async def wait(self, job: ImportJob, seconds: float) -> ImportJob:
        """The job once it ends or after `seconds`, whichever comes first."""
        task = self._tasks.get(job.id)
        if task is not None:
            await asyncio.wait({task}, timeout=seconds)
        return job

    def get(self, user_id: str, job_id: str) -> ImportJob | None:
        job = self._jobs.get(job_id)
        return job if job is not None and job.user_id == user_id else None

    def _forget_old(self) -> None:
        now = time.monotonic()
        for job_id in [i for i, j in self._jobs.items() if j.ended and now - j.ended > self.keep_seconds]:
            del self._jobs[job_id]
