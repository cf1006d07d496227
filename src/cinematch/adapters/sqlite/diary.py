"""The diaries on SQLite: an entry and its event written in one transaction (the event table is
the outbox and the log the in-process projection tails)."""

from __future__ import annotations

import bisect
import itertools
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from ...domain.audience import Audience
from ...domain.diary import DIARY_ORDER, DiaryEntry
from ...domain.events import Event, encode_event
from ...domain.ports import Conflict, DiaryChange, DiaryStore
from ._base import OnDatabase, _enc, _entry, in_thread
from .diary_index import audience_columns
from .sql import chunks, placeholders

_DIARY_ORDER_SQL = ", ".join(f"{column} DESC" for column in DIARY_ORDER)  # domain.diary.DIARY_ORDER
_WATCHED_ORDER_SQL = ", ".join(DIARY_ORDER)  # the same, oldest first
# An upsert, not INSERT OR REPLACE: a replaced row's delete fires no trigger, and the triggers of
# diary_days (db.MIGRATIONS 13) must see every entry that moves to another day.
# `film` and `halves`: what the entry adds to its film's audience (`domain.audience.share_of`).
_PUT = ("INSERT INTO diary VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, id) DO UPDATE SET "
        "date = excluded.date, added_at = excluded.added_at, seq = excluded.seq, doc = excluded.doc, "
        "film = excluded.film, halves = excluded.halves")


