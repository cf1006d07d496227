"""What the MongoDB stores share: bulk writes in small slices, an entry's field name."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from pymongo import UpdateOne
from pymongo.errors import BulkWriteError

from ...domain.ports import StaleWrite

if TYPE_CHECKING:
    from pymongo.asynchronous.collection import AsyncCollection
    Documents = AsyncCollection[dict[str, Any]]  # a collection's documents, as the stores read them

T = TypeVar("T")
F = TypeVar("F")  # what stands for a document that exists already (its guarded update, or nothing)

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


def _chunks(items: Sequence[T], size: int = BULK_CHUNK) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def entry_field(entry_id: str) -> str:
    """Field name of an entry inside the diary document: hex, so never a path or operator."""
    return "e" + entry_id.encode().hex()


async def _insert_new(col: Documents, new: Sequence[tuple[dict[str, Any], F]]) -> list[F]:
    """Insert documents the projection saw as new (expected hwm 0), or a recompute's
    documents, whole; return the fallback updates of those that exist after all, for the
    guarded path.

    A new document costs one insert instead of an upsert plus an update, and inserts are
    batched cheaply (FerretDB: ~40k/s against ~1k updates/s). An existing one (a replay,
    or a document left at hwm 0 by an older version) is reported as a duplicate key, and
    its guarded update from hwm 0 then either applies or raises StaleWrite."""
    fallback: list[F] = []
    for chunk in _chunks(new, INSERT_CHUNK):
        try:
            await col.insert_many([doc for doc, _ in chunk], ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != 11000 for e in errors):
                raise
            fallback += [chunk[e["index"]][1] for e in errors]
    return fallback


async def _hwms(col: Documents, queries: Sequence[dict[str, Any]], wanted: set[str] | None = None) -> dict[str, int]:
    """The stored high-water marks of the documents the queries find (limited to `wanted`).

    One indexed equality query per key, a few at a time, rather than one `$in`: FerretDB
    does not push `$in` down to its backend, so each `$in` query decoded the whole
    collection (the worker spent most of its time there)."""
    out: dict[str, int] = {}
    sem = asyncio.Semaphore(8)

    async def one(q: dict[str, Any]) -> None:
        async with sem:
            async for d in col.find(q, {"hwm": 1}):
                if wanted is None or d["_id"] in wanted:
                    out[d["_id"]] = d.get("hwm", 0)

    await asyncio.gather(*(one(q) for q in queries))
    return out


async def _apply_guarded(col: Documents, writes: Iterable[tuple[str, int, dict[str, Any], dict[str, Any] | None]],
                         kind: str) -> None:
    """A projection batch's writes, each `(_id, expected hwm, update, new document)`: a document
    expected absent (hwm 0) is inserted whole, falling back to the guarded update if it exists
    by now; every other one is updated only where its mark is still the expected one."""
    ops: list[UpdateOne] = []
    new: list[tuple[dict[str, Any], UpdateOne]] = []
    for _id, expected, update, doc in writes:
        if expected or doc is None:  # (a document expected absent always comes whole)
            ops.append(UpdateOne({"_id": _id, "hwm": expected}, update))
        else:
            new.append((doc, UpdateOne({"_id": _id, "hwm": 0}, update)))
    ops += await _insert_new(col, new)
    await _guarded(col, ops, kind)


async def _guarded(col: Documents, ops: list[UpdateOne], kind: str) -> None:
    """The guarded updates of a projection batch, each on its own document, a few chunks at
    once: FerretDB applies an update as one backend transaction, so one connection waits on
    each in turn (measured: 142 updates in 134 ms on one connection, 66 ms on four)."""
    sem = asyncio.Semaphore(GUARDED_CONCURRENCY)

    async def write(chunk: Sequence[UpdateOne]) -> int:
        async with sem:
            return int((await col.bulk_write(chunk, ordered=False)).matched_count)

    matched = sum(await asyncio.gather(*(write(chunk) for chunk in _chunks(ops))))
    if matched != len(ops):
        raise StaleWrite(f"{kind}: {len(ops) - matched} of {len(ops)} documents moved on since they were read")


def fact_id(user_id: str, entry_key: str) -> str:
    return f"{len(user_id)}:{user_id}:{entry_key}"  # length prefix: no two (user, key) pairs collide
