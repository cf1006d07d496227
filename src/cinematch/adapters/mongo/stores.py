"""MongoDB implementations of the ports (pymongo async; runs on real MongoDB and on FerretDB).

Where a delta becomes an update for the kafka profile: `MongoStatsStore.apply`
and `MongoAffinityStore.apply` turn each guarded write into one `UpdateOne` whose
filter carries the high-water mark the projection read, so a replayed batch
matches nothing. No multi-document transactions, no `$expr`, no change streams:
FerretDB has none of them.

Names are data: affinity names and entry keys only ever appear as values or
inside `_id` strings; the only dynamic field paths are "YYYY"/"MM" month keys,
rating keys "1".."5" and `e<hex>` entry keys, all built here.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Collection, Iterable, Sequence

import msgspec
from pymongo import ReplaceOne, UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

from ...domain.catalog import (
    CatalogMovie, find_typo_anchors_async, group_candidates, keys_of, rank_search, title_keys, word_starts,
)
from ...domain.deltas import TrendFact
from ...domain.diary import DiaryEntry, diary_order
from ...domain.events import Event, encode_event
from ...domain.ports import (
    AffinityStore, AffinityWrite, CatalogStore, Conflict, DeadLetter, DeadLetterStore, DiaryChange, DiaryStore,
    ItemStore, LimitStore, Outbox, StaleWrite, StatsStore, StatsWrite, TrendStore, User, UserStore,
)
from ...domain.ratings import RATING_KEYS, exact_sum
from ...domain.stats import AffinityState, StatsState, prune_monthly, rank_affinities
from ...domain.text import normalize_title
from .client import Mongo

log = logging.getLogger(__name__)

MAX_CAS_RETRIES = 100
# Bulk writes go in slices of this many operations. Unpatched FerretDB v1.24 held one
# pooled connection per statement of a bulk update until the whole command ended, so a
# bulk of 100 (its SQLite pool size) or a few concurrent bulks never answered; the
# FerretDB that scripts/devservices builds carries the fix (devservices/recipes/ferretdb/*.patch),
# and slices this small still keep any unpatched server out of that trap.
BULK_CHUNK = 40
INSERT_CHUNK = 500
GUARDED_CONCURRENCY = 4  # bulk writes of one projection batch in flight at once


def _chunks(items: Sequence, size: int = BULK_CHUNK):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def entry_field(entry_id: str) -> str:
    """Field name of an entry inside the diary document: hex, so never a path or operator."""
    return "e" + entry_id.encode().hex()


class MongoUserStore(UserStore):
    def __init__(self, mongo: Mongo) -> None:
        self.mongo = mongo

    async def create(self, user: User) -> None:
        doc = {**msgspec.to_builtins(user), "_id": user.id, "username_key": user.username.lower()}
        try:
            await self.mongo.db.users.insert_one(doc)
        except DuplicateKeyError:
            raise Conflict(f"username {user.username!r} is taken") from None

    @staticmethod
    def _user(doc) -> User | None:
        if doc is None:
            return None
        return User(id=doc["id"], username=doc["username"], password_hash=doc["password_hash"],
                    is_admin=doc.get("is_admin", False), created_at=doc.get("created_at", ""))

    async def by_username(self, username: str) -> User | None:
        return self._user(await self.mongo.db.users.find_one({"username_key": username.lower()}))

    async def by_id(self, user_id: str) -> User | None:
        return self._user(await self.mongo.db.users.find_one({"_id": user_id}))

    async def set_password_hash(self, user_id: str, password_hash: str) -> None:
        await self.mongo.db.users.update_one({"_id": user_id}, {"$set": {"password_hash": password_hash}})

    async def purge(self, user_id: str, at: str) -> None:
        try:
            await self.mongo.db.purged_users.insert_one({"_id": user_id, "at": at, "done": False})
        except DuplicateKeyError:
            pass  # purged before (a retry)
        await self.mongo.db.users.delete_one({"_id": user_id})

    async def purged(self, user_ids: Sequence[str]) -> set[str]:
        ids = list(dict.fromkeys(user_ids))
        out: set[str] = set()
        for chunk in _chunks(ids):
            out.update([d["_id"] async for d in self.mongo.db.purged_users.find({"_id": {"$in": chunk}}, {"_id": 1})])
        return out

    async def pending_purges(self) -> list[str]:
        return sorted([d["_id"] async for d in self.mongo.db.purged_users.find({"done": False}, {"_id": 1})])

    async def purge_done(self, user_id: str) -> None:
        await self.mongo.db.purged_users.update_one({"_id": user_id}, {"$set": {"done": True}})


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
    def col(self):
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
        fields = {"seq": 1, "outbox": 1, "n": 1}
        for ch in changes:
            target = ch.delete_id or (ch.put.id if ch.put else None)
            if target:
                fields[f"entries.{entry_field(target)}"] = 1
        for _ in range(MAX_CAS_RETRIES):
            progress = await self.mongo.db.outbox_progress.find_one({"_id": user_id}) or {}
            doc = await self.col.find_one({"_id": user_id}, fields) or {}
            seq, n = doc.get("seq", 0), doc.get("n", 0)
            entries = doc.get("entries", {})
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
                if ch.put is not None:
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

    async def _doc(self, user_id: str, fields: dict | None = None) -> dict:
        return await self.col.find_one({"_id": user_id}, fields) or {}

    @staticmethod
    def _entries(doc: dict) -> list[DiaryEntry]:
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
        return (await self._doc(user_id, {"seq": 1})).get("seq", 0)

    async def watched_in(self, user_id: str, year: int) -> list[DiaryEntry]:
        # One document holds the diary: it is read whole (one read, decoded in C), then filtered.
        prefix = f"{year:04d}"
        return [e for e in self._entries(await self._doc(user_id, {"entries": 1})) if e.date[:4] == prefix]

    async def user_ids(self) -> list[str]:
        return sorted([d["_id"] async for d in self.col.find({"seq": {"$gt": 0}}, {"_id": 1})])

    async def remove_user(self, user_id: str) -> None:
        # Events the relay already sent stay in Kafka until its retention; the projection skips them.
        await self.col.delete_one({"_id": user_id})
        await self.mongo.db.outbox_progress.delete_one({"_id": user_id})
        await self.mongo.db.outbox_signals.delete_many({"user": user_id})

    # --- the outbox side, used by the relay (which never writes `diaries`) ---------
    async def signals(self, limit: int, skip_users: Collection[str] = ()) -> list[dict]:
        """Up to `limit` signals `{_id, user}`: users that wrote since the relay last looked,
        but for `skip_users` (users the relay is publishing already)."""
        query = {"user": {"$nin": sorted(skip_users)}} if skip_users else {}
        return await self.mongo.db.outbox_signals.find(query).limit(limit).to_list()

    async def outboxes(self, user_ids: Sequence[str]) -> list[dict]:
        """Each user's `{_id, seq, outbox}` and `sent`, read one user at a time (no `$in` on FerretDB)."""
        sem = asyncio.Semaphore(8)

        async def one(user_id: str) -> dict:
            async with sem:
                progress = await self.mongo.db.outbox_progress.find_one({"_id": user_id}) or {}
                doc = await self.col.find_one({"_id": user_id}, {"seq": 1, "outbox": 1}) or {"_id": user_id}
                return {**doc, "sent": progress.get("sent", 0)}

        return list(await asyncio.gather(*(one(u) for u in user_ids)))

    async def mark_sent(self, sent: dict[str, int], signal_ids: Sequence) -> None:
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


