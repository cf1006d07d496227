"""A local HTTP server that answers like TMDB's API v3, for tests and demos on a machine
that cannot reach TMDB (this one): `/find/{imdb_id}`, `/search/movie`, `/movie/{id}`, in the
documented response shapes, from a dict of films, and their posters at the image host's paths
(`/t/p/w342/{poster_path}`, a small PNG). It never claims to be TMDB: it serves what it was given,
on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


SIZES = ("w92", "w154", "w185", "w300", "w342", "w500", "w780", "w1280", "original")  # the image host's sizes
# A 1x1 transparent PNG: what the fake's image host serves for every known poster.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000b49444154789c6360000200000500017a5eab3f0000000049454e44ae426082")


class FakeTmdb:
    def __init__(self, films: list[dict[str, Any]], api_key: str = "test-key") -> None:
        self.films = {f["id"]: f for f in films}  # TMDB's /movie/{id} bodies, credits included
        self.api_key = api_key
        self.requests: list[str] = []
        self.images: list[str] = []  # poster paths asked for
        self.throttle_next = 0  # answer this many requests 429 first
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/3"

    @property
    def image_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/t/p/w342"

    def image(self, path: str) -> bytes | None:
        """An image's bytes (a 1x1 PNG) when a film has this poster or backdrop path."""
        self.images.append(path)
        known = {f.get(kind) for f in self.films.values() for kind in ("poster_path", "backdrop_path")}
        size, _, poster = path.removeprefix("/t/p/").partition("/")
        return PNG if size in SIZES and "/" + poster in known else None

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        self.requests.append(path)
        if query.get("api_key") != [self.api_key]:
            return 401, {"status_code": 7, "status_message": "Invalid API key: You must be granted a valid key."}
        if self.throttle_next > 0:
            self.throttle_next -= 1
            return 429, {"status_code": 25, "status_message": "Your request count is over the allowed limit."}
        parts = path.strip("/").split("/")
        if parts[:2] == ["3", "find"] and len(parts) == 3:
            hits = [self._summary(f) for f in self.films.values() if f.get("imdb_id") == parts[2]]
            return 200, {"movie_results": hits, "person_results": [], "tv_results": [], "tv_episode_results": [],
                         "tv_season_results": []}
        if parts[:3] == ["3", "search", "movie"]:
            q = (query.get("query") or [""])[0].lower()
            year = (query.get("year") or [""])[0]
            hits = [self._summary(f) for f in self.films.values() if q and q in f["title"].lower()
                    and (not year or f.get("release_date", "").startswith(year))]
            return 200, {"page": 1, "results": hits, "total_pages": 1, "total_results": len(hits)}
        if parts[:2] == ["3", "movie"] and len(parts) == 3 and parts[2].isdigit() and int(parts[2]) in self.films:
            return 200, self.films[int(parts[2])]
        return 404, {"success": False, "status_code": 34,
                     "status_message": "The resource you requested could not be found."}

    @staticmethod
    def _summary(film: dict[str, Any]) -> dict[str, Any]:
        fields = ("id", "title", "original_title", "release_date", "poster_path", "overview")
        return {k: film.get(k) for k in fields} | {
            "genre_ids": [g["id"] for g in film.get("genres", [])], "adult": False, "popularity": 10.0}

    def start(self) -> FakeTmdb:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                url = urlparse(self.path)
                if url.path.startswith("/t/p/"):
                    png = fake.image(url.path)
                    self.send_response(200 if png else 404)
                    self.send_header("Content-Type", "image/png" if png else "text/plain")
                    self.send_header("Content-Length", str(len(png or b"")))
                    self.end_headers()
                    self.wfile.write(png or b"")
                    return
                status, body = fake.answer(url.path, parse_qs(url.query))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                if status == 429:
                    self.send_header("Retry-After", "1")
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
