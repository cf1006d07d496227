"""The catalog on SQLite: exact lookups by title key, prefix and word ranges, trigram typos."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...domain.catalog import (CatalogMovie, find_typo_anchors, group_candidates, keys_of, person_key,
                               title_keys)
from ...domain.search import rank_search
from ...domain.ports import CatalogStore
from ...domain.text import normalize_title
from ._base import OnDatabase, _enc, _movie, in_thread
from .catalog_index import _fts_phrase, write_people, write_title_keys, write_word_starts
from .sql import chunks, placeholders

_CATALOG_UPSERT = ("INSERT INTO catalog (id, title, original_title, normalized_title, normalized_original_title, doc) "
                   "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET title = excluded.title, "
                   "original_title = excluded.original_title, normalized_title = excluded.normalized_title, "
                   "normalized_original_title = excluded.normalized_original_title, doc = excluded.doc")
SEARCH_CANDIDATES = 100  # films read per tier of a search before the domain's ranking
SEARCH_SCAN = 1000  # index entries a tier reads at most (a two-letter prefix matches a good part of the catalog)
TYPO_ANCHORS = 2  # anchors of a typo (domain.catalog.typo_anchors) whose films are candidates
TYPO_CANDIDATES = 50  # films kept per anchor and index (four lookups: fewer each)


def _catalog_row(m: CatalogMovie) -> tuple[Any, ...]:
    return (m.id, m.title, m.original_title, m.normalized_title, m.normalized_original_title, _enc.encode(m))


class SqliteCatalogStore(OnDatabase, CatalogStore):
    @in_thread
    def upsert(self, movies: Sequence[CatalogMovie]) -> int:
        unique = list({m.id: m for m in movies}.values())  # an id given twice: the last one counts
        with self.db.tx() as c:
            c.executemany(_CATALOG_UPSERT, [_catalog_row(m) for m in unique])
            write_title_keys(c, unique)
            write_word_starts(c, unique)
            write_people(c, unique)
        return len(movies)

    async def candidates(self, name: str) -> list[CatalogMovie]:
        return (await self.candidates_many([name]))[name]

    @in_thread
    def candidates_many(self, names: Sequence[str]) -> dict[str, list[CatalogMovie]]:
        wanted = list(dict.fromkeys(names))
        name_keys = {n: title_keys(n) for n in wanted}  # once per name: the grouping reuses them
        found: dict[str, CatalogMovie] = {}
        for chunk in chunks(wanted, 200):
            keys = list(dict.fromkeys(k for n in chunk for k in name_keys[n])) or ["\x00"]
            names_in, keys_in = placeholders(len(chunk)), placeholders(len(keys))
            for movie_id, doc in self.db.query(
                    f"SELECT id, doc FROM catalog WHERE title IN ({names_in}) OR original_title IN ({names_in}) "
                    f"OR id IN (SELECT id FROM catalog_keys WHERE key IN ({keys_in}))", [*chunk, *chunk, *keys]):
                if movie_id not in found:
                    found[movie_id] = _movie.decode(doc)
        return group_candidates(wanted, found.values(), name_keys)

    @in_thread
    def search(self, query: str, limit: int) -> list[CatalogMovie]:
        """Candidates from the indexes, tier by tier, each the most voted first; ranked by the
        domain's rule (`domain.search`). Every tier but the last resort is a range
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
    def by_person(self, name: str, limit: int = 500) -> list[CatalogMovie]:
        rows = self.db.query(
            "SELECT c.doc FROM (SELECT DISTINCT id FROM catalog_people WHERE key = ?) p "
            "CROSS JOIN catalog c ON c.id = p.id ORDER BY c.votes DESC, c.title, c.id LIMIT ?",
            (person_key(name), limit))
        return [_movie.decode(doc) for (doc,) in rows]

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
        for chunk in chunks(list(ids)):
            sql = f"SELECT id, doc FROM catalog WHERE id IN ({placeholders(len(chunk))})"
            for movie_id, doc in self.db.query(sql, chunk):
                out[movie_id] = _movie.decode(doc)
        return out

    @in_thread
    def count(self) -> int:
        return int(self.db.query("SELECT count(*) FROM catalog")[0][0])
