"""Imports: an export file (Letterboxd, IMDb, Trakt, a backup, a plain CSV) read into diary entries
and watchlist items as one batch that can be previewed, sent again without doubling and undone."""

from __future__ import annotations

import asyncio
import hashlib
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

import msgspec

from ..domain.catalog import CatalogMovie
from ..domain.diary import DiaryEntry, film_of, to_movie
from ..domain.events import SCHEMA_VERSION, Event
from ..domain.imports import ImportRow, LineReason, ParsedImport, UnreadableImport, parse_import
from ..domain.library import ImportBatch
from ..domain.ports import Conflict, DiaryChange, ItemStore

if TYPE_CHECKING:
    pass

from .diary import MAX_RETRIES, DiaryError, DiaryService, uuid4_strings
from .watchlist import WatchlistService


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


class ImportService:
    def __init__(self, entries: DiaryService, imports: ItemStore | None = None,
                 watchlist: WatchlistService | None = None) -> None:
        self.entries = entries
        self.imports = imports
        self.watchlist = watchlist
        self._held: dict[tuple[str, str], int] = {}  # (user, batch) -> its entries when the import began

    async def import_rows(self, user_id: str, rows: Sequence[ImportRow], chunk: int = 2000, batch: str = "",
                          dry_run: bool = False) -> tuple[int, int, list[LineReason]]:
        """Add parsed rows as BULK_IMPORT entries: (imported, duplicates, errors).

        A row that cannot be built is reported with its line and the others still import.
        Each row's entry id is derived from `batch` (a digest of the upload) and the row's
        place in it, and written only if absent, so an upload sent again after an import was
        cut short adds only what is missing. A row is a duplicate when its entry is already
        there, or when the diary already has the same film on the same day (another export
        of the same history). Between chunks the event loop serves other requests."""
        now = self.entries.clock.now().isoformat()
        errors: list[LineReason] = []
        imported = duplicates = 0
        existing, _ = await self.entries.diary.snapshot(user_id)
        by_id, ids, film_days = await asyncio.to_thread(_import_plan, user_id, batch, rows, existing)
        if batch:
            self._held[(user_id, batch)] = sum(1 for e in existing if e.batch == batch)
        for start in range(0, len(rows), chunk):
            part = [(row, ids[start + k]) for k, row in enumerate(rows[start:start + chunk])]
            fresh = [(row, i) for row, i in part if i not in by_id]
            duplicates += len(part) - len(fresh)
            if not fresh:
                continue
            # one look-up for the chunk
            candidates = await self.entries.catalog.candidates_many([row.name.strip() for row, _ in fresh])
            for film in await self.entries.films_by_imdb_id([row.imdb_id for row, _ in fresh if row.imdb_id]):
                for row, _ in fresh:  # a row's IMDb id links its film exactly, whatever the name says
                    if row.imdb_id == film.id:
                        candidates.setdefault(row.name.strip(), []).append(film)
            # Building a chunk is CPU work: in a thread, so the event loop keeps serving requests.
            entries, failed, same_day = await asyncio.to_thread(
                self._import_chunk, user_id, fresh, candidates, now, batch, film_days)
            errors += failed
            duplicates += same_day
            if entries and not dry_run:
                changes = await asyncio.to_thread(self._import_changes, user_id, entries, bool(batch))
                written = await self.entries.diary.write(user_id, changes)  # one atomic write per chunk
                imported += len(written)
                duplicates += len(entries) - len(written)
                await self.entries.watched(user_id, entries)
                if self.entries.enricher is not None:
                    self.entries.enricher.wants(user_id, entries)
            elif entries:
                imported += len(entries)
        return imported, duplicates, errors

    def _import_chunk(self, user_id: str, rows: Sequence[tuple[ImportRow, str]],
                      candidates: dict[str, list[CatalogMovie]], now: str, batch: str,
                      film_days: Counter[tuple[str, str]]) -> tuple[list[DiaryEntry], list[LineReason], int]:
        """(entries to write, rows that failed, rows whose film the diary has on that day)."""
        today = self.entries.clock.now().date()
        entries, errors, same_day = [], [], 0
        for row, entry_id in rows:
            try:  # a row is a NewEntry that knows its line
                found = candidates.get(row.name.strip(), [])
                entry = self.entries.built(user_id, row, now, found, today, entry_id or None)
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
        at = self.entries.clock.now().isoformat()
        return [DiaryChange(event=Event(event_type="BULK_IMPORT", user_id=user_id, entry_id=e.id, movie=to_movie(e),
                                        event_id=event_id, schema_version=SCHEMA_VERSION, timestamp=at),
                            put=e, create_only=create_only)
                for e, event_id in zip(entries, uuid4_strings(len(entries)))]

    async def import_file(self, user_id: str, raw: bytes, *, dry_run: bool = False,
                          filename: str = "") -> ImportReport:
        """Parse an uploaded file (in a worker thread: parsing is CPU work) and import it as a
        batch; the report of docs/contract.md §3. `dry_run` reports the same and writes nothing.
        `filename` is the upload's name (a Letterboxd `watchlist.csv` goes to the watchlist).
        Raises DiaryError when the file cannot be read."""
        try:
            async with _IMPORT_SLOTS:
                parsed, batch = await asyncio.to_thread(_parse_upload, raw, self.entries.tz, filename)
        except UnreadableImport as exc:
            raise DiaryError(str(exc)) from None
        return await self.import_parsed(user_id, parsed, batch, dry_run=dry_run)

    async def import_parsed(self, user_id: str, parsed: ParsedImport, batch: str, *,
                            dry_run: bool = False) -> ImportReport:
        record = ImportBatch(id=batch, format=parsed.format, at=self.entries.clock.now().isoformat())
        if self.imports is not None and not dry_run:
            # Recorded before the first entry is written: an import cut short can still be undone.
            await self.imports.put(user_id, [record], only_new=True)
        imported, duplicates, errors = await self.import_rows(user_id, parsed.rows, batch=batch, dry_run=dry_run)
        listed = (await self.watchlist.from_import(user_id, parsed.watchlist, parsed.rows, dry_run, batch)
                  if self.watchlist is not None else 0)
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
            entries, _ = await self.entries.diary.snapshot(user_id)
            mine = [e for e in entries if e.batch == batch_id]
            try:
                for start in range(0, len(mine), chunk):
                    await self.entries.diary.write(user_id, [
                        DiaryChange(event=self.entries.event("DELETE", user_id, e.id, to_movie(e)), delete_id=e.id,
                                    expected_seq=e.seq) for e in mine[start:start + chunk]])
                    await asyncio.sleep(0)
            except Conflict:
                continue  # an entry changed meanwhile: read again, delete what is left
            if self.watchlist is not None:
                await self.watchlist.remove_batch(user_id, batch_id)
            await self.imports.remove(user_id, [batch_id])
            return True
        raise Conflict("the diary keeps changing; try again")


def _parse_upload(raw: bytes, tz: str, filename: str = "") -> tuple[ParsedImport, str]:
    """The upload's rows and its batch id (a digest of its bytes: the same upload, the same batch)."""
    return parse_import(raw, tz, filename), hashlib.sha256(raw).hexdigest()[:24]


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


def import_entry_id(user_id: str, batch: str, source: str) -> str:
    """The id of the entry an upload's row becomes (`source`: its file and line): the same
    upload gives the same ids."""
    return hashlib.sha256(f"{user_id}\0{batch}\0{source}".encode()).hexdigest()[:32]
