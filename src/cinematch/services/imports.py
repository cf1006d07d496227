"""Imports: an export file (Letterboxd, IMDb, Trakt, a backup, a plain CSV) read into diary entries
and watchlist items as one batch that can be previewed, sent again without doubling and undone."""

from __future__ import annotations

import asyncio
import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import msgspec

from ..domain.catalog import CatalogMovie
from ..domain.diary import DiaryEntry, film_of, to_movie
from ..domain.events import SCHEMA_VERSION, Event
from ..domain.imports import ImportRow, LineReason, ParsedImport, UnreadableImport, parse_import
from ..domain.library import ImportBatch
from ..domain.ports import Conflict, DiaryChange, ItemStore

if TYPE_CHECKING:
    from .lists import ListService

from .diary import MAX_RETRIES, DiaryError, DiaryService, uuid4_strings
from .watchlist import WatchlistService


class ImportReport(msgspec.Struct):
    """What an import did (docs/contract.md §3); the API answers with it as it is."""
    batch_id: str  # GET /api/me/imports lists it; DELETE /api/me/imports/{batch_id} undoes it
    format: str
    imported: int
    duplicates: int  # rows already in the diary (this file sent again, or the same film on the same day)
    updated: int  # entries an earlier import of the same account made, changed by this later export
    skipped: int  # rows that are not watches of a film, or the same watch said again in another file
    watchlist: int  # films put on the watchlist
    errors: list[LineReason]
    lists: int = 0  # lists made, or replaced by a later export of them
    notes: list[LineReason] = []  # why rows were skipped
    dry_run: bool = False


_IMPORT_SLOTS = asyncio.Semaphore(2)  # files parsed at once (the machine's cores)


