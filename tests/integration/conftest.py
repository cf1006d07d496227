"""The kafka profile's wiring (MongoDB and Kafka from scripts/devservices) on a fresh database,
topic and consumer group per test."""

import pytest

from tests.support import kafka_wiring


@pytest.fixture
async def kafka_profile(tmp_path):
    async with kafka_wiring(tmp_path) as container:
        yield container
