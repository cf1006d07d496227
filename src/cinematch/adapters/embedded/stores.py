"""SQLite implementations of the ports. Where a delta becomes an update for the
embedded profile: `SqliteStatsStore.apply` and `SqliteAffinityStore.apply`.

Every store method runs in a worker thread (`in_thread`): a statement may wait for the
connection's lock while the projection thread commits a batch, or for an fsync, and the
event loop must never wait with it."""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
from collections.abc import Sequence

import msgspec

from ...domain.catalog import (
    CatalogMovie, find_typo_anchors, group_candidates, keys_of, rank_search, title_keys, word_starts,
)
from ...domain.deltas import TrendFact
from ...domain.diary import DIARY_ORDER, DiaryEntry
from ...domain.events import Event, encode_event
from ...domain.ports import (
    AffinityStore, AffinityWrite, CatalogStore, Conflict, DeadLetter, DeadLetterStore, DiaryChange, DiaryStore,
    EventSource, ItemStore, Record, StaleWrite, StatsStore, StatsWrite, TrendStore, User, UserStore,
)
from ...domain.stats import AFFINITY_ORDER, AffinityState, StatsState
from ...domain.text import normalize_title
from ..common import apply_stats_write
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


def _in(n: int) -> str:
    return ",".join("?" * n)


def _chunks(items: Sequence, size: int = 500):
    for i in range(0, len(items), size):
        yield items[i:i + size]


class _OnDatabase:
    """A store on the SQLite database (adapters/embedded/db.py)."""

    def __init__(self, db: Database) -> None:
        self.db = db


class SqliteUserStore(_OnDatabase, UserStore):
    @in_thread
    def create(self, user: User) -> None:
        import sqlite3
        try:
            with self.db.tx() as c:
                c.execute("INSERT INTO users VALUES (?, ?, ?, ?, ?)",
                          (user.id, user.username, user.password_hash, int(user.is_admin), user.created_at))
        except sqlite3.IntegrityError:
            raise Conflict(f"username {user.username!r} is taken") from None

    def _row(self, rows: list[tuple]) -> User | None:
        if not rows:
            return None
        uid, name, pw, admin, created = rows[0]
        return User(id=uid, username=name, password_hash=pw, is_admin=bool(admin), created_at=created)

    @in_thread
    def by_username(self, username: str) -> User | None:
        return self._row(self.db.query("SELECT * FROM users WHERE username = ?", (username,)))

    @in_thread
    def by_id(self, user_id: str) -> User | None:
        return self._row(self.db.query("SELECT * FROM users WHERE id = ?", (user_id,)))

    @in_thread
    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        with self.db.tx() as c:
            c.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))

    @in_thread
    def purge(self, user_id: str, at: str) -> None:
        with self.db.tx() as c:
            c.execute("INSERT OR IGNORE INTO purged_users VALUES (?, ?, 0)", (user_id, at))
            c.execute("DELETE FROM users WHERE id = ?", (user_id,))

    @in_thread
    def purged(self, user_ids: Sequence[str]) -> set[str]:
        out: set[str] = set()
        for chunk in _chunks(list(dict.fromkeys(user_ids))):
            out.update(r[0] for r in self.db.query(
                f"SELECT user_id FROM purged_users WHERE user_id IN ({_in(len(chunk))})", chunk))
        return out

    @in_thread
    def pending_purges(self) -> list[str]:
        return [r[0] for r in self.db.query("SELECT user_id FROM purged_users WHERE done = 0 ORDER BY user_id")]

    @in_thread
    def purge_done(self, user_id: str) -> None:
        with self.db.tx() as c:
            c.execute("UPDATE purged_users SET done = 1 WHERE user_id = ?", (user_id,))


_DIARY_ORDER_SQL = ", ".join(f"{column} DESC" for column in DIARY_ORDER)  # domain.diary.DIARY_ORDER


