"""A person's page (`/people/{name}`): the films crediting them by role, posters, which you have seen,
your count and average. Public; your part when signed in."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.response import Template

from ....domain.catalog import ROLES
from ....domain.ports import UserStore
from ....services.people import PersonService
from .forms import _session_user


class PersonPages(Controller):
    path = "/"

    @get("/people/{name:str}", include_in_schema=False)
    async def person_page(self, name: str, request: Request[Any, Any, Any], people: PersonService, jwt_auth: Any,
                          users: UserStore) -> Template:
        me = await _session_user(request, jwt_auth, users)
        found = await people.person(name[:200], me.id if me else None)
        if found is None:
            raise NotFoundException("no catalog film credits this name")
        by_role = {role: [f for f in found["films"] if role in f["roles"]] for role in ROLES}
        return Template("person.html", context={**found, "me": me, "page": "person", "by_role": by_role,
                                                "seen": sum(f["watched"] for f in found["films"])})
