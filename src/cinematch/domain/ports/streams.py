"""The ports of the event side: where events go out and come in, and the projections they fold into."""

from __future__ import annotations

import abc
from collections.abc import Collection, Sequence
from typing import Any

from ..deltas import TrendFact
from ..events import Event
from ..stats import AffinityState, StatsState
from ..writes import AffinityWrite, StatsWrite
from .values import DeadLetter, Record


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