SEARCH_CANDIDATES = 100  # films read per tier of a search before the domain's ranking
SEARCH_SCAN = 1000  # index entries a tier reads at most
TYPO_ANCHORS = 2  # anchors of a typo (domain.catalog.typo_anchors) whose films are candidates
TYPO_CANDIDATES = 50  # films kept per anchor and index (four lookups: fewer each)


class MongoCatalogStore(CatalogStore):
    def __init__(self, mongo: Mongo) -> None:
        self.mongo = mongo

    async def upsert(self, movies: Sequence[CatalogMovie]) -> int:
        for chunk in _chunks(list(movies)):
            await self.mongo.db.catalog.bulk_write(
                [UpdateOne({"_id": m.id}, {"$set": self._doc(m)}, upsert=True) for m in chunk], ordered=False)
        return len(movies)

    @staticmethod
    def _doc(m: CatalogMovie) -> dict:
        """A film's document: the film, and the word starts of its keys (`words`, indexed)."""
        return {**msgspec.to_builtins(m), "words": word_starts(keys_of(m))}

    @staticmethod
    def _movie(doc) -> CatalogMovie:
        doc = dict(doc)
        doc.pop("_id", None)
        doc.pop("words", None)
        return msgspec.convert(doc, CatalogMovie)

    async def candidates(self, name: str) -> list[CatalogMovie]:
        return (await self.candidates_many([name]))[name]

    async def candidates_many(self, names: Sequence[str]) -> dict[str, list[CatalogMovie]]:
        wanted = list(dict.fromkeys(names))
        found: dict[str, CatalogMovie] = {}
        for chunk in _chunks(wanted, 200):
            keys = list(dict.fromkeys(k for n in chunk for k in title_keys(n)))
            # `keys` (a multikey index) holds every title key; the normalized titles are for
            # documents written before it (migration 8 fills it in)
            q = {"$or": [{"title": {"$in": chunk}}, {"original_title": {"$in": chunk}}, {"keys": {"$in": keys}},
                         {"normalized_title": {"$in": keys}}, {"normalized_original_title": {"$in": keys}}]}
            async for d in self.mongo.db.catalog.find(q):
                found.setdefault(d["_id"], self._movie(d))
        return group_candidates(wanted, found.values())

    async def search(self, query: str, limit: int) -> list[CatalogMovie]:
        """The same tiers as the embedded store's, each the most voted first, ranked by the
        domain's rule (`domain.catalog.search_rank`): an anchored regex is a range of the
        `keys` or `words` index; a one-word query inside a word, and a one-word typo, are
        unanchored regexes (a scan of the keys index: MongoDB has no trigram index)."""
        q = normalize_title(query)
        if not q:
            return []
        found = await self._starting("keys", q)
        named = any(q in keys_of(m) for m in found.values())  # a film named by the query
        if not named and len(found) < limit:
            found.update(await self._starting("words", q))
        if not named and len(found) < limit and len(q) >= 3 and " " not in q:
            found.update(await self._matching({"keys": {"$regex": re.escape(q)}}))
        if len(q) >= 4 and not found:
            for anchor in (await find_typo_anchors_async(q, self._begins))[:TYPO_ANCHORS]:
                found.update(await self._starting("keys", anchor, TYPO_CANDIDATES))
                found.update(await self._starting("words", anchor, TYPO_CANDIDATES))
            if " " not in q:  # a one-word typo may come early: either half of the word
                half = len(q) // 2
                parts = [p for p in {q[:half + 1][:6], q[half:][-6:]} if len(p) >= 3]
                if parts:
                    found.update(await self._matching({"$or": [{"keys": {"$regex": re.escape(p)}} for p in parts]}))
        return rank_search(found.values(), q, limit)

    async def _starting(self, field: str, text: str, keep: int = SEARCH_CANDIDATES) -> dict[str, CatalogMovie]:
        return await self._matching({field: {"$regex": "^" + re.escape(text)}}, keep)

    async def _matching(self, where: dict, keep: int = SEARCH_CANDIDATES) -> dict[str, CatalogMovie]:
        """The most voted of the first SEARCH_SCAN films `where` finds (in index order, so a
        common prefix never sorts the whole catalog by votes)."""
        col = self.mongo.db.catalog
        seen = [d async for d in col.find(where, {"votes": 1}).limit(SEARCH_SCAN)]
        top = [d["_id"] for d in sorted(seen, key=lambda d: -d.get("votes", 0))[:keep]]
        return {d["_id"]: self._movie(d) async for d in col.find({"_id": {"$in": top}})}

    async def _begins(self, text: str) -> bool:
        """Whether some title key or word start begins with `text` (an index seek)."""
        pattern = {"$regex": "^" + re.escape(text)}
        return (await self.mongo.db.catalog.find_one({"keys": pattern}, {"_id": 1}) is not None
                or await self.mongo.db.catalog.find_one({"words": pattern}, {"_id": 1}) is not None)

    async def genres(self) -> list[tuple[str, int]]:
        cursor = await self.mongo.db.catalog.aggregate(
            [{"$unwind": "$genres"}, {"$group": {"_id": "$genres", "n": {"$sum": 1}}}])
        rows = [(d["_id"], d["n"]) async for d in cursor]
        return sorted(rows, key=lambda r: (-r[1], r[0]))

    async def by_ids(self, ids: Sequence[str]) -> dict[str, CatalogMovie]:
        out: dict[str, CatalogMovie] = {}
        for chunk in _chunks(list(ids)):
            async for d in self.mongo.db.catalog.find({"_id": {"$in": chunk}}):
                out[d["_id"]] = self._movie(d)
        return out

    async def count(self) -> int:
        return await self.mongo.db.catalog.count_documents({})



