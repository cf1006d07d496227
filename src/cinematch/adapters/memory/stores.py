"""In-memory stores."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from ...domain.audience import Audience, audience_of
from ...domain.calendar import calendar_of
from ...domain.catalog import CatalogMovie, credits_of, group_candidates, person_key
from ...domain.search import rank_search
from ...domain.deltas import TrendFact
from ...domain.diary import DiaryEntry, diary_order
from ...domain.events import Event
from ...domain.ports import (
    AffinityStore,
    AffinityWrite,
    CatalogStore,
    Conflict,
    DeadLetter,
    DeadLetterStore,
    DiaryChange,
    DiaryStore,
    ItemStore,
    StatsStore,
    StatsWrite,
    TrendStore,
    User,
    UserStore,
)
from ...domain.stats import AffinityState, StatsState, rank_affinities
from ...domain.text import normalize_title
from ...domain.trends import fact_wins, film_users
from ...domain.writes import apply_affinity_write, apply_stats_write
from .bus import MemoryEventLog


class MemoryUserStore(UserStore):
    def __init__(self) -> None:
        self.users: dict[str, User] = {}
        self.purges: dict[str, bool] = {}  # purged user -> its data is all gone

    async def create(self, user: User) -> None:
        if any(u.username.lower() == user.username.lower() for u in self.users.values()):
            raise Conflict(f"username {user.username!r} is taken")
        self.users[user.id] = user

    async def by_username(self, username: str) -> User | None:
        return next((u for u in self.users.values() if u.username.lower() == username.lower()), None)

    async def by_id(self, user_id: str) -> User | None:
        return self.users.get(user_id)

    async def set_password_hash(self, user_id: str, password_hash: str) -> None:
        if user_id in self.users:
            self.users[user_id] = msgspec.structs.replace(self.users[user_id], password_hash=password_hash)

    async def set_language(self, user_id: str, language: str) -> None:
        if user_id in self.users:
            self.users[user_id] = msgspec.structs.replace(self.users[user_id], language=language)

    async def purge(self, user_id: str, at: str) -> None:
        self.users.pop(user_id, None)
        self.purges.setdefault(user_id, False)

    async def purged(self, user_ids: Sequence[str]) -> set[str]:
        return {u for u in user_ids if u in self.purges}

    async def pending_purges(self) -> list[str]:
        return sorted(u for u, done in self.purges.items() if not done)

    async def purge_done(self, user_id: str) -> None:
        self.purges[user_id] = True


def newest_first(entries: list[DiaryEntry]) -> list[DiaryEntry]:
    return sorted(entries, key=diary_order, reverse=True)


class MemoryDiaryStore(DiaryStore):
    def __init__(self, log: MemoryEventLog) -> None:
        self.log = log
        self.entries: dict[str, dict[str, DiaryEntry]] = {}
        self.seqs: dict[str, int] = {}

    async def watched_in(self, user_id: str, year: int) -> list[DiaryEntry]:
        return [e for e in self.entries.get(user_id, {}).values() if e.date[:4] == f"{year:04d}"]

    async def calendar(self, user_id: str, numbers: Callable[[int], Sequence[int]]
                       ) -> tuple[dict[str, int], list[tuple[int, DiaryEntry]]]:
        return calendar_of(list(self.entries.get(user_id, {}).values()), numbers)

    async def audience(self, catalog_id: str) -> Audience:
        return audience_of(((user, diary.values()) for user, diary in self.entries.items()), catalog_id)

    async def remove_user(self, user_id: str) -> None:
        # The in-memory log keeps its records (a bus): the projection skips a purged user's events.
        self.entries.pop(user_id, None)
        self.seqs.pop(user_id, None)

    async def write(self, user_id: str, changes: Sequence[DiaryChange]) -> list[Event]:
        seq = self.seqs.get(user_id, 0)
        diary = self.entries.setdefault(user_id, {})
        for change in changes:
            if change.expected_seq is not None:
                target = change.delete_id or (change.put.id if change.put else None)
                current = diary.get(target) if target else None
                if current is None or current.seq != change.expected_seq:
                    raise Conflict(f"entry {target!r} changed concurrently")
        events = []
        for change in changes:
            if change.create_only and change.put is not None and change.put.id in diary:
                continue  # already there: a retried import chunk
            seq += 1
            events.append(msgspec.structs.replace(change.event, seq=seq))
            if change.put is not None:
                diary[change.put.id] = msgspec.structs.replace(change.put, seq=seq)
            if change.delete_id is not None:
                diary.pop(change.delete_id, None)
        self.seqs[user_id] = seq
        await self.log.publish(events)
        return events

    async def get(self, user_id: str, entry_id: str) -> DiaryEntry | None:
        return self.entries.get(user_id, {}).get(entry_id)

    async def page(self, user_id: str, limit: int, offset: int) -> tuple[list[DiaryEntry], int]:
        items = newest_first(list(self.entries.get(user_id, {}).values()))
        return items[offset:offset + limit], len(items)

    async def snapshot(self, user_id: str) -> tuple[list[DiaryEntry], int]:
        return list(self.entries.get(user_id, {}).values()), self.seqs.get(user_id, 0)

    async def version(self, user_id: str) -> int:
        return self.seqs.get(user_id, 0)

    async def user_ids(self) -> list[str]:
        return sorted(u for u, seq in self.seqs.items() if seq)


class MemoryCatalogStore(CatalogStore):
    def __init__(self) -> None:
        self.movies: dict[str, CatalogMovie] = {}

    async def upsert(self, movies: Sequence[CatalogMovie]) -> int:
        for m in movies:
            self.movies[m.id] = m
        return len(movies)

    async def candidates(self, name: str) -> list[CatalogMovie]:
        return group_candidates([name], self.movies.values())[name]

    async def by_person(self, name: str, limit: int = 500) -> list[CatalogMovie]:
        key = person_key(name)
        found = [m for m in self.movies.values() if any(k == key for k, _ in credits_of(m))]
        return sorted(found, key=lambda m: (-m.votes, m.title, m.id))[:limit]

    async def search(self, query: str, limit: int) -> list[CatalogMovie]:
        q = normalize_title(query)
        if not q:
            return []
        return rank_search(self.movies.values(), q, limit)

    async def genres(self) -> list[tuple[str, int]]:
        counts = Counter(g for m in self.movies.values() for g in set(m.genres))
        return sorted(counts.items(), key=lambda gc: (-gc[1], gc[0]))

    async def by_ids(self, ids: Sequence[str]) -> dict[str, CatalogMovie]:
        return {i: self.movies[i] for i in ids if i in self.movies}

    async def count(self) -> int:
        return len(self.movies)


class MemoryStatsStore(StatsStore):
    def __init__(self) -> None:
        self.docs: dict[str, StatsState] = {}

    async def hwms(self, user_ids: Sequence[str]) -> dict[str, int]:
        return {u: self.docs[u].hwm for u in user_ids if u in self.docs}

    async def apply(self, writes: Sequence[StatsWrite]) -> None:
        for w in writes:
            self.docs[w.user_id] = apply_stats_write(self.docs.get(w.user_id), w)

    async def replace(self, state: StatsState) -> None:
        old = self.docs.get(state.user_id)
        if old is None or old.hwm <= state.hwm:
            self.docs[state.user_id] = state

    async def get(self, user_id: str) -> StatsState | None:
        return self.docs.get(user_id)

    async def remove_user(self, user_id: str) -> None:
        self.docs.pop(user_id, None)


class MemoryAffinityStore(AffinityStore):
    def __init__(self) -> None:
        self.docs: dict[str, AffinityState] = {}

    async def hwms(self, ids: Sequence[str], user_ids: Sequence[str] | None = None) -> dict[str, int]:
        return {i: self.docs[i].hwm for i in ids if i in self.docs}

    async def apply(self, writes: Sequence[AffinityWrite]) -> None:
        for w in writes:
            self.docs[w.id] = apply_affinity_write(self.docs.get(w.id), w)

    async def replace_user(self, user_id: str, docs: Sequence[AffinityState], hwm: int) -> None:
        for doc_id, doc in list(self.docs.items()):
            if doc.user_id == user_id and doc.hwm <= hwm:
                self.docs[doc_id] = msgspec.structs.replace(doc, count=0, rated_count=0, sum_ratings=0, hwm=hwm)
        for doc in docs:
            old = self.docs.get(doc.id)
            if old is None or old.hwm <= hwm:
                self.docs[doc.id] = msgspec.structs.replace(doc, hwm=hwm)

    async def for_user(self, user_id: str) -> list[AffinityState]:
        return [d for d in self.docs.values() if d.user_id == user_id and d.count > 0]

    async def remove_user(self, user_id: str) -> None:
        for doc_id in [i for i, d in self.docs.items() if d.user_id == user_id]:
            del self.docs[doc_id]

    async def query(self, user_id: str, kind: str, sort: str, limit: int, min_count: int) -> list[AffinityState]:
        docs = [d for d in self.docs.values()
                if d.user_id == user_id and d.type == kind and d.count > 0 and d.count >= min_count]
        return rank_affinities(docs, sort)[:limit]


class MemoryTrendStore(TrendStore):
    def __init__(self) -> None:
        self.docs: dict[tuple[str, str], TrendFact] = {}

    async def apply(self, facts: Sequence[TrendFact]) -> None:
        for f in facts:
            key = (f.user_id, f.entry_key)
            old = self.docs.get(key)
            if fact_wins(f, old.seq if old else None):
                self.docs[key] = f

    async def replace_user(self, user_id: str, facts: Sequence[TrendFact], hwm: int) -> None:
        keep = {f.entry_key for f in facts}
        for key, f in list(self.docs.items()):
            if f.user_id == user_id and f.entry_key not in keep and f.seq <= hwm:
                self.docs[key] = TrendFact(f.user_id, f.entry_key, f.day, f.title, f.genres, False, hwm, f.film)
        for f in facts:
            old = self.docs.get((user_id, f.entry_key))
            if old is None or old.seq <= hwm:
                self.docs[(user_id, f.entry_key)] = f

    async def window_counts(self, since_day: str) -> dict[str, int]:
        return film_users(self.docs.values(), since_day)

    async def facts(self, user_id: str | None = None) -> list[TrendFact]:
        return [f for f in self.docs.values() if user_id is None or f.user_id == user_id]

    async def remove_user(self, user_id: str) -> None:
        for key in [k for k in self.docs if k[0] == user_id]:
            del self.docs[key]

    async def prune(self, before_day: str) -> int:
        old = [k for k, f in self.docs.items() if f.day < before_day]
        for k in old:
            del self.docs[k]
        return len(old)


class MemoryDeadLetterStore(DeadLetterStore):
    def __init__(self) -> None:
        self.letters: list[DeadLetter] = []

    async def add(self, letters: Sequence[DeadLetter]) -> None:
        seen = {(d.partition, d.position) for d in self.letters}
        self.letters.extend(d for d in letters if (d.partition, d.position) not in seen)

    async def all(self) -> list[DeadLetter]:
        return sorted(self.letters, key=lambda d: (d.partition, d.position))


async def clear_stores(*stores: Any) -> None:
    """Empty memory projection stores (reconcile's shadow stores start each run empty)."""
    for store in stores:
        store.docs.clear()


class MemoryItemStore(ItemStore):
    def __init__(self, kind: str, type_: type) -> None:
        self.kind, self.type = kind, type_
        self.items: dict[str, dict[str, msgspec.Struct]] = {}

    async def put(self, user_id: str, items: Sequence[msgspec.Struct], *, only_new: bool = False) -> int:
        mine = self.items.setdefault(user_id, {})
        written = 0
        for item in items:
            if only_new and item.id in mine:  # type: ignore[attr-defined]  # every item kind has an id
                continue
            mine[item.id] = item  # type: ignore[attr-defined]
            written += 1
        return written

    async def all(self, user_id: str) -> list[Any]:
        return list(self.items.get(user_id, {}).values())

    async def owners(self) -> list[str]:
        return sorted(u for u, mine in self.items.items() if mine)

    async def remove(self, user_id: str, ids: Sequence[str]) -> int:
        mine = self.items.get(user_id, {})
        return sum(mine.pop(i, None) is not None for i in set(ids))

    async def remove_user(self, user_id: str) -> None:
        self.items.pop(user_id, None)
