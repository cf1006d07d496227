"""What every SQLite store shares: its database, work off the event loop, IN lists in chunks."""

from __future__ import annotations

import asyncio
import functools

import msgspec

from ...domain.catalog import CatalogMovie
from ...domain.diary import DiaryEntry
from ...domain.stats import StatsState
from .db import Database

_enc = msgspec.json.Encoder()
_entry = msgspec.json.Decoder(DiaryEntry)
_movie = msgspec.json.Decoder(CatalogMovie)
_stats = msgspec.json.Decoder(StatsState)


def in_thread(method):
    """An async method that runs the plain method in a worker thread."""
    @functools.wraps(method)
    async def off_loop(self, *args, **kwargs):
        return await asyncio.to_thread(method, self, *args, **kwargs)
    return off_loop


class OnDatabase:
    """A store on the SQLite database (db.py)."""

    def __init__(self, db: Database) -> None:
        self.db = db
