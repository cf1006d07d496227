"""Versioned, idempotent MongoDB migrations, recorded in the `schema_migrations`
collection. Each step may run again after a crash (index creation is idempotent)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import msgspec
from pymongo import ASCENDING, DESCENDING, IndexModel, UpdateOne

from ...domain.catalog import CatalogMovie, credits_of, movie_keys, word_starts
from ...domain.diary import DiaryEntry
from ...domain.events import Event
from ...domain.ports import DiaryChange
from ._base import fact_id
from .client import Mongo
from .diary import FilmShares, MongoDiaryStore

# (version, description, indexes to create, index names to drop), per collection.
MIGRATIONS: list[tuple[int, str, dict[str, list[IndexModel]], dict[str, list[str]]]] = [
    (1, "indexes of seed 000 and the projections", {
        "users": [IndexModel([("username_key", ASCENDING)], unique=True, name="username_key_unique")],
        "catalog": [IndexModel([("title", ASCENDING)], name="title"),
                    IndexModel([("original_title", ASCENDING)], name="original_title"),
                    IndexModel([("normalized_title", ASCENDING)], name="normalized_title"),
                    IndexModel([("normalized_original_title", ASCENDING)], name="normalized_original_title")],
        "diaries": [IndexModel([("pending", ASCENDING)], name="pending_outbox"),
                    IndexModel([("n", ASCENDING)], name="live_entries")],
        "user_affinities": [
            IndexModel([("user_id", ASCENDING), ("type", ASCENDING), ("count", DESCENDING)], name="user_type_count"),
            IndexModel([("user_id", ASCENDING), ("type", ASCENDING), ("sum_ratings", DESCENDING)],
                       name="user_type_sum")],
        "trend_facts": [IndexModel([("live", ASCENDING), ("day", ASCENDING)], name="live_day"),
                        IndexModel([("user_id", ASCENDING)], name="user")],
    }, {}),
    # The relay keeps its progress in outbox_progress and finds work in outbox_signals
    # (both looked up by _id); diaries no longer carry a `pending` flag.
    (2, "relay progress outside the diary documents", {}, {"diaries": ["pending_outbox"]}),
    # Public trends count catalog films by distinct user (data step: `_fact_films`).
    (3, "trend facts name their catalog film", {
        "trend_facts": [IndexModel([("live", ASCENDING), ("day", ASCENDING), ("film", ASCENDING)],
                                   name="live_day_film")],
    }, {}),
    (4, "health probe (created by its first write)", {}, {}),
    (5, "affinity keys one-to-one (data step: `_rekey_affinities`)", {}, {}),
    (6, "half stars and unrated entries (data step: `_half_stars`)", {}, {}),
    (7, "import batches and the watchlist", {
        "imports": [IndexModel([("user_id", ASCENDING)], name="user")],
        "watchlist": [IndexModel([("user_id", ASCENDING)], name="user")],
    }, {}),
    (8, "catalog title keys (data step: `_title_keys`)", {
        "catalog": [IndexModel([("keys", ASCENDING)], name="keys")],
    }, {}),
    (9, "catalog word starts (data step: `_word_starts`)", {
        "catalog": [IndexModel([("words", ASCENDING)], name="words")],
    }, {}),
    # Rate limits and the sign-in throttle, shared by the app processes (MongoLimitStore).
    (10, "shared limits", {
        "rate_uses": [IndexModel([("what", ASCENDING), ("n", DESCENDING)], name="what_n")],
        "login_failures": [IndexModel([("key", ASCENDING), ("at", ASCENDING)], name="key_at")],
        "login_blocks": [IndexModel([("key", ASCENDING), ("until", DESCENDING)], name="key_until")],
    }, {}),
    (11, "lists of films", {"lists": [IndexModel([("user_id", ASCENDING)], name="user")]}, {}),
    (12, "catalog people (data step: `_people`)", {
        "catalog": [IndexModel([("people", ASCENDING)], name="people")],
    }, {}),
    (13, "writers, countries, languages, decades, years, weekdays, rewatches, films (data step: `_new_breakdowns`)",
     {}, {}),
    (14, "shared years in review", {"shares": [IndexModel([("user_id", ASCENDING)], name="user")]}, {}),
    (15, "films' audiences (data step: `_film_shares`)", {
        "diaries": [IndexModel([("films", ASCENDING)], name="films")],
    }, {}),
    # Every list shown reads the films its person waved away; an experiment's report, every
    # person's signals (services/feedback.py, services/experiments.py).
    (16, "feedback on recommendations and experiments", {
        "signals": [IndexModel([("user_id", ASCENDING)], name="user")],
        "dismissed": [IndexModel([("user_id", ASCENDING)], name="user")],
        "experiments": [IndexModel([("user_id", ASCENDING)], name="user")],
    }, {}),
]


async def _fact_films(mongo: Mongo) -> None:
    """Each stored trend fact gets the catalog film of its diary entry (idempotent: a
    crash part-way sets the same values again)."""

    db = mongo.db
    async for diary in db.diaries.find({}, {"entries": 1}):
        ops = [UpdateOne({"_id": fact_id(diary["_id"], e["id"])}, {"$set": {"film": e["catalog_id"]}})
               for e in (diary.get("entries") or {}).values() if e and e.get("catalog_id")]
        if ops:
            await db.trend_facts.bulk_write(ops, ordered=False)


async def _recalculate(mongo: Mongo, users: set[str]) -> None:
    """A RECALCULATE for each user, through the diary's own writer (its outbox)."""

    diary = MongoDiaryStore(mongo)
    for user_id in sorted(users):
        event = Event(event_type="RECALCULATE", user_id=user_id, event_id=str(uuid.uuid4()))
        await diary.write(user_id, [DiaryChange(event=event)])


