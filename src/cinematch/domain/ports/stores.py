"""The ports of the request side: accounts, diaries, the catalog, rate limits, small items, time."""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from ..audience import Audience
from ..catalog import CatalogMovie
from ..diary import DiaryEntry
from ..events import Event
from .values import DiaryChange, User


class Clock(abc.ABC):
    """The time the services read (the system clock; a fixed one in tests)."""

    @abc.abstractmethod
    def now(self) -> dt.datetime:
        """The current instant, timezone-aware."""


class UserStore(abc.ABC):
    """Accounts: credentials, and the ids of deleted accounts until every store has let go of them."""

    @abc.abstractmethod
    async def create(self, user: User) -> None:
        """Store a new user; raises Conflict when the username is taken."""

    @abc.abstractmethod
    async def by_username(self, username: str) -> User | None: ...

    @abc.abstractmethod
    async def by_id(self, user_id: str) -> User | None: ...

    @abc.abstractmethod
    async def set_password_hash(self, user_id: str, password_hash: str) -> None:
        """Replace the user's password hash (every session signed with the old one ends)."""

    @abc.abstractmethod
    async def set_language(self, user_id: str, language: str) -> None:
        """The language of the user's pages ("" for their browser's)."""


    @abc.abstractmethod
    async def purge(self, user_id: str, at: str) -> None:
        """Delete the account and record its id as purged (before its data is deleted:
        a projection that meets the id afterwards removes what it wrote)."""

    @abc.abstractmethod
    async def purged(self, user_ids: Sequence[str]) -> set[str]:
        """Those of these ids whose accounts were deleted."""

    @abc.abstractmethod
    async def pending_purges(self) -> list[str]:
        """Deleted accounts whose data may not all be gone yet (a crash part-way)."""

    @abc.abstractmethod
    async def purge_done(self, user_id: str) -> None: ...


class DiaryStore(abc.ABC):
    """Diary entries plus their outgoing events, written atomically (outbox)."""

    @abc.abstractmethod
    async def write(self, user_id: str, changes: Sequence[DiaryChange]) -> list[Event]:
        """Apply the changes and record their events in one atomic step.

        Each event gets the next per-user `seq`; the returned events carry it,
        and so does the written entry. Raises Conflict (writing nothing) when an
        entry's `expected_seq` no longer matches. A `create_only` put whose id exists
        is skipped: the events returned are those of the changes applied, in order.
        """

    @abc.abstractmethod
    async def get(self, user_id: str, entry_id: str) -> DiaryEntry | None: ...

    @abc.abstractmethod
    async def page(self, user_id: str, limit: int, offset: int) -> tuple[list[DiaryEntry], int]:
        """Entries newest watched first, and the total count."""

    @abc.abstractmethod
    async def snapshot(self, user_id: str) -> tuple[list[DiaryEntry], int]:
        """All entries and the diary version (last seq) they correspond to."""

    @abc.abstractmethod
    async def watched_in(self, user_id: str, year: int) -> list[DiaryEntry]:
        """The entries watched in that calendar year (by their watched date)."""

    @abc.abstractmethod
    async def calendar(self, user_id: str, numbers: Callable[[int], Sequence[int]]
                       ) -> tuple[dict[str, int], list[tuple[int, DiaryEntry]]]:
        """In one consistent read: the entries per watched date, and the entries at the positions
        `numbers(total entries)` names (1-based) in watched order: by date, then in the order they
        were added (added_at, then id). `domain.calendar` says which positions are milestones."""

    @abc.abstractmethod
    async def audience(self, catalog_id: str) -> Audience:
        """The film's audience over every diary (`domain.audience`: what `share_of` each entry
        adds), exact at the moment of the read."""

    @abc.abstractmethod
    async def version(self, user_id: str) -> int:
        """The last seq handed out for this user (0 for none)."""

    @abc.abstractmethod
    async def user_ids(self) -> list[str]:
        """Every user who ever wrote to a diary, by id, including those who since emptied it
        (reconcile checks that their statistics went back to zero)."""


    @abc.abstractmethod
    async def remove_user(self, user_id: str) -> None:
        """Every entry of the user, their version and (where the store keeps it) their event log."""


class CatalogStore(abc.ABC):
    """The film catalog: matching diary names to films, and search."""

    @abc.abstractmethod
    async def upsert(self, movies: Sequence[CatalogMovie]) -> int: ...

    @abc.abstractmethod
    async def candidates(self, name: str) -> list[CatalogMovie]:
        """Movies whose title, original title or a normalized form equals name's."""

    async def candidates_many(self, names: Sequence[str]) -> dict[str, list[CatalogMovie]]:
        """`candidates` of each name (an import matches a chunk of rows at once)."""
        return {name: await self.candidates(name) for name in dict.fromkeys(names)}

    @abc.abstractmethod
    async def search(self, query: str, limit: int) -> list[CatalogMovie]: ...

    @abc.abstractmethod
    async def genres(self) -> list[tuple[str, int]]:
        """(genre, number of movies), most movies first."""

    @abc.abstractmethod
    async def by_ids(self, ids: Sequence[str]) -> dict[str, CatalogMovie]:
        """The catalog movies with these ids (ids not in the catalog are left out)."""

    @abc.abstractmethod
    async def count(self) -> int: ...

    @abc.abstractmethod
    async def by_person(self, name: str, limit: int = 500) -> list[CatalogMovie]:
        """The films crediting `name` (`domain.catalog.person_key`) as director or actor, the most
        voted first, at most `limit`."""


class LimitStore(abc.ABC):
    """What the rate limits and the sign-in throttle remember (services/limits.py holds the
    rules): in the process on the embedded profile, in the shared database where several app
    processes serve one address. Times are seconds of the wall clock (all processes agree)."""

    @abc.abstractmethod
    async def use(self, what: str, limit: int, per_seconds: float, now: float) -> float:
        """Record one use of `what` unless `limit` uses fall within the last `per_seconds`:
        0.0 when recorded, else the seconds until the oldest of them leaves the window."""

    @abc.abstractmethod
    async def blocked_until(self, keys: Sequence[str]) -> float:
        """The latest time any of `keys` is blocked until (0.0: none is)."""

    @abc.abstractmethod
    async def failure(self, key: str, now: float, forget: float) -> int:
        """Count a failure of `key` (a count whose last failure is over `forget` seconds old
        starts again); the failures counted now."""

    @abc.abstractmethod
    async def block(self, key: str, until: float) -> None:
        """`key` refused until `until` (a later block already set stays)."""

    @abc.abstractmethod
    async def clear(self, key: str) -> None: ...


class ItemStore(abc.ABC):
    """A user's small records of one kind (their import batches, their watchlist), each a
    msgspec Struct with an `id` field; the kind and the Struct type are given at construction."""

    @abc.abstractmethod
    async def put(self, user_id: str, items: Sequence[msgspec.Struct], *, only_new: bool = False) -> int:
        """Store the items (replacing those with the same id, or with `only_new` leaving them);
        returns how many were written."""

    @abc.abstractmethod
    async def all(self, user_id: str) -> list[Any]: ...

    @abc.abstractmethod
    async def owners(self) -> list[str]:
        """Every user holding at least one item of this kind (an experiment's report reads them)."""

    @abc.abstractmethod
    async def remove(self, user_id: str, ids: Sequence[str]) -> int:
        """Remove these ids; returns how many there were."""

    @abc.abstractmethod
    async def remove_user(self, user_id: str) -> None: ...
