"""Kafka adapters: a producer with the seeds' settings plus idempotence, and a
consumer-group event source with manual commits.

Constructors only store configuration; `start()` connects (bytewax style), so a
container can be built with Kafka down.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from ...domain.events import Event, encode_event
from ...domain.ports import EventRelayTarget, EventSource, Record

log = logging.getLogger(__name__)


async def ensure_topic(bootstrap: str, topic: str, partitions: int) -> None:
    """Create the topic with `partitions` if it does not exist (idempotent)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        if topic not in await admin.list_topics():
            await admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
    except TopicAlreadyExistsError:
        pass
    finally:
        await admin.close()


class _OnTopic:
    """A client of one topic: the constructor stores its configuration, `start` connects
    (the subclass's client), `stop` closes it once."""

    def __init__(self, bootstrap: str, topic: str, partitions: int = 4) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self.partitions = partitions
        self._client: Any = None

    async def stop(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.stop()


class KafkaEventPublisher(_OnTopic, EventRelayTarget):
    """acks=all, retries with backoff, key = user_id, JSON via msgspec, idempotent producer.

    Idempotence keeps a user's events in order and unduplicated across the
    producer's own retries; the outbox relay's re-sends after a crash are caught by
    the projections' seq guard."""

    def __init__(self, bootstrap: str, topic: str, partitions: int = 4, request_timeout_ms: int = 10_000) -> None:
        super().__init__(bootstrap, topic, partitions)
        self.request_timeout_ms = request_timeout_ms

    async def start(self) -> None:
        if self._client is not None:
            return
        await ensure_topic(self.bootstrap, self.topic, self.partitions)
        producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap, acks="all", enable_idempotence=True,
            retry_backoff_ms=200, request_timeout_ms=self.request_timeout_ms, linger_ms=5,
            max_batch_size=1 << 20,
        )
        await producer.start()
        self._client = producer

    async def publish_raw(self, items: Sequence[tuple[str, bytes]]) -> None:
        """Send (key, payload) pairs and return once every one is acknowledged."""
        assert self._client is not None, "start() first"
        futures = [await self._client.send(self.topic, value=payload, key=key.encode()) for key, payload in items]
        if futures:
            await asyncio.gather(*futures)

    async def publish(self, events: Sequence[Event]) -> None:
        await self.publish_raw([(e.user_id, encode_event(e)) for e in events])


class KafkaEventSource(_OnTopic, EventSource):
    """A consumer-group member. Offsets are committed only after the projection's
    writes are durable (the runner calls `commit`), so a crash replays, never skips."""

    def __init__(self, bootstrap: str, topic: str, group: str, partitions: int = 4) -> None:
        super().__init__(bootstrap, topic, partitions)
        self.group = group

    async def start(self) -> None:
        await ensure_topic(self.bootstrap, self.topic, self.partitions)
        self._client = AIOKafkaConsumer(
            self.topic, bootstrap_servers=self.bootstrap, group_id=self.group, enable_auto_commit=False,
            auto_offset_reset="earliest", max_partition_fetch_bytes=4 << 20, fetch_max_bytes=16 << 20,
        )
        await self._client.start()

    async def poll(self, max_records: int, timeout: float) -> list[Record]:
        assert self._client is not None, "start() first"
        batches = await self._client.getmany(timeout_ms=int(timeout * 1000), max_records=max_records)
        out: list[Record] = []
        for tp, messages in batches.items():
            out.extend(Record(payload=m.value, position=m.offset, partition=tp.partition) for m in messages)
        return out

    async def commit(self, records: Sequence[Record]) -> None:
        if not records or self._client is None:
            return
        offsets: dict[TopicPartition, int] = {}
        for r in records:
            tp = TopicPartition(self.topic, r.partition)
            offsets[tp] = max(offsets.get(tp, 0), r.position + 1)
        await self._client.commit(offsets)

    async def lag(self) -> dict[int, int]:
        """Per assigned partition: the partition's end (as of the last fetch) minus this
        consumer's position; a partition not fetched from yet is left out."""
        if self._client is None:
            return {}
        out = {}
        for tp in self._client.assignment():
            end = self._client.highwater(tp)
            if end is not None:
                out[tp.partition] = max(0, end - await self._client.position(tp))
        return out

    async def rewind(self) -> None:
        """Go back to the last committed offsets (after a failed batch)."""
        if self._client is None:
            return
        for tp in self._client.assignment():
            committed = await self._client.committed(tp)
            if committed is None:
                await self._client.seek_to_beginning(tp)
            else:
                self._client.seek(tp, committed)


class KafkaGroupLag:
    """How far a consumer group is behind, seen from outside it (serve on the kafka profile,
    where the worker group projects): per partition, the topic's end minus the group's
    committed offset. Connects in `start` (an admin client and a group-less consumer)."""

    def __init__(self, bootstrap: str, topic: str, group: str) -> None:
        self.bootstrap, self.topic, self.group = bootstrap, topic, group
        self._admin: AIOKafkaAdminClient | None = None
        self._client: AIOKafkaConsumer | None = None

    async def start(self) -> None:
        self._admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await self._admin.start()
        self._client = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
        await self._client.start()

    async def stop(self) -> None:
        admin, consumer, self._admin, self._client = self._admin, self._client, None, None
        if consumer is not None:
            await consumer.stop()
        if admin is not None:
            await admin.close()

    async def lag(self) -> dict[int, int]:
        if self._admin is None or self._client is None:
            await self.start()
        assert self._admin is not None and self._client is not None
        await self._client.topics()  # fresh metadata: the topic may have been made since start
        partitions = self._client.partitions_for_topic(self.topic) or set()
        tps = [TopicPartition(self.topic, p) for p in sorted(partitions)]
        ends = await self._client.end_offsets(tps) if tps else {}
        committed = await self._admin.list_consumer_group_offsets(self.group, partitions=tps) if tps else {}
        return {tp.partition: max(0, ends[tp] - (committed[tp].offset if tp in committed and
                                                 committed[tp].offset >= 0 else 0)) for tp in tps}
