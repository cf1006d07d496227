"""The pages' own files (static/): fingerprinted URLs that caches keep for a year, the
Cache-Control of every answer, and a start-up check that the npm assets are there.

A page names a file as `static_url("app.css")` → `/static/app.css?v=<digest of its bytes>`: a
changed file has a new URL, so the old one may be cached for ever. Answers that belong to one
person never go into a shared cache, and personal API answers are not stored at all."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import parse_qs

from litestar.types import Message, Scope

log = logging.getLogger("cinematch.web")

STATIC_DIR = Path(__file__).parent / "static"
# What the pages cannot work without; the vendor files come from npm (scripts/assets).
REQUIRED = ("app.css", "app.js", "vendor/htmx.min.js", "vendor/htmx-sse.min.js")
YEAR = "public, max-age=31536000, immutable"
# Public answers anyone may cache a little (the same for every caller).
PUBLIC_API = ("/api/trends/global", "/api/catalog/", "/api/genres")


class Assets:
    """The digests of the static files, read once when the app is made."""

    def __init__(self, directory: Path = STATIC_DIR) -> None:
        self.directory = directory
        self.digests = {
            str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()[:12]
            for p in sorted(directory.rglob("*")) if p.is_file()
        }

    def url(self, path: str) -> str:
        digest = self.digests.get(path)
        return f"/static/{path}?v={digest}" if digest else f"/static/{path}"

    def missing(self) -> list[str]:
        return [p for p in REQUIRED if p not in self.digests]

    def say_what_is_missing(self) -> None:
        """One line at start-up when the pages' scripts were not installed (a `pip install .`
        without the npm step): the pages would load without them and do nothing."""
        if missing := self.missing():
            log.error("the pages' assets are missing (%s) in %s: run scripts/assets, or install a wheel "
                      "built after it; the pages will not work until then", ", ".join(missing), self.directory)

    def cache_control(self, scope: Scope) -> bytes:
        path = scope.get("path", "")
        if path.startswith("/static/"):
            given = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("v", [""])[0]
            if given and given == self.digests.get(path[len("/static/"):]):
                return YEAR.encode()
            return b"public, no-cache"  # kept, but asked again (an ETag answers 304)
        if path in ("/favicon.ico", "/manifest.webmanifest"):
            return b"public, max-age=86400"
        if path.startswith("/api/"):
            return b"public, max-age=30" if path.startswith(PUBLIC_API) else b"no-store"
        return b"private, no-cache"  # the pages: one person's, always asked again

    def hook(self) -> Callable[[Message, Scope], Awaitable[None]]:
        """A `before_send` hook: every answer gets its Cache-Control unless its handler set one."""
        async def hook(message: Message, scope: Scope) -> None:
            if message["type"] != "http.response.start":
                return
            headers = list(message.get("headers", ()))
            if not any(k.lower() == b"cache-control" for k, _ in headers):
                message["headers"] = [*headers, (b"cache-control", self.cache_control(scope))]
        return hook
