"""The accounts on MongoDB."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec
from pymongo.errors import DuplicateKeyError

from ...domain.ports import Conflict, User, UserStore
from ._base import _chunks
from .client import Mongo

log = logging.getLogger(__name__)


class MongoUserStore(UserStore):
    def __init__(self, mongo: Mongo) -> None:
        self.mongo = mongo

    async def create(self, user: User) -> None:
        doc = {**msgspec.to_builtins(user), "_id": user.id, "username_key": user.username.lower()}
        try:
            await self.mongo.db.users.insert_one(doc)
        except DuplicateKeyError:
            raise Conflict(f"username {user.username!r} is taken") from None

    @staticmethod
    def _user(doc: Mapping[str, Any] | None) -> User | None:
        if doc is None:
            return None
        return User(id=doc["id"], username=doc["username"], password_hash=doc["password_hash"],
                    is_admin=doc.get("is_admin", False), created_at=doc.get("created_at", ""),
                    language=doc.get("language", ""))

    async def by_username(self, username: str) -> User | None:
        return self._user(await self.mongo.db.users.find_one({"username_key": username.lower()}))

    async def by_id(self, user_id: str) -> User | None:
        return self._user(await self.mongo.db.users.find_one({"_id": user_id}))

    async def set_password_hash(self, user_id: str, password_hash: str) -> None:
        await self.mongo.db.users.update_one({"_id": user_id}, {"$set": {"password_hash": password_hash}})

    async def set_language(self, user_id: str, language: str) -> None:
        await self.mongo.db.users.update_one({"_id": user_id}, {"$set": {"language": language}})

    async def purge(self, user_id: str, at: str) -> None:
        try:
            await self.mongo.db.purged_users.insert_one({"_id": user_id, "at": at, "done": False})
        except DuplicateKeyError:
            pass  # purged before (a retry)
        await self.mongo.db.users.delete_one({"_id": user_id})

    async def purged(self, user_ids: Sequence[str]) -> set[str]:
        ids = list(dict.fromkeys(user_ids))
        out: set[str] = set()
        for chunk in _chunks(ids):
            out.update([d["_id"] async for d in self.mongo.db.purged_users.find({"_id": {"$in": chunk}}, {"_id": 1})])
        return out

    async def pending_purges(self) -> list[str]:
        return sorted([d["_id"] async for d in self.mongo.db.purged_users.find({"done": False}, {"_id": 1})])

    async def purge_done(self, user_id: str) -> None:
        await self.mongo.db.purged_users.update_one({"_id": user_id}, {"$set": {"done": True}})
