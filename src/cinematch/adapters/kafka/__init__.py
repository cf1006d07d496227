"""Kafka adapters (aiokafka): the producer behind the outbox relay and the consumer-group source."""

from .bus import KafkaEventPublisher, KafkaEventSource, KafkaGroupLag, ensure_topic

__all__ = ["KafkaEventPublisher", "KafkaEventSource", "KafkaGroupLag", "ensure_topic"]
