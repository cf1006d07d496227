"""The username rule (docs/contract.md §3): one canonical form, so look-alikes are one name."""

from __future__ import annotations

import re
import unicodedata

USERNAME = re.compile(r"[A-Za-z0-9_.-]{3,32}")


def canonical_username(raw: str) -> str | None:
    """The stored form of a username, or None when it breaks the rule.

    NFKC first (full-width "ａｄｍｉｎ" is "admin"), then the whole string must be 3-32 of
    `[A-Za-z0-9_.-]` (a full match: "admin\\n" is refused). What passes is ASCII, so the
    stores compare it ignoring ASCII case, which is then all the case there is."""
    name = unicodedata.normalize("NFKC", raw or "")
    return name if USERNAME.fullmatch(name) else None


def username_key(name: str) -> str:
    """What two usernames are compared by: equal keys are the same account."""
    return name.lower()
