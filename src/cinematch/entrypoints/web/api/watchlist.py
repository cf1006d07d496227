"""The watchlist: the films the caller wants to see."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, get, post
from litestar.exceptions import HTTPException
from litestar.security.jwt import Token
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from ....domain.library import WatchItem
from ....domain.ports import User
from ....services.watchlist import WatchlistService
from ..hardening import strict_body
from ..openapi import SIGNED_IN, errors
from ..schemas import WatchIn, Watchlist, WatchOut


def watch_out(item: WatchItem) -> WatchOut:
    return WatchOut(id=item.id, name=item.name, title=item.title or item.name, year=item.year,
                    catalog_id=item.catalog_id, added=item.added)



class WatchlistController(Controller):
    """The caller's watchlist."""

    path = "/"

    @get("/api/me/watchlist", tags=["watchlist"], responses=errors(*SIGNED_IN))
    async def my_watchlist(self, request: Request[User, Token, Any], watchlist: WatchlistService) -> Watchlist:
        return Watchlist(items=[watch_out(i) for i in await watchlist.watchlist_of(request.user.id)])

    @post("/api/me/watchlist", status_code=HTTP_201_CREATED, tags=["watchlist"], before_request=strict_body(WatchIn),
          description="Put a film on the watchlist (the same film twice is one item); logging it takes it off.",
          responses=errors(*SIGNED_IN))
    async def add_to_watchlist(self, data: WatchIn, request: Request[User, Token, Any],
                               watchlist: WatchlistService) -> WatchOut:
        return watch_out(await watchlist.watch(request.user.id, data.name, data.year, data.catalog_id))

    @delete("/api/me/watchlist/{item_id:str}", status_code=HTTP_204_NO_CONTENT, tags=["watchlist"],
            responses=errors(*SIGNED_IN, 404))
    async def remove_from_watchlist(self, item_id: str, request: Request[User, Token, Any],
                                    watchlist: WatchlistService) -> None:
        if not await watchlist.unwatch(request.user.id, item_id[:100]):
            raise HTTPException(status_code=404, detail="not on the watchlist")
