"""The catalog on MongoDB: title keys, prefixes and word ranges by index, typos by anchors."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec
from pymongo import UpdateOne

from ...domain.search import rank_search
from ...domain.catalog import (
    credits_of,
    person_key,
    CatalogMovie,
    find_typo_anchors_async,
    group_candidates,
    keys_of,
    title_keys,
    word_starts,
)
from ...domain.ports import CatalogStore
from ...domain.text import normalize_title
from ._base import _chunks
from .client import Mongo

log = logging.getLogger(__name__)


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
    def _doc(m: CatalogMovie) -> dict[str, Any]:
        """A film's document: the film, and the word starts of its keys (`words`, indexed)."""
        return {**msgspec.to_builtins(m), "words": word_starts(keys_of(m)), "people": [k for k, _ in credits_of(m)]}

    @staticmethod
    def _movie(doc: Mapping[str, Any]) -> CatalogMovie:
        doc = dict(doc)
        doc.pop("_id", None)
        doc.pop("words", None)
        doc.pop("people", None)
        return msgspec.convert(doc, CatalogMovie)

    async def candidates(self, name: str) -> list[CatalogMovie]:
        return (await self.candidates_many([name]))[name]

    async def candidates_many(self, names: Sequence[str]) -> dict[str, list[CatalogMovie]]:
        wanted = list(dict.fromkeys(names))
        name_keys = {n: title_keys(n) for n in wanted}  # once per name: the grouping reuses them
        found: dict[str, CatalogMovie] = {}
        for chunk in _chunks(wanted, 200):
            keys = list(dict.fromkeys(k for n in chunk for k in name_keys[n]))
            # `keys` (a multikey index) holds every title key; the normalized titles are for
            # documents written before it (migration 8 fills it in)
            q = {"$or": [{"title": {"$in": chunk}}, {"original_title": {"$in": chunk}}, {"keys": {"$in": keys}},
                         {"normalized_title": {"$in": keys}}, {"normalized_original_title": {"$in": keys}}]}
            async for d in self.mongo.db.catalog.find(q):
                found.setdefault(d["_id"], self._movie(d))
        return group_candidates(wanted, found.values(), name_keys)

    async def by_person(self, name: str, limit: int = 500) -> list[CatalogMovie]:
        cursor = self.mongo.db.catalog.find({"people": person_key(name)}).sort(
            [("votes", -1), ("title", 1), ("_id", 1)]).limit(limit)
        return [self._movie(d) async for d in cursor]

    async def search(self, query: str, limit: int) -> list[CatalogMovie]:
        """The same tiers as the embedded store's, each the most voted first, ranked by the
        domain's rule (`domain.search`): an anchored regex is a range of the
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

    async def _matching(self, where: dict[str, Any], keep: int = SEARCH_CANDIDATES) -> dict[str, CatalogMovie]:
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
