"""The kafka profile's wiring (MongoDB and Kafka from scripts/devservices) on a fresh database,
topic and consumer group per test."""

import json
from pathlib import Path

import pytest

from cinematch.adapters.tmdb.fake import FakeTmdb



from tests.support import kafka_wiring


@pytest.fixture
async def kafka_profile(tmp_path):
    async with kafka_wiring(tmp_path) as container:
        yield container


TMDB_FILMS = json.loads((Path(__file__).parents[1] / "fixtures" / "tmdb" / "films.json").read_text())


@pytest.fixture
def tmdb():
    """Our TMDB stand-in (adapters/tmdb/fake.py) serving the fixture's films and their posters."""
    fake = FakeTmdb(TMDB_FILMS).start()
    yield fake
    fake.stop()
