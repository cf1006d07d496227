"""The diary's event log on SQLite, read by the in-process projection."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from ...domain.ports import EventSource, Record
from .db import Database


class SqliteEventSource(EventSource):
    """Tails the events table (the outbox) for one consumer group."""

    def __init__(self, db: Database, group: str = "projections") -> None:
        self.db = db
        self.group = group
        self._cursor: int | None = None
        self._wake: asyncio.Event | None = None

    async def start(self) -> None:
        self._wake = self.db.listen()

    async def stop(self) -> None:
        if self._wake is not None:
            self.db.unlisten(self._wake)

    def committed(self) -> int:
        rows = self.db.query("SELECT next_position FROM consumer_offsets WHERE grp = ?", (self.group,))
        return rows[0][0] if rows else 0

    def _fetch(self, max_records: int) -> list[tuple[Any, ...]]:
        if self._cursor is None:
            self._cursor = self.committed()
        return self.db.query("SELECT position, payload FROM events WHERE position >= ? ORDER BY position LIMIT ?",
                             (self._cursor, max_records))

    async def poll(self, max_records: int, timeout: float) -> list[Record]:
        if self._wake is not None:
            self._wake.clear()
        rows = self._fetch(max_records)
        if not rows and timeout > 0 and self._wake is not None:
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                return []
            rows = self._fetch(max_records)
        if rows:
            self._cursor = rows[-1][0] + 1
        return [Record(payload=bytes(p), position=pos) for pos, p in rows]

    async def commit(self, records: Sequence[Record]) -> None:
        if records:
            with self.db.tx() as c:
                c.execute("INSERT INTO consumer_offsets VALUES (?, ?) ON CONFLICT(grp) DO UPDATE SET "
                          "next_position = excluded.next_position", (self.group, records[-1].position + 1))

    async def rewind(self) -> None:
        self._cursor = self.committed()

    def pending(self) -> int:
        (n,) = self.db.query("SELECT count(*) FROM events WHERE position >= ?", (self.committed(),))[0]
        return int(n)

    async def lag(self) -> dict[int, int]:
        return {0: await asyncio.to_thread(self.pending)}
