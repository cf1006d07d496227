"""The diary: log, list, edit and delete entries; the whole account exported."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.exceptions import HTTPException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import Body, Parameter
from litestar.response import Stream
from litestar.security.jwt import Token
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from ....domain.diary import DiaryEntry
from ....domain.exports import BackupWatch, backup_chunks, letterboxd_chunks
from ....domain.ports import Clock, DiaryStore, User
from ....services.diary import DiaryService, EntryPatch, NewEntry
from ....services.lists import ListService
from ....services.projection import paused_gc
from ....services.watchlist import WatchlistService
from ..hardening import strict_body
from ..openapi import SIGNED_IN, errors
from ..schemas import EntryOut, EntryPage, MovieIn, MoviePatch


def entry_out(e: DiaryEntry) -> EntryOut:
    return EntryOut(id=e.id, name=e.name, title=e.title or e.name, year=e.year, rating=e.rating, date=e.date,
                    genres=list(e.genres), director=e.director, actors=e.actors, writers=e.writers,
                    countries=list(e.countries), languages=list(e.languages), duration=e.duration,
                    catalog_id=e.catalog_id, rewatch=e.rewatch, tags=list(e.tags), review=e.review,
                    spoilers=e.spoilers, liked=e.liked, private=e.private)


# Bounds on integers that reach the database: SQLite integers are 64-bit, and an
# offset past any real diary is a client error, not an overflow.
MAX_OFFSET = 1_000_000_000


async def _pieces(pieces: Iterator[str | bytes]) -> AsyncIterator[bytes]:
    """An export sent as it is made: each piece is made in a worker thread (the first sorts the
    diary), so the event loop only passes them on."""
    def made() -> str | bytes | None:
        with paused_gc():
            return next(pieces, None)
    while (piece := await asyncio.to_thread(made)) is not None:
        yield piece.encode() if isinstance(piece, str) else piece



class DiaryController(Controller):
    """The caller's diary entries and the export of the account."""

    path = "/"

    @post("/api/movies", status_code=HTTP_201_CREATED, tags=["diary"], before_request=strict_body(MovieIn),
          description="Log a watch. `rating` in half stars (absent or null: unrated); `date` defaults to today; a "
                      "`catalog_id` from the catalog search links that film exactly, else the name is matched.",
          responses=errors(*SIGNED_IN))
    async def add_movie(self, data: Annotated[MovieIn, Body(examples=[
            Example(summary="a watch, rated",
                    value={"name": "Heat", "year": 1995, "rating": 4.5, "date": "2026-11-30"}),
            Example(summary="a film picked from the catalog search, unrated, a rewatch",
                    value={"name": "Heat", "catalog_id": "tt0113277", "rewatch": True, "tags": ["cinema"]})])],
            request: Request[User, Token, Any], diary: DiaryService) -> EntryOut:
        entry = await diary.add(request.user.id, msgspec.convert(msgspec.to_builtins(data), NewEntry))
        return entry_out(entry)

    @get("/api/movies", tags=["diary"], description="The diary, newest watched first.", responses=errors(*SIGNED_IN))
    async def list_movies(
        self,
        request: Request[User, Token, Any], diary_store: DiaryStore,
        limit: int = Parameter(default=50, ge=1, le=1000), offset: int = Parameter(default=0, ge=0, le=MAX_OFFSET),
    ) -> EntryPage:
        items, total = await diary_store.page(request.user.id, limit, offset)
        return EntryPage(items=[entry_out(e) for e in items], total=total)

    @patch("/api/movies/{entry_id:str}", tags=["diary"], before_request=strict_body(MoviePatch),
           description="Change an entry (`rating`: null makes it unrated).", responses=errors(*SIGNED_IN, 404))
    async def update_movie(self, entry_id: str, data: MoviePatch, request: Request[User, Token, Any],
                           diary: DiaryService) -> EntryOut:
        entry = await diary.update(request.user.id, entry_id, msgspec.convert(msgspec.to_builtins(data), EntryPatch))
        if entry is None:
            raise HTTPException(status_code=404, detail="no such diary entry")
        return entry_out(entry)

    @delete("/api/movies/{entry_id:str}", status_code=HTTP_204_NO_CONTENT, tags=["diary"],
            responses=errors(*SIGNED_IN, 404))
    async def delete_movie(self, entry_id: str, request: Request[User, Token, Any], diary: DiaryService) -> None:
        if not await diary.delete(request.user.id, entry_id):
            raise HTTPException(status_code=404, detail="no such diary entry")

    @get("/api/me/export", tags=["diary"], description="The whole account: `json` (the CineMatch backup, which "
         "POST /api/movies/import reads back) or `letterboxd` (a CSV Letterboxd's importer accepts).",
         responses={200: ResponseSpec(str, description="the backup (application/json) or the CSV (text/csv), "
                                                       "as an attachment", media_type="application/json"),
                    **errors(*SIGNED_IN)})
    async def export_diary(self, request: Request[User, Token, Any], diary_store: DiaryStore, clock: Clock,
                           watchlist: WatchlistService, lists: ListService,
                           format: str = Parameter(default="json", pattern="^(json|letterboxd)$"),  # noqa: A002 - the query name
                           ) -> Response[Any]:
        with paused_gc():  # 100,000 entries read at once: no collection walks them meanwhile (they form no cycles)
            entries, _ = await diary_store.snapshot(request.user.id)
        day = clock.now().date().isoformat()
        if format == "letterboxd":
            # (text/csv alone: Litestar adds "; charset=utf-8" itself)
            return Stream(_pieces(letterboxd_chunks(entries)), media_type="text/csv", headers={
                "Content-Disposition": f'attachment; filename="cinematch-letterboxd-{day}.csv"'})
        watches = [BackupWatch(name=i.name, year=i.year, imdb_id=i.imdb_id, catalog_id=i.catalog_id,
                               added=i.added or None)
                   for i in await watchlist.watchlist_of(request.user.id)]
        pieces = backup_chunks(request.user.username, entries, clock.now().isoformat(), watches,
                               lists=await lists.backup_of(request.user.id))
        return Stream(_pieces(pieces), media_type="application/json", headers={
            "Content-Disposition": f'attachment; filename="cinematch-backup-{day}.json"'})
