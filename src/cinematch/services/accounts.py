"""Accounts: registration, password checks, sign-in throttling, the start-up admin.

Password hashing (argon2) is CPU work of tens of milliseconds: it runs in worker
threads, at most `hash_workers` at a time, never on the event loop. An unknown
username is verified against a dummy hash, so it answers in the time a known one does.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import secrets
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..domain.messages import LANGUAGES, N_
from ..domain.ports import Conflict, User, UserStore
from ..domain.users import canonical_username, username_key
from .limits import LoginThrottle

log = logging.getLogger(__name__)

MIN_PASSWORD = 10
MAX_PASSWORD = 1000  # argon2 hashes the whole password: its length is bounded by the request schema too
MIN_STRENGTH = 2  # zxcvbn score (0-4): 0-1 are common or trivially guessed passwords

T = TypeVar("T")


class AccountError(ValueError):
    pass


ZXCVBN_MAX = 72


def password_problem(password: str, username: str) -> str | None:
    """Why a new password is refused, or None. Length, not the username, and not a
    commonly used password (zxcvbn's frequency lists and patterns: keyboard walks,
    repeats, sequences, dictionary words with digits)."""
    if len(password) < MIN_PASSWORD:
        return N_("password must be at least {n} characters").format(n=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        return N_("password must be at most {n} characters").format(n=MAX_PASSWORD)
    if not password.strip():
        return N_("password must not be only spaces")
    if username and username_key(username) in password.lower():
        return N_("password must not contain the username")
    from zxcvbn import zxcvbn  # imported when first needed: it loads its word lists
    # zxcvbn's cost grows with the length, and it refuses (raises) past 72 characters: the
    # first 72 decide its verdict.
    if zxcvbn(password[:ZXCVBN_MAX], user_inputs=[username])["score"] < MIN_STRENGTH:
        return N_("password is too common or too easy to guess; try a longer phrase")
    return None


def session_mark(user: User) -> str:
    """What a token carries of the password it was signed in with: a new hash (a changed
    password, or "sign out everywhere") ends every older session."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def session_user(user: User | None, token_extras: dict[str, Any]) -> User | None:
    """The user of a token, if the token's session is still open (same password hash)."""
    return user if user is not None and token_extras.get("pw") == session_mark(user) else None


class Accounts:
    def __init__(self, users: UserStore, throttle: LoginThrottle, hash_workers: int = 2) -> None:
        self.users = users
        self.throttle = throttle
        # Moderate cost: a login stays well under 100 ms on a small machine.
        self.hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
        self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))
        self._hash_slots = asyncio.Semaphore(hash_workers)

    async def _off_loop(self, fn: Callable[..., T], *args: Any) -> T:
        async with self._hash_slots:
            return await asyncio.to_thread(fn, *args)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    async def register(self, username: str, password: str, is_admin: bool = False, *, check_strength: bool = True,
                       ) -> User:
        name = canonical_username(username)
        if name is None:
            raise AccountError(N_("username must be 3-32 characters of letters, digits, '_', '.' or '-'"))
        problem = password_problem(password or "", name) if check_strength else None
        if problem:
            raise AccountError(problem)
        if await self.users.by_username(name) is not None:  # a quick answer; the store's unique key decides
            raise Conflict(N_("username {name!r} is taken").format(name=name))
        digest = await self._off_loop(self.hasher.hash, password)
        user = User(id=uuid.uuid4().hex, username=name, password_hash=digest,
                    is_admin=is_admin, created_at=dt.datetime.now(dt.UTC).isoformat())
        await self.users.create(user)  # raises Conflict when taken
        return user

    async def authenticate(self, username: str, password: str, client: str = "") -> User | None:
        """The user when the password is right, else None. Raises RateLimited (before
        any hashing) while the account or the client address is backing off."""
        name = canonical_username(username)
        keys = self.throttle.keys(username_key(name) if name else (username or "")[:64], client)
        await self.throttle.check(keys)
        user = await self.users.by_username(name) if name else None
        ok = await self._off_loop(self._verify, user.password_hash if user else self._dummy_hash, password or "")
        if user is None or not ok:
            await self.throttle.failed(keys)
            return None
        await self.throttle.succeeded(keys)
        return user

    async def check_password(self, user: User, current: str, client: str = "") -> None:
        """Raise AccountError unless `current` is the user's password; throttled like a sign-in."""
        keys = self.throttle.keys(username_key(user.username), client)
        await self.throttle.check(keys)
        if not await self._off_loop(self._verify, user.password_hash, current or ""):
            await self.throttle.failed(keys)
            raise AccountError(N_("the current password is not right"))

    async def change_password(self, user: User, current: str, new: str | None, client: str = "") -> None:
        """Set a new password (or, with `new` None, the same one hashed anew): either way every
        session signed before ends (`session_mark`). The current password is checked, throttled
        like a sign-in."""
        await self.check_password(user, current, client)
        if new is not None:
            problem = password_problem(new, user.username)
            if problem:
                raise AccountError(problem)
        digest = await self._off_loop(self.hasher.hash, current if new is None else new)
        await self.users.set_password_hash(user.id, digest)

    async def set_language(self, user: User, language: str) -> None:
        """The language of the person's pages: one CineMatch speaks, or "" for their browser's."""
        if language and language not in LANGUAGES:
            raise AccountError(N_("unknown language {code!r}: one of {known}").format(
                code=language[:10], known=", ".join(LANGUAGES)))
        await self.users.set_language(user.id, language)

    async def reset_password(self, username: str, new: str) -> User:
        """An operator's reset (`cinematch user reset-password`): no current password asked;
        the new one must be acceptable, and every session signed before ends."""
        name = canonical_username(username)
        user = await self.users.by_username(name) if name else None
        if user is None:
            raise AccountError(f"no user named {username!r}")
        problem = password_problem(new or "", user.username)
        if problem:
            raise AccountError(problem)
        await self.users.set_password_hash(user.id, await self._off_loop(self.hasher.hash, new))
        return user

    async def ensure_admin(self, username: str, password: str) -> None:
        if not username or not password:
            return
        problem = password_problem(password, username)
        if problem:  # the operator's choice; said at start-up, not refused
            log.warning("CINEMATCH_ADMIN_PASSWORD is weak: %s", problem)
        if await self.users.by_username(canonical_username(username) or username) is None:
            try:
                await self.register(username, password, is_admin=True, check_strength=False)
            except Conflict:
                pass


__all__ = ["AccountError", "Accounts", "Conflict", "password_problem", "session_mark", "session_user"]
