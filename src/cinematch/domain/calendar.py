"""The calendar of a diary (docs/contract.md §2 Calendar): the days watched, the streaks of
consecutive days, and the milestones (the 1st, 50th, 100th, 250th, 500th, 1000th and every
further 500th entry in watched order). Read from the diary as it is: exact at every moment."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from .diary import DiaryEntry, diary_order


class Streak(NamedTuple):
    days: int
    start: str | None
    end: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"days": self.days, "start": self.start, "end": self.end}


NO_STREAK = Streak(0, None, None)
FIRST_MILESTONES = (1, 50, 100, 250, 500, 1000)
EVERY = 500  # after the 1000th, every 500th


def milestones_upto(total: int) -> list[int]:
    """The entry numbers that are milestones in a diary of `total` entries."""
    marks = [n for n in FIRST_MILESTONES if n <= total]
    marks += range(FIRST_MILESTONES[-1] + EVERY, total + 1, EVERY)
    return marks


def calendar_of(entries: Sequence[DiaryEntry], numbers: Callable[[int], Sequence[int]]
                ) -> tuple[dict[str, int], list[tuple[int, DiaryEntry]]]:
    """`DiaryStore.calendar` over a whole diary in hand: entries per day, and the entries at the
    positions `numbers` names in watched order (by date, then as added: `diary.DIARY_ORDER`)."""
    ordered = sorted(entries, key=diary_order)
    return dict(Counter(e.date for e in entries)), [(n, ordered[n - 1]) for n in numbers(len(ordered))]


def streaks(days: Iterable[str], today: dt.date) -> tuple[Streak, Streak]:
    """(longest, current) runs of consecutive days among `days` (dates "YYYY-MM-DD"); the longest
    is the earliest of equal length; the current one ends today or yesterday, else it is 0."""
    # Days as ordinals (a run is consecutive integers); only a run's ends become dates again.
    ordinals = sorted({dt.date.fromisoformat(d).toordinal() for d in days})  # (sorting sorted ints: linear)
    best = last = (0, 0)  # (first, last) ordinal of the longest run, and of the latest
    start = prev = None
    for day in [*ordinals, None]:
        if day is not None and prev is not None and day == prev + 1:
            prev = day
            continue
        if start is not None and prev is not None:
            if prev - start + 1 > (best[1] - best[0] + 1 if best[0] else 0):
                best = (start, prev)
            last = (start, prev)
        start = prev = day
    yesterday = today.toordinal() - 1
    return _streak(best), (_streak(last) if last[0] and last[1] >= yesterday else NO_STREAK)


def _streak(run: tuple[int, int]) -> Streak:
    first, last = run
    if not first:
        return NO_STREAK
    return Streak(last - first + 1, dt.date.fromordinal(first).isoformat(), dt.date.fromordinal(last).isoformat())


def calendar_view(day_counts: Mapping[str, int], marks: Iterable[tuple[int, DiaryEntry]], today: dt.date,
                  year: int | None = None) -> dict[str, Any]:
    """GET /api/me/calendar from what `DiaryStore.calendar` (or `calendar_of`) read: every day
    watched (or the days of `year`, with the streaks within it and the milestones reached in it)."""
    days = dict(day_counts) if year is None else {d: n for d, n in day_counts.items() if d.startswith(f"{year:04d}-")}
    keys = list(days)
    if any(later < earlier for earlier, later in zip(keys, keys[1:])):  # (SQLite gives them in order already)
        days = {d: days[d] for d in sorted(keys)}
    longest, current = streaks(days, today)
    reached = [{"n": n, "date": e.date, "title": e.title or e.name, "entry_id": e.id}
               for n, e in marks if year is None or e.date[:4] == f"{year:04d}"]
    return {"days": days, "longest_streak": longest.as_dict(), "current_streak": current.as_dict(),
            "milestones": reached}
