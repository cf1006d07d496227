"""Two `cinematch serve` processes behind one address on the kafka profile (what compose's
`--scale app=2` gives): the sign-in throttle and the training rate limit hold across them
(MongoDB keeps them), and a write through one shows in the other's recommendations."""

from __future__ import annotations

import contextlib

import httpx
import pytest

from cinematch.domain.catalog import catalog_movie
from tests.support import process_env, serving

pytestmark = [pytest.mark.service("kafka")]
PASSWORD = "correct-horse-42"
ADMIN = {"CINEMATCH_ADMIN_USERNAME": "boss", "CINEMATCH_ADMIN_PASSWORD": "a long admin passphrase 7"}


def sign_in(client: httpx.Client, name: str, password: str) -> dict:
    token = client.post("/api/auth/token", json={"username": name, "password": password})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


async def test_limits_and_the_recommendation_cache_hold_across_two_app_processes(kafka_profile, tmp_path):
    await kafka_profile.storage.catalog().upsert([catalog_movie(id="heat", title="Heat", year=1995, votes=9),
                                                  catalog_movie(id="alien", title="Alien", year=1979, votes=8)])
    env = {k: v for k, v in process_env(kafka_profile, CINEMATCH_ML_USE_MOVIELENS="0", **ADMIN).items()
           if k != "CINEMATCH_DATA_DIR"}
    with contextlib.ExitStack() as stack:
        bases = [stack.enter_context(serving(tmp_path / "shared", **env)) for _ in range(2)]
        a, b = (stack.enter_context(httpx.Client(base_url=base, timeout=30)) for base in bases)

        # sign-in failures for one account, alternating between the processes: blocked after the
        # fifth wherever the sixth arrives (each process alone saw three)
        assert a.post("/api/auth/register", json={"username": "victim", "password": PASSWORD}).status_code == 201
        codes = [(a, b)[i % 2].post("/api/auth/token", json={"username": "victim", "password": f"wrong-{i}"})
                 .status_code for i in range(7)]
        assert codes[:5] == [401] * 5 and codes[6] == 429, codes
        assert b.post("/api/auth/token", json={"username": "victim", "password": PASSWORD}).status_code == 429

        # the training limit (one a minute): taken on A, refused on B
        boss_a, boss_b = sign_in(a, "boss", ADMIN["CINEMATCH_ADMIN_PASSWORD"]), None
        boss_b = sign_in(b, "boss", ADMIN["CINEMATCH_ADMIN_PASSWORD"])
        first = a.post("/api/admin/ml/train", headers=boss_a)
        assert first.status_code in (200, 409), first.text  # 409: nothing to train on yet
        second = b.post("/api/admin/ml/train", headers=boss_b)
        assert second.status_code == 429 and int(second.headers["retry-after"]) > 0

        # recommendations cached on B follow a diary write made through A
        viewers = []
        for i in range(3):
            assert a.post("/api/auth/register", json={"username": f"viewer{i}", "password": PASSWORD}).status_code == 201
            viewers.append(sign_in(a, f"viewer{i}", PASSWORD))
            for film in ("Heat", "Alien"):
                assert a.post("/api/movies", json={"name": film, "rating": 4}, headers=viewers[-1]).status_code == 201
        assert a.post("/api/auth/register", json={"username": "newcomer", "password": PASSWORD}).status_code == 201
        me = sign_in(b, "newcomer", PASSWORD)
        before = b.get("/api/recommendations/me", headers=me).json()
        assert {"Heat", "Alien"} <= {i["title"] for i in before["items"]}
        assert a.post("/api/movies", json={"name": "Heat", "rating": 5}, headers=me).status_code == 201
        after = b.get("/api/recommendations/me", headers=me).json()
        titles = {i["title"] for i in after["items"]}
        assert "Heat" not in titles and "Alien" in titles  # B's cache followed the diary's version