async def _insert_new(col, new: list[tuple[dict, UpdateOne]]) -> list[UpdateOne]:
    """Insert documents the projection saw as new (expected hwm 0), or a recompute's
    documents, whole; return the fallback updates of those that exist after all, for the
    guarded path.

    A new document costs one insert instead of an upsert plus an update, and inserts are
    batched cheaply (FerretDB: ~40k/s against ~1k updates/s). An existing one (a replay,
    or a document left at hwm 0 by an older version) is reported as a duplicate key, and
    its guarded update from hwm 0 then either applies or raises StaleWrite."""
    fallback: list[UpdateOne] = []
    for chunk in _chunks(new, INSERT_CHUNK):
        try:
            await col.insert_many([doc for doc, _ in chunk], ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != 11000 for e in errors):
                raise
            fallback += [chunk[e["index"]][1] for e in errors]
    return fallback


async def _hwms(col, queries: Sequence[dict], wanted: set[str] | None = None) -> dict[str, int]:
    """The stored high-water marks of the documents the queries find (limited to `wanted`).

    One indexed equality query per key, a few at a time, rather than one `$in`: FerretDB
    does not push `$in` down to its backend, so each `$in` query decoded the whole
    collection (the worker spent most of its time there)."""
    out: dict[str, int] = {}
    sem = asyncio.Semaphore(8)

    async def one(q: dict) -> None:
        async with sem:
            async for d in col.find(q, {"hwm": 1}):
                if wanted is None or d["_id"] in wanted:
                    out[d["_id"]] = d.get("hwm", 0)

    await asyncio.gather(*(one(q) for q in queries))
    return out


