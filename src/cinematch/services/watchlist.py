"""The watchlist: the films a person wants to see, one item per film; logging one takes it off
(`DiaryService.watched`), and an import's items go with its undo."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import msgspec

from ..domain.catalog import match_movie
from ..domain.diary import same_film
from ..domain.imports import ImportRow, WatchlistRow
from ..domain.library import WatchItem, watch_id
from ..domain.ports import ItemStore
from ..domain.text import normalize_title

if TYPE_CHECKING:
    pass

from .diary import DiaryError, DiaryService, check_entry


class WatchlistService:
    def __init__(self, store: ItemStore, entries: DiaryService) -> None:
        self.store = store
        self.entries = entries

    async def _watch_item(self, name: str, year: int | None, catalog_id: str | None, imdb_id: str | None,
                          added: str | None) -> WatchItem:
        name = name.strip()
        check_entry(name, None, None, self.entries.clock.now().date(), year=year)
        match = await self.entries.catalog_film(catalog_id) if catalog_id else match_movie(
            name, year, await self.entries.catalog.candidates(name))
        cid = match.id if match else None
        return WatchItem(id=watch_id(cid, name, year if year is not None else (match.year if match else None)),
                         name=name, title=match.title if match else name,
                         year=year if year is not None else (match.year if match else None), catalog_id=cid,
                         imdb_id=imdb_id or (match.imdb_id if match else None),
                         added=added or self.entries.clock.now().date().isoformat())

    async def watch(self, user_id: str, name: str, year: int | None = None, catalog_id: str | None = None) -> WatchItem:
        """Put a film on the watchlist (the same film twice is one item)."""
        item = await self._watch_item(name, year, catalog_id, None, None)
        await self.store.put(user_id, [item], only_new=True)
        return item

    async def watchlist_of(self, user_id: str) -> list[WatchItem]:
        return sorted(await self.store.all(user_id), key=lambda i: (i.added, i.id), reverse=True)

    async def unwatch(self, user_id: str, item_id: str) -> bool:
        return await self.store.remove(user_id, [item_id]) > 0

    async def from_import(self, user_id: str, rows: Sequence[WatchlistRow], watched: Sequence[ImportRow],
                                dry_run: bool, batch: str = "") -> int:
        """An import's watchlist rows, but for films in the diary or among the import's watches."""
        if not rows:
            return 0
        entries, _ = await self.entries.diary.snapshot(user_id)
        seen = {(normalize_title(r.name), r.year) for r in watched}
        items = []
        for row in rows:
            try:
                item = await self._watch_item(row.name, row.year, None, row.imdb_id, row.added)
            except DiaryError:
                continue
            if (normalize_title(row.name), row.year) in seen:
                continue
            if not any(same_film(item.catalog_id, item.name, item.year, e) for e in entries):
                items.append(msgspec.structs.replace(item, batch=batch))
        if dry_run:
            have = {i.id for i in await self.store.all(user_id)}
            return len({i.id for i in items} - have)
        return await self.store.put(user_id, items, only_new=True)

    async def remove_batch(self, user_id: str, batch: str) -> None:
        """Take off the items an import put on the list (undoing it)."""
        listed = [i.id for i in await self.store.all(user_id) if i.batch == batch]
        if listed:
            await self.store.remove(user_id, listed)
