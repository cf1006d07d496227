"""Diary commands: every change to a diary is stored together with its event."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import msgspec

from ..domain.catalog import match_movie
from ..domain.diary import DiaryEntry, enrich, to_movie
from ..domain.events import Event, Movie, parse_date
from ..domain.imports import ImportError_, ImportRow
from ..domain.ports import CatalogStore, Clock, Conflict, DiaryChange, DiaryStore
from ..domain.text import people_string

MAX_RETRIES = 5


class NewEntry(msgspec.Struct, omit_defaults=True):
    name: str
    rating: int
    date: str | None = None
    year: int | None = None
    imdb_id: str | None = None
    genres: list[str] | None = None
    director: str | list[str] | None = None
    actors: str | list[str] | None = None
    duration: int | None = None


class EntryPatch(msgspec.Struct, omit_defaults=True):
    rating: int | None = None
    date: str | None = None
    name: str | None = None
    year: int | None = None


class DiaryError(ValueError):
    """A diary command that cannot be carried out; the message says why."""


def check_entry(name: str | None, rating: int | None, date: str | None) -> None:
    if name is not None and not name.strip():
        raise DiaryError("name must not be empty")
    if rating is not None and not 1 <= rating <= 5:
        raise DiaryError(f"rating must be an integer from 1 to 5, got {rating}")
    if date is not None:
        try:
            parse_date(date)
        except ValueError as exc:
            raise DiaryError(str(exc)) from None


class DiaryService:
    def __init__(self, diary: DiaryStore, catalog: CatalogStore, clock: Clock) -> None:
        self.diary = diary
        self.catalog = catalog
        self.clock = clock

    def _event(self, kind: str, user_id: str, entry_id: str | None, movie: Movie | None,
               previous: Movie | None = None) -> Event:
        return Event(event_type=kind, user_id=user_id, entry_id=entry_id, movie=movie, previous=previous,  # type: ignore[arg-type]
                     event_id=str(uuid.uuid4()), timestamp=self.clock.now().isoformat())

    async def _build(self, user_id: str, new: NewEntry, now: str) -> DiaryEntry:
        name = new.name.strip()
        check_entry(name, new.rating, new.date)
        supplied: dict[str, object] = {}
        if new.genres is not None:
            supplied["genres"] = [g.strip() for g in new.genres if g.strip()]
        if new.director is not None:
            supplied["director"] = people_string(new.director)
        if new.actors is not None:
            supplied["actors"] = people_string(new.actors)
        if new.duration is not None:
            if new.duration < 0:
                raise DiaryError("duration must not be negative")
            supplied["duration"] = new.duration
        match = match_movie(name, new.year, await self.catalog.candidates(name))
        return enrich(
            entry_id=uuid.uuid4().hex, user_id=user_id, name=name, rating=new.rating,
            date=new.date or self.clock.now().date().isoformat(), added_at=now,
            year=new.year, imdb_id=new.imdb_id, supplied=supplied, match=match,
        )

    async def add(self, user_id: str, new: NewEntry) -> DiaryEntry:
        return (await self.add_many(user_id, [new], "ADD"))[0]

    async def add_many(self, user_id: str, items: Sequence[NewEntry], kind: str = "BULK_IMPORT") -> list[DiaryEntry]:
        now = self.clock.now().isoformat()
        entries = [await self._build(user_id, item, now) for item in items]
        changes = [DiaryChange(event=self._event(kind, user_id, e.id, to_movie(e)), put=e) for e in entries]
        events = await self.diary.write(user_id, changes)
        return [msgspec.structs.replace(e, seq=ev.seq or 0) for e, ev in zip(entries, events)]

    async def update(self, user_id: str, entry_id: str, patch: EntryPatch) -> DiaryEntry | None:
        check_entry(patch.name, patch.rating, patch.date)
        for _ in range(MAX_RETRIES):
            old = await self.diary.get(user_id, entry_id)
            if old is None:
                return None
            new = await self._patched(old, patch)
            if new == old:
                return old
            if _only_rating_changed(old, new):
                movie = to_movie(new, old_rating=old.rating, new_rating=new.rating)
                event = self._event("UPDATE_RATING", user_id, entry_id, movie)
            else:
                event = self._event("UPDATE", user_id, entry_id, to_movie(new), previous=to_movie(old))
            try:
                [written] = await self.diary.write(user_id, [DiaryChange(event=event, put=new, expected_seq=old.seq)])
            except Conflict:
                continue  # someone else changed the entry: re-read and redo
            return msgspec.structs.replace(new, seq=written.seq or 0)
        raise Conflict("the entry keeps changing; try again")

    async def _patched(self, old: DiaryEntry, patch: EntryPatch) -> DiaryEntry:
        name = patch.name.strip() if patch.name is not None else old.name
        year = patch.year if patch.year is not None else old.year
        new = msgspec.structs.replace(
            old, name=name,
            rating=patch.rating if patch.rating is not None else old.rating,
            date=patch.date if patch.date is not None else old.date,
        )
        if name != old.name or year != old.year:  # a new name may match another film
            match = match_movie(name, year, await self.catalog.candidates(name))
            supplied = dict(old.supplied)
            new = enrich(entry_id=old.id, user_id=old.user_id, name=name, rating=new.rating, date=new.date,
                         added_at=old.added_at, year=year, imdb_id=old.imdb_id, supplied=supplied, match=match)
            new = msgspec.structs.replace(new, seq=old.seq)
        return new

    async def delete(self, user_id: str, entry_id: str) -> bool:
        for _ in range(MAX_RETRIES):
            old = await self.diary.get(user_id, entry_id)
            if old is None:
                return False
            event = self._event("DELETE", user_id, entry_id, to_movie(old))
            try:
                await self.diary.write(user_id, [DiaryChange(event=event, delete_id=entry_id, expected_seq=old.seq)])
            except Conflict:
                continue
            return True
        raise Conflict("the entry keeps changing; try again")

    async def import_rows(self, user_id: str, rows: Sequence[ImportRow], chunk: int = 500,
                          ) -> tuple[int, list[ImportError_]]:
        """Add parsed CSV rows as BULK_IMPORT entries; a row that cannot be built is
        reported with its line and the others still import."""
        now = self.clock.now().isoformat()
        errors: list[ImportError_] = []
        imported = 0
        for start in range(0, len(rows), chunk):
            entries: list[DiaryEntry] = []
            for row in rows[start:start + chunk]:
                new = NewEntry(name=row.name, rating=row.rating, date=row.date, year=row.year, imdb_id=row.imdb_id,
                               genres=row.genres, director=row.director, duration=row.duration)
                try:
                    entries.append(await self._build(user_id, new, now))
                except DiaryError as exc:
                    errors.append(ImportError_(row.line, str(exc)))
            if entries:
                changes = [DiaryChange(event=self._event("BULK_IMPORT", user_id, e.id, to_movie(e)), put=e)
                           for e in entries]
                await self.diary.write(user_id, changes)  # one atomic write per chunk
                imported += len(entries)
        return imported, errors

    async def recalculate(self, user_id: str) -> None:
        await self.diary.write(user_id, [DiaryChange(event=self._event("RECALCULATE", user_id, None, None))])


def _only_rating_changed(old: DiaryEntry, new: DiaryEntry) -> bool:
    return old.rating != new.rating and msgspec.structs.replace(new, rating=old.rating) == old


__all__ = ["DiaryError", "DiaryService", "EntryPatch", "NewEntry"]
