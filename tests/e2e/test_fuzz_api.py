"""No request, however malformed, produces a 5xx: schemathesis against /schema/openapi.json.

Positive and negative (schema-violating) cases for every operation, sent with a
valid user's token so the authenticated paths are exercised too. Bounded: a fixed
number of examples per operation keeps the whole run well under a minute.
"""

import os
import tempfile

import schemathesis
from hypothesis import HealthCheck, settings
from litestar.testing import TestClient

from cinematch.entrypoints.web import create_app
from tests.support import wired

EXAMPLES = int(os.environ.get("CINEMATCH_FUZZ_EXAMPLES", "40"))

_container = wired("sqlite", data_dir=tempfile.mkdtemp(prefix="cinematch-fuzz-"),
                   admin_username="admin", admin_password="adminpass1")
app = create_app(_container, run_projections=False)
with TestClient(app) as _client:
    _client.post("/api/auth/register", json={"username": "fuzzer", "password": "correct-horse-42"})
    _token = _client.post("/api/auth/token", json={"username": "fuzzer", "password": "correct-horse-42"}).json()
    _client.post("/api/movies", json={"name": "Heat", "rating": 4},
                 headers={"Authorization": f"Bearer {_token['access_token']}"})
AUTH = {"Authorization": f"Bearer {_token['access_token']}"}

schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app)
schema.config.generation.update(modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE])


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_request_gets_a_server_error(case):
    response = case.call(headers=AUTH)
    assert response.status_code < 500, f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}"
    if response.status_code >= 400:
        body = response.json()
        assert body.get("detail"), f"{case.method} {case.formatted_path}: error without a reason: {body}"
