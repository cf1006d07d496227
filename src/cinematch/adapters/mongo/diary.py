"""The diaries on MongoDB: one document per user holding every entry, written with its events in
one guarded update (compare-and-set on the document's version), which is also the outbox."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING, Any

import msgspec
from pymongo import UpdateOne
from pymongo.errors import DuplicateKeyError

from ...domain.audience import Audience, share_of
from ...domain.calendar import calendar_of
from ...domain.diary import DiaryEntry, diary_order
from ...domain.events import Event, encode_event
from ...domain.ports import Conflict, DiaryChange, DiaryStore, Outbox
from ._base import INSERT_CHUNK, MAX_CAS_RETRIES, _chunks, entry_field
from .client import Mongo

if TYPE_CHECKING:
    from ._base import Documents

log = logging.getLogger(__name__)


class FilmShares:
    """What a diary adds to each film's audience (`domain.audience.share_of`), kept in the diary's
    document beside its entries and written with them: `film_shares` {field of the catalog id:
    [entries, rated entries, sum of half stars]} and `films`, the ids with a share (indexed)."""

    def __init__(self, fields: dict[str, list[int]]) -> None:
        self.fields = {k: list(v) for k, v in fields.items()}
        self.changed: set[str] = set()  # the fields whose counts moved

    @staticmethod
    def field(catalog_id: str) -> str:
        return "f" + catalog_id.encode().hex()  # (hex: never a path or an operator)

    def add(self, entry: DiaryEntry, sign: int) -> None:
        share = share_of(entry)
        if share is None:
            return
        catalog_id, halves = share
        n, rated, total = self.fields.get(self.field(catalog_id), (0, 0, 0))
        counts = [n + sign, rated + sign * (halves is not None), total + sign * (halves or 0)]
        if counts[0]:
            self.fields[self.field(catalog_id)] = counts
        else:
            self.fields.pop(self.field(catalog_id), None)
        self.changed.add(self.field(catalog_id))

    def update(self, sets: dict[str, object], unsets: dict[str, str]) -> None:
        """Add to a diary update what moved: each changed film's counts by its own path, never the
        whole map (FerretDB 1.24 skips a `$set` of an embedded document it takes for unchanged:
        one whose values equal the stored ones under other keys), and `films` whole."""
        if not self.changed:
            return
        for field in self.changed:
            if field in self.fields:
                sets[f"film_shares.{field}"] = self.fields[field]
            else:
                unsets[f"film_shares.{field}"] = ""
        sets["films"] = self.films()

    def films(self) -> list[str]:
        return sorted(bytes.fromhex(k[1:]).decode() for k in self.fields)


class MongoDiaryStore(DiaryStore, Outbox):
    """One document per user: `{_id: user, seq, n, entries: {e<hex>: entry}, outbox: [...]}`.

    The diary change and its event live in the same document, so one single-document
    update stores both (the transactional outbox without transactions). The update is
    a compare-and-set on `seq`: concurrent writers for the same user retry.

    The diary document has a single writer, this store. The relay never writes it: it
    keeps its progress in `outbox_progress` (`{_id: user, sent}`) and learns which users
    to look at from `outbox_signals`, an insert-only collection the writer appends to
    after each write. Why: FerretDB applies an update by reading the document, changing
    it and writing the whole document back, so two writers of one document can lose
    each other's changes even through a compare-and-set filter (the relay marking
    events sent once clobbered diary writes). Inside one process, writes of one user
    also take a lock, which keeps concurrent requests of that user off that race too.
    """

    def __init__(self, mongo: Mongo) -> None:
        self.mongo = mongo
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}  # user -> (lock, holders and waiters)

    @property
    def col(self) -> Documents:
        return self.mongo.db.diaries

    async def write(self, user_id: str, changes: Sequence[DiaryChange]) -> list[Event]:
        lock, users = self._locks.get(user_id) or (asyncio.Lock(), 0)
        self._locks[user_id] = (lock, users + 1)
        try:
            async with lock:
                events = await self._write(user_id, changes)
        finally:
            lock, users = self._locks[user_id]
            if users == 1:
                del self._locks[user_id]  # nobody else waits: keep the map small
            else:
                self._locks[user_id] = (lock, users - 1)
        try:
            await self.mongo.db.outbox_signals.insert_one({"user": user_id})
        except Exception:  # noqa: BLE001 - the write is stored; the relay's sweep finds it without the signal
            log.warning("outbox signal for %r not stored; the relay's next sweep publishes it", user_id)
        return events

    async def _write(self, user_id: str, changes: Sequence[DiaryChange]) -> list[Event]:
        fields = {"seq": 1, "outbox": 1, "n": 1, "film_shares": 1}
        for ch in changes:
            target = ch.delete_id or (ch.put.id if ch.put else None)
            if target:
                fields[f"entries.{entry_field(target)}"] = 1
        for _ in range(MAX_CAS_RETRIES):
            progress = await self.mongo.db.outbox_progress.find_one({"_id": user_id}) or {}
            doc = await self.col.find_one({"_id": user_id}, fields) or {}
            seq, n = doc.get("seq", 0), doc.get("n", 0)
            entries = doc.get("entries", {})
            shares = FilmShares(doc.get("film_shares") or {})
            sets: dict[str, object] = {}
            unsets: dict[str, str] = {}
            events: list[Event] = []
            for ch in changes:
                target = ch.delete_id or (ch.put.id if ch.put else None)
                key = entry_field(target) if target else None
                current = entries.get(key) if key else None
                if ch.expected_seq is not None and (current is None or current.get("seq") != ch.expected_seq):
                    raise Conflict(f"entry {target!r} changed concurrently")
                if ch.create_only and ch.put is not None and current is not None:
                    continue  # already there: a retried import chunk
                seq += 1
                event = msgspec.structs.replace(ch.event, seq=seq)
                events.append(event)
                if current is not None:  # (a put over it or its delete: it no longer counts as it was)
                    shares.add(msgspec.convert(current, DiaryEntry), -1)
                if ch.put is not None:
                    shares.add(ch.put, +1)
                    if current is None:
                        n += 1
                    entry = msgspec.to_builtins(msgspec.structs.replace(ch.put, seq=seq))
                    entries[key] = entry
                    sets[f"entries.{key}"] = entry
                    unsets.pop(f"entries.{key}", None)
                if ch.delete_id is not None and current is not None:
                    n -= 1
                    entries[key] = None
                    unsets[f"entries.{key}"] = ""
                    sets.pop(f"entries.{key}", None)
            # Drop what the relay has published. A stale `sent` only keeps more: it never grows back.
            sent = progress.get("sent", 0)
            outbox = [o for o in doc.get("outbox", []) if o["seq"] > sent]
            outbox += [{"seq": e.seq, "payload": encode_event(e)} for e in events]
            sets.update({"seq": seq, "n": n, "outbox": outbox})
            shares.update(sets, unsets)
            update: dict[str, object] = {"$set": sets}
            if unsets:
                update["$unset"] = unsets
            if not doc:
                try:
                    await self.col.insert_one({"_id": user_id, "entries": {}})
                except DuplicateKeyError:
                    pass
                result = await self.col.update_one({"_id": user_id, "seq": {"$exists": False}}, update)
            else:
                result = await self.col.update_one({"_id": user_id, "seq": doc["seq"]}, update)
            if result.matched_count == 1:
                return events
        raise Conflict("the diary keeps changing; try again")

    async def _doc(self, user_id: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.col.find_one({"_id": user_id}, fields) or {}

    @staticmethod
    def _entries(doc: dict[str, Any]) -> list[DiaryEntry]:
        return [msgspec.convert(e, DiaryEntry) for e in (doc.get("entries") or {}).values() if e]

    async def get(self, user_id: str, entry_id: str) -> DiaryEntry | None:
        key = entry_field(entry_id)
        doc = await self._doc(user_id, {f"entries.{key}": 1})
        e = (doc.get("entries") or {}).get(key)
        return msgspec.convert(e, DiaryEntry) if e else None

    async def page(self, user_id: str, limit: int, offset: int) -> tuple[list[DiaryEntry], int]:
        entries = self._entries(await self._doc(user_id, {"entries": 1}))
        entries.sort(key=diary_order, reverse=True)
        return entries[offset:offset + limit], len(entries)

    async def snapshot(self, user_id: str) -> tuple[list[DiaryEntry], int]:
        doc = await self._doc(user_id, {"entries": 1, "seq": 1})  # one document: one consistent read
        return self._entries(doc), doc.get("seq", 0)

    async def version(self, user_id: str) -> int:
        return int((await self._doc(user_id, {"seq": 1})).get("seq", 0))

    async def watched_in(self, user_id: str, year: int) -> list[DiaryEntry]:
        # One document holds the diary: it is read whole (one read, decoded in C), then filtered.
        prefix = f"{year:04d}"
        return [e for e in self._entries(await self._doc(user_id, {"entries": 1})) if e.date[:4] == prefix]

    async def calendar(self, user_id: str, numbers: Callable[[int], Sequence[int]]
                       ) -> tuple[dict[str, int], list[tuple[int, DiaryEntry]]]:
        return calendar_of(self._entries(await self._doc(user_id, {"entries": 1})), numbers)  # one read

    async def audience(self, catalog_id: str) -> Audience:
        # The diaries that count the film (the multikey `films` index), each read for its share only.
        field = FilmShares.field(catalog_id)
        users = rated = total = 0
        async for d in self.col.find({"films": catalog_id}, {f"film_shares.{field}": 1}):
            n, r, h = (d.get("film_shares") or {}).get(field, (0, 0, 0))
            users, rated, total = users + (n > 0), rated + r, total + h
        return Audience(users, rated, total)

    async def user_ids(self) -> list[str]:
        return sorted([d["_id"] async for d in self.col.find({"seq": {"$gt": 0}}, {"_id": 1})])

    async def remove_user(self, user_id: str) -> None:
        # Events the relay already sent stay in Kafka until its retention; the projection skips them.
        await self.col.delete_one({"_id": user_id})
        await self.mongo.db.outbox_progress.delete_one({"_id": user_id})
        await self.mongo.db.outbox_signals.delete_many({"user": user_id})

    # --- the outbox side, used by the relay (which never writes `diaries`) ---------
    async def signals(self, limit: int, skip_users: Collection[str] = ()) -> list[dict[str, Any]]:
        """Up to `limit` signals `{_id, user}`: users that wrote since the relay last looked,
        but for `skip_users` (users the relay is publishing already)."""
        query = {"user": {"$nin": sorted(skip_users)}} if skip_users else {}
        return await self.mongo.db.outbox_signals.find(query).limit(limit).to_list()

    async def outboxes(self, user_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Each user's `{_id, seq, outbox}` and `sent`, read one user at a time (no `$in` on FerretDB)."""
        sem = asyncio.Semaphore(8)

        async def one(user_id: str) -> dict[str, Any]:
            async with sem:
                progress = await self.mongo.db.outbox_progress.find_one({"_id": user_id}) or {}
                doc = await self.col.find_one({"_id": user_id}, {"seq": 1, "outbox": 1}) or {"_id": user_id}
                return {**doc, "sent": progress.get("sent", 0)}

        return list(await asyncio.gather(*(one(u) for u in user_ids)))

    async def mark_sent(self, sent: dict[str, int], signal_ids: Sequence[Any]) -> None:
        """Record the relay's progress, then drop the signals it has handled."""
        ops = [UpdateOne({"_id": u}, {"$max": {"sent": s}}, upsert=True) for u, s in sent.items()]
        for chunk in _chunks(ops):
            await self.mongo.db.outbox_progress.bulk_write(chunk, ordered=False)
        for chunk in _chunks(list(signal_ids), INSERT_CHUNK):
            await self.mongo.db.outbox_signals.delete_many({"_id": {"$in": chunk}})

    async def unsent(self) -> list[str]:
        """Every user whose diary is ahead of the relay's progress (a full scan: the sweep
        that catches a write whose signal was never stored, and what tests wait on)."""
        sent = {d["_id"]: d.get("sent", 0) async for d in self.mongo.db.outbox_progress.find({})}
        return sorted([d["_id"] async for d in self.col.find({}, {"seq": 1})
                       if d.get("seq", 0) > sent.get(d["_id"], 0)])