async def _apply_guarded(col, writes: Iterable[tuple[str, int, dict, dict | None]], kind: str) -> None:
    """A projection batch's writes, each `(_id, expected hwm, update, new document)`: a document
    expected absent (hwm 0) is inserted whole, falling back to the guarded update if it exists
    by now; every other one is updated only where its mark is still the expected one."""
    ops, new = [], []
    for _id, expected, update, doc in writes:
        if expected:
            ops.append(UpdateOne({"_id": _id, "hwm": expected}, update))
        else:
            new.append((doc, UpdateOne({"_id": _id, "hwm": 0}, update)))
    ops += await _insert_new(col, new)
    await _guarded(col, ops, kind)


async def _guarded(col, ops: list[UpdateOne], kind: str) -> None:
    """The guarded updates of a projection batch, each on its own document, a few chunks at
    once: FerretDB applies an update as one backend transaction, so one connection waits on
    each in turn (measured: 142 updates in 134 ms on one connection, 66 ms on four)."""
    sem = asyncio.Semaphore(GUARDED_CONCURRENCY)

    async def write(chunk: list[UpdateOne]) -> int:
        async with sem:
            return (await col.bulk_write(chunk, ordered=False)).matched_count

    matched = sum(await asyncio.gather(*(write(chunk) for chunk in _chunks(ops))))
    if matched != len(ops):
        raise StaleWrite(f"{kind}: {len(ops) - matched} of {len(ops)} documents moved on since they were read")


