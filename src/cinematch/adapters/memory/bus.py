"""An in-process event log with consumer groups and ordered delivery."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from ...domain.events import Event, encode_event
from ...domain.ports import EventPublisher, EventSource, Record


class MemoryEventLog(EventPublisher):
    """One ordered partition: every user's events are delivered in publish order."""

    def __init__(self) -> None:
        self.records: list[bytes] = []
        self.committed: dict[str, int] = {}  # group -> next position to read
        self._waiters: list[asyncio.Event] = []

    def append_raw(self, payload: bytes) -> int:
        self.records.append(payload)
        for waiter in self._waiters:
            waiter.set()
        return len(self.records) - 1

    async def publish(self, events: Sequence[Event]) -> None:
        for event in events:
            self.append_raw(encode_event(event))

    def subscribe(self, group: str = "projections") -> MemoryEventSource:
        return MemoryEventSource(self, group)

    def pending(self, group: str = "projections") -> int:
        return len(self.records) - self.committed.get(group, 0)


class MemoryEventSource(EventSource):
    def __init__(self, log: MemoryEventLog, group: str) -> None:
        self.log = log
        self.group = group
        self._cursor: int | None = None
        self._wake: asyncio.Event | None = None

    async def start(self) -> None:
        self._wake = asyncio.Event()
        self.log._waiters.append(self._wake)

    async def stop(self) -> None:
        if self._wake in self.log._waiters:
            self.log._waiters.remove(self._wake)

    async def lag(self) -> dict[int, int]:
        return {0: self.log.pending(self.group)}

    @property
    def cursor(self) -> int:
        if self._cursor is None:
            self._cursor = self.log.committed.get(self.group, 0)
        return self._cursor

    async def poll(self, max_records: int, timeout: float) -> list[Record]:
        if self.cursor >= len(self.log.records) and timeout > 0 and self._wake is not None:
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                pass
        start = self.cursor
        chunk = self.log.records[start:start + max_records]
        self._cursor = start + len(chunk)
        return [Record(payload=p, position=start + i) for i, p in enumerate(chunk)]

    async def commit(self, records: Sequence[Record]) -> None:
        if records:
            self.log.committed[self.group] = records[-1].position + 1

    async def rewind(self) -> None:
        self._cursor = self.log.committed.get(self.group, 0)
