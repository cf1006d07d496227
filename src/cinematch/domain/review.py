"""What a year in review adds to the year's figures: its first and last film, and the directors
seen for the first time that year ("new to you")."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from .diary import DiaryEntry, diary_order
from .text import MAX_DIRECTORS, split_people


def year_extras(entries: Iterable[DiaryEntry], year: int, limit: int = 10) -> dict[str, Any]:
    """From the whole diary: the year's first and last watch (in watched order), and the directors
    whose first watch in the diary falls in that year, most watched that year first (then by name)."""
    prefix = f"{year:04d}"
    first_seen: dict[str, str] = {}
    in_year: Counter[str] = Counter()
    first = last = None
    for e in entries:
        names = split_people(e.director, MAX_DIRECTORS)
        for name in names:
            if name not in first_seen or e.date < first_seen[name]:
                first_seen[name] = e.date
        if e.date.startswith(prefix):
            in_year.update(names)
            if first is None or diary_order(e) < diary_order(first):
                first = e
            if last is None or diary_order(e) > diary_order(last):
                last = e
    new = sorted((n for n in in_year if first_seen[n].startswith(prefix)), key=lambda n: (-in_year[n], n))
    return {"first": _watch(first), "last": _watch(last),
            "new_directors": [{"name": n, "count": in_year[n]} for n in new[:limit]]}


def _watch(e: DiaryEntry | None) -> dict[str, Any] | None:
    if e is None:
        return None
    return {"id": e.id, "title": e.title or e.name, "year": e.year, "date": e.date, "rating": e.rating,
            "catalog_id": e.catalog_id}
