"""`cinematch demo`: a demo catalog (MovieLens-100k titles, years, genres, plus the
committed credits of its 100 most-rated films) and demo users with diaries, so a
new user sees a living product.

Idempotent: the catalog is upserted, and a demo user that already exists is left
as it is.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ..data.movielens import Item, load_items, load_ratings
from ..domain.catalog import CatalogMovie, catalog_id_for, catalog_movie
from ..domain.ports import CatalogStore, Conflict
from .accounts import AccountError, Accounts
from .diary import DiaryService, NewEntry

DEMO_PASSWORD = "demo-password"
_TRAILING_ARTICLE = re.compile(r"^(?P<rest>.+), (?P<art>The|A|An|L'|Le|La|Les|Il|Das|Der|Die|El|Los|Las)$")


def display_title(title: str) -> str:
    """MovieLens writes 'Godfather, The'; people write 'The Godfather'."""
    m = _TRAILING_ARTICLE.match(title.strip())
    if not m:
        return title.strip()
    art = m["art"]
    return f"{art}{m['rest']}" if art.endswith("'") else f"{art} {m['rest']}"


def credits() -> dict[str, dict[str, str]]:
    """Director, main cast and runtime of the most-rated MovieLens-100k films, by item id."""
    text = resources.files("cinematch.data").joinpath("credits_ml100k.csv").read_text("utf-8")
    return {row["item_id"]: row for row in csv.DictReader(text.splitlines())}


def demo_catalog(items: dict[str, Item]) -> list[CatalogMovie]:
    extra = credits()
    out = []
    for item in items.values():
        c = extra.get(item.id, {})
        title = display_title(item.title)
        out.append(catalog_movie(
            id=catalog_id_for(title, item.year), title=title,
            original_title=item.title if title != item.title else None, year=item.year, genres=item.genres,
            director=c.get("director"), actors=c.get("actors"),
            duration=int(c["runtime"]) if c.get("runtime") else None,
        ))
    return out


async def load_demo(dataset: Path, *, catalog: CatalogStore, accounts: Accounts, diary: DiaryService,
                    today: dt.date, users: int = 20, entries: int = 40,
                    progress: Callable[[str, int, int], None] | None = None) -> dict[str, Any]:
    """Upsert the catalog and create `users` demo users (the most active MovieLens
    raters), each with their `entries` latest ratings as a diary, dates shifted so the
    newest rating is `today`."""
    items = load_items(dataset)
    ratings = load_ratings(dataset)
    upserted = await catalog.upsert(demo_catalog(items))
    shift = today - dt.datetime.fromtimestamp(int(ratings.timestamps.max()), dt.timezone.utc).date()
    uids, counts = np.unique(ratings.users, return_counts=True)
    chosen = uids[np.argsort(-counts, kind="stable")][:users]
    created, diary_entries = [], 0
    for done, uid in enumerate(chosen.tolist()):
        if progress:
            progress("demo users", done, len(chosen))
        username = f"demo_{uid}"
        try:
            user = await accounts.register(username, DEMO_PASSWORD)
        except (AccountError, Conflict):
            continue  # already there: leave it as its owner left it
        mine = np.flatnonzero(ratings.users == uid)
        latest = mine[np.argsort(-ratings.timestamps[mine], kind="stable")][:entries]
        new = []
        for i in latest.tolist():
            item = items.get(str(ratings.items[i]))
            if item is None:
                continue
            day = dt.datetime.fromtimestamp(int(ratings.timestamps[i]), dt.timezone.utc).date() + shift
            new.append(NewEntry(name=display_title(item.title), year=item.year,
                                rating=min(5, max(1, int(round(ratings.ratings[i])))), date=day.isoformat()))
        await diary.add_many(user.id, new)
        created.append(username)
        diary_entries += len(new)
    if progress:
        progress("demo users", len(chosen), len(chosen))
    return {"catalog_movies": upserted, "users_created": created, "diary_entries": diary_entries,
            "password": DEMO_PASSWORD}