class SqliteDiaryStore(OnDatabase, DiaryStore):
    @in_thread
    def write(self, user_id: str, changes: Sequence[DiaryChange]) -> list[Event]:
        with self.db.tx() as c:
            row = c.execute("SELECT seq FROM user_seq WHERE user_id = ?", (user_id,)).fetchone()
            seq = row[0] if row else 0
            present = self._present(c, user_id, [ch.put.id for ch in changes if ch.create_only and ch.put is not None])
            events = []
            # In change order: a put and a delete of one id in one write keep their order.
            ops: list[tuple[str, tuple[Any, ...]]] = []
            for change in changes:
                if change.expected_seq is not None:
                    target = change.delete_id or (change.put.id if change.put else None)
                    cur = c.execute("SELECT seq FROM diary WHERE user_id = ? AND id = ?", (user_id, target)).fetchone()
                    if cur is None or cur[0] != change.expected_seq:
                        raise Conflict(f"entry {target!r} changed concurrently")  # rolls back
                if change.create_only and change.put is not None:
                    if change.put.id in present:
                        continue  # already there: a retried import chunk
                    present.add(change.put.id)
                seq += 1
                event = msgspec.structs.replace(change.event, seq=seq)
                events.append(event)
                if change.put is not None:
                    e = msgspec.structs.replace(change.put, seq=seq)
                    ops.append(("put", (user_id, e.id, e.date, e.added_at, seq, _enc.encode(e), *audience_columns(e))))
                if change.delete_id is not None:
                    ops.append(("delete", (user_id, change.delete_id)))
            # Runs of the same statement go to executemany: one call per run, not per row.
            for kind, run in itertools.groupby(ops, key=lambda op: op[0]):
                sql = (_PUT if kind == "put" else "DELETE FROM diary WHERE user_id = ? AND id = ?")
                c.executemany(sql, [args for _, args in run])
            c.executemany("INSERT INTO events (user_id, payload) VALUES (?, ?)",
                          [(user_id, encode_event(e)) for e in events])
            c.execute("INSERT INTO user_seq VALUES (?, ?) ON CONFLICT(user_id) DO UPDATE SET seq = excluded.seq",
                      (user_id, seq))
        self.db.notify()
        return events

    @staticmethod
    def _present(c: sqlite3.Connection, user_id: str, ids: list[str]) -> set[str]:
        """Which of these entry ids the diary has (one query per 500)."""
        out: set[str] = set()
        for chunk in chunks(ids):
            out.update(r[0] for r in c.execute(
                f"SELECT id FROM diary WHERE user_id = ? AND id IN ({placeholders(len(chunk))})", (user_id, *chunk)))
        return out

    @in_thread
    def get(self, user_id: str, entry_id: str) -> DiaryEntry | None:
        rows = self.db.query("SELECT doc FROM diary WHERE user_id = ? AND id = ?", (user_id, entry_id))
        return _entry.decode(rows[0][0]) if rows else None

    @in_thread
    def page(self, user_id: str, limit: int, offset: int) -> tuple[list[DiaryEntry], int]:
        rows = self.db.query(
            f"SELECT doc FROM diary WHERE user_id = ? ORDER BY {_DIARY_ORDER_SQL} LIMIT ? OFFSET ?",
            (user_id, limit, offset))
        (total,) = self.db.query("SELECT count(*) FROM diary WHERE user_id = ?", (user_id,))[0]
        return [_entry.decode(r[0]) for r in rows], total

    @in_thread
    def snapshot(self, user_id: str) -> tuple[list[DiaryEntry], int]:
        with self.db.tx() as c:  # one consistent read of entries and version
            rows = c.execute("SELECT doc FROM diary WHERE user_id = ?", (user_id,)).fetchall()
            v = c.execute("SELECT seq FROM user_seq WHERE user_id = ?", (user_id,)).fetchone()
        return [_entry.decode(r[0]) for r in rows], (v[0] if v else 0)

    @in_thread
    def watched_in(self, user_id: str, year: int) -> list[DiaryEntry]:
        # a range of the (user_id, date) index: the year's rows only
        rows = self.db.query("SELECT doc FROM diary WHERE user_id = ? AND date BETWEEN ? AND ?",
                             (user_id, f"{year:04d}-01-01", f"{year:04d}-12-31"))
        return [_entry.decode(r[0]) for r in rows]

    @in_thread
    def calendar(self, user_id: str, numbers: Callable[[int], Sequence[int]]
                 ) -> tuple[dict[str, int], list[tuple[int, DiaryEntry]]]:
        # In one consistent read: the days from diary_days (kept by triggers with every write);
        # then each position found by the days' running counts, and read as the kth entry of its
        # day (a short range of the (user_id, date, added_at, id) index: only those documents).
        with self.db.tx() as c:
            days = dict(c.execute("SELECT date, n FROM diary_days WHERE user_id = ? ORDER BY date",
                                  (user_id,)).fetchall())
            ordered, running = list(days), list(itertools.accumulate(days.values()))
            found = []
            for n in numbers(running[-1] if running else 0):
                at = bisect.bisect_left(running, n)  # the day holding the nth entry
                before = running[at - 1] if at else 0
                (doc,) = c.execute(f"SELECT doc FROM diary WHERE user_id = ? AND date = ? "
                                   f"ORDER BY {_WATCHED_ORDER_SQL} LIMIT 1 OFFSET ?",
                                   (user_id, ordered[at], n - before - 1)).fetchone()
                found.append((n, doc))
        return days, [(n, _entry.decode(doc)) for n, doc in found]

    @in_thread
    def audience(self, catalog_id: str) -> Audience:
        # One range of the partial (film, user_id, halves) index: only the film's counted entries.
        (users, rated, total), = self.db.query(
            "SELECT count(DISTINCT user_id), count(halves), coalesce(sum(halves), 0) FROM diary WHERE film = ?",
            (catalog_id,))
        return Audience(users, rated, total)

    @in_thread
    def version(self, user_id: str) -> int:
        rows = self.db.query("SELECT seq FROM user_seq WHERE user_id = ?", (user_id,))
        return rows[0][0] if rows else 0

    @in_thread
    def user_ids(self) -> list[str]:
        return [r[0] for r in self.db.query("SELECT user_id FROM user_seq WHERE seq > 0 ORDER BY user_id")]

    @in_thread
    def remove_user(self, user_id: str) -> None:
        with self.db.tx() as c:  # the log's rows too: they carry the entries (the projection skips the rest)
            for table in ("diary", "user_seq", "events"):
                c.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))
