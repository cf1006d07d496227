"""A film's page as JSON (docs/contract.md §3): public; the caller's own watches when signed in."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException

from ....domain.ports import UserStore
from ....services.films import FilmService
from ..openapi import errors
from ..pages.forms import caller
from ..schemas import FilmInstance, FilmPage
from .diary import entry_out


class FilmController(Controller):
    path = "/"

    @get("/api/films/{catalog_id:str}", tags=["catalog"], responses=errors(404, 503),
         description="Public: a catalog film (with `poster_url`, `countries`, `languages` where known), the "
         "caller's own entries of it when signed in, the instance's count and average (only from "
         "CINEMATCH_TRENDS_MIN_USERS people, no private entry counted) and similar films.")
    async def film(self, catalog_id: str, request: Request[Any, Any, Any], films: FilmService, jwt_auth: Any,
                   users: UserStore) -> FilmPage:
        me = await caller(request, jwt_auth, users)
        page = await films.film(catalog_id[:200], me.id if me else None)
        if page is None:
            raise NotFoundException("no catalog film has this id")
        instance = page["instance"]
        return FilmPage(film=page["film"], your_entries=[entry_out(e) for e in page["your_entries"]],
                        instance=msgspec.convert(instance, FilmInstance) if instance else None,
                        similar=page["similar"])
