"""A shared year in review (`/share/{token}`), public: the year's figures from the entries that are
not private, with the Open Graph tags and card image (`/share/{token}.png`) link previews read.
A revoked or unknown link answers 404; the link's owner manages links from their statistics."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.response import Template

from ....domain.ports import UserStore
from ....services.shares import ShareService
from ..share_card import card
from .figures import figures_context
from .forms import _session_user


async def _review(shares: ShareService, token: str) -> dict[str, Any]:
    share = await shares.resolve(token[:100])
    if share is None:
        raise NotFoundException("no such link: it was revoked, or never made")
    return await shares.year_review(share)


class SharePages(Controller):
    path = "/"

    @get("/share/{token:str}", include_in_schema=False)
    async def shared(self, token: str, request: Request[Any, Any, Any], shares: ShareService, jwt_auth: Any,
                     users: UserStore) -> Response[Any]:
        if token.endswith(".png"):
            review = await _review(shares, token[:-4])
            image = await asyncio.to_thread(card, review["username"], review["share"].year, review["stats"])
            return Response(image, media_type="image/png", headers={"Cache-Control": "public, max-age=300"})
        review = await _review(shares, token)
        me = await _session_user(request, jwt_auth, users)
        year = review["share"].year
        # (the strip is the shared year's, whatever the day)
        context = figures_context(review["stats"], str(year), 1, dt.date(year, 12, 31), review["calendar"], year)
        return Template("share.html", context={
            **context, "me": me, "page": "share", "review": year, "public": True, "extras": review["extras"],
            "username": review["username"], "token": token, "base": str(request.base_url).rstrip("/")})
