"""The import page (preview, import, undo, export) and the watchlist page."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import HTTPException
from litestar.params import Parameter
from litestar.response import Redirect, Template

from ....domain.messages import N_
from ....domain.imports import parse_year
from ....domain.ports import Clock
from ....services.diary import DiaryError
from ....services.import_jobs import ImportJobs
from ....services.imports import ImportService
from ....services.watchlist import WatchlistService
from .forms import _local, _form, _form_error, _query

SHOW_AT_ONCE = 1.5  # seconds an upload may take before the page shows its progress instead of waiting


async def _import_context(request: Request[Any, Any, Any], imports: ImportService, **extra: Any) -> dict[str, Any]:
    return {"me": request.user, "page": "import", "report": None, "error": "", "done": "", "job": None,
            "batches": await imports.import_batches(request.user.id), **extra}


async def _job_context(request: Request[Any, Any, Any], imports: ImportService, job: Any) -> dict[str, Any]:
    """The page for an import job: its report once done, its error, or how far it got."""
    if job.state == "done":
        return await _import_context(request, imports, report=job.report)
    if job.state == "failed":
        return await _import_context(request, imports, error=job.error)
    return await _import_context(request, imports, job=job)



class ImportPages(Controller):
    """Imports and exports."""

    path = "/"

    @get("/import", include_in_schema=False)
    async def import_page(self, request: Request[Any, Any, Any], imports: ImportService, import_jobs: ImportJobs,
                          done: str = Parameter(default="", max_length=40),
                          job: str = Parameter(default="", max_length=100)) -> Template:
        running = import_jobs.get(request.user.id, job) if job else None
        if running is not None:
            return Template("import.html", context=await _job_context(request, imports, running))
        return Template("import.html", context=await _import_context(request, imports, done=done))

    @get("/import/jobs/{job_id:str}", include_in_schema=False)
    async def import_job(self, job_id: str, request: Request[Any, Any, Any], imports: ImportService,
                         import_jobs: ImportJobs) -> Template:
        """What the page polls while an import runs (htmx swaps in #import-result)."""
        job = import_jobs.get(request.user.id, job_id[:100])
        if job is None:
            return Template("import.html", context=await _import_context(
                request, imports, error=N_("this import is no longer followed here; its entries are in your diary "
                                          "and it is listed below")))
        return Template("import.html", context=await _job_context(request, imports, job))

    @post("/import", include_in_schema=False, status_code=200, request_max_body_size=32 * 1024 * 1024)
    async def import_upload(self, request: Request[Any, Any, Any], imports: ImportService,
                            import_jobs: ImportJobs) -> Template:
        """Preview (a dry run: the same report, nothing written) or import. The pages send the form
        with htmx and swap in the report only, so the chosen file stays chosen between the two. An
        upload that takes longer than SHOW_AT_ONCE goes on in the background, and the page shows
        how far it got until the report is there."""
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            return Template("import.html", context=await _import_context(request, imports,
                                                                         error=N_("choose a file to import")))
        try:
            job = import_jobs.start(request.user.id, await upload.read(), filename=upload.filename or "",
                                    dry_run=form.get("mode") == "preview")
        except DiaryError as exc:
            return Template("import.html", context=await _import_context(request, imports, error=str(exc)))
        job = await import_jobs.wait(job, SHOW_AT_ONCE)
        return Template("import.html", context=await _job_context(request, imports, job))

    @post("/import/{batch_id:str}/undo", include_in_schema=False, status_code=303)
    async def undo_import_page(self, batch_id: str, request: Request[Any, Any, Any],
                               imports: ImportService) -> Response[Any]:
        if not await imports.undo_import(request.user.id, batch_id[:100]):
            raise HTTPException(status_code=404, detail="no such import")
        return Redirect("/import?done=undone", status_code=303)



class WatchlistPages(Controller):
    """The watchlist."""

    path = "/"

    @get("/watchlist", include_in_schema=False)
    async def watchlist_page(self, request: Request[Any, Any, Any], watchlist: WatchlistService, clock: Clock,
                             error: str = "") -> Template:
        return Template("watchlist.html", context={"me": request.user, "page": "watchlist", "error": error[:300],
                                                   "items": await watchlist.watchlist_of(request.user.id),
                                                   "today": clock.now().date().isoformat()})

    @post("/watchlist", include_in_schema=False, status_code=303)
    async def watchlist_add(self, request: Request[Any, Any, Any], watchlist: WatchlistService) -> Response[Any]:
        form = await _form(request)
        try:
            name = form.get("title", "").strip()
            if not name:
                raise DiaryError(N_("title must not be empty"))
            await watchlist.watch(request.user.id, name, parse_year(form.get("year", "")))
        except (DiaryError, ValueError) as exc:
            return Redirect(f"/watchlist?{_query(error=_form_error(exc))}", status_code=303)
        return Redirect(_local(form.get("next", "")) if form.get("next") else "/watchlist", status_code=303)

    @post("/watchlist/{item_id:str}/remove", include_in_schema=False, status_code=303)
    async def watchlist_remove(self, item_id: str, request: Request[Any, Any, Any],
                               watchlist: WatchlistService) -> Response[Any]:
        await watchlist.unwatch(request.user.id, item_id[:100])
        return Redirect("/watchlist", status_code=303)
