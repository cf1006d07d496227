"""Each port's contract suite runs against every adapter of that port.

The backends are listed here once. `mongo` is the kafka profile's wiring: MongoDB
stores (FerretDB from scripts/services) and the Kafka bus, on a fresh database,
topic and consumer group per test.
"""

import pytest

from cinematch.adapters.mongo import migrate
from cinematch.testing import drop_database, require_service, wired, wired_services

BACKENDS = ["memory", "sqlite", "mongo"]


@pytest.fixture(params=BACKENDS)
async def container(request, tmp_path):
    if request.param == "mongo":
        require_service("mongo")
        require_service("kafka")
        c = wired_services(tmp_path)
        await migrate(c.storage.mongo())
        yield c
        await drop_database(c)
        return
    c = wired(request.param, data_dir=tmp_path)
    yield c
    if request.param == "sqlite":
        c.storage.db().close()


@pytest.fixture
def storage(container):
    return container.storage
