"""Posters from a film database (TMDB), downloaded once and kept in the data directory: the pages
never hot-link another host (docs/contract.md §4). A poster is fetched the first time someone asks
for it, stored under a name derived from its URL, and served from the file from then on; a poster
that cannot be fetched now (no network, an error, not an image) is drawn instead and asked for again
after a while."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from pathlib import Path
from typing import Any

import httpx

TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}
MAX_BYTES = 5 * 1024 * 1024
RETRY_AFTER = 600.0  # seconds before a poster that could not be fetched is asked for again


class PosterStore:
    def __init__(self, folder: str | Path, timeout: float = 10.0) -> None:
        self.folder = Path(folder)
        self.timeout = timeout
        self.downloads = 0
        self._failed: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._http: httpx.AsyncClient | None = None
        self._fetching: set[asyncio.Task[Any]] = set()  # downloads started by `ready` (kept until done)

    def _stem(self, url: str) -> str:
        return hashlib.sha256(url.encode()).hexdigest()[:32]

    def _cached(self, url: str) -> tuple[Path, str] | None:
        stem = self._stem(url)
        for media, ext in TYPES.items():
            path = self.folder / f"{stem}{ext}"
            if path.exists():
                return path, media
        return None

    async def image(self, url: str) -> tuple[bytes, str] | None:
        """The poster's bytes and media type, from the store, else fetched once into it; None when
        it cannot be had now."""
        found = self._cached(url)
        if found is None:
            if time.monotonic() < self._failed.get(url, 0.0):
                return None
            lock = self._locks.setdefault(self._stem(url), asyncio.Lock())
            async with lock:  # two pages asking at once: one download
                found = self._cached(url) or await self._fetch(url)
            self._locks.pop(self._stem(url), None)
            if found is None:
                return None
        path, media = found
        return await asyncio.to_thread(path.read_bytes), media

    def ready(self, url: str) -> bool:
        """Whether the image is in the store now; if not, its download starts in the background
        (once: `image` holds one lock per image), so a page can leave it out today and show it
        on a later visit rather than wait for another host or show a broken image."""
        if self._cached(url) is not None:
            return True
        if time.monotonic() >= self._failed.get(url, 0.0) and self._stem(url) not in self._locks:
            task = asyncio.get_running_loop().create_task(self.image(url))
            self._fetching.add(task)
            task.add_done_callback(self._fetching.discard)
        return False

    async def _fetch(self, url: str) -> tuple[Path, str] | None:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.timeout, follow_redirects=True)
        try:
            response = await self._http.get(url)
            media = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if response.status_code != 200 or media not in TYPES or len(response.content) > MAX_BYTES:
                raise ValueError(f"{response.status_code} {media or 'no type'}")
        except (httpx.HTTPError, ValueError):
            self._failed[url] = time.monotonic() + RETRY_AFTER
            return None
        self.downloads += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{self._stem(url)}{TYPES[media]}"
        temporary = path.with_suffix(".part")
        await asyncio.to_thread(temporary.write_bytes, response.content)
        os.replace(temporary, path)  # whole or not at all
        return path, media

    async def stop(self) -> None:
        if self._http is not None:
            http, self._http = self._http, None
            await http.aclose()
