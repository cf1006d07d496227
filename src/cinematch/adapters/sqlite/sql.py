"""Small pieces of SQL text: placeholders for an IN list, and the lists in chunks that fit one."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def placeholders(n: int) -> str:
    return ",".join("?" * n)


def chunks(items: Sequence[T], size: int = 500) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def pairs_in(query: Callable[..., list[tuple[Any, ...]]], sql: str, keys: Sequence[Any]) -> dict[str, Any]:
    """The (key, value) rows of `sql` (its `{in}` the placeholders) over `keys`, a chunk at a time."""
    out: dict[str, Any] = {}
    for chunk in chunks(list(keys)):
        out.update(query(sql.format(**{"in": placeholders(len(chunk))}), chunk))
    return out
