"""What crosses the ports: the errors stores raise and the values they take and give."""

from __future__ import annotations

import msgspec

from ..diary import DiaryEntry
from ..events import Event


class Conflict(Exception):
    """A uniqueness rule was broken (for example a taken username)."""


class StoreUnavailable(Exception):
    """The store cannot serve now (disk full, read-only, corrupt, unreachable); `reason`
    says why in words an operator can act on. The web answers 503 with it."""

    def __init__(self, reason: str, *, retry_after: int | None = None, corrupt: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.retry_after, self.corrupt = reason, retry_after, corrupt


class User(msgspec.Struct):
    id: str
    username: str
    password_hash: str
    is_admin: bool = False
    created_at: str = ""
    language: str = ""  # the pages' language the person chose ("": their browser's)


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


class DeadLetter(msgspec.Struct):
    payload: str
    reason: str
    partition: int
    position: int
    at: str
