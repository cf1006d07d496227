"""The statistics, affinity and trend stores on MongoDB (pymongo async; real MongoDB and FerretDB).

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

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import msgspec
from pymongo import UpdateOne
from pymongo.errors import DuplicateKeyError

from ...domain.deltas import TrendFact
from ...domain.ports import AffinityStore, AffinityWrite, StatsStore, StatsWrite, TrendStore
from ...domain.ratings import RATING_KEYS, exact_sum
from ...domain.stats import AffinityState, StatsState, prune_monthly, rank_affinities
from ._base import _apply_guarded, _chunks, _hwms, _insert_new, fact_id
from .client import Mongo

if TYPE_CHECKING:
    from ._base import Documents

log = logging.getLogger(__name__)


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
    def col(self) -> Documents:
        return self.mongo.db[self.collection]


class MongoStatsStore(_Projection, StatsStore):
    COLLECTION = "user_stats"

    async def hwms(self, user_ids: Sequence[str]) -> dict[str, int]:
        return await _hwms(self.col, [{"_id": u} for u in dict.fromkeys(user_ids)])

    async def apply(self, writes: Sequence[StatsWrite]) -> None:
        await _apply_guarded(self.col, map(self._write, writes), "user_stats")

    @staticmethod
    def _write(w: StatsWrite) -> tuple[str, int, dict[str, Any], dict[str, Any] | None]:
        inc: dict[str, float] = {"total_watched": w.total, "rated_count": w.rated, "sum_ratings": w.sum_ratings,
                                 "watch_time_minutes": w.watch_time, "timed_count": w.timed,
                                 "rewatch_count": w.rewatch}
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
               "rewatch_count": w.rewatch, "rating_distribution": dist, "monthly_counts": years, "hwm": w.new_hwm,
               "updated_at": w.updated_at}
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
            timed_count=doc.get("timed_count", 0), rewatch_count=doc.get("rewatch_count", 0),
            rating_distribution=dist,
            monthly_counts=prune_monthly(doc.get("monthly_counts", {})), hwm=doc.get("hwm", 0),
            updated_at=doc.get("updated_at"))


def _affinity(doc: dict[str, Any]) -> AffinityState:
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
    def _write(w: AffinityWrite) -> tuple[str, int, dict[str, Any], dict[str, Any] | None]:
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




def _fact(doc: dict[str, Any]) -> TrendFact:
    return TrendFact(doc["user_id"], doc["entry_key"], doc["day"], doc["title"], tuple(doc.get("genres", ())),
                     doc["live"], doc["seq"], doc.get("film", ""))


def _fact_doc(f: TrendFact) -> dict[str, Any]:
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
        pipeline: list[dict[str, Any]] = [{"$match": {"live": True, "day": {"$gte": since_day}, "film": {"$gt": ""}}},
                    {"$group": {"_id": {"film": "$film", "user": "$user_id"}}},
                    {"$group": {"_id": "$_id.film", "n": {"$sum": 1}}}]
        return {d["_id"]: d["n"] async for d in await self.col.aggregate(pipeline)}

    async def facts(self, user_id: str | None = None) -> list[TrendFact]:
        q = {} if user_id is None else {"user_id": user_id}
        return [_fact(d) async for d in self.col.find({**q, "seq": {"$gte": 0}})]

    async def remove_user(self, user_id: str) -> None:
        await self.col.delete_many({"user_id": user_id})

    async def prune(self, before_day: str) -> int:
        return int((await self.col.delete_many({"day": {"$lt": before_day}})).deleted_count)


SHADOW_COLLECTIONS = ("user_stats_shadow", "user_affinities_shadow", "trend_facts_shadow")


async def clear_shadow(mongo: Mongo) -> None:
    """Empty reconcile's shadow collections (drop them), then index them by user: the
    recompute replaces each user's documents, and an unindexed `{user_id}` filter would
    scan the whole, growing collection once per user."""
    for name in SHADOW_COLLECTIONS:
        await mongo.db.drop_collection(name)
    for name in SHADOW_COLLECTIONS[1:]:
        await mongo.db[name].create_index("user_id", name="user")
