"""Small pieces of SQL text: placeholders for an IN list, and the lists in chunks that fit one."""

from __future__ import annotations

from collections.abc import Sequence


def placeholders(n: int) -> str:
    return ",".join("?" * n)


def chunks(items: Sequence, size: int = 500):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def pairs_in(query, sql: str, keys: Sequence) -> dict:
    """The (key, value) rows of `sql` (its `{in}` the placeholders) over `keys`, a chunk at a time."""
    out: dict = {}
    for chunk in chunks(list(keys)):
        out.update(query(sql.format(**{"in": placeholders(len(chunk))}), chunk))
    return out
