"""The kafka profile's wiring (MongoDB and Kafka from scripts/services) on a fresh database,
topic and consumer group per test."""

import pytest

from cinematch.testing import kafka_wiring


@pytest.fixture
async def kafka_profile(tmp_path):
    async with kafka_wiring(tmp_path) as container:
        yield container
