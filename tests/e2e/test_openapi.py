"""The API document (/schema/openapi.json) as a client generator reads it: a typed answer for
every operation, the bearer requirement only where it holds, the upload body of the import,
the error answers; and the docs UI served from this origin only."""

from __future__ import annotations

import re

import pytest
from litestar.testing import TestClient

from cinematch.entrypoints.web import create_app
from cinematch.entrypoints.web.app import PUBLIC
from tests.support import wired


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(wired("memory", ml_train_on_start=False))) as c:
        yield c


@pytest.fixture(scope="module")
def spec(client) -> dict:
    return client.get("/schema/openapi.json").json()


def operations(spec: dict):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            yield path, method, op


def resolve(spec: dict, schema: dict) -> dict:
    ref = schema.get("$ref")
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else schema


def bare(schema: dict) -> bool:
    """An object that says nothing of its fields."""
    return schema.get("type") == "object" and not schema.get("properties") and "additionalProperties" not in schema


def test_every_answer_has_a_typed_schema(spec):
    seen = 0
    for path, method, op in operations(spec):
        for status, answer in op["responses"].items():
            for media, content in answer.get("content", {}).items():
                schema = resolve(spec, content["schema"])
                assert not bare(schema), f"{method.upper()} {path} {status} {media}: a bare object"
                if media == "application/json" and schema.get("type") == "object":
                    for name, field in schema.get("properties", {}).items():
                        assert not bare(resolve(spec, field)), f"{method.upper()} {path} {status}: {name} is bare"
                seen += 1
    assert seen > 60


def test_the_bearer_requirement_is_on_the_protected_operations_only(spec):
    assert not spec.get("security")  # no global requirement
    assert spec["components"]["securitySchemes"]["BearerToken"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": spec["components"]["securitySchemes"]["BearerToken"]["description"]}
    public = [re.compile(p) for p in PUBLIC]
    protected = 0
    for path, method, op in operations(spec):
        if any(p.match(path) for p in public):
            assert not op.get("security"), f"{method.upper()} {path} is public"
        else:
            protected += 1
            assert op.get("security") == [{"BearerToken": []}], f"{method.upper()} {path}"
            assert "401" in op["responses"], f"{method.upper()} {path} documents no 401"
    assert protected >= 20


def test_errors_are_documented_with_their_shape(spec):
    for path, method, op in operations(spec):
        for status, answer in op["responses"].items():
            if status.startswith("4") and answer.get("content"):
                assert sorted(resolve(spec, answer["content"]["application/json"]["schema"])["required"]) == [
                    "detail", "status_code"], f"{method.upper()} {path} {status}"
    token = spec["paths"]["/api/auth/token"]["post"]["responses"]
    assert {"400", "401", "429"} <= set(token)
    assert "409" in spec["paths"]["/api/auth/register"]["post"]["responses"]
    assert "404" in spec["paths"]["/api/movies/{entry_id}"]["patch"]["responses"]
    assert "403" in spec["paths"]["/api/admin/catalog"]["post"]["responses"]


def test_the_import_documents_its_upload_body(spec):
    body = spec["paths"]["/api/movies/import"]["post"]["requestBody"]
    assert set(body["content"]) == {"text/csv", "application/zip", "application/json", "multipart/form-data"}
    assert body["content"]["multipart/form-data"]["schema"]["properties"]["file"]["format"] == "binary"


def test_the_statistics_answer_matches_its_schema(client, spec):
    """The documented fields are the answer's fields (both ways)."""
    assert client.post("/api/auth/register", json={"username": "doc", "password": "correct-horse-42"}).status_code == 201
    token = client.post("/api/auth/token", json={"username": "doc", "password": "correct-horse-42"}).json()
    h = {"Authorization": f"Bearer {token['access_token']}"}
    client.post("/api/movies", json={"name": "Heat", "rating": 4.5, "genres": ["Crime"], "director": "M"}, headers=h)
    answer = client.get("/api/me/stats", headers=h).json()
    schema = resolve(spec, spec["paths"]["/api/me/stats"]["get"]["responses"]["200"]["content"]["application/json"]
                     ["schema"])
    assert set(answer) == set(schema["properties"]) - {"year"}
    assert set(schema["required"]) <= set(answer)


def test_the_docs_pages_use_no_other_host(client):
    for page in ("/schema", "/schema/swagger"):
        html = client.get(page).text
        assert not re.findall(r"(?:src|href)=[\"']?(?:https?:)?//", html), page
        assets = re.findall(r"(?:src|href)=\"(/static/[^\"]+)\"", html)
        assert assets and all(client.get(a).status_code == 200 for a in assets)