async def _rekey_affinities(mongo: Mongo) -> None:
    """Affinity keys became one-to-one (domain.text.clean_key): each user with a name whose
    key changed is recomputed, which writes those documents under the new keys."""
    await _recalculate(mongo, {d["user_id"] async for d in mongo.db.user_affinities.find(
        {"count": {"$gt": 0}, "name": {"$regex": "[%_.$]"}}, {"user_id": 1})})


async def _half_stars(mongo: Mongo) -> None:
    """Ratings are counted apart from entries. Every stored entry has a rating, so an
    affinity's rated count is its count (set where missing: a re-run sets nothing twice);
    the statistics also count the entries with a duration, which only the diary knows:
    every user with statistics is recomputed."""
    col = mongo.db.user_affinities
    ops = [UpdateOne({"_id": d["_id"], "rated_count": {"$exists": False}}, {"$set": {"rated_count": d.get("count", 0)}})
           async for d in col.find({"rated_count": {"$exists": False}}, {"count": 1})]
    for start in range(0, len(ops), 1000):
        await col.bulk_write(ops[start:start + 1000], ordered=False)
    await _recalculate(mongo, {d["_id"] async for d in mongo.db.user_stats.find({}, {"_id": 1})})


async def _title_keys(mongo: Mongo) -> None:
    """Each catalog film gets its title keys (a re-run sets the same ones)."""
    await _set_each_film(mongo, lambda d: {"keys": movie_keys(d.get("title", ""), d.get("original_title"),
                                                              d.get("akas") or ())})


async def _word_starts(mongo: Mongo) -> None:
    """Each catalog film gets the word starts of its keys (a re-run sets the same ones)."""
    await _set_each_film(mongo, lambda d: {"words": word_starts(
        d.get("keys") or movie_keys(d.get("title", ""), d.get("original_title"), d.get("akas") or ()))})


async def _set_each_film(mongo: Mongo, fields: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """Sets `fields(film document)` on every catalog film, in bulk writes of 1,000."""
    ops = [UpdateOne({"_id": d["_id"]}, {"$set": fields(d)})
           async for d in mongo.db.catalog.find({}, {"title": 1, "original_title": 1, "akas": 1, "keys": 1})]
    for start in range(0, len(ops), 1000):
        await mongo.db.catalog.bulk_write(ops[start:start + 1000], ordered=False)


async def _people(mongo: Mongo) -> None:
    """Each catalog film gets the keys of the people it credits (a re-run sets the same ones)."""
    ops = [UpdateOne({"_id": d["_id"]}, {"$set": {"people": [k for k, _ in credits_of(_as_movie(d))]}})
           async for d in mongo.db.catalog.find({}, {"title": 1, "director": 1, "actors": 1, "writers": 1})]
    for start in range(0, len(ops), 1000):
        await mongo.db.catalog.bulk_write(ops[start:start + 1000], ordered=False)


def _as_movie(d: dict[str, Any]) -> CatalogMovie:
    return CatalogMovie(id=str(d["_id"]), title=d.get("title", ""), director=d.get("director", ""),
                        actors=d.get("actors", ""), writers=d.get("writers", ""))


async def _new_breakdowns(mongo: Mongo) -> None:
    """Statistics by writer, country, language, decade, release year and weekday, rewatches and
    distinct films: every user with statistics is recomputed from the diary as it is."""
    await _recalculate(mongo, {d["_id"] async for d in mongo.db.user_stats.find({}, {"_id": 1})})


async def _film_shares(mongo: Mongo) -> None:
    """What each diary adds to each film's audience, for the diaries written before it was kept
    (idempotent: a crash part-way sets the same values again). Migrations run before serving."""
    async for diary in mongo.db.diaries.find({}, {"entries": 1}):
        shares = FilmShares({})
        for e in (diary.get("entries") or {}).values():
            if e:
                shares.add(msgspec.convert(e, DiaryEntry), +1)
        sets: dict[str, object] = {}
        shares.update(sets, {})  # as every diary write sets them: film by film (FilmShares.update)
        if sets:
            await mongo.db.diaries.update_one({"_id": diary["_id"]}, {"$set": sets})


DATA_STEPS = {3: _fact_films, 5: _rekey_affinities, 6: _half_stars, 8: _title_keys, 9: _word_starts, 12: _people,
              13: _new_breakdowns, 15: _film_shares}


async def migrate(mongo: Mongo) -> list[int]:
    """Apply the missing migrations in order; returns the versions applied now."""
    db = mongo.db
    done = {d["_id"] async for d in db.schema_migrations.find({}, {"_id": 1})}
    applied = []
    for version, description, indexes, drops in MIGRATIONS:
        if version in done:
            continue
        for collection, models in indexes.items():
            await db[collection].create_indexes(models)
        for collection, names in drops.items():
            existing = await db[collection].index_information()
            for name in names:
                if name in existing:  # a crash after the drop re-runs this step
                    await db[collection].drop_index(name)
        if version in DATA_STEPS:
            await DATA_STEPS[version](mongo)
        await db.schema_migrations.update_one(
            {"_id": version},
            {"$set": {"description": description, "applied_at": dt.datetime.now(dt.timezone.utc).isoformat()}},
            upsert=True)
        applied.append(version)
    return applied