# rating_distribution's keys as stored: a "." would be a path in an update ("4.5" -> "4_5").
DIST_FIELDS = tuple(k.replace(".", "_") for k in RATING_KEYS)


class _Projection:
    """A projection's store on one collection: its own, or another name for reconcile's
    shadow collections."""

    COLLECTION = ""

    def __init__(self, mongo: Mongo, collection: str = "") -> None:
        self.mongo = mongo
        self.collection = collection or self.COLLECTION

    @property
    def col(self):
        return self.mongo.db[self.collection]


class MongoStatsStore(_Projection, StatsStore):
    COLLECTION = "user_stats"

    async def hwms(self, user_ids: Sequence[str]) -> dict[str, int]:
        return await _hwms(self.col, [{"_id": u} for u in dict.fromkeys(user_ids)])

    async def apply(self, writes: Sequence[StatsWrite]) -> None:
        await _apply_guarded(self.col, map(self._write, writes), "user_stats")

    @staticmethod
    def _write(w: StatsWrite) -> tuple[str, int, dict, dict | None]:
        inc: dict[str, float] = {"total_watched": w.total, "rated_count": w.rated, "sum_ratings": w.sum_ratings,
                                 "watch_time_minutes": w.watch_time, "timed_count": w.timed}
        dist = {k: w.dist[i] for i, k in enumerate(DIST_FIELDS) if w.dist[i]}
        monthly = {m: n for m, n in w.monthly.items() if n}
        inc.update({f"rating_distribution.{k}": n for k, n in dist.items()})
        inc.update({f"monthly_counts.{m[:4]}.{m[5:7]}": n for m, n in monthly.items()})
        update = {"$inc": inc, "$set": {"hwm": w.new_hwm, "updated_at": w.updated_at}}
        if w.expected_hwm:
            return w.user_id, w.expected_hwm, update, None
        years: dict[str, dict[str, int]] = {}
        for m, n in monthly.items():
            years.setdefault(m[:4], {})[m[5:7]] = n
        doc = {"_id": w.user_id, "user_id": w.user_id, "total_watched": w.total, "rated_count": w.rated,
               "sum_ratings": w.sum_ratings, "watch_time_minutes": w.watch_time, "timed_count": w.timed,
               "rating_distribution": dist, "monthly_counts": years, "hwm": w.new_hwm, "updated_at": w.updated_at}
        return w.user_id, 0, update, doc

    async def replace(self, state: StatsState) -> None:
        doc = msgspec.to_builtins(state)
        doc["rating_distribution"] = {f: state.rating_distribution.get(k, 0) for k, f in zip(RATING_KEYS, DIST_FIELDS)}
        if (await self.col.replace_one({"_id": state.user_id, "hwm": {"$lte": state.hwm}}, doc)).matched_count:
            return
        try:
            await self.col.insert_one({"_id": state.user_id, **doc})
        except DuplicateKeyError:
            pass  # stored at a higher hwm: newer than this recompute, kept

    async def remove_user(self, user_id: str) -> None:
        await self.col.delete_one({"_id": user_id})

    async def get(self, user_id: str) -> StatsState | None:
        doc = await self.col.find_one({"_id": user_id})
        if doc is None:
            return None
        stored = doc.get("rating_distribution", {})
        dist = {k: stored.get(f, 0) for k, f in zip(RATING_KEYS, DIST_FIELDS)}
        return StatsState(
            user_id=user_id, total_watched=doc.get("total_watched", 0), rated_count=doc.get("rated_count", 0),
            sum_ratings=exact_sum(doc.get("sum_ratings", 0)), watch_time_minutes=doc.get("watch_time_minutes", 0),
            timed_count=doc.get("timed_count", 0), rating_distribution=dist,
            monthly_counts=prune_monthly(doc.get("monthly_counts", {})), hwm=doc.get("hwm", 0),
            updated_at=doc.get("updated_at"))


def _affinity(doc) -> AffinityState:
    return AffinityState(id=doc["_id"], user_id=doc["user_id"], type=doc["type"], name=doc["name"],
                         name_key=doc["name_key"], count=doc.get("count", 0), rated_count=doc.get("rated_count", 0),
                         sum_ratings=exact_sum(doc.get("sum_ratings", 0)), hwm=doc.get("hwm", 0),
                         updated_at=doc.get("updated_at"))


