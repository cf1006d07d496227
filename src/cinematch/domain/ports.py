"""Ports: the small abstract interfaces the services need from the outside world.

Adapters (memory, embedded SQLite, MongoDB, Kafka, Spark) implement them; the
contract tests in tests/contract run one suite per port against every adapter.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

import msgspec

from .catalog import CatalogMovie
from .deltas import TrendFact
from .diary import DiaryEntry
from .events import Event
from .ratings import Rating
from .stats import AffinityState, StatsState


class Conflict(Exception):
    """A uniqueness rule was broken (for example a taken username)."""


class StoreUnavailable(Exception):
    """The store cannot serve now (disk full, read-only, corrupt, unreachable); `reason`
    says why in words an operator can act on. The web answers 503 with it."""

    def __init__(self, reason: str, *, retry_after: int | None = None, corrupt: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.retry_after, self.corrupt = reason, retry_after, corrupt


class StaleWrite(Exception):
    """A guarded write found a different high-water mark than it read: another
    writer got there first. The batch is retried from the source."""


# --- values crossing the ports ---------------------------------------------------


class User(msgspec.Struct):
    id: str
    username: str
    password_hash: str
    is_admin: bool = False
    created_at: str = ""


class DiaryChange(msgspec.Struct):
    """One diary mutation and the event that reports it (seq not yet assigned)."""

    event: Event
    put: DiaryEntry | None = None  # entry to insert or replace
    delete_id: str | None = None  # entry to remove
    # For a replace or delete: the entry's seq as read. The store refuses the
    # whole write (Conflict) if the entry changed since, so `previous` is exact.
    expected_seq: int | None = None
    # For a put: only when no entry has this id yet; otherwise the change is skipped
    # (no seq, no event). A retried import chunk, whose ids are derived from the file
    # and the line, is then applied once.
    create_only: bool = False


class Record(msgspec.Struct):
    """One message read from an event source."""

    payload: bytes
    position: int  # offset within the partition
    partition: int = 0


class StatsWrite(msgspec.Struct):
    user_id: str
    expected_hwm: int  # what the projection read; 0 when the document is new
    new_hwm: int
    total: int = 0
    rated: int = 0
    sum_ratings: Rating = 0  # stars (a sum of half stars: exact)
    watch_time: int = 0
    timed: int = 0
    dist: list[int] = msgspec.field(default_factory=lambda: [0] * 10)  # by half star
    monthly: dict[str, int] = {}  # "YYYY-MM" -> change
    updated_at: str = ""


class AffinityWrite(msgspec.Struct, gc=False):  # strings and ints only: nothing to collect
    id: str
    user_id: str
    type: str
    name_key: str
    name: str
    count: int
    sum_ratings: Rating
    expected_hwm: int
    new_hwm: int
    updated_at: str = ""
    rated: int = 0


class DeadLetter(msgspec.Struct):
    payload: str
    reason: str
    partition: int
    position: int
    at: str


# --- ports -----------------------------------------------------------------------


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
    async def version(self, user_id: str) -> int:
        """The last seq handed out for this user (0 for none)."""

    @abc.abstractmethod
    async def user_ids(self) -> list[str]:
        """Every user who ever wrote to a diary, by id, including those who since emptied it
        (reconcile checks that their statistics went back to zero)."""


    @abc.abstractmethod
    async def remove_user(self, user_id: str) -> None:
        """Every entry of the user, their version and (where the store keeps it) their event log."""


class EventPublisher(abc.ABC):
    """Where the diary's events go out (the embedded log, or Kafka)."""

    @abc.abstractmethod
    async def publish(self, events: Sequence[Event]) -> None:
        """Deliver the events durably, in order; raise if that is not possible."""


class EventRelayTarget(EventPublisher):
    """Where the outbox relay sends stored events: as encoded, keyed by user (the payload
    is the event exactly as the diary stored it, so a re-send is byte for byte the same)."""

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Connect. Constructors only store configuration."""

    async def stop(self) -> None:  # noqa: B027 - optional hook
        """Disconnect."""

    @abc.abstractmethod
    async def publish_raw(self, items: Sequence[tuple[str, bytes]]) -> None:
        """Deliver (user id, encoded event) pairs durably, in order per user; raise if that is
        not possible."""


class Outbox(abc.ABC):
    """The transactional outbox beside the diary: the events a write stored with it, not yet
    published, and how far the relay got (implemented where a diary write and its events
    share one document: the MongoDB diary store)."""

    @abc.abstractmethod
    async def signals(self, limit: int, skip_users: Collection[str] = ()) -> list[dict[str, Any]]:
        """Up to `limit` signals `{_id, user}`: users that wrote since the relay last looked,
        but for `skip_users`."""

    @abc.abstractmethod
    async def outboxes(self, user_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Each user's `{_id, seq, outbox: [{seq, payload}], sent}`."""

    @abc.abstractmethod
    async def mark_sent(self, sent: dict[str, int], signal_ids: Sequence[Any]) -> None:
        """Record the relay's progress per user, then drop the signals it handled."""

    @abc.abstractmethod
    async def unsent(self) -> list[str]:
        """Every user whose diary is ahead of the relay's progress (the sweep)."""