class SqliteDiaryStore(_OnDatabase, DiaryStore):
    @in_thread
    def write(self, user_id: str, changes: Sequence[DiaryChange]) -> list[Event]:
        with self.db.tx() as c:
            row = c.execute("SELECT seq FROM user_seq WHERE user_id = ?", (user_id,)).fetchone()
            seq = row[0] if row else 0
            present = self._present(c, user_id, [ch.put.id for ch in changes if ch.create_only and ch.put is not None])
            events = []
            # In change order: a put and a delete of one id in one write keep their order.
            ops: list[tuple[str, tuple]] = []
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
                    ops.append(("put", (user_id, e.id, e.date, e.added_at, seq, _enc.encode(e))))
                if change.delete_id is not None:
                    ops.append(("delete", (user_id, change.delete_id)))
            # Runs of the same statement go to executemany: one call per run, not per row.
            for kind, run in itertools.groupby(ops, key=lambda op: op[0]):
                sql = ("INSERT OR REPLACE INTO diary VALUES (?, ?, ?, ?, ?, ?)" if kind == "put"
                       else "DELETE FROM diary WHERE user_id = ? AND id = ?")
                c.executemany(sql, [args for _, args in run])
            c.executemany("INSERT INTO events (user_id, payload) VALUES (?, ?)",
                          [(user_id, encode_event(e)) for e in events])
            c.execute("INSERT INTO user_seq VALUES (?, ?) ON CONFLICT(user_id) DO UPDATE SET seq = excluded.seq",
                      (user_id, seq))
        self.db.notify()
        return events

    @staticmethod
    def _present(c, user_id: str, ids: list[str]) -> set[str]:
        """Which of these entry ids the diary has (one query per 500)."""
        out: set[str] = set()
        for chunk in _chunks(ids):
            out.update(r[0] for r in c.execute(
                f"SELECT id FROM diary WHERE user_id = ? AND id IN ({_in(len(chunk))})", (user_id, *chunk)))
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


class SqliteEventSource(EventSource):
    """Tails the events table (the outbox) for one consumer group."""

    def __init__(self, db: Database, group: str = "projections") -> None:
        self.db = db
        self.group = group
        self._cursor: int | None = None
        self._wake: asyncio.Event | None = None

    async def start(self) -> None:
        self._wake = self.db.listen()

    async def stop(self) -> None:
        if self._wake is not None:
            self.db.unlisten(self._wake)

    def committed(self) -> int:
        rows = self.db.query("SELECT next_position FROM consumer_offsets WHERE grp = ?", (self.group,))
        return rows[0][0] if rows else 0

    def _fetch(self, max_records: int) -> list[tuple]:
        if self._cursor is None:
            self._cursor = self.committed()
        return self.db.query("SELECT position, payload FROM events WHERE position >= ? ORDER BY position LIMIT ?",
                             (self._cursor, max_records))

    async def poll(self, max_records: int, timeout: float) -> list[Record]:
        if self._wake is not None:
            self._wake.clear()
        rows = self._fetch(max_records)
        if not rows and timeout > 0 and self._wake is not None:
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                return []
            rows = self._fetch(max_records)
        if rows:
            self._cursor = rows[-1][0] + 1
        return [Record(payload=bytes(p), position=pos) for pos, p in rows]

    async def commit(self, records: Sequence[Record]) -> None:
        if records:
            with self.db.tx() as c:
                c.execute("INSERT INTO consumer_offsets VALUES (?, ?) ON CONFLICT(grp) DO UPDATE SET "
                          "next_position = excluded.next_position", (self.group, records[-1].position + 1))

    async def rewind(self) -> None:
        self._cursor = self.committed()

    def pending(self) -> int:
        (n,) = self.db.query("SELECT count(*) FROM events WHERE position >= ?", (self.committed(),))[0]
        return n

    async def lag(self) -> dict[int, int]:
        return {0: await asyncio.to_thread(self.pending)}


def _fts_phrase(text: str) -> str:
    """`text` as one FTS5 phrase (quotes doubled): never read as query syntax."""
    return '"' + text.replace('"', '""') + '"'