class MongoAffinityStore(_Projection, AffinityStore):
    """Flat documents, `_id` = `{user_id}_{type}_{clean_key(name)}` (docs/contract.md §2)."""

    COLLECTION = "user_affinities"

    async def hwms(self, ids: Sequence[str], user_ids: Sequence[str] | None = None) -> dict[str, int]:
        if user_ids is None:
            return await _hwms(self.col, [{"_id": i} for i in dict.fromkeys(ids)])
        return await _hwms(self.col, [{"user_id": u} for u in dict.fromkeys(user_ids)], set(ids))

    async def apply(self, writes: Sequence[AffinityWrite]) -> None:
        await _apply_guarded(self.col, map(self._write, writes), "user_affinities")

    @staticmethod
    def _write(w: AffinityWrite) -> tuple[str, int, dict, dict | None]:
        update = {"$inc": {"count": w.count, "rated_count": w.rated, "sum_ratings": w.sum_ratings},
                  "$set": {"hwm": w.new_hwm, "name": w.name, "updated_at": w.updated_at}}
        if w.expected_hwm:
            return w.id, w.expected_hwm, update, None
        doc = {"_id": w.id, "user_id": w.user_id, "type": w.type, "name_key": w.name_key, "name": w.name,
               "count": w.count, "rated_count": w.rated, "sum_ratings": w.sum_ratings, "hwm": w.new_hwm,
               "updated_at": w.updated_at}
        return w.id, 0, update, doc

    async def replace_user(self, user_id: str, docs: Sequence[AffinityState], hwm: int) -> None:
        # Documents stored above `hwm` are newer than the recompute (the stream moved them
        # after the diary was read) and are left alone by both steps.
        await self.col.update_many({"user_id": user_id, "hwm": {"$lte": hwm}},
                                   {"$set": {"count": 0, "rated_count": 0, "sum_ratings": 0, "hwm": hwm}})
        new = []
        for d in docs:
            doc = {**msgspec.to_builtins(d), "_id": d.id, "hwm": hwm}
            new.append((doc, UpdateOne({"_id": d.id, "hwm": {"$lte": hwm}}, {"$set": doc})))
        for chunk in _chunks(await _insert_new(self.col, new)):
            await self.col.bulk_write(chunk, ordered=False)

    async def for_user(self, user_id: str) -> list[AffinityState]:
        return [_affinity(d) async for d in self.col.find({"user_id": user_id, "count": {"$gt": 0}})]

    async def remove_user(self, user_id: str) -> None:
        await self.col.delete_many({"user_id": user_id})

    async def query(self, user_id: str, kind: str, sort: str, limit: int, min_count: int) -> list[AffinityState]:
        docs = [_affinity(d) async for d in self.col.find(
            {"user_id": user_id, "type": kind, "count": {"$gte": max(min_count, 1)}})]
        return rank_affinities(docs, sort)[:limit]


def fact_id(user_id: str, entry_key: str) -> str:
    return f"{len(user_id)}:{user_id}:{entry_key}"  # length prefix: no two (user, key) pairs collide


def _fact(doc) -> TrendFact:
    return TrendFact(doc["user_id"], doc["entry_key"], doc["day"], doc["title"], tuple(doc.get("genres", ())),
                     doc["live"], doc["seq"], doc.get("film", ""))


def _fact_doc(f: TrendFact) -> dict:
    return {"user_id": f.user_id, "entry_key": f.entry_key, "day": f.day, "title": f.title,
            "genres": list(f.genres), "live": f.live, "seq": f.seq, "film": f.film}


