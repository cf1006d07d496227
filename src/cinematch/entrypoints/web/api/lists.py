"""Lists of films (docs/contract.md §8): the caller's own, private unless made public."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.exceptions import HTTPException
from litestar.security.jwt import Token
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from ....domain.bounds import Year
from ....domain.lists import MAX_DESCRIPTION, MAX_LIST_NAME, MAX_NOTE
from ....domain.ports import User
from ....services.lists import ListService, ListSummary, ListView
from ..hardening import strict_body
from ..openapi import SIGNED_IN, errors
from ..schemas import CatalogId, Name

ListName = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_LIST_NAME)]
Description = Annotated[str, msgspec.Meta(max_length=MAX_DESCRIPTION)]
Note = Annotated[str, msgspec.Meta(max_length=MAX_NOTE)]


class ListIn(msgspec.Struct):
    name: ListName
    description: Description = ""
    ranked: bool = False
    public: bool = False


class ListPatch(msgspec.Struct):
    name: ListName | None = None
    description: Description | None = None
    ranked: bool | None = None
    public: bool | None = None


class ListItemIn(msgspec.Struct):
    name: Name | None = None
    catalog_id: CatalogId | None = None
    year: Year | None = None
    note: Note = ""
    position: Annotated[int, msgspec.Meta(ge=1, le=100_000)] | None = None


class Lists(msgspec.Struct):
    items: list[ListSummary]


def _found(view: ListView | None) -> ListView:
    if view is None:
        raise HTTPException(status_code=404, detail="no such list")
    return view


class ListsController(Controller):
    """The caller's lists and the films on them, in order, each said watched or not."""

    path = "/api/me/lists"
    tags = ["lists"]

    @post("/", status_code=HTTP_201_CREATED, before_request=strict_body(ListIn), responses=errors(*SIGNED_IN),
          description="Make a list (private unless `public`).")
    async def create_list(self, data: ListIn, request: Request[User, Token, Any], lists: ListService) -> ListView:
        return await lists.create(request.user.id, data.name, data.description, data.ranked, data.public)

    @get("/", responses=errors(*SIGNED_IN), description="Every list: its size and how many of its films "
                                                           "the diary has (`watched`).")
    async def my_lists(self, request: Request[User, Token, Any], lists: ListService) -> Lists:
        return Lists(items=await lists.lists_of(request.user.id))

    @get("/{list_id:str}", responses=errors(*SIGNED_IN, 404))
    async def one_list(self, list_id: str, request: Request[User, Token, Any], lists: ListService) -> ListView:
        return _found(await lists.view(request.user.id, list_id[:100]))

    @patch("/{list_id:str}", before_request=strict_body(ListPatch), responses=errors(*SIGNED_IN, 404))
    async def change_list(self, list_id: str, data: ListPatch, request: Request[User, Token, Any],
                          lists: ListService) -> ListView:
        return _found(await lists.update(request.user.id, list_id[:100], name=data.name,
                                         description=data.description, ranked=data.ranked, public=data.public))

    @delete("/{list_id:str}", status_code=HTTP_204_NO_CONTENT, responses=errors(*SIGNED_IN, 404))
    async def delete_list(self, list_id: str, request: Request[User, Token, Any], lists: ListService) -> None:
        if not await lists.delete(request.user.id, list_id[:100]):
            raise HTTPException(status_code=404, detail="no such list")

    @post("/{list_id:str}/items", status_code=HTTP_201_CREATED, before_request=strict_body(ListItemIn),
          responses=errors(*SIGNED_IN, 404), description="Put a film on the list, by `name` (and `year`) or "
          "`catalog_id`, at `position` (1 is first; absent: last). The same film again moves it.")
    async def add_item(self, list_id: str, data: ListItemIn, request: Request[User, Token, Any],
                       lists: ListService) -> ListView:
        return _found(await lists.add_item(request.user.id, list_id[:100], name=data.name, catalog_id=data.catalog_id,
                                           year=data.year, note=data.note, position=data.position))

    @delete("/{list_id:str}/items/{item_id:str}", status_code=HTTP_204_NO_CONTENT, responses=errors(*SIGNED_IN, 404))
    async def remove_item(self, list_id: str, item_id: str, request: Request[User, Token, Any],
                          lists: ListService) -> None:
        if await lists.remove_item(request.user.id, list_id[:100], item_id[:100]) is None:
            raise HTTPException(status_code=404, detail="no such list or film on it")
