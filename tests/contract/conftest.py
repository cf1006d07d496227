"""Each port's contract suite runs against every adapter of that port.

The backends are listed here once. `mongo` is the kafka profile's wiring: MongoDB
stores (FerretDB from scripts/devservices) and the Kafka bus, on a fresh database,
topic and consumer group per test.
"""

import pytest

from tests.support import kafka_wiring, wired

BACKENDS = ["memory", "sqlite", "mongo"]


@pytest.fixture(params=BACKENDS)
async def container(request, tmp_path):
    if request.param == "mongo":
        async with kafka_wiring(tmp_path) as c:
            yield c
        return
    c = wired(request.param, data_dir=tmp_path)
    yield c
    if request.param == "sqlite":
        c.storage.db().close()


@pytest.fixture
def storage(container):
    return container.storage
