"""The MongoDB connection: pymongo's async client (not motor: it reached end of life
on 2026-05-14 and beanie >= 2.1 breaks on it). The constructor only stores the URL;
the client is created on first use, inside the running event loop."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from ...domain.ports import StoreUnavailable

DEFAULT_DB = "cinematch"


def database_name(url: str) -> str:
    """The database named by the URL's path (`mongodb://host/name`), else `cinematch`."""
    path = urlparse(url).path.lstrip("/")
    return path.split("?")[0] or DEFAULT_DB


class Mongo:
    def __init__(self, url: str, db_name: str | None = None, timeout_ms: int = 5000) -> None:
        self.url = url
        self.db_name = db_name or database_name(url)
        self.timeout_ms = timeout_ms
        self._client: AsyncMongoClient[Any] | None = None

    @property
    def client(self) -> AsyncMongoClient[Any]:
        if self._client is None:
            self._client = AsyncMongoClient(self.url, serverSelectionTimeoutMS=self.timeout_ms, tz_aware=True)
        return self._client

    @property
    def db(self) -> AsyncDatabase[Any]:
        return self.client[self.db_name]

    async def ping(self) -> bool:
        try:
            await self.client.admin.command("ping")
            return True
        except Exception:  # noqa: BLE001 - readiness: any failure means not ready
            return False

    async def check(self) -> None:
        """Raise StoreUnavailable unless the server takes a small write now."""
        try:
            await self.db.health_probe.update_one({"_id": 1}, {"$inc": {"n": 1}}, upsert=True)
        except Exception as exc:  # noqa: BLE001 - readiness: any failure means not ready
            raise StoreUnavailable(f"MongoDB does not take writes: {str(exc)[:200]}", retry_after=5) from exc

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