def write_title_keys(c, movies: Sequence[CatalogMovie]) -> None:
    """A film's rows of `catalog_keys` (what `candidates` looks names up by) and of the search
    index (by the catalog row's rowid, which an upsert keeps), replaced; and its votes."""
    c.executemany("DELETE FROM catalog_keys WHERE id = ?", [(m.id,) for m in movies])
    c.executemany("INSERT OR IGNORE INTO catalog_keys VALUES (?, ?)", [(k, m.id) for m in movies for k in keys_of(m)])
    rowids = {}
    for chunk in _chunks([m.id for m in movies]):
        rowids.update(c.execute(f"SELECT id, rowid FROM catalog WHERE id IN ({_in(len(chunk))})", chunk).fetchall())
    c.executemany("DELETE FROM catalog_fts WHERE rowid = ?", [(rowids[m.id],) for m in movies])
    c.executemany("INSERT INTO catalog_fts (rowid, keys) VALUES (?, ?)",
                  [(rowids[m.id], " | ".join(keys_of(m))) for m in movies])
    c.executemany("UPDATE catalog SET votes = ? WHERE id = ?", [(m.votes, m.id) for m in movies])


def write_word_starts(c, movies: Sequence[CatalogMovie]) -> None:
    """A film's rows of `catalog_words` (`domain.catalog.word_starts` of its keys), replaced."""
    c.executemany("DELETE FROM catalog_words WHERE id = ?", [(m.id,) for m in movies])
    c.executemany("INSERT OR IGNORE INTO catalog_words VALUES (?, ?)",
                  [(w, m.id) for m in movies for w in word_starts(keys_of(m))])


_CATALOG_UPSERT = ("INSERT INTO catalog (id, title, original_title, normalized_title, normalized_original_title, doc) "
                   "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET title = excluded.title, "
                   "original_title = excluded.original_title, normalized_title = excluded.normalized_title, "
                   "normalized_original_title = excluded.normalized_original_title, doc = excluded.doc")
SEARCH_CANDIDATES = 100  # films read per tier of a search before the domain's ranking
SEARCH_SCAN = 1000  # index entries a tier reads at most (a two-letter prefix matches a good part of the catalog)
TYPO_ANCHORS = 2  # anchors of a typo (domain.catalog.typo_anchors) whose films are candidates
TYPO_CANDIDATES = 50  # films kept per anchor and index (four lookups: fewer each)


def _catalog_row(m: CatalogMovie) -> tuple:
    return (m.id, m.title, m.original_title, m.normalized_title, m.normalized_original_title, _enc.encode(m))


