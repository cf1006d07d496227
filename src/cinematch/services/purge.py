"""Deleting an account and everything it owns, on every backend.

The order is what makes it complete: the account's id is recorded as purged first (and the
account row goes with it, so no token of it works any more), then each store drops the
user's documents, then the purge is marked done. Events already on their way (the Kafka
topic, a projection batch in flight) would write the user's statistics again: the projector
looks up, after every batch, which of its users are purged and removes what it wrote for
them (`Projector.forget_purged`). A purge cut short by a crash is finished at the next
start (`finish_pending`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from ..domain.ports import Clock, UserStore

log = logging.getLogger(__name__)


class AccountPurge:
    def __init__(self, users: UserStore, stores: Sequence[Any], clock: Clock) -> None:
        self.users = users
        self.stores = [s for s in stores if s is not None]  # each has `remove_user(user_id)`
        self.clock = clock

    async def purge(self, user_id: str) -> None:
        await self.users.purge(user_id, self.clock.now().isoformat())
        await self._remove(user_id)

    async def _remove(self, user_id: str) -> None:
        for store in self.stores:
            await store.remove_user(user_id)
        await self.users.purge_done(user_id)

    async def finish_pending(self) -> int:
        pending = await self.users.pending_purges()
        for user_id in pending:
            log.info("finishing the deletion of account %s", user_id)
            await self._remove(user_id)
        return len(pending)
