"""Diary commands: every change to a diary is stored together with its event."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import os
import uuid
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

import msgspec

from ..domain.bounds import check_entry as check_bounds
from ..domain.bounds import check_tags
from ..domain.catalog import CatalogMovie, match_movie
from ..domain.diary import DiaryEntry, NewEntry, enrich, film_of, same_film, to_movie
from ..domain.events import SCHEMA_VERSION, Event, Movie, parse_date
from ..domain.imports import LineReason, ImportRow, ParsedImport, UnreadableImport, WatchlistRow, parse_import
from ..domain.library import ImportBatch, WatchItem, watch_id
from ..domain.ports import CatalogStore, Clock, Conflict, DiaryChange, DiaryStore, ItemStore
from ..domain.ratings import Rating, normalize, rating_problem
from ..domain.text import normalize_title, split_people

if TYPE_CHECKING:
    from .enrichment import CatalogEnrichment

MAX_RETRIES = 5


class EntryPatch(msgspec.Struct, omit_defaults=True):
    """The fields to change; UNSET ones stay. `rating=None` makes the entry unrated."""
    rating: Rating | None | msgspec.UnsetType = msgspec.UNSET
    date: str | None = None
    name: str | None = None
    year: int | None = None
    rewatch: bool | None = None
    tags: list[str] | None = None
    catalog_id: str | None = None


class ImportReport(msgspec.Struct):
    """What an import did (docs/contract.md §3); the API answers with it as it is."""
    batch_id: str  # GET /api/me/imports lists it; DELETE /api/me/imports/{batch_id} undoes it
    format: str
    imported: int
    duplicates: int  # rows already in the diary (this file sent again, or the same film on the same day)
    skipped: int  # rows that are not watches of a film, or the same watch said again in another file
    watchlist: int  # films put on the watchlist
    errors: list[LineReason]
    notes: list[LineReason] = []  # why rows were skipped
    dry_run: bool = False


_IMPORT_SLOTS = asyncio.Semaphore(2)  # files parsed at once (the machine's cores)


class DiaryError(ValueError):
    """A diary command that cannot be carried out; the message says why."""


def check_entry(name: str | None, rating: object, date: str | None, today: dt.date, *, year: int | None = None,
                genres: list[str] | None = None, directors: list[str] | None = None, actors: list[str] | None = None,
                duration: int | None = None, tags: list[str] | None = None) -> None:
    """The rules and bounds (`domain.bounds`, `domain.ratings`) of the fields given, as a DiaryError.
    A rating of None or UNSET is not checked (unrated, or unchanged)."""
    if name is not None and not name.strip():
        raise DiaryError("name must not be empty")
    if rating is not None and rating is not msgspec.UNSET and (problem := rating_problem(rating)):
        raise DiaryError(problem)
    try:
        check_bounds(name=name, year=year, date=parse_date(date) if date is not None else None, today=today,
                     genres=genres, directors=directors, actors=actors, duration=duration)
        if tags is not None:
            check_tags(tags)
    except ValueError as exc:  # InvalidEvent (not a real date) and OutOfBounds
        raise DiaryError(str(exc)) from None


class DiaryService:
    def __init__(self, diary: DiaryStore, catalog: CatalogStore, clock: Clock, imports: ItemStore | None = None,
                 watchlist: ItemStore | None = None, tz: str = "Europe/Rome") -> None:
        self.diary = diary
        self.catalog = catalog
        self.clock = clock
        self.imports = imports
        self.watchlist = watchlist
        self.tz = tz
        self._held: dict[tuple[str, str], int] = {}  # (user, batch) -> its entries when the import began
        self.enricher: CatalogEnrichment | None = None  # when TMDB is configured

    def _event(self, kind: str, user_id: str, entry_id: str | None, movie: Movie | None,
               previous: Movie | None = None, at: str | None = None) -> Event:
        return Event(event_type=kind, user_id=user_id, entry_id=entry_id, movie=movie, previous=previous,  # type: ignore[arg-type]  # kind: an EventType the callers pass as str
                     event_id=str(uuid.uuid4()), schema_version=SCHEMA_VERSION,
                     timestamp=at or self.clock.now().isoformat())

    async def _build(self, user_id: str, new: NewEntry, now: str,
                     candidates: dict[str, list[CatalogMovie]] | None = None) -> DiaryEntry:
        name = new.name.strip()
        if new.catalog_id is not None:
            found = [await self._catalog_film(new.catalog_id)]
        else:
            found = (candidates[name] if candidates is not None and name in candidates
                     else await self.catalog.candidates(name))
        return self._built(user_id, new, now, found, self.clock.now().date())

    def _built(self, user_id: str, new: NewEntry, now: str, found: list[CatalogMovie], today: dt.date,
               entry_id: str | None = None) -> DiaryEntry:
        """The entry `new` becomes, given its catalog candidates (pure: no I/O, any thread).
        Raises DiaryError for a broken rule or bound."""
        name = new.name.strip()
        genres = [g.strip() for g in new.genres if g.strip()] if new.genres is not None else None
        directors = split_people(new.director) if new.director is not None else None
        actors = split_people(new.actors) if new.actors is not None else None
        tags = clean_tags(new.tags)
        check_entry(name, new.rating, new.date, today, year=new.year, genres=genres,
                    directors=directors, actors=actors, duration=new.duration, tags=tags)
        supplied: dict[str, object] = {}
        if genres is not None:
            supplied["genres"] = genres
        if directors is not None:
            supplied["director"] = ", ".join(directors)
        if actors is not None:
            supplied["actors"] = ", ".join(actors)
        if new.duration is not None:
            supplied["duration"] = new.duration
        match = found[0] if new.catalog_id is not None else match_movie(name, new.year, found)
        entry = enrich(
            entry_id=entry_id or uuid.uuid4().hex, user_id=user_id, name=name, rating=normalize(new.rating),
            date=new.date or today.isoformat(), added_at=now,
            year=new.year, imdb_id=new.imdb_id, supplied=supplied, match=match,
            rewatch=new.rewatch, tags=tags or (),
        )
        if match is not None:  # what the catalog added is held to the bounds too (its event must decode)
            check_entry(None, None, None, today, year=entry.year, genres=entry.genres,
                        directors=split_people(entry.director), actors=split_people(entry.actors),
                        duration=entry.duration)
        return entry

    async def _catalog_film(self, catalog_id: str) -> CatalogMovie:
        match = (await self.catalog.by_ids([catalog_id])).get(catalog_id)
        if match is None:
            raise DiaryError(f"no catalog film has the id {catalog_id[:100]!r}")
        return match

    async def add(self, user_id: str, new: NewEntry) -> DiaryEntry:
        return (await self.add_many(user_id, [new], "ADD"))[0]

    async def add_many(self, user_id: str, items: Sequence[NewEntry], kind: str = "BULK_IMPORT") -> list[DiaryEntry]:
        now = self.clock.now().isoformat()
        entries = [await self._build(user_id, item, now) for item in items]
        changes = [DiaryChange(event=self._event(kind, user_id, e.id, to_movie(e)), put=e) for e in entries]
        events = await self.diary.write(user_id, changes)
        await self._watched(user_id, entries)
        if self.enricher is not None:
            self.enricher.wants(user_id, entries)
        return [msgspec.structs.replace(e, seq=ev.seq or 0) for e, ev in zip(entries, events)]

    async def relink(self, user_id: str, entry_id: str, catalog_id: str) -> bool:
        """Link an entry to this catalog film again, with the film's enrichment as it is now (the
        catalog learnt its details after the entry was written): an UPDATE when anything changed."""
        for _ in range(MAX_RETRIES):
            old = await self.diary.get(user_id, entry_id)
            match = (await self.catalog.by_ids([catalog_id])).get(catalog_id)
            if old is None or match is None:
                return False
            new = enrich(entry_id=old.id, user_id=user_id, name=old.name, rating=old.rating, date=old.date,
                         added_at=old.added_at, year=old.year, imdb_id=old.imdb_id, supplied=dict(old.supplied),
                         match=match, rewatch=old.rewatch, tags=old.tags)
            new = msgspec.structs.replace(new, seq=old.seq, batch=old.batch)
            if new == old:
                return False
            try:
                check_entry(None, None, None, self.clock.now().date(), year=new.year, genres=new.genres,
                            directors=split_people(new.director), actors=split_people(new.actors),
                            duration=new.duration)
            except DiaryError:
                return False  # the film's details are outside the entry bounds: left as it was
            event = self._event("UPDATE", user_id, entry_id, to_movie(new), previous=to_movie(old))
            try:
                await self.diary.write(user_id, [DiaryChange(event=event, put=new, expected_seq=old.seq)])
            except Conflict:
                continue
            return True
        return False

    async def _watched(self, user_id: str, entries: Sequence[DiaryEntry]) -> None:
        """Logging a film takes it off the watchlist. (After the diary write: a crash in
        between leaves the item on the list, where the person can remove it.)"""
        if self.watchlist is None or not entries:
            return
        items = await self.watchlist.all(user_id)
        seen = [i.id for i in items if any(same_film(i.catalog_id, i.name, i.year, e) for e in entries)]
        if seen:
            await self.watchlist.remove(user_id, seen)

    async def update(self, user_id: str, entry_id: str, patch: EntryPatch) -> DiaryEntry | None:
        check_entry(patch.name, patch.rating, patch.date, self.clock.now().date(), year=patch.year,
                    tags=clean_tags(patch.tags))
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
        new = msgspec.structs.replace(
            old, name=name,
            rating=old.rating if patch.rating is msgspec.UNSET else normalize(patch.rating),
            date=patch.date if patch.date is not None else old.date,
            rewatch=old.rewatch if patch.rewatch is None else patch.rewatch,
            tags=old.tags if patch.tags is None else clean_tags(patch.tags),
        )
        match: CatalogMovie | None
        if patch.catalog_id is not None:  # a film chosen exactly
            match = await self._catalog_film(patch.catalog_id)
            if patch.name is None and match.id != old.catalog_id:
                name = match.title
        elif name != old.name or (patch.year is not None and patch.year != old.year):
            # A rename (or a new year) is resolved as a new entry would be, with only this
            # request's year as the hint (docs/contract.md §2 "The year of an entry"): the year of
            # the film the entry was linked to says nothing about the film the new name means.
            match = match_movie(name, patch.year, await self.catalog.candidates(name))
        else:
            return new
        # The id a person gave belonged to the film the entry was; the new film brings its own.
        imdb_id = old.imdb_id if match is not None and match.id == old.catalog_id else None
        new = enrich(entry_id=old.id, user_id=old.user_id, name=name, rating=new.rating, date=new.date,
                     added_at=old.added_at, year=patch.year, imdb_id=imdb_id, supplied=dict(old.supplied),
                     match=match, rewatch=new.rewatch, tags=new.tags)
        return msgspec.structs.replace(new, seq=old.seq, batch=old.batch)

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

    async def import_rows(self, user_id: str, rows: Sequence[ImportRow], chunk: int = 2000, batch: str = "",
                          dry_run: bool = False) -> tuple[int, int, list[LineReason]]:
        """Add parsed rows as BULK_IMPORT entries: (imported, duplicates, errors).

        A row that cannot be built is reported with its line and the others still import.
        Each row's entry id is derived from `batch` (a digest of the upload) and the row's
        place in it, and written only if absent, so an upload sent again after an import was
        cut short adds only what is missing. A row is a duplicate when its entry is already
        there, or when the diary already has the same film on the same day (another export
        of the same history). Between chunks the event loop serves other requests."""
        now = self.clock.now().isoformat()
        errors: list[LineReason] = []
        imported = duplicates = 0
        existing, _ = await self.diary.snapshot(user_id)
        by_id, ids, film_days = await asyncio.to_thread(_import_plan, user_id, batch, rows, existing)
        if batch:
            self._held[(user_id, batch)] = sum(1 for e in existing if e.batch == batch)
        for start in range(0, len(rows), chunk):
            part = [(row, ids[start + k]) for k, row in enumerate(rows[start:start + chunk])]
            fresh = [(row, i) for row, i in part if i not in by_id]
            duplicates += len(part) - len(fresh)
            if not fresh:
                continue
            candidates = await self.catalog.candidates_many([row.name.strip() for row, _ in fresh])  # one look-up
            # Building a chunk is CPU work: in a thread, so the event loop keeps serving requests.
            entries, failed, same_day = await asyncio.to_thread(
                self._import_chunk, user_id, fresh, candidates, now, batch, film_days)
            errors += failed
            duplicates += same_day
            if entries and not dry_run:
                changes = await asyncio.to_thread(self._import_changes, user_id, entries, bool(batch))
                written = await self.diary.write(user_id, changes)  # one atomic write per chunk
                imported += len(written)
                duplicates += len(entries) - len(written)
                await self._watched(user_id, entries)
                if self.enricher is not None:
                    self.enricher.wants(user_id, entries)
            elif entries:
                imported += len(entries)
        return imported, duplicates, errors

    def _import_chunk(self, user_id: str, rows: Sequence[tuple[ImportRow, str]],
                      candidates: dict[str, list[CatalogMovie]], now: str, batch: str,
                      film_days: Counter[tuple[str, str]]) -> tuple[list[DiaryEntry], list[LineReason], int]:
        """(entries to write, rows that failed, rows whose film the diary has on that day)."""
        today = self.clock.now().date()
        entries, errors, same_day = [], [], 0
        for row, entry_id in rows:
            try:  # a row is a NewEntry that knows its line
                entry = self._built(user_id, row, now, candidates.get(row.name.strip(), []), today, entry_id or None)
            except DiaryError as exc:
                errors.append(LineReason(row.line, str(exc)))
                continue
            if film_days:
                day = (film_of(entry), entry.date)
                if film_days[day] > 0:
                    film_days[day] -= 1
                    same_day += 1
                    continue
            entries.append(msgspec.structs.replace(entry, batch=batch) if batch else entry)
        return entries, errors, same_day

    def _import_changes(self, user_id: str, entries: Sequence[DiaryEntry], create_only: bool) -> list[DiaryChange]:
        at = self.clock.now().isoformat()
        return [DiaryChange(event=Event(event_type="BULK_IMPORT", user_id=user_id, entry_id=e.id, movie=to_movie(e),
                                        event_id=event_id, schema_version=SCHEMA_VERSION, timestamp=at),
                            put=e, create_only=create_only)
                for e, event_id in zip(entries, uuid4_strings(len(entries)))]

    async def import_file(self, user_id: str, raw: bytes, *, dry_run: bool = False) -> ImportReport:
        """Parse an uploaded file (in a worker thread: parsing is CPU work) and import it as a
        batch; the report of docs/contract.md §3. `dry_run` reports the same and writes nothing.
        Raises DiaryError when the file cannot be read."""
        try:
            async with _IMPORT_SLOTS:
                parsed, batch = await asyncio.to_thread(_parse_upload, raw, self.tz)
        except UnreadableImport as exc:
            raise DiaryError(str(exc)) from None
        return await self.import_parsed(user_id, parsed, batch, dry_run=dry_run)

    async def import_parsed(self, user_id: str, parsed: ParsedImport, batch: str, *,
                            dry_run: bool = False) -> ImportReport:
        record = ImportBatch(id=batch, format=parsed.format, at=self.clock.now().isoformat())
        if self.imports is not None and not dry_run:
            # Recorded before the first entry is written: an import cut short can still be undone.
            await self.imports.put(user_id, [record], only_new=True)
        imported, duplicates, errors = await self.import_rows(user_id, parsed.rows, batch=batch, dry_run=dry_run)
        listed = await self._add_to_watchlist(user_id, parsed.watchlist, parsed.rows, dry_run, batch)
        if self.imports is not None and not dry_run:
            held = self._held.pop((user_id, batch), 0) + imported  # this batch's entries, before and now
            await self.imports.put(user_id, [msgspec.structs.replace(record, imported=held, duplicates=duplicates)])
        return ImportReport(batch_id=batch, format=parsed.format, imported=imported, duplicates=duplicates,
                            skipped=parsed.skipped, watchlist=listed, dry_run=dry_run,
                            errors=sorted(parsed.errors + errors, key=lambda e: e.line),
                            notes=parsed.notes)

    async def import_batches(self, user_id: str) -> list[ImportBatch]:
        if self.imports is None:
            return []
        return sorted(await self.imports.all(user_id), key=lambda b: b.at, reverse=True)

    async def undo_import(self, user_id: str, batch_id: str, chunk: int = 500) -> bool:
        """Remove what an import created (its diary entries still there, the watchlist items it
        added) and then the batch: a crash in between leaves the batch, and undoing again finishes."""
        if self.imports is None or batch_id not in {b.id for b in await self.imports.all(user_id)}:
            return False
        for _ in range(MAX_RETRIES):
            entries, _ = await self.diary.snapshot(user_id)
            mine = [e for e in entries if e.batch == batch_id]
            try:
                for start in range(0, len(mine), chunk):
                    await self.diary.write(user_id, [
                        DiaryChange(event=self._event("DELETE", user_id, e.id, to_movie(e)), delete_id=e.id,
                                    expected_seq=e.seq) for e in mine[start:start + chunk]])
                    await asyncio.sleep(0)
            except Conflict:
                continue  # an entry changed meanwhile: read again, delete what is left
            if self.watchlist is not None:
                listed = [i.id for i in await self.watchlist.all(user_id) if getattr(i, "batch", "") == batch_id]
                if listed:
                    await self.watchlist.remove(user_id, listed)
            await self.imports.remove(user_id, [batch_id])
            return True
        raise Conflict("the diary keeps changing; try again")

    # --- the watchlist ---------------------------------------------------------------

    async def _watch_item(self, name: str, year: int | None, catalog_id: str | None, imdb_id: str | None,
                          added: str | None) -> WatchItem:
        name = name.strip()
        check_entry(name, None, None, self.clock.now().date(), year=year)
        match = await self._catalog_film(catalog_id) if catalog_id else match_movie(
            name, year, await self.catalog.candidates(name))
        cid = match.id if match else None
        return WatchItem(id=watch_id(cid, name, year if year is not None else (match.year if match else None)),
                         name=name, title=match.title if match else name,
                         year=year if year is not None else (match.year if match else None), catalog_id=cid,
                         imdb_id=imdb_id or (match.imdb_id if match else None),
                         added=added or self.clock.now().date().isoformat())

    async def watch(self, user_id: str, name: str, year: int | None = None, catalog_id: str | None = None) -> WatchItem:
        """Put a film on the watchlist (the same film twice is one item)."""
        if self.watchlist is None:
            raise DiaryError("this installation keeps no watchlist")
        item = await self._watch_item(name, year, catalog_id, None, None)
        await self.watchlist.put(user_id, [item], only_new=True)
        return item

    async def watchlist_of(self, user_id: str) -> list[WatchItem]:
        if self.watchlist is None:
            return []
        return sorted(await self.watchlist.all(user_id), key=lambda i: (i.added, i.id), reverse=True)

    async def unwatch(self, user_id: str, item_id: str) -> bool:
        return self.watchlist is not None and await self.watchlist.remove(user_id, [item_id]) > 0

    async def _add_to_watchlist(self, user_id: str, rows: Sequence[WatchlistRow], watched: Sequence[ImportRow],
                                dry_run: bool, batch: str = "") -> int:
        """An import's watchlist rows, but for films in the diary or among the import's watches."""
        if self.watchlist is None or not rows:
            return 0
        entries, _ = await self.diary.snapshot(user_id)
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
            have = {i.id for i in await self.watchlist.all(user_id)}
            return len({i.id for i in items} - have)
        return await self.watchlist.put(user_id, items, only_new=True)

    async def recalculate(self, user_id: str) -> None:
        await self.diary.write(user_id, [DiaryChange(event=self._event("RECALCULATE", user_id, None, None))])


def _parse_upload(raw: bytes, tz: str) -> tuple[ParsedImport, str]:
    """The upload's rows and its batch id (a digest of its bytes: the same upload, the same batch)."""
    return parse_import(raw, tz), hashlib.sha256(raw).hexdigest()[:24]


