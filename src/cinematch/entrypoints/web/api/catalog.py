"""The catalog: search and genres (public), films added by an admin."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import Parameter
from litestar.security.jwt import Token

from ....domain.catalog import catalog_id_for, catalog_movie
from ....services.catalog_search import CatalogSearch
from ....domain.ports import CatalogStore, User
from ..hardening import strict_body
from ..openapi import SIGNED_IN, errors
from ..pages import require_admin
from ..schemas import CatalogIn, CatalogResults, FoundMovie, Genres, Upserted


class CatalogController(Controller):
    """Public: films by title, the genres."""

    path = "/"

    @get("/api/catalog/search", tags=["catalog"], description="Public: films by title, alternative title, words "
         "of a title or a typo of them; the title itself first (`match` exact), then titles starting with it (prefix), "
         "then titles holding every word (words), then typos (typo: every word within one edit, two for a word of 8 "
         "letters or more), each the most voted first; a query nothing matches answers no items. An item's `id` is "
         "the `catalog_id` POST /api/movies takes.", responses=errors(400, 503))
    async def catalog_search(self, catalog_search: CatalogSearch, q: str = Parameter(default="", max_length=500),
                             limit: int = Parameter(default=20, ge=1, le=200)) -> CatalogResults:
        return CatalogResults(items=[FoundMovie(**msgspec.structs.asdict(m), match=kind)
                                     for m, kind in await catalog_search.search(q, limit)])

    @get("/api/genres", tags=["catalog"], description="Public: the catalog's genres, most films first.",
         responses=errors(503))
    async def genres(self, catalog: CatalogStore) -> Genres:
        return msgspec.convert({"items": [{"genre": g, "movies": n} for g, n in await catalog.genres()]}, Genres)



class CatalogAdminController(Controller):
    """An admin adds films."""

    path = "/"

    @post("/api/admin/catalog", status_code=200, tags=["admin"], before_request=strict_body(list[CatalogIn]),
          description="Add or update catalog films (an id per title and year).", responses=errors(*SIGNED_IN, 403))
    async def admin_catalog(self, data: list[CatalogIn], request: Request[User, Token, Any],
                            catalog: CatalogStore) -> Upserted:
        require_admin(request)
        movies = [catalog_movie(id=catalog_id_for(m.title, m.year), **msgspec.to_builtins(m)) for m in data]
        return Upserted(upserted=await catalog.upsert(movies))