class MongoTrendStore(_Projection, TrendStore):
    """One fact per diary entry; the newest (by seq) wins, so replays change nothing."""

    COLLECTION = "trend_facts"

    async def apply(self, facts: Sequence[TrendFact]) -> None:
        # Insert first; an existing fact takes the update only when this one is newer.
        new = [({"_id": fact_id(f.user_id, f.entry_key), **_fact_doc(f)},
                UpdateOne({"_id": fact_id(f.user_id, f.entry_key)} | ({} if f.seq == 0 else {"seq": {"$lt": f.seq}}),
                          {"$set": _fact_doc(f)})) for f in facts]
        for chunk in _chunks(await _insert_new(self.col, new)):
            await self.col.bulk_write(chunk, ordered=False)

    async def replace_user(self, user_id: str, facts: Sequence[TrendFact], hwm: int) -> None:
        # Facts stored above `hwm` are newer than the recompute and are left alone.
        await self.col.update_many({"user_id": user_id, "seq": {"$lte": hwm}}, {"$set": {"live": False, "seq": hwm}})
        new = []
        for f in facts:
            fid, doc = fact_id(f.user_id, f.entry_key), _fact_doc(f)
            new.append(({"_id": fid, **doc}, UpdateOne({"_id": fid, "seq": {"$lte": hwm}}, {"$set": doc})))
        for chunk in _chunks(await _insert_new(self.col, new)):
            await self.col.bulk_write(chunk, ordered=False)

    async def window_counts(self, since_day: str) -> dict[str, int]:
        # Distinct users per film: one group per (film, user), then count them per film
        # ($sum only: the MongoDB-wire test server knows no $addToSet).
        pipeline = [{"$match": {"live": True, "day": {"$gte": since_day}, "film": {"$gt": ""}}},
                    {"$group": {"_id": {"film": "$film", "user": "$user_id"}}},
                    {"$group": {"_id": "$_id.film", "n": {"$sum": 1}}}]
        return {d["_id"]: d["n"] async for d in await self.col.aggregate(pipeline)}

    async def facts(self, user_id: str | None = None) -> list[TrendFact]:
        q = {} if user_id is None else {"user_id": user_id}
        return [_fact(d) async for d in self.col.find({**q, "seq": {"$gte": 0}})]

    async def remove_user(self, user_id: str) -> None:
        await self.col.delete_many({"user_id": user_id})

    async def prune(self, before_day: str) -> int:
        return (await self.col.delete_many({"day": {"$lt": before_day}})).deleted_count


SHADOW_COLLECTIONS = ("user_stats_shadow", "user_affinities_shadow", "trend_facts_shadow")


async def clear_shadow(mongo: Mongo) -> None:
    """Empty reconcile's shadow collections (drop them), then index them by user: the
    recompute replaces each user's documents, and an unindexed `{user_id}` filter would
    scan the whole, growing collection once per user."""
    for name in SHADOW_COLLECTIONS:
        await mongo.db.drop_collection(name)
    for name in SHADOW_COLLECTIONS[1:]:
        await mongo.db[name].create_index("user_id", name="user")


class MongoDeadLetterStore(DeadLetterStore):
    def __init__(self, mongo: Mongo) -> None:
        self.mongo = mongo

    async def add(self, letters: Sequence[DeadLetter]) -> None:
        """One letter per source position: a batch replayed after a crash adds nothing."""
        if letters:
            docs = [{"_id": f"{d.partition}:{d.position}", **msgspec.to_builtins(d)} for d in letters]
            await _insert_new(self.mongo.db.dead_letters, [(doc, None) for doc in docs])

    async def all(self) -> list[DeadLetter]:
        return [DeadLetter(payload=d["payload"], reason=d["reason"], partition=d["partition"],
                           position=d["position"], at=d["at"])
                async for d in self.mongo.db.dead_letters.find({}).sort([("partition", 1), ("position", 1)])]

    async def count(self) -> int:
        return await self.mongo.db.dead_letters.count_documents({})


