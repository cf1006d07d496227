"""Shared years in review: make, list and revoke a person's links, and what a link shows to anyone
(docs/contract.md §3 shares). A link is stored twice: under its owner (their list) and under its
token (what a visitor's request finds). Made owner first, revoked token first: a crash between
the two leaves at worst a link its owner sees and can revoke, never one that works unlisted."""

from __future__ import annotations

import asyncio
from typing import Any

from ..domain.calendar import calendar_of, calendar_view, milestones_upto
from ..domain.messages import N_
from ..domain.ports import Clock, DiaryStore, ItemStore, UserStore
from ..domain.review import year_extras
from ..domain.shares import KINDS, Share, new_token, shown, token_key
from ..domain.stats import compute_user_stats

MAX_SHARES = 50  # links one person keeps


class ShareError(ValueError):
    """A share that cannot be made; the message says why."""


class ShareService:
    def __init__(self, store: ItemStore, diary: DiaryStore, users: UserStore, clock: Clock,
                 tz: str = "Europe/Rome") -> None:
        self.store = store
        self.diary = diary
        self.users = users
        self.clock = clock
        self.tz = tz

    async def create(self, user_id: str, kind: str, year: int) -> Share:
        if kind not in KINDS:
            raise ShareError(N_("kind must be one of {kinds}").format(kinds=", ".join(KINDS)))
        if len(await self.store.all(user_id)) >= MAX_SHARES:
            raise ShareError(N_("at most {limit} links: revoke one first").format(limit=MAX_SHARES))
        share = Share(id=new_token(), owner=user_id, kind=kind, year=year, created=self.clock.now().isoformat())
        await self.store.put(user_id, [share])
        await self.store.put(token_key(share.id), [share])
        return share

    async def mine(self, user_id: str) -> list[Share]:
        return sorted(await self.store.all(user_id), key=lambda s: s.created, reverse=True)

    async def revoke(self, user_id: str, token: str) -> bool:
        if not any(s.id == token for s in await self.store.all(user_id)):
            return False
        await self.store.remove(token_key(token), [token])
        await self.store.remove(user_id, [token])
        return True

    async def remove_user(self, user_id: str) -> None:
        """An account deleted: its links stop working first, then its list goes."""
        for share in await self.store.all(user_id):
            await self.store.remove(token_key(share.id), [share.id])
        await self.store.remove_user(user_id)

    async def resolve(self, token: str) -> Share | None:
        """The share a link names, while its owner's account exists; else None."""
        if not token or len(token) > 64:
            return None
        found: list[Share] = [s for s in await self.store.all(token_key(token)) if s.id == token]
        if not found or await self.users.by_id(found[0].owner) is None:
            return None
        return found[0]

    async def year_review(self, share: Share) -> dict[str, Any]:
        """What the link shows: the year in review from the non-private entries alone (figures,
        calendar, first and last film, new directors), and the owner's name."""
        entries, _ = await self.diary.snapshot(share.owner)
        user = await self.users.by_id(share.owner)
        today = self.clock.now().date()

        def build() -> dict[str, Any]:
            public = shown(entries)
            year = [e for e in public if e.date[:4] == f"{share.year:04d}"]
            days, marks = calendar_of(public, milestones_upto)
            stats = compute_user_stats(share.owner, year, self.tz)
            return {"stats": {**stats, "sync": {"status": "synced", "pending_events": 0}, "year": share.year},
                    "calendar": calendar_view(days, marks, today, share.year),
                    "extras": year_extras(public, share.year)}
        review = await asyncio.to_thread(build)
        return {**review, "username": user.username if user else "", "share": share}
