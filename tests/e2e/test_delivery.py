"""How the pages travel: compressed, static files at fingerprinted URLs cached for a year,
personal answers never stored, an icon for every browser, and a start-up line when the npm
assets are missing (docs/contract.md §6)."""

import logging
import re

from litestar.testing import TestClient

from cinematch.entrypoints.web import create_app
from cinematch.entrypoints.web.assets import Assets
from tests.support import wired

PASSWORD = "correct-horse-42"


def test_pages_and_static_files_are_compressed_and_cached_by_fingerprint(tmp_path):
    with TestClient(create_app(wired("sqlite", data_dir=tmp_path))) as client:
        home = client.get("/", headers={"Accept-Encoding": "gzip"})
        assert home.headers["content-encoding"] == "gzip" and home.headers["cache-control"] == "private, no-cache"
        urls = re.findall(r'(?:src|href)="(/static/[^"]+)"', home.text)
        assert {u.split("?")[0] for u in urls} >= {"/static/app.css", "/static/app.js", "/static/vendor/htmx.min.js"}
        for url in urls:
            assert re.search(r"\?v=[0-9a-f]{12}$", url), url
            answer = client.get(url, headers={"Accept-Encoding": "gzip"})
            assert answer.status_code == 200 and answer.headers["cache-control"] == "public, max-age=31536000, immutable"
        htmx = client.get(next(u for u in urls if "htmx.min.js" in u), headers={"Accept-Encoding": "gzip"})
        assert htmx.headers["content-encoding"] == "gzip"
        # a stale or missing fingerprint is not cached for a year: it is asked again
        assert client.get("/static/app.css?v=000000000000").headers["cache-control"] == "public, no-cache"
        assert client.get("/static/app.css").headers["cache-control"] == "public, no-cache"
        icon = client.get("/favicon.ico")
        assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
        assert icon.content[:4] == b"\0\0\1\0" and "content-encoding" not in icon.headers
        manifest = client.get("/manifest.webmanifest").json()
        for entry in manifest["icons"]:
            assert client.get(entry["src"]).content[:8] == b"\x89PNG\r\n\x1a\n"


def test_personal_answers_are_never_stored_and_public_ones_briefly(tmp_path):
    with TestClient(create_app(wired("sqlite", data_dir=tmp_path))) as client:
        client.post("/api/auth/register", json={"username": "mia", "password": PASSWORD})
        token = client.post("/api/auth/token", json={"username": "mia", "password": PASSWORD}).json()["access_token"]
        h = {"Authorization": f"Bearer {token}"}
        for path in ("/api/me/stats", "/api/movies", "/api/me/watchlist", "/api/me/affinities?type=genre"):
            assert client.get(path, headers=h).headers["cache-control"] == "no-store", path
        assert client.get("/api/movies").headers["cache-control"] == "no-store"  # the 401 too
        assert client.get("/api/genres").headers["cache-control"] == "public, max-age=30"


def test_a_fingerprint_follows_the_files_bytes(tmp_path):
    (tmp_path / "app.css").write_text("a {}")
    first = Assets(tmp_path).url("app.css")
    (tmp_path / "app.css").write_text("a { color: red }")
    assert Assets(tmp_path).url("app.css") != first and first.startswith("/static/app.css?v=")


def test_missing_npm_assets_are_said_at_start(tmp_path, caplog):
    (tmp_path / "app.css").write_text("a {}")
    with caplog.at_level(logging.ERROR, logger="cinematch.web"):
        Assets(tmp_path).say_what_is_missing()
    [line] = [r.getMessage() for r in caplog.records]
    assert "vendor/htmx.min.js" in line and "scripts/assets" in line
    caplog.clear()
    Assets().say_what_is_missing()  # this checkout has them
    assert not caplog.records
