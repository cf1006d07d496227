"""The watchlist: the films a person wants to see, one item per film; logging one takes it off
(`DiaryService.watched`), and an import's items go with its undo."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import msgspec

from ..domain.catalog import CatalogMovie, match_movie
from ..domain.diary import DiaryEntry
from ..domain.imports import ImportRow, WatchlistRow
from ..domain.library import WatchItem, watch_id
from ..domain.ports import ItemStore
from ..domain.text import normalize_title
from .diary import DiaryError, DiaryService, by_imdb_id, check_entry


class WatchlistService:
    def __init__(self, store: ItemStore, entries: DiaryService) -> None:
        self.store = store
        self.entries = entries

    async def film_item(self, name: str, year: int | None, catalog_id: str | None, imdb_id: str | None,
                          added: str | None, found: list[CatalogMovie] | None = None) -> WatchItem:
        name = name.strip()
        check_entry(name, None, None, self.entries.clock.now().date(), year=year)
        if catalog_id:
            match: CatalogMovie | None = await self.entries.catalog_film(catalog_id)
        else:
            found = await self.entries.catalog.candidates(name) if found is None else found
            match = by_imdb_id(imdb_id, found) or match_movie(name, year, found)
        cid = match.id if match else None
        return WatchItem(id=watch_id(cid, name, year if year is not None else (match.year if match else None)),
                         name=name, title=match.title if match else name,
                         year=year if year is not None else (match.year if match else None), catalog_id=cid,
                         imdb_id=imdb_id or (match.imdb_id if match else None),
                         added=added or self.entries.clock.now().date().isoformat())

    async def watch(self, user_id: str, name: str, year: int | None = None, catalog_id: str | None = None) -> WatchItem:
        """Put a film on the watchlist (the same film twice is one item)."""
        item = await self.film_item(name, year, catalog_id, None, None)
        await self.store.put(user_id, [item], only_new=True)
        return item

    async def watchlist_of(self, user_id: str) -> list[WatchItem]:
        return sorted(await self.store.all(user_id), key=lambda i: (i.added, i.id), reverse=True)

    async def unwatch(self, user_id: str, item_id: str) -> bool:
        return await self.store.remove(user_id, [item_id]) > 0

    async def from_import(self, user_id: str, rows: Sequence[WatchlistRow], watched: Sequence[ImportRow],
                          dry_run: bool, batch: str = "") -> int:
        """An import's watchlist rows, but for films in the diary or among the import's watches.
        Linear in the rows and the diary: the catalog asked once, the diary indexed once."""
        if not rows:
            return 0
        entries, _ = await self.entries.diary.snapshot(user_id)
        candidates = await self.entries.catalog.candidates_many(list({row.name.strip() for row in rows}))
        films = await self.entries.films_by_imdb_id([row.imdb_id for row in rows if row.imdb_id])
        seen = FilmIndex.of_diary(entries)
        for w in watched:  # the import's own watches, written or (a preview) not yet
            seen.add(None, (w.name,), w.year)
        items: dict[str, WatchItem] = {}
        for row in rows:
            found = [*candidates.get(row.name.strip(), []), *(f for f in films if f.id == row.imdb_id)]
            try:
                item = await self.film_item(row.name, row.year, None, row.imdb_id, row.added, found)
            except DiaryError:
                continue
            if not seen.has(item.catalog_id, item.name, item.year):
                items.setdefault(item.id, msgspec.structs.replace(item, batch=batch))
        if dry_run:
            have = {i.id for i in await self.store.all(user_id)}
            return len(set(items) - have)
        return await self.store.put(user_id, list(items.values()), only_new=True)

    async def remove_batch(self, user_id: str, batch: str) -> None:
        """Take off the items an import put on the list (undoing it)."""
        listed = [i.id for i in await self.store.all(user_id) if i.batch == batch]
        if listed:
            await self.store.remove(user_id, listed)


class FilmIndex:
    """Films known by catalog id or by normalized name (and the years each name was seen with):
    `has` is `domain.diary.same_film` against all of them at once, a name without a year
    matching it in any year."""

    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.names: dict[str, set[int | None]] = {}

    @classmethod
    def of_diary(cls, entries: Iterable[DiaryEntry]) -> FilmIndex:
        """The films of these entries, each by its catalog film and by its name and title as typed."""
        index = cls()
        for e in entries:
            index.add(e.catalog_id, (e.name, e.title), e.year)
        return index

    def add(self, catalog_id: str | None, names: Sequence[str], year: int | None) -> None:
        if catalog_id:
            self.ids.add(catalog_id)
        for name in names:
            if name:
                self.names.setdefault(normalize_title(name), set()).add(year)

    def has(self, catalog_id: str | None, name: str, year: int | None) -> bool:
        if catalog_id and catalog_id in self.ids:
            return True
        years = self.names.get(normalize_title(name))
        if not years:
            return False
        return year is None or None in years or year in years
