"""The diary page: log a film (with the catalog's suggestions), edit, delete and undo in place."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import HTTPException
from litestar.params import Parameter
from litestar.response import Redirect, Template

from ....domain.messages import N_
from ....domain.bounds import MAX_REVIEW
from ....domain.imports import parse_year
from ....domain.ports import Clock, DiaryStore
from ....domain.ratings import normalize
from ....services.catalog_search import CatalogSearch
from ....services.diary import DiaryError, DiaryService, EntryPatch, NewEntry
from .forms import PAGE_SIZE, _form, _form_error, _rating, _tags


async def _diary_context(request: Request[Any, Any, Any], diary_store: DiaryStore, clock: Clock, page: int = 1,
                         view: str = "list", **extra: Any) -> dict[str, Any]:
    size = POSTERS_PAGE if view == "posters" else PAGE_SIZE
    items, total = await diary_store.page(request.user.id, size, (page - 1) * size)
    today = clock.now().date()
    return {"me": request.user, "items": items, "total": total, "page_no": page, "view": view,
            "months": by_month(items) if view == "posters" else [],
            "pages": max(1, -(-total // size)), "error": "", "form": EMPTY_FORM, "today": today.isoformat(),
            # a watch date may be tomorrow in the configured zone (docs/contract.md §2), no later
            "tomorrow": (today + dt.timedelta(days=1)).isoformat(), "page": "diary", **extra}


POSTERS_PAGE = 48  # entries on a page of the poster view (a dozen rows of four)


def by_month(items: list[Any]) -> list[tuple[str, list[Any]]]:
    """A page's entries (newest first) grouped by the month they were watched, as the poster view
    shows them: ("2026-12", [entries])."""
    months: dict[str, list[Any]] = {}
    for entry in items:
        months.setdefault(entry.date[:7], []).append(entry)
    return list(months.items())


# What the log form shows when it is new: no rating chosen (a forgotten choice records no rating).
EMPTY_FORM: dict[str, Any] = {"title": "", "year": "", "catalog_id": "", "rating": None, "date": "", "tags": "",
                              "rewatch": False, "liked": False, "private": False, "review": "", "spoilers": False}
CHECKS = ("rewatch", "liked", "private", "spoilers")  # the form's checkboxes


def _kept(form: dict[str, str]) -> dict[str, Any]:
    """A refused form's values, to show it again as the person filled it in."""
    try:
        rating = normalize(float(form.get("rating", ""))) if form.get("rating", "").strip() else None
    except (ValueError, TypeError):
        rating = None
    return {**EMPTY_FORM, **{k: form.get(k, "")[:2000] for k in ("title", "year", "catalog_id", "date", "tags")},
            "rating": rating, "review": form.get("review", "")[:MAX_REVIEW], **{k: bool(form.get(k)) for k in CHECKS}}


def _words(form: dict[str, str]) -> dict[str, Any]:
    """The review and the choices of a form (an entry's own, beside the film)."""
    return {"review": form.get("review", ""), **{k: bool(form.get(k)) for k in ("spoilers", "liked", "private")}}


async def _row(template: str, entry_id: str, request: Request[Any, Any, Any], diary_store: DiaryStore) -> Template:
    entry = await diary_store.get(request.user.id, entry_id)
    if entry is None:
        raise HTTPException(status_code=404, detail="no such diary entry")
    return Template(template, context={"e": entry})


def _supplied(supplied: dict[str, Any]) -> dict[str, Any]:
    """The enrichment a deleted entry had been given by its author (genres, people, duration)."""
    out: dict[str, Any] = {}
    if isinstance(supplied.get("genres"), list):
        out["genres"] = [str(g) for g in supplied["genres"]][:50]
    for key in ("director", "actors"):
        if isinstance(supplied.get(key), str):
            out[key] = supplied[key]
    if isinstance(supplied.get("duration"), int) and not isinstance(supplied.get("duration"), bool):
        out["duration"] = supplied["duration"]
    return out



