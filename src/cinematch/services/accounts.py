"""Accounts: registration, password checks, the start-up admin."""

from __future__ import annotations

import datetime as dt
import re
import uuid

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError

from ..domain.ports import Conflict, User, UserStore

USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,32}$")
MIN_PASSWORD = 8


class AccountError(ValueError):
    pass


class Accounts:
    def __init__(self, users: UserStore) -> None:
        self.users = users
        # Moderate cost: a login stays well under 100 ms on a small machine.
        self.hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)

    async def register(self, username: str, password: str, is_admin: bool = False) -> User:
        if not USERNAME.match(username or ""):
            raise AccountError("username must be 3-32 characters of letters, digits, '_', '.' or '-'")
        if len(password or "") < MIN_PASSWORD:
            raise AccountError(f"password must be at least {MIN_PASSWORD} characters")
        user = User(id=uuid.uuid4().hex, username=username, password_hash=self.hasher.hash(password),
                    is_admin=is_admin, created_at=dt.datetime.now(dt.UTC).isoformat())
        await self.users.create(user)  # raises Conflict when taken
        return user

    async def authenticate(self, username: str, password: str) -> User | None:
        user = await self.users.by_username(username or "")
        if user is None:
            return None
        try:
            self.hasher.verify(user.password_hash, password or "")
        except VerificationError:
            return None
        return user

    async def ensure_admin(self, username: str, password: str) -> None:
        if not username or not password:
            return
        if await self.users.by_username(username) is None:
            try:
                await self.register(username, password, is_admin=True)
            except Conflict:
                pass


__all__ = ["AccountError", "Accounts", "Conflict"]
