"""Diary commands: every change to a diary is stored together with its event."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import uuid
from collections.abc import Sequence

import msgspec

from ..domain.catalog import CatalogMovie, match_movie
from ..domain.diary import DiaryEntry, enrich, to_movie
from ..domain.events import Event, Movie, parse_date
from ..domain.imports import ImportError_, ImportRow, UnreadableImport, parse_import
from ..domain.ports import CatalogStore, Clock, Conflict, DiaryChange, DiaryStore
from ..domain.bounds import check_entry as check_bounds
from ..domain.text import split_people

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


class ImportReport(msgspec.Struct):
    format: str
    imported: int
    duplicates: int
    skipped: int
    errors: list[ImportError_]


_IMPORT_SLOTS = asyncio.Semaphore(2)  # files parsed at once (the machine's cores)


class DiaryError(ValueError):
    """A diary command that cannot be carried out; the message says why."""


def check_entry(name: str | None, rating: int | None, date: str | None, today: dt.date, *, year: int | None = None,
                genres: list[str] | None = None, directors: list[str] | None = None, actors: list[str] | None = None,
                duration: int | None = None) -> None:
    """The rules and bounds (`domain.bounds`) of the fields given, as a DiaryError."""
    if name is not None and not name.strip():
        raise DiaryError("name must not be empty")
    if rating is not None and not 1 <= rating <= 5:
        raise DiaryError(f"rating must be an integer from 1 to 5, got {rating}")
    try:
        check_bounds(name=name, year=year, date=parse_date(date) if date is not None else None, today=today,
                     genres=genres, directors=directors, actors=actors, duration=duration)
    except ValueError as exc:  # InvalidEvent (not a real date) and OutOfBounds
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

    async def _build(self, user_id: str, new: NewEntry, now: str,
                     candidates: dict[str, list[CatalogMovie]] | None = None) -> DiaryEntry:
        name = new.name.strip()
        genres = [g.strip() for g in new.genres if g.strip()] if new.genres is not None else None
        directors = split_people(new.director) if new.director is not None else None
        actors = split_people(new.actors) if new.actors is not None else None
        check_entry(name, new.rating, new.date, self.clock.now().date(), year=new.year, genres=genres,
                    directors=directors, actors=actors, duration=new.duration)
        supplied: dict[str, object] = {}
        if genres is not None:
            supplied["genres"] = genres
        if directors is not None:
            supplied["director"] = ", ".join(directors)
        if actors is not None:
            supplied["actors"] = ", ".join(actors)
        if new.duration is not None:
            supplied["duration"] = new.duration
        found = candidates[name] if candidates is not None and name in candidates else await self.catalog.candidates(name)
        match = match_movie(name, new.year, found)
        entry = enrich(
            entry_id=uuid.uuid4().hex, user_id=user_id, name=name, rating=new.rating,
            date=new.date or self.clock.now().date().isoformat(), added_at=now,
            year=new.year, imdb_id=new.imdb_id, supplied=supplied, match=match,
        )
        if match is not None:  # what the catalog added is held to the bounds too (its event must decode)
            check_entry(None, None, None, self.clock.now().date(), year=entry.year, genres=entry.genres,
                        directors=split_people(entry.director), actors=split_people(entry.actors),
                        duration=entry.duration)
        return entry

    async def add(self, user_id: str, new: NewEntry) -> DiaryEntry:
        return (await self.add_many(user_id, [new], "ADD"))[0]

    async def add_many(self, user_id: str, items: Sequence[NewEntry], kind: str = "BULK_IMPORT") -> list[DiaryEntry]:
        now = self.clock.now().isoformat()
        entries = [await self._build(user_id, item, now) for item in items]
        changes = [DiaryChange(event=self._event(kind, user_id, e.id, to_movie(e)), put=e) for e in entries]
        events = await self.diary.write(user_id, changes)
        return [msgspec.structs.replace(e, seq=ev.seq or 0) for e, ev in zip(entries, events)]

    async def update(self, user_id: str, entry_id: str, patch: EntryPatch) -> DiaryEntry | None:
        check_entry(patch.name, patch.rating, patch.date, self.clock.now().date(), year=patch.year)
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

    async def import_rows(self, user_id: str, rows: Sequence[ImportRow], chunk: int = 200, batch: str = "",
                          ) -> tuple[int, int, list[ImportError_]]:
        """Add parsed CSV rows as BULK_IMPORT entries: (imported, already imported, errors).

        A row that cannot be built is reported with its line and the others still import.
        Each row's entry id is derived from `batch` (a digest of the file) and its line, and
        written only if absent, so a file sent again after an import was cut short adds only
        what is missing. Between chunks the event loop serves other requests (a chunk is a
        few milliseconds of work)."""
        now = self.clock.now().isoformat()
        errors: list[ImportError_] = []
        imported = duplicates = 0
        for start in range(0, len(rows), chunk):
            if start:
                await asyncio.sleep(0)
            entries: list[DiaryEntry] = []
            part = rows[start:start + chunk]
            candidates = await self.catalog.candidates_many([row.name.strip() for row in part])  # one look-up a chunk
            for row in part:
                new = NewEntry(name=row.name, rating=row.rating, date=row.date, year=row.year, imdb_id=row.imdb_id,
                               genres=row.genres, director=row.director, actors=row.actors, duration=row.duration)
                try:
                    entry = await self._build(user_id, new, now, candidates)
                except DiaryError as exc:
                    errors.append(ImportError_(row.line, str(exc)))
                    continue
                entries.append(msgspec.structs.replace(entry, id=import_entry_id(user_id, batch, row.line))
                               if batch else entry)
            if entries:
                changes = [DiaryChange(event=self._event("BULK_IMPORT", user_id, e.id, to_movie(e)), put=e,
                                       create_only=bool(batch)) for e in entries]
                written = await self.diary.write(user_id, changes)  # one atomic write per chunk
                imported += len(written)
                duplicates += len(entries) - len(written)
        return imported, duplicates, errors

    async def import_file(self, user_id: str, raw: bytes) -> ImportReport:
        """Parse an uploaded file (in a worker thread: CSV parsing is CPU work) and import its
        rows; the report of CONTRACT §3. Raises DiaryError when the file cannot be read."""
        try:
            async with _IMPORT_SLOTS:
                parsed = await asyncio.to_thread(parse_import, raw)
        except UnreadableImport as exc:
            raise DiaryError(str(exc)) from None
        batch = hashlib.sha256(raw).hexdigest()
        imported, duplicates, errors = await self.import_rows(user_id, parsed.rows, batch=batch)
        return ImportReport(format=parsed.format, imported=imported, duplicates=duplicates, skipped=parsed.skipped,
                            errors=sorted(parsed.errors + errors, key=lambda e: e.line))

    async def recalculate(self, user_id: str) -> None:
        await self.diary.write(user_id, [DiaryChange(event=self._event("RECALCULATE", user_id, None, None))])


def import_entry_id(user_id: str, batch: str, line: int) -> str:
    """The id of the entry a file's line becomes: the same file gives the same ids."""
    return hashlib.sha256(f"{user_id}\0{batch}\0{line}".encode()).hexdigest()[:32]


def _only_rating_changed(old: DiaryEntry, new: DiaryEntry) -> bool:
    return old.rating != new.rating and msgspec.structs.replace(new, rating=old.rating) == old


__all__ = ["DiaryError", "DiaryService", "EntryPatch", "ImportReport", "NewEntry"]