class ImportService:
    def __init__(self, entries: DiaryService, imports: ItemStore | None = None,
                 watchlist: WatchlistService | None = None, lists: ListService | None = None) -> None:
        self.entries = entries
        self.imports = imports
        self.watchlist = watchlist
        self.lists = lists
        self._held: dict[tuple[str, str], int] = {}  # (user, batch) -> its entries when the import began

    async def import_rows(self, user_id: str, rows: Sequence[ImportRow], chunk: int = 10_000, batch: str = "",
                          dry_run: bool = False, updates: list[DiaryEntry] | None = None,
                          progress: Callable[[int, int], None] | None = None,
                          ) -> tuple[int, int, list[LineReason]]:
        """Add parsed rows as BULK_IMPORT entries: (imported, duplicates, errors). Rows that name
        an entry an earlier import made (`ImportRow.identity`) update it instead (`updates`
        receives the entries as they were).

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
        by_source = {e.source: e for e in existing if e.source}
        updates = [] if updates is None else updates
        named: set[str] = set()  # identities this upload already used
        if batch:
            self._held[(user_id, batch)] = sum(1 for e in existing if e.batch == batch)
        for start in range(0, len(rows), chunk):
            if progress is not None:
                progress(start, len(rows))  # rows done, of all
            part = [(row, ids[start + k]) for k, row in enumerate(rows[start:start + chunk])]
            fresh, known = [], []
            for row, i in part:
                if row.identity and row.identity in named:  # a name said twice in one file names nothing
                    row = msgspec.structs.replace(row, identity="")
                if row.identity in by_source and by_source[row.identity].id != i:
                    known.append(row)
                elif i not in by_id:
                    fresh.append((row, i))
                else:
                    duplicates += 1
                if row.identity:
                    named.add(row.identity)
            if known:
                duplicates += await self._update_known(user_id, known, by_source, now, dry_run, updates)
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
            if film_days and not row.identity:  # a row with a name of its own is a watch of its own
                day = (film_of(entry), entry.date)
                if film_days[day] > 0:
                    film_days[day] -= 1
                    same_day += 1
                    continue
            entries.append(msgspec.structs.replace(entry, batch=batch, source=row.identity))
        return entries, errors, same_day

    async def _update_known(self, user_id: str, rows: Sequence[ImportRow], by_source: dict[str, DiaryEntry],
                            now: str, dry_run: bool, updates: list[DiaryEntry]) -> int:
        """Rows of a later export naming entries already here: each changed entry is updated
        (date, rating, title, rewatch, tags, review, like), keeping its id, its import and when it was added.
        Returns how many were unchanged (duplicates)."""
        today = self.entries.clock.now().date()
        names = list({row.name.strip() for row in rows})
        candidates = await self.entries.catalog.candidates_many(names)
        films = await self.entries.films_by_imdb_id([row.imdb_id for row in rows if row.imdb_id])
        unchanged, changes = 0, []
        for row in rows:
            old = by_source[row.identity]
            found = [*candidates.get(row.name.strip(), []), *(f for f in films if f.id == row.imdb_id)]
            try:
                new = self.entries.built(user_id, row, now, found, today, old.id)
            except DiaryError:
                unchanged += 1  # a row a later export broke leaves the entry as it was
                continue
            # What the person set here stays unless the export says it: privacy is never in an
            # export, a review or a like only when there is one.
            new = msgspec.structs.replace(new, added_at=old.added_at, batch=old.batch, source=old.source, seq=old.seq,
                                          supplied=old.supplied if not new.supplied else new.supplied,
                                          private=old.private, liked=new.liked or old.liked,
                                          review=new.review or old.review,
                                          spoilers=new.spoilers if new.review else old.spoilers)
            if _same_watch(old, new):
                unchanged += 1
                continue
            updates.append(old)
            changes.append(DiaryChange(event=self.entries.event("UPDATE", user_id, old.id, to_movie(new),
                                                                previous=to_movie(old)),
                                       put=new, expected_seq=old.seq))
        if changes and not dry_run:
            await self.entries.diary.write(user_id, changes)
        return unchanged

    def _import_changes(self, user_id: str, entries: Sequence[DiaryEntry], create_only: bool) -> list[DiaryChange]:
        at = self.entries.clock.now().isoformat()
        return [DiaryChange(event=Event(event_type="BULK_IMPORT", user_id=user_id, entry_id=e.id, movie=to_movie(e),
                                        event_id=event_id, schema_version=SCHEMA_VERSION, timestamp=at),
                            put=e, create_only=create_only)
                for e, event_id in zip(entries, uuid4_strings(len(entries)))]

    async def import_file(self, user_id: str, raw: bytes, *, dry_run: bool = False,
                          filename: str = "", progress: Callable[[int, int], None] | None = None) -> ImportReport:
        """Parse an uploaded file (in a worker thread: parsing is CPU work) and import it as a
        batch; the report of docs/contract.md §3. `dry_run` reports the same and writes nothing.
        `filename` is the upload's name (a Letterboxd `watchlist.csv` goes to the watchlist).
        Raises DiaryError when the file cannot be read."""
        try:
            async with _IMPORT_SLOTS:
                parsed, batch = await asyncio.to_thread(_parse_upload, raw, self.entries.tz, filename)
        except UnreadableImport as exc:
            raise DiaryError(str(exc)) from None
        return await self.import_parsed(user_id, parsed, batch, dry_run=dry_run, progress=progress)

    async def import_parsed(self, user_id: str, parsed: ParsedImport, batch: str, *,
                            dry_run: bool = False, progress: Callable[[int, int], None] | None = None,
                            ) -> ImportReport:
        record = ImportBatch(id=batch, format=parsed.format, at=self.entries.clock.now().isoformat())
        if self.imports is not None and not dry_run:
            # Recorded before the first entry is written: an import cut short can still be undone.
            await self.imports.put(user_id, [record], only_new=True)
        updated: list[DiaryEntry] = []
        imported, duplicates, errors = await self.import_rows(user_id, parsed.rows, batch=batch, dry_run=dry_run,
                                                              updates=updated, progress=progress)
        listed = (await self.watchlist.from_import(user_id, parsed.watchlist, parsed.rows, dry_run, batch)
                  if self.watchlist is not None else 0)
        lists = (await self.lists.from_import(user_id, parsed.lists, batch, dry_run)
                 if self.lists is not None else 0)
        if self.imports is not None and not dry_run:
            held = self._held.pop((user_id, batch), 0) + imported  # this batch's entries, before and now
            stored = {b.id: b for b in await self.imports.all(user_id)}.get(batch, record)
            previous = {e.id: e for e in [*updated, *stored.previous]}  # the oldest version wins
            await self.imports.put(user_id, [msgspec.structs.replace(
                stored, imported=held, duplicates=duplicates, updated=len(previous), previous=list(previous.values()))])
        return ImportReport(batch_id=batch, format=parsed.format, imported=imported, duplicates=duplicates,
                            updated=len(updated),
                            skipped=parsed.skipped, watchlist=listed, lists=lists, dry_run=dry_run,
                            errors=sorted(parsed.errors + errors, key=lambda e: e.line),
                            notes=parsed.notes)

    async def _put_back(self, user_id: str, batch_id: str) -> None:
        """The entries an import updated, as they were before it (undoing it)."""
        record = {b.id: b for b in await self.imports.all(user_id)}.get(batch_id) if self.imports else None
        for old in (record.previous if record else []):
            for _ in range(MAX_RETRIES):
                now = await self.entries.diary.get(user_id, old.id)
                if now is None:
                    break  # deleted since: nothing to put back
                back = msgspec.structs.replace(old, seq=now.seq)
                event = self.entries.event("UPDATE", user_id, old.id, to_movie(back), previous=to_movie(now))
                try:
                    await self.entries.diary.write(user_id, [DiaryChange(event=event, put=back, expected_seq=now.seq)])
                except Conflict:
                    continue
                break

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
            if self.lists is not None:
                await self.lists.remove_batch(user_id, batch_id)
            await self._put_back(user_id, batch_id)
            await self.imports.remove(user_id, [batch_id])
            return True
        raise Conflict("the diary keeps changing; try again")


def _same_watch(old: DiaryEntry, new: DiaryEntry) -> bool:
    """Whether a later export says nothing new of an entry (what the export can say)."""
    return (old.date, old.rating, old.name, old.rewatch, list(old.tags), old.catalog_id, old.review, old.spoilers,
            old.liked) == (new.date, new.rating, new.name, new.rewatch, list(new.tags), new.catalog_id, new.review,
                           new.spoilers, new.liked)


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
