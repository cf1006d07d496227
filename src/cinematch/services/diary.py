"""Diary commands: every change to a diary is stored together with its event. Imports
(`imports.py`) and the watchlist (`watchlist.py`) are services of their own beside it."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

import msgspec

from ..domain.lookup import LookupUnavailable
from ..domain.messages import N_
from ..domain.bounds import MAX_REVIEW, check_tags
from ..domain.bounds import check_entry as check_bounds
from ..domain.catalog import CatalogMovie, match_movie
from ..domain.diary import DiaryEntry, NewEntry, carry, enrich, same_film, to_movie
from ..domain.events import SCHEMA_VERSION, Event, Movie, parse_date
from ..domain.ports import CatalogStore, Clock, Conflict, DiaryChange, DiaryStore, ItemStore
from ..domain.ratings import Rating, normalize, rating_problem
from ..domain.text import split_people

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
    review: str | None = None  # "" removes it
    spoilers: bool | None = None
    liked: bool | None = None
    private: bool | None = None


class DiaryError(ValueError):
    """A diary command that cannot be carried out; the message says why."""


def check_entry(name: str | None, rating: object, date: str | None, today: dt.date, *, year: int | None = None,
                genres: list[str] | None = None, directors: list[str] | None = None, actors: list[str] | None = None,
                duration: int | None = None, tags: list[str] | None = None, review: str | None = None,
                writers: list[str] | None = None) -> None:
    """The rules and bounds (`domain.bounds`, `domain.ratings`) of the fields given, as a DiaryError.
    A rating of None or UNSET is not checked (unrated, or unchanged)."""
    if name is not None and not name.strip():
        raise DiaryError(N_("name must not be empty"))
    if rating is not None and rating is not msgspec.UNSET and (problem := rating_problem(rating)):
        raise DiaryError(problem)
    try:
        check_bounds(name=name, year=year, date=parse_date(date) if date is not None else None, today=today,
                     genres=genres, directors=directors, actors=actors, duration=duration, writers=writers)
        if tags is not None:
            check_tags(tags)
        if review is not None and len(review) > MAX_REVIEW:
            raise DiaryError(N_("a review is at most {limit} characters, got {got}").format(
                limit=f"{MAX_REVIEW:,}", got=f"{len(review):,}"))
    except ValueError as exc:  # InvalidEvent (not a real date) and OutOfBounds
        raise DiaryError(str(exc)) from None


LOOKUP_PREFIX = "tmdb:"  # a catalog_id naming a film of TMDB's search that the catalog lacks


class DiaryService:
    """A person's diary entries: log, edit, delete, relink; each change stored with its event.
    Logging a film takes it off the watchlist (`watchlist`, the store)."""

    def __init__(self, diary: DiaryStore, catalog: CatalogStore, clock: Clock, watchlist: ItemStore | None = None,
                 tz: str = "Europe/Rome") -> None:
        self.diary = diary
        self.catalog = catalog
        self.clock = clock
        self.watchlist = watchlist
        self.tz = tz
        self.enricher: CatalogEnrichment | None = None  # when TMDB is configured

    def event(self, kind: str, user_id: str, entry_id: str | None, movie: Movie | None,
               previous: Movie | None = None, at: str | None = None) -> Event:
        return Event(event_type=kind, user_id=user_id, entry_id=entry_id, movie=movie, previous=previous,  # type: ignore[arg-type]  # kind: an EventType the callers pass as str
                     event_id=str(uuid.uuid4()), schema_version=SCHEMA_VERSION,
                     timestamp=at or self.clock.now().isoformat())

    async def _build(self, user_id: str, new: NewEntry, now: str,
                     candidates: dict[str, list[CatalogMovie]] | None = None) -> DiaryEntry:
        name = new.name.strip()
        if new.catalog_id is not None:
            found = [await self.catalog_film(new.catalog_id)]
        else:
            found = (candidates[name] if candidates is not None and name in candidates
                     else await self.catalog.candidates(name))
            found = [*found, *await self.films_by_imdb_id([new.imdb_id] if new.imdb_id else [])]
        return self.built(user_id, new, now, found, self.clock.now().date())

    def built(self, user_id: str, new: NewEntry, now: str, found: list[CatalogMovie], today: dt.date,
               entry_id: str | None = None) -> DiaryEntry:
        """The entry `new` becomes, given its catalog candidates (pure: no I/O, any thread).
        Raises DiaryError for a broken rule or bound."""
        name = new.name.strip()
        genres = [g.strip() for g in new.genres if g.strip()] if new.genres is not None else None
        directors = split_people(new.director) if new.director is not None else None
        actors = split_people(new.actors) if new.actors is not None else None
        writers = split_people(new.writers) if new.writers is not None else None
        tags = clean_tags(new.tags)
        check_entry(name, new.rating, new.date, today, year=new.year, genres=genres, directors=directors,
                    actors=actors, duration=new.duration, tags=tags, review=new.review, writers=writers)
        supplied: dict[str, object] = {}
        if genres is not None:
            supplied["genres"] = genres
        if directors is not None:
            supplied["director"] = ", ".join(directors)
        if actors is not None:
            supplied["actors"] = ", ".join(actors)
        if writers is not None:
            supplied["writers"] = ", ".join(writers)
        if new.duration is not None:
            supplied["duration"] = new.duration
        match = found[0] if new.catalog_id is not None else by_imdb_id(new.imdb_id, found, new.tmdb_id) or match_movie(
            name, new.year, found)
        entry = enrich(
            entry_id=entry_id or uuid.uuid4().hex, user_id=user_id, name=name, rating=normalize(new.rating),
            date=new.date or today.isoformat(), added_at=now,
            year=new.year, imdb_id=new.imdb_id, supplied=supplied, match=match,
            rewatch=new.rewatch, tags=tags or (),
        )
        entry = msgspec.structs.replace(entry, review=(new.review or "").strip(), spoilers=new.spoilers,
                                        liked=new.liked, private=new.private)
        if match is not None:  # what the catalog added is held to the bounds too (its event must decode)
            check_entry(None, None, None, today, year=entry.year, genres=entry.genres,
                        directors=split_people(entry.director), actors=split_people(entry.actors),
                        duration=entry.duration, writers=split_people(entry.writers))
        return entry

    async def films_by_imdb_id(self, imdb_ids: Sequence[str]) -> list[CatalogMovie]:
        """The catalog films with these IMDb ids that are stored under them (a catalog from IMDb's
        files); films stored under another id are found among a name's candidates instead."""
        wanted = [i for i in dict.fromkeys(imdb_ids) if i and i.startswith("tt")]
        return list((await self.catalog.by_ids(wanted)).values()) if wanted else []

    async def catalog_film(self, catalog_id: str) -> CatalogMovie:
        """The catalog film picked; "tmdb:<id>", a film picked from TMDB's search, joins the catalog first."""
        match = (await self.catalog.by_ids([catalog_id])).get(catalog_id)
        if match is None and catalog_id.startswith(LOOKUP_PREFIX) and catalog_id[len(LOOKUP_PREFIX):].isdigit() \
                and self.enricher is not None:
            try:
                match = await self.enricher.adopt(int(catalog_id[len(LOOKUP_PREFIX):]))
            except LookupUnavailable:
                raise DiaryError(N_("TMDB cannot be reached now: log the film as typed, or try again")) from None
        if match is None:
            raise DiaryError(N_("no catalog film has the id {id!r}").format(id=catalog_id[:100]))
        return match

    async def add(self, user_id: str, new: NewEntry) -> DiaryEntry:
        return (await self.add_many(user_id, [new], "ADD"))[0]

    async def add_many(self, user_id: str, items: Sequence[NewEntry], kind: str = "BULK_IMPORT") -> list[DiaryEntry]:
        now = self.clock.now().isoformat()
        entries = [await self._build(user_id, item, now) for item in items]
        changes = [DiaryChange(event=self.event(kind, user_id, e.id, to_movie(e)), put=e) for e in entries]
        events = await self.diary.write(user_id, changes)
        await self.watched(user_id, entries)
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
            new = carry(new, old)
            if new == old:
                return False
            try:
                check_entry(None, None, None, self.clock.now().date(), year=new.year, genres=new.genres,
                            directors=split_people(new.director), actors=split_people(new.actors),
                            duration=new.duration, writers=split_people(new.writers))
            except DiaryError:
                return False  # the film's details are outside the entry bounds: left as it was
            event = self.event("UPDATE", user_id, entry_id, to_movie(new), previous=to_movie(old))
            try:
                await self.diary.write(user_id, [DiaryChange(event=event, put=new, expected_seq=old.seq)])
            except Conflict:
                continue
            return True
        return False

    async def watched(self, user_id: str, entries: Sequence[DiaryEntry]) -> None:
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
                    tags=clean_tags(patch.tags), review=patch.review)
        for _ in range(MAX_RETRIES):
            old = await self.diary.get(user_id, entry_id)
            if old is None:
                return None
            new = await self._patched(old, patch)
            if new == old:
                return old
            if _only_rating_changed(old, new):
                movie = to_movie(new, old_rating=old.rating, new_rating=new.rating)
                event = self.event("UPDATE_RATING", user_id, entry_id, movie)
            else:
                event = self.event("UPDATE", user_id, entry_id, to_movie(new), previous=to_movie(old))
            try:
                [written] = await self.diary.write(user_id, [DiaryChange(event=event, put=new, expected_seq=old.seq)])
            except Conflict:
                continue  # someone else changed the entry: re-read and redo
            return msgspec.structs.replace(new, seq=written.seq or 0)
        raise Conflict("the entry keeps changing; try again")

    async def _patched(self, old: DiaryEntry, patch: EntryPatch) -> DiaryEntry:
        name = patch.name.strip() if patch.name is not None else old.name
        new = patched = msgspec.structs.replace(
            old, name=name,
            review=old.review if patch.review is None else patch.review.strip(),
            spoilers=old.spoilers if patch.spoilers is None else patch.spoilers,
            liked=old.liked if patch.liked is None else patch.liked,
            private=old.private if patch.private is None else patch.private,
            rating=old.rating if patch.rating is msgspec.UNSET else normalize(patch.rating),
            date=patch.date if patch.date is not None else old.date,
            rewatch=old.rewatch if patch.rewatch is None else patch.rewatch,
            tags=old.tags if patch.tags is None else clean_tags(patch.tags),
        )
        match: CatalogMovie | None
        if patch.catalog_id is not None:  # a film chosen exactly
            match = await self.catalog_film(patch.catalog_id)
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
        return carry(new, patched)

    async def delete(self, user_id: str, entry_id: str) -> bool:
        for _ in range(MAX_RETRIES):
            old = await self.diary.get(user_id, entry_id)
            if old is None:
                return False
            event = self.event("DELETE", user_id, entry_id, to_movie(old))
            try:
                await self.diary.write(user_id, [DiaryChange(event=event, delete_id=entry_id, expected_seq=old.seq)])
            except Conflict:
                continue
            return True
        raise Conflict("the entry keeps changing; try again")

    async def recalculate(self, user_id: str) -> None:
        await self.diary.write(user_id, [DiaryChange(event=self.event("RECALCULATE", user_id, None, None))])


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


def by_imdb_id(imdb_id: str | None, found: Sequence[CatalogMovie], tmdb_id: int | None = None) -> CatalogMovie | None:
    """The film an IMDb id (or a TMDB id) names exactly (docs/contract.md §2), among the candidates."""
    if imdb_id:
        for movie in found:
            if movie.imdb_id == imdb_id or movie.id == imdb_id:
                return movie
    if tmdb_id:
        for movie in found:
            if movie.tmdb_id == tmdb_id:
                return movie
    return None


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


__all__ = ["DiaryError", "DiaryService", "EntryPatch", "NewEntry", "check_entry", "clean_tags", "uuid4_strings"]
