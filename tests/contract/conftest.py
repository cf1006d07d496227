"""Each port's contract suite runs against every adapter of that port.

The backends are listed here once; the mongo backend joins when its adapters
exist (it needs the MongoDB-wire server from scripts/services).
"""

import pytest

from cinematch.testing import wired

BACKENDS = ["memory", "sqlite"]


@pytest.fixture(params=BACKENDS)
def container(request, tmp_path):
    c = wired(request.param, data_dir=tmp_path)
    yield c
    if request.param == "sqlite":
        c.storage.db().close()


@pytest.fixture
def storage(container):
    return container.storage
