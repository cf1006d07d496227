"""Lists of films (docs/contract.md §8): made by hand or arriving with an export
(`lists/*.csv`), each film linked to the catalog the way the watchlist links its items, and
told apart as watched or not against the owner's diary."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence

import msgspec

from ..domain.messages import N_
from ..domain.exports import BackupList, BackupListItem
from ..domain.imports import ParsedList
from ..domain.library import WatchItem
from ..domain.lists import (
    MAX_ITEMS,
    MAX_LISTS,
    FilmList,
    ListItem,
    ListProblem,
    check_list,
    check_note,
    placed,
)
from ..domain.ports import ItemStore
from .diary import DiaryError
from .watchlist import FilmIndex, WatchlistService


class ListSummary(msgspec.Struct):
    id: str
    name: str
    count: int
    watched: int
    public: bool
    description: str = ""
    ranked: bool = False


class ListItemView(msgspec.Struct):
    id: str
    name: str
    title: str
    year: int | None
    catalog_id: str | None
    note: str
    position: int
    watched: bool


class ListView(msgspec.Struct):
    id: str
    name: str
    description: str
    ranked: bool
    public: bool
    created: str
    updated: str
    count: int
    watched: int
    items: list[ListItemView]


class ListService:
    def __init__(self, store: ItemStore, watchlist: WatchlistService) -> None:
        self.store = store
        self.films = watchlist  # links a film to the catalog as the watchlist does
        self.entries = watchlist.entries

    def _now(self) -> str:
        return self.entries.clock.now().isoformat()

    async def _seen(self, user_id: str) -> FilmIndex:
        entries, _ = await self.entries.diary.snapshot(user_id)
        return FilmIndex.of_diary(entries)

    @staticmethod
    def _view(lst: FilmList, seen: FilmIndex) -> ListView:
        items = [ListItemView(id=i.id, name=i.name, title=i.title or i.name, year=i.year, catalog_id=i.catalog_id,
                              note=i.note, position=n, watched=seen.has(i.catalog_id, i.name, i.year))
                 for n, i in enumerate(lst.items, start=1)]
        return ListView(id=lst.id, name=lst.name, description=lst.description, ranked=lst.ranked, public=lst.public,
                        created=lst.created, updated=lst.updated or lst.created, count=len(items),
                        watched=sum(i.watched for i in items), items=items)

    async def lists_of(self, user_id: str) -> list[ListSummary]:
        lists, seen = await self.store.all(user_id), await self._seen(user_id)
        views = [self._view(lst, seen) for lst in sorted(lists, key=lambda x: (x.updated or x.created, x.id),
                                                          reverse=True)]
        return [ListSummary(id=v.id, name=v.name, count=v.count, watched=v.watched, public=v.public,
                            description=v.description, ranked=v.ranked) for v in views]

    async def _get(self, user_id: str, list_id: str) -> FilmList | None:
        return next((x for x in await self.store.all(user_id) if x.id == list_id), None)

    async def view(self, user_id: str, list_id: str) -> ListView | None:
        lst = await self._get(user_id, list_id)
        return None if lst is None else self._view(lst, await self._seen(user_id))

    async def create(self, user_id: str, name: str, description: str = "", ranked: bool = False,
                     public: bool = False) -> ListView:
        check_list(name, description)
        if len(await self.store.all(user_id)) >= MAX_LISTS:
            raise ListProblem(N_("at most {n} lists per person").format(n=f"{MAX_LISTS:,}"))
        now = self._now()
        lst = FilmList(id=uuid.uuid4().hex[:20], name=name.strip(),
                       created=now, updated=now, description=description.strip(), ranked=ranked, public=public)
        await self.store.put(user_id, [lst])
        return self._view(lst, FilmIndex())

    async def update(self, user_id: str, list_id: str, *, name: str | None = None, description: str | None = None,
                     ranked: bool | None = None, public: bool | None = None) -> ListView | None:
        check_list(name, description)
        lst = await self._get(user_id, list_id)
        if lst is None:
            return None
        lst = msgspec.structs.replace(
            lst, name=lst.name if name is None else name.strip(),
            description=lst.description if description is None else description.strip(),
            ranked=lst.ranked if ranked is None else ranked, public=lst.public if public is None else public,
            updated=self._now())
        await self.store.put(user_id, [lst])
        return await self.view(user_id, list_id)

    async def delete(self, user_id: str, list_id: str) -> bool:
        return await self.store.remove(user_id, [list_id]) > 0

    async def add_item(self, user_id: str, list_id: str, *, name: str | None = None, catalog_id: str | None = None,
                       year: int | None = None, note: str = "", position: int | None = None) -> ListView | None:
        """Put a film on a list (at `position`, 1-based; else last). The same film twice moves."""
        check_note(note)
        lst = await self._get(user_id, list_id)
        if lst is None:
            return None
        if not (name and name.strip()) and not catalog_id:
            raise ListProblem(N_("give the film's name or its catalog_id"))
        if catalog_id and not (name and name.strip()):
            name = (await self.entries.catalog_film(catalog_id)).title
        film = await self.films.film_item(name or "", year, catalog_id, None, None)
        items = placed(lst.items, _listed(film, note.strip()), position)
        if len(items) > MAX_ITEMS:
            raise ListProblem(N_("a list holds at most {n} films").format(n=f"{MAX_ITEMS:,}"))
        await self.store.put(user_id, [msgspec.structs.replace(lst, items=items, updated=self._now())])
        return await self.view(user_id, list_id)

    async def remove_item(self, user_id: str, list_id: str, item_id: str) -> ListView | None:
        lst = await self._get(user_id, list_id)
        if lst is None or not any(i.id == item_id for i in lst.items):
            return None
        items = [i for i in lst.items if i.id != item_id]
        await self.store.put(user_id, [msgspec.structs.replace(lst, items=items, updated=self._now())])
        return await self.view(user_id, list_id)

    async def from_import(self, user_id: str, parsed: Sequence[ParsedList], batch: str, dry_run: bool) -> int:
        """An export's lists: each one new, or replacing the list an earlier import of it made
        (`source`); returns how many were new or changed. The catalog is asked once for all."""
        if not parsed:
            return 0
        names = list({row.name.strip() for p in parsed for row in p.items})
        candidates = await self.entries.catalog.candidates_many(names)
        have = {x.source: x for x in await self.store.all(user_id) if x.source}
        now, written = self._now(), []
        for p in parsed:
            items: dict[str, ListItem] = {}
            for row in p.items[:MAX_ITEMS]:
                try:
                    film = await self.films.film_item(row.name, row.year, None, row.imdb_id, None,
                                                      candidates.get(row.name.strip(), []))
                except DiaryError:
                    continue
                items.setdefault(film.id, _listed(film, row.note))
            old = have.get(p.identity)
            new = FilmList(id=old.id if old else list_id(user_id, p.identity),
                           name=p.name, created=old.created if old else now, updated=now,
                           description=p.description, ranked=p.ranked, public=old.public if old else False,
                           items=list(items.values()), batch=old.batch if old else batch, source=p.identity)
            if old is not None and (old.name, old.description, old.items) == (new.name, new.description, new.items):
                continue
            written.append(new)
        if written and not dry_run:
            await self.store.put(user_id, written)
        return len(written)

    async def backup_of(self, user_id: str) -> list[BackupList]:
        """Every list as the backup carries it (docs/contract.md §3 export)."""
        return [BackupList(id=x.id, name=x.name, description=x.description, ranked=x.ranked, public=x.public,
                           items=[BackupListItem(name=i.name, year=i.year, imdb_id=i.imdb_id, catalog_id=i.catalog_id,
                                                 note=i.note) for i in x.items])
                for x in sorted(await self.store.all(user_id), key=lambda x: (x.created, x.id))]

    async def remove_batch(self, user_id: str, batch: str) -> None:
        """Remove the lists an import made (undoing it)."""
        made = [x.id for x in await self.store.all(user_id) if x.batch == batch]
        if made:
            await self.store.remove(user_id, made)


def list_id(user_id: str, identity: str) -> str:
    """The id of the list an export names (`identity`, e.g. its Letterboxd URL, compared exactly:
    short URLs differ by case): the same list imported again is the same list."""
    return hashlib.sha256(f"{user_id}\0{identity}".encode()).hexdigest()[:20]


def _listed(film: WatchItem, note: str) -> ListItem:
    """A film linked as the watchlist links it (`WatchlistService.film_item`), as a list's item."""
    return ListItem(id=film.id, name=film.name, title=film.title, year=film.year, catalog_id=film.catalog_id,
                    imdb_id=film.imdb_id, note=note)