def _import_plan(user_id: str, batch: str, rows: Sequence[ImportRow], existing: Sequence[DiaryEntry],
                 ) -> tuple[dict[str, DiaryEntry], list[str], Counter[tuple[str, str]]]:
    """(the diary by entry id, each row's entry id, the (film, day) pairs of the diary that
    another row may still be a duplicate of)."""
    by_id = {e.id: e for e in existing}
    ids = [import_entry_id(user_id, batch, row.source or str(row.line)) if batch else "" for row in rows]
    film_days = Counter((film_of(e), e.date) for e in existing)
    for i in ids:
        if i in by_id:  # this upload's own row, already imported: its day is taken by itself
            film_days[(film_of(by_id[i]), by_id[i].date)] -= 1
    return by_id, ids, +film_days  # only the days still free to match


def uuid4_strings(n: int) -> list[str]:
    """n random (version 4) UUIDs as strings, from one read of the system's randomness:
    `uuid.uuid4()` costs more per call than an imported row's whole event otherwise."""
    raw = bytearray(os.urandom(16 * n))
    for i in range(n):
        raw[16 * i + 6] = (raw[16 * i + 6] & 0x0F) | 0x40  # version 4
        raw[16 * i + 8] = (raw[16 * i + 8] & 0x3F) | 0x80  # RFC 4122 variant
    h = raw.hex()
    return [f"{h[k:k + 8]}-{h[k + 8:k + 12]}-{h[k + 12:k + 16]}-{h[k + 16:k + 20]}-{h[k + 20:k + 32]}"
            for k in range(0, 32 * n, 32)]


def import_entry_id(user_id: str, batch: str, source: str) -> str:
    """The id of the entry an upload's row becomes (`source`: its file and line): the same
    upload gives the same ids."""
    return hashlib.sha256(f"{user_id}\0{batch}\0{source}".encode()).hexdigest()[:32]


def clean_tags(tags: list[str] | None) -> list[str] | None:
    """Tags trimmed, empties and repeats (ignoring case) dropped, in the order given."""
    if tags is None:
        return None
    seen: dict[str, str] = {}
    for tag in tags:
        t = str(tag).strip()
        if t:
            seen.setdefault(t.casefold(), t)
    return list(seen.values())


def _only_rating_changed(old: DiaryEntry, new: DiaryEntry) -> bool:
    return old.rating != new.rating and msgspec.structs.replace(new, rating=old.rating) == old


__all__ = ["DiaryError", "DiaryService", "EntryPatch", "ImportReport", "NewEntry"]
