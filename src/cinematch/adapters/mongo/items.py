"""Small records on MongoDB: dead letters, each user's items of one kind, rate limits."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import msgspec
from pymongo import ReplaceOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

from ...domain.ports import DeadLetter, DeadLetterStore, ItemStore, LimitStore
from ._base import _chunks, _insert_new, fact_id
from .client import Mongo

if TYPE_CHECKING:
    from ._base import Documents

log = logging.getLogger(__name__)


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
    def col(self) -> Documents:
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

    async def all(self, user_id: str) -> list[Any]:
        docs = [d async for d in self.col.find({"user_id": user_id})]
        fields = {f.name for f in msgspec.structs.fields(self.type)}
        return [msgspec.convert({k: v for k, v in d.items() if k in fields}, self.type) for d in docs]

    async def owners(self) -> list[str]:
        return sorted(await self.col.distinct("user_id"))

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
                    return float(per_seconds - (now - bound["at"]))
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
