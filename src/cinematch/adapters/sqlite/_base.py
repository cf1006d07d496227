"""What every SQLite store shares: its database, work off the event loop, IN lists in chunks."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, TypeVar

import msgspec

from ...domain.catalog import CatalogMovie
from ...domain.diary import DiaryEntry
from ...domain.stats import StatsState
from .db import Database

_enc = msgspec.json.Encoder()
_entry = msgspec.json.Decoder(DiaryEntry)
_movie = msgspec.json.Decoder(CatalogMovie)
_stats = msgspec.json.Decoder(StatsState)


S = TypeVar("S")
P = ParamSpec("P")
R = TypeVar("R")


def in_thread(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], Coroutine[Any, Any, R]]:
    """An async method that runs the plain method in a worker thread."""
    async def off_loop(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return await asyncio.to_thread(method, self, *args, **kwargs)
    functools.update_wrapper(off_loop, method)  # (its result, typed as a wrapper, is off_loop itself)
    return off_loop


class OnDatabase:
    """A store on the SQLite database (db.py)."""

    def __init__(self, db: Database) -> None:
        self.db = db
