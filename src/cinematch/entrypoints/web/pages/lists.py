"""The lists pages (docs/contract.md §6): `/lists` (every list, "N of M watched") and
`/lists/{id}` (its films in order, each said seen or not; add, remove, rename, delete)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import HTTPException
from litestar.response import Redirect, Template

from ....domain.messages import N_
from ....domain.imports import parse_year
from ....domain.lists import ListProblem
from ....services.diary import DiaryError
from ....services.lists import ListService
from .forms import _form, _form_error, _query


def _position(raw: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 100_000:
        raise ListProblem(N_("position {raw!r} is not a place on the list (1 is first)").format(raw=raw[:20]))
    return int(raw)


class ListPages(Controller):
    """A person's lists."""

    path = "/lists"

    @get("/", include_in_schema=False)
    async def lists_page(self, request: Request[Any, Any, Any], lists: ListService, error: str = "") -> Template:
        return Template("lists.html", context={"me": request.user, "page": "lists", "error": error[:300],
                                               "lists": await lists.lists_of(request.user.id)})

    @post("/", include_in_schema=False, status_code=303)
    async def make_list(self, request: Request[Any, Any, Any], lists: ListService) -> Response[Any]:
        form = await _form(request)
        try:
            made = await lists.create(request.user.id, form.get("name", ""), form.get("description", ""),
                                      ranked=bool(form.get("ranked")))
        except ListProblem as exc:
            return Redirect(f"/lists?{_query(error=_form_error(exc))}", status_code=303)
        return Redirect(f"/lists/{made.id}", status_code=303)

    @get("/{list_id:str}", include_in_schema=False)
    async def list_page(self, list_id: str, request: Request[Any, Any, Any], lists: ListService,
                        error: str = "") -> Template:
        view = await lists.view(request.user.id, list_id[:100])
        if view is None:
            raise HTTPException(status_code=404, detail="no such list")
        return Template("list.html", context={"me": request.user, "page": "lists", "list": view,
                                              "error": error[:300]})

    @post("/{list_id:str}/items", include_in_schema=False, status_code=303)
    async def add_film(self, list_id: str, request: Request[Any, Any, Any], lists: ListService) -> Response[Any]:
        form = await _form(request)
        here = f"/lists/{list_id[:100]}"
        try:
            view = await lists.add_item(request.user.id, list_id[:100], name=form.get("title", ""),
                                        year=parse_year(form.get("year", "")), note=form.get("note", ""),
                                        position=_position(form.get("position", "")))
        except (ListProblem, DiaryError, ValueError) as exc:
            return Redirect(f"{here}?{_query(error=_form_error(exc))}", status_code=303)
        if view is None:
            raise HTTPException(status_code=404, detail="no such list")
        return Redirect(here, status_code=303)

    @post("/{list_id:str}/items/{item_id:str}/remove", include_in_schema=False, status_code=303)
    async def remove_film(self, list_id: str, item_id: str, request: Request[Any, Any, Any],
                          lists: ListService) -> Response[Any]:
        await lists.remove_item(request.user.id, list_id[:100], item_id[:100])
        return Redirect(f"/lists/{list_id[:100]}", status_code=303)

    @post("/{list_id:str}", include_in_schema=False, status_code=303)
    async def change_list(self, list_id: str, request: Request[Any, Any, Any], lists: ListService) -> Response[Any]:
        form = await _form(request)
        here = f"/lists/{list_id[:100]}"
        try:
            view = await lists.update(request.user.id, list_id[:100], name=form.get("name", ""),
                                      description=form.get("description", ""), ranked=bool(form.get("ranked")))
        except ListProblem as exc:
            return Redirect(f"{here}?{_query(error=_form_error(exc))}", status_code=303)
        if view is None:
            raise HTTPException(status_code=404, detail="no such list")
        return Redirect(here, status_code=303)

    @post("/{list_id:str}/delete", include_in_schema=False, status_code=303)
    async def delete_list(self, list_id: str, request: Request[Any, Any, Any], lists: ListService) -> Response[Any]:
        if not await lists.delete(request.user.id, list_id[:100]):
            raise HTTPException(status_code=404, detail="no such list")
        return Redirect("/lists", status_code=303)
