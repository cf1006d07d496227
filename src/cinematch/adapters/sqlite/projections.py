"""Where a delta becomes an update for the embedded profile: the statistics, affinity and trend
stores on SQLite, each write guarded by its document's high-water mark."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ...domain.deltas import TrendFact
from ...domain.ports import AffinityStore, AffinityWrite, StaleWrite, StatsStore, StatsWrite, TrendStore
from ...domain.stats import AFFINITY_ORDER, AffinityState, StatsState
from ...domain.writes import apply_stats_write
from ._base import OnDatabase, _enc, _stats, in_thread
from .sql import pairs_in


class SqliteStatsStore(OnDatabase, StatsStore):
    @in_thread
    def hwms(self, user_ids: Sequence[str]) -> dict[str, int]:
        return pairs_in(self.db.query, "SELECT user_id, hwm FROM user_stats WHERE user_id IN ({in})", user_ids)

    @in_thread
    def apply(self, writes: Sequence[StatsWrite]) -> None:
        with self.db.tx() as c:  # read-modify-write is safe inside the write lock
            for w in writes:
                row = c.execute("SELECT doc FROM user_stats WHERE user_id = ?", (w.user_id,)).fetchone()
                new = apply_stats_write(_stats.decode(row[0]) if row else None, w)
                c.execute("INSERT OR REPLACE INTO user_stats VALUES (?, ?, ?)", (w.user_id, new.hwm, _enc.encode(new)))

    @in_thread
    def replace(self, state: StatsState) -> None:
        with self.db.tx() as c:
            c.execute("INSERT INTO user_stats VALUES (?, ?, ?) ON CONFLICT(user_id) DO UPDATE SET "
                      "hwm = excluded.hwm, doc = excluded.doc WHERE user_stats.hwm <= excluded.hwm",
                      (state.user_id, state.hwm, _enc.encode(state)))

    @in_thread
    def get(self, user_id: str) -> StatsState | None:
        rows = self.db.query("SELECT doc FROM user_stats WHERE user_id = ?", (user_id,))
        return _stats.decode(rows[0][0]) if rows else None

    @in_thread
    def remove_user(self, user_id: str) -> None:
        with self.db.tx() as c:
            c.execute("DELETE FROM user_stats WHERE user_id = ?", (user_id,))


# AffinityState's order
_AFF_COLS = "id, user_id, type, name, name_key, count, sum_ratings, hwm, updated_at, rated_count"


def _aff(row: tuple[Any, ...]) -> AffinityState:
    return AffinityState(*row)


# The fields of domain.stats.AFFINITY_ORDER as SQL over user_affinities' columns.
_AFF_ORDER_SQL = {"avg_rating": "CASE WHEN rated_count > 0 THEN CAST(sum_ratings AS REAL) / rated_count ELSE 0 END",
                  "count": "count", "name": "name"}


class SqliteAffinityStore(OnDatabase, AffinityStore):
    @in_thread
    def hwms(self, ids: Sequence[str], user_ids: Sequence[str] | None = None) -> dict[str, int]:
        return pairs_in(self.db.query, "SELECT id, hwm FROM user_affinities WHERE id IN ({in})", ids)

    @in_thread
    def apply(self, writes: Sequence[AffinityWrite]) -> None:
        # The sums are added in SQL, in place: no read first, no row deleted and inserted again.
        # A write whose guard fails changes no row; fewer rows changed than writes is a
        # StaleWrite, and the transaction rolls back whole.
        new = [(w.id, w.user_id, w.type, w.name, w.name_key, w.count, w.sum_ratings, w.new_hwm, w.updated_at, w.rated)
               for w in writes if w.expected_hwm == 0]
        seen = [(w.name, w.count, w.rated, w.sum_ratings, w.new_hwm, w.updated_at, w.id, w.expected_hwm)
                for w in writes if w.expected_hwm != 0]
        with self.db.tx() as c:
            changed = c.executemany(
                f"INSERT INTO user_affinities ({_AFF_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET "
                "name = excluded.name, count = count + excluded.count, "
                "rated_count = rated_count + excluded.rated_count, "
                "sum_ratings = sum_ratings + excluded.sum_ratings, "
                "hwm = excluded.hwm, updated_at = excluded.updated_at WHERE user_affinities.hwm = 0", new).rowcount
            changed += c.executemany(
                "UPDATE user_affinities SET name = ?, count = count + ?, rated_count = rated_count + ?, "
                "sum_ratings = sum_ratings + ?, hwm = ?, updated_at = ? WHERE id = ? AND hwm = ?", seen).rowcount
            if changed != len(writes):
                raise StaleWrite(f"user_affinities: {len(writes) - changed} of {len(writes)} documents moved on "
                                 "since they were read")

    @in_thread
    def replace_user(self, user_id: str, docs: Sequence[AffinityState], hwm: int) -> None:
        with self.db.tx() as c:
            c.execute("UPDATE user_affinities SET count = 0, rated_count = 0, sum_ratings = 0, hwm = ? "
                      "WHERE user_id = ? AND hwm <= ?", (hwm, user_id, hwm))
            c.executemany(f"INSERT INTO user_affinities ({_AFF_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO "
                          "UPDATE SET name = excluded.name, count = excluded.count, "
                          "rated_count = excluded.rated_count, "
                          "sum_ratings = excluded.sum_ratings, hwm = excluded.hwm, updated_at = excluded.updated_at "
                          "WHERE user_affinities.hwm <= excluded.hwm",
                          [(d.id, d.user_id, d.type, d.name, d.name_key, d.count, d.sum_ratings, hwm, d.updated_at,
                            d.rated_count) for d in docs])

    @in_thread
    def remove_user(self, user_id: str) -> None:
        with self.db.tx() as c:
            c.execute("DELETE FROM user_affinities WHERE user_id = ?", (user_id,))

    @in_thread
    def for_user(self, user_id: str) -> list[AffinityState]:
        return [_aff(r) for r in self.db.query(
            f"SELECT {_AFF_COLS} FROM user_affinities WHERE user_id = ? AND count > 0", (user_id,))]

    @in_thread
    def query(self, user_id: str, kind: str, sort: str, limit: int, min_count: int) -> list[AffinityState]:
        order = ", ".join(f"{_AFF_ORDER_SQL[field]} {'DESC' if descending else 'ASC'}"
                          for field, descending in AFFINITY_ORDER.get(sort, AFFINITY_ORDER["count"]))
        return [_aff(r) for r in self.db.query(
            f"SELECT {_AFF_COLS} FROM user_affinities WHERE user_id = ? AND type = ? AND count > 0 AND count >= ? "
            f"ORDER BY {order} LIMIT ?", (user_id, kind, max(min_count, 1), limit))]


_FACT_COLS = "user_id, entry_key, day, title, genres, live, seq, film"
_FACT_UPSERT = (f"INSERT INTO trend_facts ({_FACT_COLS}) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(user_id, entry_key) "
                "DO UPDATE SET day=excluded.day, title=excluded.title, genres=excluded.genres, live=excluded.live, "
                "seq=excluded.seq, film=excluded.film ")


def _fact(row: tuple[Any, ...]) -> TrendFact:
    user_id, key, day, title, genres, live, seq, film = row
    return TrendFact(user_id, key, day, title, tuple(json.loads(genres)), bool(live), seq, film)


def _fact_row(f: TrendFact) -> tuple[Any, ...]:
    return (f.user_id, f.entry_key, f.day, f.title, json.dumps(list(f.genres)), int(f.live), f.seq, f.film)


class SqliteTrendStore(OnDatabase, TrendStore):
    @in_thread
    def apply(self, facts: Sequence[TrendFact]) -> None:
        with self.db.tx() as c:
            # The WHERE keeps a replayed older fact from overwriting a newer one.
            c.executemany(_FACT_UPSERT + "WHERE excluded.seq = 0 OR excluded.seq > trend_facts.seq",
                          [_fact_row(f) for f in facts])

    @in_thread
    def replace_user(self, user_id: str, facts: Sequence[TrendFact], hwm: int) -> None:
        with self.db.tx() as c:
            c.execute("UPDATE trend_facts SET live = 0, seq = ? WHERE user_id = ? AND seq <= ?", (hwm, user_id, hwm))
            c.executemany(_FACT_UPSERT + "WHERE trend_facts.seq <= ?", [(*_fact_row(f), hwm) for f in facts])

    @in_thread
    def window_counts(self, since_day: str) -> dict[str, int]:
        return dict(self.db.query(
            "SELECT film, count(DISTINCT user_id) FROM trend_facts WHERE live = 1 AND day >= ? AND film != '' "
            "GROUP BY film", (since_day,)))

    @in_thread
    def facts(self, user_id: str | None = None) -> list[TrendFact]:
        if user_id is None:
            return [_fact(r) for r in self.db.query(f"SELECT {_FACT_COLS} FROM trend_facts")]
        return [_fact(r) for r in self.db.query(f"SELECT {_FACT_COLS} FROM trend_facts WHERE user_id = ?",
                                                (user_id,))]

    @in_thread
    def remove_user(self, user_id: str) -> None:
        with self.db.tx() as c:
            c.execute("DELETE FROM trend_facts WHERE user_id = ?", (user_id,))

    @in_thread
    def prune(self, before_day: str) -> int:
        with self.db.tx() as c:
            return c.execute("DELETE FROM trend_facts WHERE day < ?", (before_day,)).rowcount
