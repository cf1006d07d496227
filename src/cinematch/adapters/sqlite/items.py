"""Small records on SQLite: the dead letters, and each user's items of one kind (imports, watchlist)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from ...domain.ports import DeadLetter, DeadLetterStore, ItemStore
from ._base import OnDatabase, _enc, in_thread
from .db import Database


class SqliteDeadLetterStore(OnDatabase, DeadLetterStore):
    @in_thread
    def add(self, letters: Sequence[DeadLetter]) -> None:
        with self.db.tx() as c:
            c.executemany("INSERT OR IGNORE INTO dead_letters (payload, reason, partition, position, at) "
                          "VALUES (?,?,?,?,?)",
                          [(d.payload, d.reason, d.partition, d.position, d.at) for d in letters])

    @in_thread
    def all(self) -> list[DeadLetter]:
        return [DeadLetter(payload=p, reason=r, partition=pa, position=po, at=a) for p, r, pa, po, a in
                self.db.query("SELECT payload, reason, partition, position, at FROM dead_letters "
                              "ORDER BY partition, position")]

    @in_thread
    def count(self) -> int:
        return int(self.db.query("SELECT count(*) FROM dead_letters")[0][0])



class SqliteItemStore(ItemStore):
    """Rows of `user_items` (kind, user, id, JSON document)."""

    def __init__(self, db: Database, kind: str, type_: type[Any]) -> None:
        self.db, self.kind = db, kind
        self.decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(type_)

    @in_thread
    def put(self, user_id: str, items: Sequence[msgspec.Struct], *, only_new: bool = False) -> int:
        # Every item kind (ImportBatch, WatchItem) has an id; the port takes any Struct (the ignore below).
        verb = "INSERT OR IGNORE" if only_new else "INSERT OR REPLACE"
        with self.db.tx() as c:
            return c.executemany(f"{verb} INTO user_items (kind, user_id, id, doc) VALUES (?, ?, ?, ?)",
                                 [(self.kind, user_id, i.id, _enc.encode(i)) for i in items]).rowcount  # type: ignore[attr-defined]

    @in_thread
    def all(self, user_id: str) -> list[Any]:
        return [self.decoder.decode(r[0]) for r in self.db.query(
            "SELECT doc FROM user_items WHERE kind = ? AND user_id = ? ORDER BY rowid", (self.kind, user_id))]

    @in_thread
    def owners(self) -> list[str]:
        # the primary key (kind, user_id, id) answers it by a walk of the index
        return [r[0] for r in self.db.query("SELECT DISTINCT user_id FROM user_items WHERE kind = ? ORDER BY user_id",
                                            (self.kind,))]

    @in_thread
    def remove(self, user_id: str, ids: Sequence[str]) -> int:
        with self.db.tx() as c:
            return c.executemany("DELETE FROM user_items WHERE kind = ? AND user_id = ? AND id = ?",
                                 [(self.kind, user_id, i) for i in set(ids)]).rowcount

    @in_thread
    def remove_user(self, user_id: str) -> None:
        with self.db.tx() as c:
            c.execute("DELETE FROM user_items WHERE kind = ? AND user_id = ?", (self.kind, user_id))