class MongoItemStore(ItemStore):
    """One document per item in the collection named by the kind, `_id` = user and item id."""

    def __init__(self, mongo: Mongo, kind: str, type_: type) -> None:
        self.mongo, self.kind, self.type = mongo, kind, type_

    @property
    def col(self):
        return self.mongo.db[self.kind]

    async def put(self, user_id: str, items: Sequence[msgspec.Struct], *, only_new: bool = False) -> int:
        written = 0  # every item kind (ImportBatch, WatchItem) has an id (the ignore below)
        for chunk in _chunks(list(items)):
            docs = [{**msgspec.to_builtins(i), "_id": fact_id(user_id, i.id), "user_id": user_id} for i in chunk]  # type: ignore[attr-defined]
            if only_new:
                try:
                    written += len((await self.col.insert_many(docs, ordered=False)).inserted_ids)
                except BulkWriteError as exc:
                    written += exc.details.get("nInserted", 0)
            else:
                ops = [ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in docs]
                await self.col.bulk_write(ops, ordered=False)
                written += len(ops)
        return written

    async def all(self, user_id: str) -> list:
        docs = [d async for d in self.col.find({"user_id": user_id})]
        fields = set(self.type.__struct_fields__)
        return [msgspec.convert({k: v for k, v in d.items() if k in fields}, self.type) for d in docs]

    async def remove(self, user_id: str, ids: Sequence[str]) -> int:
        keys = [fact_id(user_id, i) for i in set(ids)]
        return (await self.col.delete_many({"_id": {"$in": keys}})).deleted_count if keys else 0

    async def remove_user(self, user_id: str) -> None:
        await self.col.delete_many({"user_id": user_id})


class MongoLimitStore(LimitStore):
    """Shared by every app process on the database, and written only by inserts (and deletes),
    whose unique `_id` makes each one atomic on any MongoDB-wire server (FerretDB loses
    concurrent `$inc`s; inserts it keeps):

    - `rate_uses` {_id: "what|n", what, n, at}: the n-th use of `what`. Use n + 1 is allowed
      when use n + 1 - limit is outside the window; two processes claiming the same n collide
      on the `_id`, and the loser tries the next number.
    - `login_failures` {key, at} and `login_blocks` {key, until}: one document per failure and
      per block; a key's failures are those of the last `forget` seconds.
    """

    PRUNE_EVERY = 60.0  # seconds between deletions of what left every window

    def __init__(self, mongo: Mongo) -> None:
        self.mongo = mongo
        self._next_prune = 0.0

    async def use(self, what: str, limit: int, per_seconds: float, now: float) -> float:
        col = self.mongo.db.rate_uses
        while True:
            last = await col.find_one({"what": what}, sort=[("n", -1)])
            n = (last["n"] if last else 0) + 1
            if n > limit:
                bound = await col.find_one({"_id": f"{what}|{n - limit}"})
                if bound is not None and now - bound["at"] < per_seconds:
                    return per_seconds - (now - bound["at"])
            try:
                await col.insert_one({"_id": f"{what}|{n}", "what": what, "n": n, "at": now})
            except DuplicateKeyError:
                continue  # another process took this use: look again
            await self._prune(now, per_seconds, what, n - limit)
            return 0.0

    async def blocked_until(self, keys: Sequence[str]) -> float:
        doc = await self.mongo.db.login_blocks.find_one({"key": {"$in": list(keys)}}, sort=[("until", -1)])
        return doc["until"] if doc else 0.0

    async def failure(self, key: str, now: float, forget: float) -> int:
        db = self.mongo.db
        await db.login_failures.insert_one({"key": key, "at": now})
        failures = await db.login_failures.count_documents({"key": key, "at": {"$gt": now - forget}})
        if failures == 1:  # the earlier ones were forgotten: so are their blocks
            await db.login_blocks.delete_many({"key": key})
        await self._prune(now, forget)
        return failures

    async def block(self, key: str, until: float) -> None:
        await self.mongo.db.login_blocks.insert_one({"key": key, "until": until})

    async def clear(self, key: str) -> None:
        await self.mongo.db.login_failures.delete_many({"key": key})
        await self.mongo.db.login_blocks.delete_many({"key": key})

    async def _prune(self, now: float, window: float, what: str | None = None, below: int = 0) -> None:
        if what is not None and below > 1:
            await self.mongo.db.rate_uses.delete_many({"what": what, "n": {"$lt": below}})  # never consulted again
        if now >= self._next_prune:
            self._next_prune = now + self.PRUNE_EVERY
            await self.mongo.db.login_failures.delete_many({"at": {"$lt": now - 86_400}})
            await self.mongo.db.login_blocks.delete_many({"until": {"$lt": now}})
