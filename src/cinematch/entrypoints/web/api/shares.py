"""Shared years in review (docs/contract.md §3): a person's links, made, listed and revoked."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.exceptions import HTTPException
from litestar.security.jwt import Token
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from ....domain.bounds import MAX_YEAR, MIN_YEAR
from ....domain.ports import User
from ....domain.shares import Share
from ....services.shares import ShareError, ShareService
from ..hardening import strict_body
from ..openapi import SIGNED_IN, errors


class ShareIn(msgspec.Struct):
    kind: Annotated[str, msgspec.Meta(max_length=20)]
    year: Annotated[int, msgspec.Meta(ge=MIN_YEAR, le=MAX_YEAR)]


class ShareOut(msgspec.Struct):
    token: str
    url: str  # the page: `/share/{token}`; its card image: the same with `.png`
    kind: str
    year: int
    created: str


class Shares(msgspec.Struct):
    items: list[ShareOut]


def share_out(share: Share) -> ShareOut:
    return ShareOut(token=share.id, url=f"/share/{share.id}", kind=share.kind, year=share.year, created=share.created)


class SharesController(Controller):
    path = "/"

    @post("/api/me/shares", status_code=HTTP_201_CREATED, tags=["stats"], before_request=strict_body(ShareIn),
          description="Make a public, unguessable link to a year in review (`/share/{token}`, and its card image "
                      "`/share/{token}.png`): no sign-in needed to open it, and it shows no private entry.",
          responses=errors(*SIGNED_IN))
    async def make_share(self, data: ShareIn, request: Request[User, Token, Any], shares: ShareService) -> ShareOut:
        try:
            return share_out(await shares.create(request.user.id, data.kind, data.year))
        except ShareError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None

    @get("/api/me/shares", tags=["stats"], description="The caller's links, newest first.",
         responses=errors(*SIGNED_IN))
    async def my_shares(self, request: Request[User, Token, Any], shares: ShareService) -> Shares:
        return Shares(items=[share_out(s) for s in await shares.mine(request.user.id)])

    @delete("/api/me/shares/{token:str}", status_code=HTTP_204_NO_CONTENT, tags=["stats"],
            description="Revoke a link: it answers 404 from then on.", responses=errors(*SIGNED_IN, 404))
    async def revoke_share(self, token: str, request: Request[User, Token, Any], shares: ShareService) -> None:
        if not await shares.revoke(request.user.id, token[:100]):
            raise HTTPException(status_code=404, detail="no such link of yours")