class EventSource(abc.ABC):
    """A subscription: poll records, commit once their effects are durable."""

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Connect. Constructors only store configuration."""

    async def stop(self) -> None:  # noqa: B027 - optional hook
        """Disconnect."""

    @abc.abstractmethod
    async def poll(self, max_records: int, timeout: float) -> list[Record]:
        """Up to max_records uncommitted records, waiting at most timeout seconds."""

    @abc.abstractmethod
    async def commit(self, records: Sequence[Record]) -> None:
        """Mark everything up to these records as processed."""

    @abc.abstractmethod
    async def rewind(self) -> None:
        """Go back to the last commit, so a failed batch is polled again."""

    async def lag(self) -> dict[int, int]:
        """Records not yet committed, per partition (what the projection still has to do)."""
        return {}


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


class StatsStore(abc.ABC):
    """One statistics document per user, moved only by guarded writes (docs/contract.md §2)."""

    @abc.abstractmethod
    async def hwms(self, user_ids: Sequence[str]) -> dict[str, int]:
        """High-water marks of existing documents (absent users are not listed)."""

    @abc.abstractmethod
    async def apply(self, writes: Sequence[StatsWrite]) -> None:
        """Add each delta and set the new hwm, one update per document, only
        where the stored hwm still equals expected_hwm (else StaleWrite)."""

    @abc.abstractmethod
    async def replace(self, state: StatsState) -> None:
        """Replace the user's statistics with `state` (a recompute at the diary version
        `state.hwm`), unless the stored ones are newer (stored hwm above it): a repair that
        read the diary at version V never undoes an event the stream applied after V."""

    @abc.abstractmethod
    async def get(self, user_id: str) -> StatsState | None: ...


    @abc.abstractmethod
    async def remove_user(self, user_id: str) -> None: ...


class AffinityStore(abc.ABC):
    """One document per (user, director / actor / genre), guarded like the statistics."""

    @abc.abstractmethod
    async def hwms(self, ids: Sequence[str], user_ids: Sequence[str] | None = None) -> dict[str, int]:
        """High-water marks of the existing documents among `ids`; `user_ids`, when given,
        names the users they belong to (a store may read by user instead of by id)."""

    @abc.abstractmethod
    async def apply(self, writes: Sequence[AffinityWrite]) -> None:
        """Add each delta; count 0 stays stored as a tombstone (keeps its hwm)."""

    @abc.abstractmethod
    async def replace_user(self, user_id: str, docs: Sequence[AffinityState], hwm: int) -> None:
        """Make docs the user's whole affinity set at version `hwm`; every other doc becomes
        count 0. A stored doc whose hwm is above `hwm` is newer than the recompute and kept."""

    @abc.abstractmethod
    async def for_user(self, user_id: str) -> list[AffinityState]:
        """Every live (count > 0) affinity of the user."""

    @abc.abstractmethod
    async def query(self, user_id: str, kind: str, sort: str, limit: int, min_count: int) -> list[AffinityState]:
        """Live affinities of one type; sort 'count' (count desc, name asc) or
        'avg_rating' (avg desc, count desc, name asc)."""


    @abc.abstractmethod
    async def remove_user(self, user_id: str) -> None: ...


class TrendStore(abc.ABC):
    """One trend fact per diary entry; the public trends are counts over the window's facts."""

    @abc.abstractmethod
    async def apply(self, facts: Sequence[TrendFact]) -> None:
        """Store each fact unless the stored one has a higher or equal seq."""

    @abc.abstractmethod
    async def replace_user(self, user_id: str, facts: Sequence[TrendFact], hwm: int) -> None:
        """Make facts the user's whole set at version `hwm`; every other fact stops being live.
        A stored fact whose seq is above `hwm` is newer than the recompute and kept."""

    @abc.abstractmethod
    async def window_counts(self, since_day: str) -> dict[str, int]:
        """Catalog film -> distinct users with a live fact of it on a day >= since_day
        (facts with no film are not counted)."""

    @abc.abstractmethod
    async def facts(self, user_id: str | None = None) -> list[TrendFact]: ...

    @abc.abstractmethod
    async def prune(self, before_day: str) -> int:
        """Forget facts older than the window; returns how many."""


    @abc.abstractmethod
    async def remove_user(self, user_id: str) -> None: ...


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
    async def remove(self, user_id: str, ids: Sequence[str]) -> int:
        """Remove these ids; returns how many there were."""

    @abc.abstractmethod
    async def remove_user(self, user_id: str) -> None: ...


class DeadLetterStore(abc.ABC):
    """The events the projection could not read, each with its reason and where it was."""

    @abc.abstractmethod
    async def add(self, letters: Sequence[DeadLetter]) -> None:
        """Store letters; one per (partition, position), so a replayed batch adds none."""

    @abc.abstractmethod
    async def all(self) -> list[DeadLetter]:
        """Every letter, by partition then position."""

    async def count(self) -> int:
        return len(await self.all())
