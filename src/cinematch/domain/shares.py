"""A year in review shared by an unguessable link (docs/contract.md §3 shares): what is stored,
and the one rule of what a shared page may show (no private entry, ever)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

import msgspec

from .diary import DiaryEntry

KINDS = ("year",)
TOKEN_BYTES = 24  # 192 random bits: a link nobody guesses


class Share(msgspec.Struct, omit_defaults=True):
    id: str  # the token of the link
    owner: str  # the user id of whoever made it
    kind: str
    year: int
    created: str


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_key(token: str) -> str:
    """Where a link's token is found without knowing its owner (`ItemStore` under this key)."""
    return f"share:{token}"


def shown(entries: Iterable[DiaryEntry]) -> list[DiaryEntry]:
    """What a shared page may show of a diary: every entry but the private ones (docs/contract.md
    §3: a private entry appears on no public surface; not even as a count)."""
    return [e for e in entries if not e.private]