class DiaryPages(Controller):
    """The diary and its rows."""

    path = "/"

    @get("/diary", include_in_schema=False)
    async def diary_page(self, request: Request[Any, Any, Any], diary_store: DiaryStore, clock: Clock,
                         page: int = Parameter(default=1, ge=1, le=1_000_000), error: str = "",
                         view: Literal["list", "posters"] = "list") -> Template:
        context = await _diary_context(request, diary_store, clock, page, view, error=error[:300])
        return Template("diary.html", context=context)

    @get("/diary/suggest", include_in_schema=False)
    async def suggest(self, catalog_search: CatalogSearch,
                      title: str = Parameter(default="", max_length=200)) -> Template:
        typed = title.strip()
        found, tmdb = await catalog_search.search_asking(typed, 8) if len(typed) >= 2 else ([], "")
        return Template("_suggestions.html", context={"movies": [m for m, _ in found], "typed": typed, "tmdb": tmdb})

    @post("/diary", include_in_schema=False, status_code=303)
    async def log_film(self, request: Request[Any, Any, Any], diary: DiaryService, diary_store: DiaryStore,
                       clock: Clock) -> Response[Any]:
        form = await _form(request)
        try:
            new = NewEntry(name=form.get("title", "").strip(), rating=_rating(form.get("rating", "")),
                           date=form.get("date") or None, year=parse_year(form.get("year", "")),
                           rewatch=bool(form.get("rewatch")), tags=_tags(form.get("tags", "")),
                           catalog_id=form.get("catalog_id", "").strip()[:600] or None, **_words(form))
            if not new.name:
                raise DiaryError(N_("title must not be empty"))
            await diary.add(request.user.id, new)
        except (DiaryError, ValueError) as exc:
            # The form again, as it was filled in, with the reason (422: htmx swaps it in, see base.html).
            context = await _diary_context(request, diary_store, clock, error=_form_error(exc)[:300], form=_kept(form))
            return Template("diary.html", context=context, status_code=422)
        return Redirect("/diary", status_code=303)

    @get("/diary/{entry_id:str}/edit", include_in_schema=False)
    async def edit_row(self, entry_id: str, request: Request[Any, Any, Any], diary_store: DiaryStore) -> Template:
        return await _row("_edit_row.html", entry_id, request, diary_store)

    @get("/diary/{entry_id:str}/row", include_in_schema=False)
    async def show_row(self, entry_id: str, request: Request[Any, Any, Any], diary_store: DiaryStore) -> Template:
        return await _row("_row.html", entry_id, request, diary_store)

    @post("/diary/{entry_id:str}", include_in_schema=False, status_code=200)
    async def save_row(self, entry_id: str, request: Request[Any, Any, Any], diary: DiaryService) -> Response[Any]:
        form = await _form(request)
        try:
            patch = EntryPatch(rating=_rating(form.get("rating", "")), date=form.get("date") or None,
                               name=(form.get("title") or "").strip() or None, rewatch=bool(form.get("rewatch")),
                               tags=_tags(form.get("tags", "")), **_words(form))
            entry = await diary.update(request.user.id, entry_id, patch)
        except (DiaryError, ValueError) as exc:
            return Template("_edit_row.html", context={"e": await diary.diary.get(request.user.id, entry_id),
                                                        "error": _form_error(exc)})
        if entry is None:
            raise HTTPException(status_code=404, detail="no such diary entry")
        if "hx-request" not in request.headers:
            return Redirect("/diary", status_code=303)
        return Template("_row.html", context={"e": entry})

    @post("/diary/{entry_id:str}/delete", include_in_schema=False, status_code=200)
    async def delete_row(self, entry_id: str, request: Request[Any, Any, Any], diary: DiaryService,
                         diary_store: DiaryStore) -> Response[Any]:
        entry = await diary_store.get(request.user.id, entry_id)
        if entry is None or not await diary.delete(request.user.id, entry_id):
            raise HTTPException(status_code=404, detail="no such diary entry")
        if "hx-request" not in request.headers:
            return Redirect("/diary", status_code=303)
        # The row says what went and offers it back; the count above the table follows (out of band).
        _, total = await diary_store.page(request.user.id, 1, 0)
        return Template("_deleted_row.html", context={"e": entry, "total": total,
                                                      "supplied": json.dumps(entry.supplied)})

    @post("/diary/restore", include_in_schema=False, status_code=200)
    async def restore_row(self, request: Request[Any, Any, Any], diary: DiaryService,
                          diary_store: DiaryStore) -> Response[Any]:
        """Undo of a delete: the entry again, as it was (a new entry with the same fields)."""
        form = await _form(request)
        try:
            supplied = json.loads(form.get("supplied") or "{}")
            if not isinstance(supplied, dict):
                raise ValueError("not an entry")
            entry = await diary.add(request.user.id, NewEntry(
                name=form.get("title", "").strip(), rating=_rating(form.get("rating", "")),
                date=form.get("date") or None, year=parse_year(form.get("year", "")),
                catalog_id=form.get("catalog_id", "").strip()[:600] or None, rewatch=bool(form.get("rewatch")),
                tags=_tags(form.get("tags", "")), **_words(form), **_supplied(supplied)))
        except (DiaryError, ValueError, TypeError) as exc:
            raise HTTPException(status_code=400, detail=f"the entry cannot be put back: {_form_error(exc)}") from None
        if "hx-request" not in request.headers:
            return Redirect("/diary", status_code=303)
        _, total = await diary_store.page(request.user.id, 1, 0)
        return Template("_row.html", context={"e": entry, "total": total, "count_changed": True})
