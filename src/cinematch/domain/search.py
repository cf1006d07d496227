"""How a catalog search answers (docs/contract.md §3, GET /api/catalog/search): which films match a
query, how well, and in which order. The stores only gather candidates from their indexes; this
decides. A search that cannot name the film says so: it answers nothing rather than a film that
merely shares letters with the query ("dune" is not Dunston Checks In).

A film matches the normalized query `q` through one of its title keys (title, original title,
alternative titles; `domain.catalog.keys_of`), in the first of these kinds:

- `exact`: a key is the query;
- `prefix`: a key starts with it ("matrix rel" → The Matrix Reloaded);
- `words`: every query word is a word of the key or the start of one, in any place
  ("of leader" → Matrix of Leadership);
- `typo`: every query word is within its edits of a word of the key (one edit, two for a word of
  8 letters or more, none for a word of 1-2 letters, which only begins one), or, for the last
  query word of 5 letters or more (still being typed), of the beginning of one ("godfater" → The
  Godfather; "the matrix" is not The MatchMaker, "fight club" not The First Wives Club); or the
  whole query is within its edits of the whole key, or of the key's beginning from 5 letters (a
  space dropped: "lovestory" → Love Story).

Within a kind: fewer edits first, then the most voted."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .catalog import CatalogMovie, keys_of

MATCHES = ("exact", "prefix", "words", "typo")
LONG_WORD = 8  # letters from which a word may hold two typos
TYPED_ON = 5  # letters from which the last word may be an unfinished word with a typo


def edits_allowed(word: str) -> int:
    return 0 if len(word) <= 2 else (2 if len(word) >= LONG_WORD else 1)


def within(a: str, b: str, most: int) -> int | None:
    """The edit distance between `a` and `b` (insertions, deletions, substitutions) when it is
    at most `most`, else None. Banded: only the cells that can stay within `most` are computed."""
    if abs(len(a) - len(b)) > most:
        return None
    if a == b:
        return 0
    if most == 1:  # the common case (words of 3-7 letters): one pass, no table
        i = 0
        while i < len(a) and i < len(b) and a[i] == b[i]:
            i += 1
        rest_a, rest_b = (a[i + 1:], b[i + 1:]) if len(a) == len(b) else \
            ((a[i + 1:], b[i:]) if len(a) > len(b) else (a[i:], b[i + 1:]))
        return 1 if rest_a == rest_b else None
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [most + 1] * len(b)
        lo, hi = max(1, i - most), min(len(b), i + most)
        for j in range(lo, hi + 1):
            cost = 0 if ca == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        if min(current) > most:
            return None
        previous = current
    return previous[-1] if previous[-1] <= most else None


class Query:
    """A normalized query made ready to be compared with many titles: its words, its bigrams (a
    cheap bound before an edit distance), and the word comparisons already made (titles share
    words: each pair is computed once per search)."""

    def __init__(self, q: str) -> None:
        self.q = q
        self.words = q.split()
        self.most = edits_allowed(q)
        self.grams = {q[i:i + 2] for i in range(len(q) - 1)}
        self._words: dict[tuple[str, str, bool], int | None] = {}

    def near(self, text: str) -> int | None:
        """The whole query against a whole key (or a key's beginning): within its edits?"""
        # The q-gram lemma: an edit takes at most two of the query's bigrams away, so a text within
        # `most` edits lacks at most 2·most of them (a substring test each, cheaper than the distance).
        missing = 0
        for gram in self.grams:
            if gram not in text:
                missing += 1
                if missing > 2 * self.most:
                    return None
        return within(self.q, text, self.most)

    def word_edits(self, word: str, title_words: list[str], last: bool) -> int | None:
        """The fewest edits that make a query word one of the title's words (0: it is one, or
        begins one), or None when none is near enough."""
        if any(t.startswith(word) for t in title_words):
            return 0
        most = edits_allowed(word)
        if not most:
            return None
        best: int | None = None
        for t in title_words:
            memo = (word, t, last)
            if memo not in self._words:
                found = within(word, t, most)
                if found is None and last and len(word) >= TYPED_ON and len(t) > len(word):
                    found = within(word, t[:len(word)], most)
                self._words[memo] = found
            found = self._words[memo]
            if found is not None and (best is None or found < best):
                best = found
        return best

    def typo_edits(self, key: str, title_words: list[str]) -> int | None:
        """The edits of a typo match against one key, or None: the whole query against the whole
        key (a space dropped or added: "lovestory" → Love Story) or, from 5 letters, against its
        beginning (a title still being typed); else word by word."""
        whole = self.near(key) if abs(len(key) - len(self.q)) <= self.most else None
        if whole is None and len(self.q) >= TYPED_ON and len(key) > len(self.q):
            whole = self.near(key[:len(self.q)])
        if whole is not None:
            return whole
        total = 0
        for i, word in enumerate(self.words):
            found = self.word_edits(word, title_words, last=i == len(self.words) - 1)
            if found is None:
                return None
            total += found
        return total


def search_match(movie: CatalogMovie, q: str | Query) -> tuple[int, int] | None:
    """(the kind's place in MATCHES, the edits of a typo) of the film for the normalized query,
    or None when it does not match."""
    query = q if isinstance(q, Query) else Query(q)
    keys = keys_of(movie)
    if query.q in keys:
        return 0, 0
    if any(k.startswith(query.q) for k in keys):
        return 1, 0
    splits = [k.split() for k in keys]
    if any(all(any(t.startswith(w) for t in words) for w in query.words) for words in splits):
        return 2, 0
    edits = [e for k, words in zip(keys, splits) if (e := query.typo_edits(k, words)) is not None]
    return (3, min(edits)) if edits else None


def match_kind(movie: CatalogMovie, q: str) -> str | None:
    """"exact", "prefix", "words" or "typo" (what the API says of each result), or None."""
    found = search_match(movie, q)
    return MATCHES[found[0]] if found else None


def rank_search(movies: Iterable[CatalogMovie], q: str, limit: int) -> list[CatalogMovie]:
    """The search answer among candidate films: the matching ones by kind, edits and votes. When
    a key is the query itself, only the films so named and those whose title continues it
    ("heat" is Heat and Heat Wave, not every title with the word)."""
    ranked: list[tuple[tuple[Any, ...], CatalogMovie]] = []
    query = Query(q)
    for m in movies:
        found = search_match(m, query)
        if found is not None:
            ranked.append(((*found, -m.votes, m.title, m.year or 0, m.id), m))
    ranked.sort(key=lambda pair: pair[0])
    if ranked and ranked[0][0][0] == 0:
        ranked = [(r, m) for r, m in ranked if r[0] <= 1]
    return [m for _, m in ranked[:limit]]
