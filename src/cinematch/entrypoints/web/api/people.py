"""A person's films as JSON (docs/contract.md §3): public; the caller's own part when signed in."""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import Parameter

from ....domain.ports import UserStore
from ....services.people import PersonService
from ..openapi import errors
from ..pages.forms import caller
from ..schemas import PersonFilm, PersonPage, PersonYou


class PersonController(Controller):
    path = "/"

    @get("/api/people/{name:str}", tags=["catalog"], responses=errors(400, 404, 503),
         description="Public: the catalog films crediting the person (director, writer or actor; `role` keeps "
                     "one), the "
         "most voted first, each with its `roles`, whether the caller has `watched` it and `your_rating` (the latest "
         "watch's); `you` (count, rated_count, avg_rating over the caller's entries of those films) when signed "
         "in. 404 when no catalog film credits the name.")
    async def person(self, name: str, request: Request[Any, Any, Any], people: PersonService, jwt_auth: Any,
                     users: UserStore,
                     role: Literal["director", "writer", "actor"] | None = Parameter(default=None)) -> PersonPage:
        me = await caller(request, jwt_auth, users)
        found = await people.person(name[:200], me.id if me else None, role)
        if found is None:
            raise NotFoundException("no catalog film credits this name")
        films = [PersonFilm(**msgspec.structs.asdict(f["film"]), roles=f["roles"], watched=f["watched"],
                            your_rating=f["your_rating"]) for f in found["films"]]
        return PersonPage(name=found["name"], films=films,
                          you=msgspec.convert(found["you"], PersonYou) if found["you"] else None)
