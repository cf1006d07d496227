"""Import jobs (services/import_jobs.py): a job runs the real import and says how far it got; only
its owner sees it; a refused file or a server error ends it with a reason; a person runs a few at
once; ended jobs are forgotten after a while."""

import asyncio

import pytest

from cinematch.services.diary import DiaryError
from cinematch.services.import_jobs import MAX_JOBS_PER_USER, ImportJobs
from tests.support import wired


async def finished(jobs: ImportJobs, job, seconds: float = 10.0):
    return await jobs.wait(job, seconds)


async def test_a_job_runs_the_import_and_reports_its_progress_to_its_owner_only():
    app = wired("memory")
    jobs = ImportJobs(app.services.imports())
    rows = "".join(f"Film {i},,3,2024-01-{i % 28 + 1:02d}\n" for i in range(25_000))
    job = jobs.start("ana", ("name,year,rating,date\n" + rows).encode(), filename="history.csv")
    assert job.state == "reading" and jobs.get("ana", job.id) is job and jobs.get("ben", job.id) is None
    seen = []
    while job.state != "done":
        seen.append(job.done)
        await asyncio.sleep(0.005)
        assert job.state != "failed", job.error
    assert job.report is not None and job.report.imported == 25_000 and job.done == job.total == 25_000
    assert seen == sorted(seen)  # only ever forward
    entries, _ = await app.storage.diary().snapshot("ana")
    assert len(entries) == 25_000


async def test_a_refused_file_and_a_server_error_end_the_job_with_a_reason():
    app = wired("memory")
    jobs = ImportJobs(app.services.imports())
    refused = await finished(jobs, jobs.start("ana", b"PK\x03\x04 not really a zip", filename="export.zip"))
    assert refused.state == "failed" and "ZIP" in refused.error and refused.report is None

    class Broken:
        async def import_file(self, *args, **kwargs):
            raise RuntimeError("disk on fire")
    failing = ImportJobs(Broken())  # type: ignore[arg-type]
    broken = await finished(failing, failing.start("ana", b"x"))
    assert broken.state == "failed" and "send the file again" in broken.error and "disk" not in broken.error


async def test_a_person_runs_a_few_imports_at_once_and_ended_jobs_are_forgotten():
    gate = asyncio.Event()

    class Slow:
        async def import_file(self, *args, **kwargs):
            await gate.wait()
            return None

    jobs = ImportJobs(Slow(), keep_seconds=0.0)  # type: ignore[arg-type]
    running = [jobs.start("ana", b"x") for _ in range(MAX_JOBS_PER_USER)]
    with pytest.raises(DiaryError, match="still running"):
        jobs.start("ana", b"x")
    other = jobs.start("ben", b"x")  # somebody else is not held back
    gate.set()
    for job in [*running, other]:
        assert (await finished(jobs, job)).state == "done"
    await asyncio.sleep(0.01)
    jobs.start("ana", b"x")  # ended jobs past keep_seconds go at the next start
    assert all(jobs.get(j.user_id, j.id) is None for j in [*running, other])
