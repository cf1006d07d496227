"""Imports: an export file in, a report out; the caller's imports, each undoable."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.exceptions import HTTPException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter
from litestar.security.jwt import Token
from litestar.status_codes import HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from ....domain.ports import User
from ....services.diary import DiaryError
from ....services.import_jobs import ImportJob, ImportJobs
from ....services.imports import ImportService
from ..openapi import SIGNED_IN, UploadOperation, errors
from ..schemas import ImportBatches, ImportOut

MAX_IMPORT_BYTES = 32 * 1024 * 1024


MAX_NOTES = 1000  # an answer lists this many skipped-row notes at most (the counts stay whole)


def import_out(report: ImportOut) -> ImportOut:
    return msgspec.structs.replace(report, notes=report.notes[:MAX_NOTES])



class JobOut(msgspec.Struct):
    job_id: str
    state: str
    done: int
    total: int
    dry_run: bool
    report: ImportOut | None = None
    error: str = ""


def job_out(job: ImportJob) -> JobOut:
    return JobOut(job_id=job.id, state=job.state, done=job.done, total=job.total, dry_run=job.dry_run,
                  report=import_out(job.report) if job.report else None, error=job.error)


def _disposition_name(header: str) -> str:
    """The filename of a `Content-Disposition` header, if it names one."""
    found = re.search(r'filename="?([^";]+)"?', header)
    return found.group(1)[:300] if found else ""


class ImportsController(Controller):
    """The caller's imports."""

    path = "/"

    @post("/api/movies/import", status_code=200, tags=["diary"], request_max_body_size=MAX_IMPORT_BYTES,
          description="The body (text/csv, application/zip, application/json) or multipart field `file`: a "
                      "Letterboxd export ZIP or one of its CSVs, IMDb ratings.csv, a Trakt export ZIP, the CineMatch "
                      "backup, or name,year,rating,date. Bad rows are reported per line; the good rows still import. "
                      "The same file again imports nothing twice; `dry_run=true` reports and writes nothing.",
          operation_class=UploadOperation, responses={
              202: ResponseSpec(JobOut, description="`background=true`: the import runs; follow its job"),
              **errors(*SIGNED_IN, 413, e413="the file is over 32 MB")})
    async def import_movies(self, request: Request[User, Token, Any], imports: ImportService, import_jobs: ImportJobs,
                            dry_run: bool = Parameter(default=False),
                            background: bool = Parameter(default=False, description=(
                                "answer 202 with a job at once and import meanwhile; GET "
                                "/api/me/imports/jobs/{job_id} says how far it got, then gives the report")),
                            filename: str = Parameter(default="", max_length=300, description=(
                                "the file's name, for a body sent without one (a Letterboxd `watchlist.csv` "
                                "goes to the watchlist); a multipart upload carries its own"))) -> Response[ImportOut]:
        content_type = request.headers.get("content-type", "").lower()
        if content_type.startswith("multipart/form-data"):
            form = await request.form()
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise DiaryError("multipart body needs a file field named 'file'")
            raw, filename = await upload.read(), upload.filename or filename
        else:
            raw = await request.body()
            filename = filename or _disposition_name(request.headers.get("content-disposition", ""))
        if background:
            job = import_jobs.start(request.user.id, raw, filename=filename, dry_run=dry_run)
            # (the 202's body is documented apart, beside the 200's report: `responses` above)
            return Response[Any](job_out(job), status_code=HTTP_202_ACCEPTED)
        return Response(import_out(await imports.import_file(request.user.id, raw, dry_run=dry_run,
                                                             filename=filename)))

    @get("/api/me/imports/jobs/{job_id:str}", tags=["diary"], responses=errors(*SIGNED_IN, 404),
         description="An import started with `background=true`: `state` (reading, importing, done, failed), rows "
                     "`done` of `total`, and the `report` once done (or the `error`).")
    async def import_job(self, job_id: str, request: Request[User, Token, Any], import_jobs: ImportJobs) -> JobOut:
        job = import_jobs.get(request.user.id, job_id[:100])
        if job is None:
            raise HTTPException(status_code=404, detail="no such import job (jobs are kept 10 minutes after they end)")
        return job_out(job)

    @get("/api/me/imports", tags=["diary"], description="The imports, each undoable.", responses=errors(*SIGNED_IN))
    async def my_imports(self, request: Request[User, Token, Any], imports: ImportService) -> ImportBatches:
        return msgspec.convert({"items": [{"batch_id": b.id, "format": b.format, "at": b.at, "imported": b.imported}
                                          for b in await imports.import_batches(request.user.id)]}, ImportBatches)

    @delete("/api/me/imports/{batch_id:str}", status_code=HTTP_204_NO_CONTENT, tags=["diary"],
            description="Undo an import: the entries it created are removed from the diary.",
            responses=errors(*SIGNED_IN, 404))
    async def undo_import(self, batch_id: str, request: Request[User, Token, Any], imports: ImportService) -> None:
        if not await imports.undo_import(request.user.id, batch_id[:100]):
            raise HTTPException(status_code=404, detail="no such import")
