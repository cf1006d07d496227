"""The end-to-end tests' shared app: the embedded profile (SQLite) with its admin, and a client."""

import pytest

from tests.e2e.test_api import make_client


@pytest.fixture
def app(tmp_path):
    """(container, client) of an embedded server; a test module may define its own `app`."""
    c, cl = make_client(tmp_path)
    with cl:
        yield c, cl
    c.storage.db().close()
