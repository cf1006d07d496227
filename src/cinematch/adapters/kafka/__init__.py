"""Kafka adapters (aiokafka): the producer behind the outbox relay and the consumer-group source."""

from .bus import KafkaEventPublisher, KafkaEventSource, ensure_topic

__all__ = ["KafkaEventPublisher", "KafkaEventSource", "ensure_topic"]