class SqliteCatalogStore(_OnDatabase, CatalogStore):
    @in_thread
    def upsert(self, movies: Sequence[CatalogMovie]) -> int:
        unique = list({m.id: m for m in movies}.values())  # an id given twice: the last one counts
        with self.db.tx() as c:
            c.executemany(_CATALOG_UPSERT, [_catalog_row(m) for m in unique])
            write_title_keys(c, unique)
            write_word_starts(c, unique)
        return len(movies)

    async def candidates(self, name: str) -> list[CatalogMovie]:
        return (await self.candidates_many([name]))[name]

    @in_thread
    def candidates_many(self, names: Sequence[str]) -> dict[str, list[CatalogMovie]]:
        wanted = list(dict.fromkeys(names))
        found: dict[str, CatalogMovie] = {}
        for chunk in _chunks(wanted, 200):
            keys = list(dict.fromkeys(k for n in chunk for k in title_keys(n))) or ["\x00"]
            names_in, keys_in = _in(len(chunk)), _in(len(keys))
            for movie_id, doc in self.db.query(
                    f"SELECT id, doc FROM catalog WHERE title IN ({names_in}) OR original_title IN ({names_in}) "
                    f"OR id IN (SELECT id FROM catalog_keys WHERE key IN ({keys_in}))", [*chunk, *chunk, *keys]):
                if movie_id not in found:
                    found[movie_id] = _movie.decode(doc)
        return group_candidates(wanted, found.values())

    @in_thread
    def search(self, query: str, limit: int) -> list[CatalogMovie]:
        """Candidates from the indexes, tier by tier, each the most voted first; ranked by the
        domain's rule (`domain.catalog.search_rank`). Every tier but the last resort is a range
        of an ordered index: a title key starting with the query, then a title word starting
        it (`catalog_words`); a one-word query inside a word comes from the trigram index; and
        when nothing contains the query (a typo), the candidates are the titles holding the
        longest run of its words that exist (`domain.catalog.typo_anchor`), or, for a one-word
        typo, those containing either half of it."""
        q = normalize_title(query)
        if not q:
            return []
        found: dict[str, bytes] = dict(self._starting("catalog_keys", q))
        named = any(q in keys_of(m) for m in map(_movie.decode, found.values()))  # a film named by the query
        if not named and len(found) < limit:
            found.update(self._starting("catalog_words", q))
        if not named and len(found) < limit and len(q) >= 3 and " " not in q:
            found.update(self._containing(q))
        if len(q) >= 4 and not found:
            for anchor in find_typo_anchors(q, self._begins)[:TYPO_ANCHORS]:
                found.update(self._starting("catalog_keys", anchor, TYPO_CANDIDATES))
                found.update(self._starting("catalog_words", anchor, TYPO_CANDIDATES))
            if " " not in q:  # a one-word typo may come early: either half of the word
                half = len(q) // 2
                for part in {q[:half + 1][:6], q[half:][-6:]}:  # six letters at most: a long phrase is slow
                    if len(part) >= 3:
                        found.update(self._containing(part))
        return rank_search(map(_movie.decode, found.values()), q, limit)

    def _starting(self, table: str, text: str, keep: int = SEARCH_CANDIDATES) -> list[tuple[str, bytes]]:
        """The most voted films with a row of `table` (catalog_keys, catalog_words) starting with
        `text`: at most SEARCH_SCAN index entries read, then the most voted kept (CROSS JOIN: the
        index first, never a walk of the whole catalog in votes order)."""
        upper = text[:-1] + chr(ord(text[-1]) + 1)  # the keys starting with text are those in [text, upper)
        # the votes from the (id, votes) index: in the row they follow the document (overflow pages)
        return self.db.query(
            "SELECT id, doc FROM catalog WHERE id IN (SELECT c.id FROM "
            f"(SELECT DISTINCT id FROM {table} WHERE key >= ? AND key < ? LIMIT ?) k "
            "CROSS JOIN catalog c INDEXED BY catalog_id_votes ON c.id = k.id ORDER BY c.votes DESC LIMIT ?)",
            (text, upper, SEARCH_SCAN, keep))

    def _begins(self, text: str) -> bool:
        """Whether some title key or word start begins with `text`."""
        upper = text[:-1] + chr(ord(text[-1]) + 1)
        return any(self.db.query(f"SELECT 1 FROM {table} WHERE key >= ? AND key < ? LIMIT 1", (text, upper))
                   for table in ("catalog_keys", "catalog_words"))

    def _containing(self, text: str) -> list[tuple[str, bytes]]:
        """The most voted films with a title key containing `text` (the trigram index)."""
        return self.db.query(
            "SELECT c.id, c.doc FROM (SELECT rowid FROM catalog_fts WHERE catalog_fts MATCH ? LIMIT ?) f "
            "CROSS JOIN catalog c ON c.rowid = f.rowid ORDER BY c.votes DESC LIMIT ?",
            (_fts_phrase(text), SEARCH_SCAN, SEARCH_CANDIDATES))

    @in_thread
    def genres(self) -> list[tuple[str, int]]:
        rows = self.db.query(
            "SELECT g.value, count(DISTINCT catalog.id) "
            "FROM catalog, json_each(json_extract(catalog.doc, '$.genres')) g "
            "GROUP BY g.value ORDER BY 2 DESC, 1 ASC")
        return [(g, n) for g, n in rows]

    @in_thread
    def by_ids(self, ids: Sequence[str]) -> dict[str, CatalogMovie]:
        out: dict[str, CatalogMovie] = {}
        for chunk in _chunks(list(ids)):
            for movie_id, doc in self.db.query(f"SELECT id, doc FROM catalog WHERE id IN ({_in(len(chunk))})", chunk):
                out[movie_id] = _movie.decode(doc)
        return out

    @in_thread
    def count(self) -> int:
        return self.db.query("SELECT count(*) FROM catalog")[0][0]


