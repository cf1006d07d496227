"""A film's page (`/films/{catalog_id}`): its poster and credits, your watches with a log and a
watchlist button, the instance's line and similar films. Public: a signed-out visitor sees the film."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.response import Template

from ....domain.ports import Clock, UserStore
from ....domain.text import split_people
from ....adapters.posters import PosterStore
from ....services.films import FilmService
from ..posters import backdrop_image
from .forms import _session_user


class FilmPages(Controller):
    path = "/"

    @get("/films/{catalog_id:str}", include_in_schema=False)
    async def film_page(self, catalog_id: str, request: Request[Any, Any, Any], films: FilmService, clock: Clock,
                        jwt_auth: Any, users: UserStore, posters: PosterStore) -> Template:
        me = await _session_user(request, jwt_auth, users)
        page = await films.film(catalog_id[:200], me.id if me else None)
        if page is None:
            raise NotFoundException("no catalog film has this id")
        film = page["film"]
        # The backdrop only once it is kept here (its first visit starts the download): never a
        # broken image while another host is slow or away.
        backdrop = bool(film.backdrop_url) and posters.ready(backdrop_image(film.backdrop_url))
        return Template("film.html", context={
            **page, "me": me, "page": "film", "today": clock.now().date().isoformat(), "backdrop": backdrop,
            "directors": split_people(film.director), "writers": split_people(film.writers),
            "cast": split_people(film.actors)})
