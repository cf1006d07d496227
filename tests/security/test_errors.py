"""Class 1 and 9: no body, however shaped, gets a 5xx; a defect of ours gets a 500 that
names its request id (and a traceback in the log); every answer carries the security
headers; JSON bodies are decoded strictly."""

import logging

import pytest

from .support import PASSWORD, admin, sign_up

DEEP_ARRAY = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000


@pytest.mark.parametrize("path", ["/api/auth/register", "/api/auth/token", "/api/movies", "/api/admin/catalog"])
@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT, '{"username": ' + DEEP_ARRAY + "}", "{", "\xff\xfe",
                                  '{"name": "x", "rating": 3, "genres": ' + DEEP_ARRAY + "}"])
def test_no_body_gets_a_server_error(app_client, path, body):
    _, client = app_client
    headers = sign_up(client) if path == "/api/movies" else admin(client) if "admin" in path else {}
    r = client.post(path, content=body.encode("utf-8", "surrogateescape"),
                    headers={**headers, "content-type": "application/json"})
    assert r.status_code == 400 and r.json()["detail"], (path, r.status_code, r.text[:200])


def test_deep_json_on_the_patch_and_import_paths(app_client):
    _, client = app_client
    h = sign_up(client)
    entry = client.post("/api/movies", json={"name": "Heat", "rating": 4}, headers=h).json()
    r = client.patch(f"/api/movies/{entry['id']}", content=DEEP_ARRAY, headers={**h, "content-type": "application/json"})
    assert r.status_code == 400
    r = client.post("/api/movies/import", content=DEEP_ARRAY, headers={**h, "content-type": "text/csv"})
    assert r.status_code == 400 and r.json()["detail"]


def test_a_defect_answers_500_with_the_request_id_and_logs_the_traceback(app_client, caplog, monkeypatch):
    container, client = app_client
    h = sign_up(client)
    queries = container.services.queries()

    async def broken(user_id):
        raise RuntimeError("secret internal detail")
    monkeypatch.setattr(queries, "user_stats", broken)
    with caplog.at_level(logging.ERROR, logger="cinematch.web"):
        r = client.get("/api/me/stats", headers={**h, "X-Request-ID": "req-42"})
    assert r.status_code == 500 and r.headers["x-request-id"] == "req-42"
    assert "req-42" in r.json()["detail"] and "secret" not in r.text
    assert any("req-42" in rec.getMessage() and rec.exc_info for rec in caplog.records)


def test_every_answer_has_a_request_id_and_security_headers(app_client):
    _, client = app_client
    for r in (client.get("/health"), client.get("/nope"), client.post("/api/auth/token", json={})):
        assert len(r.headers["x-request-id"]) >= 8
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        assert r.headers["referrer-policy"] == "no-referrer"
    bad = client.get("/health", headers={"X-Request-ID": "x" * 500 + "\n"})
    assert bad.headers["x-request-id"] != "x" * 500  # a client's id is taken only when it is a plain token


def test_token_answers_are_not_cached(app_client):
    _, client = app_client
    client.post("/api/auth/register", json={"username": "bob", "password": PASSWORD})
    r = client.post("/api/auth/token", json={"username": "bob", "password": PASSWORD})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("body", [{"name": "Heat", "rating": "5"}, {"name": "Heat", "rating": 5, "year": "1999"},
                                  {"name": "Heat", "rating": "4.5"}, {"name": "Heat", "rating": True},
                                  {"name": 7, "rating": 4}, {"name": "Heat", "rating": 4, "duration": "90"}])
def test_strings_are_not_numbers(app_client, body):
    _, client = app_client
    r = client.post("/api/movies", json=body, headers=sign_up(client))
    assert r.status_code == 400 and r.json()["detail"]


def test_strict_credentials_and_patch(app_client):
    _, client = app_client
    assert client.post("/api/auth/register", json={"username": 12345, "password": PASSWORD}).status_code == 400
    h = sign_up(client)
    entry = client.post("/api/movies", json={"name": "Heat", "rating": 4}, headers=h).json()
    assert client.patch(f"/api/movies/{entry['id']}", json={"rating": "3"}, headers=h).status_code == 400
    assert client.patch(f"/api/movies/{entry['id']}", json={"rating": 3}, headers=h).json()["rating"] == 3