class SqliteStatsStore(_OnDatabase, StatsStore):
    @in_thread
    def hwms(self, user_ids: Sequence[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for chunk in _chunks(list(user_ids)):
            out.update(self.db.query(f"SELECT user_id, hwm FROM user_stats WHERE user_id IN ({_in(len(chunk))})",
                                     chunk))
        return out

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


def _aff(row: tuple) -> AffinityState:
    return AffinityState(*row)


# The fields of domain.stats.AFFINITY_ORDER as SQL over user_affinities' columns.
_AFF_ORDER_SQL = {"avg_rating": "CASE WHEN rated_count > 0 THEN CAST(sum_ratings AS REAL) / rated_count ELSE 0 END",
                  "count": "count", "name": "name"}


class SqliteAffinityStore(_OnDatabase, AffinityStore):
    @in_thread
    def hwms(self, ids: Sequence[str], user_ids: Sequence[str] | None = None) -> dict[str, int]:
        out: dict[str, int] = {}
        for chunk in _chunks(list(ids)):
            out.update(self.db.query(f"SELECT id, hwm FROM user_affinities WHERE id IN ({_in(len(chunk))})", chunk))
        return out

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


def _fact(row: tuple) -> TrendFact:
    user_id, key, day, title, genres, live, seq, film = row
    return TrendFact(user_id, key, day, title, tuple(json.loads(genres)), bool(live), seq, film)


def _fact_row(f: TrendFact) -> tuple:
    return (f.user_id, f.entry_key, f.day, f.title, json.dumps(list(f.genres)), int(f.live), f.seq, f.film)


class SqliteTrendStore(_OnDatabase, TrendStore):
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


class SqliteDeadLetterStore(_OnDatabase, DeadLetterStore):
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
        return self.db.query("SELECT count(*) FROM dead_letters")[0][0]



class SqliteItemStore(ItemStore):
    """Rows of `user_items` (kind, user, id, JSON document)."""

    def __init__(self, db: Database, kind: str, type_: type) -> None:
        self.db, self.kind = db, kind
        self.decoder = msgspec.json.Decoder(type_)

    @in_thread
    def put(self, user_id: str, items: Sequence[msgspec.Struct], *, only_new: bool = False) -> int:
        # Every item kind (ImportBatch, WatchItem) has an id; the port takes any Struct (the ignore below).
        verb = "INSERT OR IGNORE" if only_new else "INSERT OR REPLACE"
        with self.db.tx() as c:
            return c.executemany(f"{verb} INTO user_items (kind, user_id, id, doc) VALUES (?, ?, ?, ?)",
                                 [(self.kind, user_id, i.id, _enc.encode(i)) for i in items]).rowcount  # type: ignore[attr-defined]

    @in_thread
    def all(self, user_id: str) -> list:
        return [self.decoder.decode(r[0]) for r in self.db.query(
            "SELECT doc FROM user_items WHERE kind = ? AND user_id = ? ORDER BY rowid", (self.kind, user_id))]

    @in_thread
    def remove(self, user_id: str, ids: Sequence[str]) -> int:
        with self.db.tx() as c:
            return c.executemany("DELETE FROM user_items WHERE kind = ? AND user_id = ? AND id = ?",
                                 [(self.kind, user_id, i) for i in set(ids)]).rowcount

    @in_thread
    def remove_user(self, user_id: str) -> None:
        with self.db.tx() as c:
            c.execute("DELETE FROM user_items WHERE kind = ? AND user_id = ?", (self.kind, user_id))
